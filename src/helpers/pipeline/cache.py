"""Incremental rebuilds: what each chapter depends on, as hashes, and why it must re-run.

A chapter's key has one component per kind of dependency, so ``--dry-run`` can say which
changed: its code cells, its text (the markdown cells its pages print), its resolved parameters (not the
output folder), the ``helpers`` modules its notebook imports (followed through the package's
import graph: see :mod:`helpers.pipeline.module_graph`), the data files it reads, and the
versions of the packages its numbers depend on. A chapter that depends on others (the
register) also depends on their claims.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from helpers.paths import DATA_DIR
from helpers.pipeline import module_graph

#: Bump to invalidate every cached chapter (a change in how the runner executes them).
CACHE_EPOCH = "2"

KEY_PACKAGES = (
    "ipykernel", "matplotlib", "nbclient", "nbconvert", "numpy", "pandas", "pandera",
    "papermill", "scipy", "seaborn", "statsmodels", "stepmix",
)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes (the digest :func:`helpers.data.io.sha256_file` gives).

    Standard library only: ``helpers.data.io`` imports numpy, which the no-op rebuild should not
    pay for.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_hash(value) -> str:
    """sha256 of a JSON-able value written as stable text (sorted keys)."""
    return _sha256_text(json.dumps(value, sort_keys=True, default=str))


def _cells(notebook: Path, cell_type: str) -> list[list]:
    """Each cell of one type as ``[source, sorted tags]``."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    return [
        [c["source"] if isinstance(c["source"], str) else "".join(c["source"]),
         sorted(c.get("metadata", {}).get("tags", []))]
        for c in cells if c["cell_type"] == cell_type
    ]


def code_hash(notebook: Path) -> str:
    """Hash of a notebook's code cells (sources and tags): what decides its parameters and modules."""
    return _sha256_text(json.dumps(_cells(notebook, "code")))


def text_hash(notebook: Path) -> str:
    """Hash of a notebook's markdown cells: the prose its exported pages print beside the results."""
    return _sha256_text(json.dumps(_cells(notebook, "markdown")))


def tree_hashes(root: Path, pattern: str = "**/*") -> dict[str, str]:
    """sha256 of every file below ``root`` (relative path -> digest)."""
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(Path(root).glob(pattern))
        if p.is_file() and "__pycache__" not in p.parts
    }


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class SharedInputs:
    """The inputs every chapter shares, hashed once per run: each helpers module, the data, the packages.

    ``previous``: each chapter's record in the last run.json. A chapter whose notebook code and
    whose modules are unchanged since then covers the same modules, so its imports are not
    followed again (parsing the package takes longer than a no-op rebuild may).
    """

    def __init__(self, previous: dict[str, dict] | None = None):
        self.module_files = module_graph.package_files()
        self.module_hashes = {name: sha256_file(path) for name, path in self.module_files.items()}
        self.module_names = canonical_hash(sorted(self.module_files))
        self.data_files = tree_hashes(DATA_DIR)
        self.packages = package_versions()
        self.modules_used: dict[str, list[str]] = {}  # notebook -> the helpers modules it can run
        self._before = {r["helpers_modules"]["notebook"]: r for r in (previous or {}).values()
                        if isinstance(r.get("helpers_modules"), dict)}
        self._edges: list[module_graph.Import] | None = None

    def data_file_record(self) -> dict[str, str]:
        return {str(Path("data") / k): v for k, v in self.data_files.items()}

    def _hash_of(self, modules: list[str]) -> str:
        return canonical_hash({name: self.module_hashes[name] for name in sorted(modules)})

    def _unchanged(self, notebook: Path, code: str) -> str | None:
        """The helpers hash recorded for this notebook, if nothing that decides its modules changed."""
        before = self._before.get(str(notebook))
        if before is None or before.get("components", {}).get("code") != code:
            return None
        recorded = before["helpers_modules"]
        modules = recorded.get("modules", [])
        if recorded.get("module_names") != self.module_names or not set(modules) <= set(self.module_hashes):
            return None
        digest = self._hash_of(modules)
        if digest != before["components"].get("helpers"):
            return None
        self.modules_used[str(notebook)] = modules
        return digest

    def helpers_hash(self, notebook: Path, code: str = "") -> str:
        """Hash of the helpers modules a notebook can run: those it imports, and what they import."""
        known = self._unchanged(notebook, code) if code else None
        if known is not None:
            return known
        if self._edges is None:
            self._edges = module_graph.import_edges(self.module_files)
        start = module_graph.notebook_imports(notebook, self.module_files)
        used = sorted(module_graph.reachable(start, self._edges, self.module_files))
        self.modules_used[str(notebook)] = used
        return self._hash_of(used)

    def modules_record(self, notebook: Path) -> dict:
        """What run.json keeps so the next run can tell the modules are the same without parsing."""
        return {"notebook": str(notebook), "module_names": self.module_names,
                "modules": self.modules_used.get(str(notebook), [])}


def chapter_components(notebook: Path, parameters: dict, shared: SharedInputs, claims_hash: str | None = None,
                       *, inputs=()) -> dict:
    """The hashes a chapter's outputs depend on, one per kind of dependency.

    ``inputs``: the input files its parameters name (declared as input-file types), hashed with the data.
    """
    keyed = {k: v for k, v in parameters.items() if k != "output_dir"}
    data = dict(shared.data_files)
    for path in inputs:
        data[str(path)] = sha256_file(Path(path))
    code = code_hash(notebook)
    components = {
        "code": code,
        "text": text_hash(notebook),
        "parameters": canonical_hash(keyed),
        "helpers": shared.helpers_hash(notebook, code),
        "data": canonical_hash(data),
        "packages": canonical_hash(shared.packages),
        "epoch": CACHE_EPOCH,
    }
    if claims_hash is not None:
        components["claims"] = claims_hash
    return components


def claims_hash(claims_dir: Path, chapters: list[str]) -> str:
    """Hash of the claims files of ``chapters`` (a missing file counts as missing)."""
    files = {slug: sha256_file(claims_dir / f"{slug}.csv") if (claims_dir / f"{slug}.csv").is_file() else None
             for slug in chapters}
    return canonical_hash(files)


REASONS = {
    "code": "its code cells changed",
    "text": "its text (markdown cells) changed",
    "parameters": "its parameters changed",
    "helpers": "a helpers module it imports changed",
    "data": "an input data file changed",
    "packages": "a key package version changed",
    "epoch": "the runner's cache epoch changed",
    "claims": "a chapter's claims changed",
}


def stale_reasons(components: dict, previous: dict | None) -> list[str]:
    """Why a chapter must re-run, given the components recorded by the last successful run."""
    if not previous:
        return ["no previous result"]
    if previous.get("status") != "ok":
        return ["its last run did not succeed"]
    before = previous.get("components", {})
    return [REASONS[name] for name in components if before.get(name) != components[name]]


# -- the outputs a run built ----------------------------------------------------------------
#: How many changed outputs a reason lists before "and N more".
LISTED_OUTPUTS = 3


#: Outputs recorded as present but not checksummed: an executed notebook and its pages hold a random
#: cell id and the staging folder's name, so two identical runs differ there (run.json must not).
#: Everything the register and the index are built from (claims, tables, figures) is checksummed.
UNHASHED_FOLDERS = ("notebooks", "html")
PRESENT = "present (not checksummed: differs between identical runs)"


def _digest(layout, path: Path) -> str:
    return PRESENT if layout.relative(path).split("/", 1)[0] in UNHASHED_FOLDERS else sha256_file(path)


def output_hashes(layout, slug: str, *, gathers_claims: bool = False) -> dict[str, str]:
    """sha256 of every file one chapter's run left in ``layout`` (path relative to its root -> digest)."""
    return {layout.relative(p): _digest(layout, p) for p in layout.chapter_files(slug, gathers_claims=gathers_claims)}


def output_changes(layout, slug: str, recorded: dict[str, str], *, gathers_claims: bool = False) -> list[str]:
    """Why a chapter's outputs in ``layout`` are not the ones the runner built (empty: they are).

    ``recorded`` is the chapter's ``outputs`` entry in run.json. A file changed or missing since the
    run that built it, or a file in the chapter's folders that no run built, makes it stale.
    """
    changes = []
    for relative, digest in sorted(recorded.items()):
        path = layout.root / relative
        if not path.is_file():
            changes.append(f"output {relative} is missing")
        elif digest != PRESENT and sha256_file(path) != digest:
            changes.append(f"output {relative} changed since it was built")
    for path in layout.chapter_files(slug, gathers_claims=gathers_claims):
        if layout.relative(path) not in recorded:
            changes.append(f"output {layout.relative(path)} was not built by the runner")
    if len(changes) > LISTED_OUTPUTS:
        changes = [*changes[:LISTED_OUTPUTS], f"and {len(changes) - LISTED_OUTPUTS} more changed outputs"]
    return changes
