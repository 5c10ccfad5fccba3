"""Provenance of every file under ``data/``: ``data/manifest.yaml``.

One entry per file (the manifest itself excepted, and hidden files such as ``.gitkeep``)::

    - path: published/figures.csv          # relative to data/
      sha256: 3f1c...
      source: [https://..., ...]           # or "this project"
      licence: ...                         # licence or terms of use
      accessed: 2026-11-24                 # when the sources were checked
      notes: ...

* :func:`load_data_manifest` - the entries (list of dicts).
* :func:`check_data_manifest` - problems: a listed file missing, a file not listed, a hash
  mismatch, an entry without source/licence/accessed. Empty list = up to date.
* :func:`refresh_data_manifest` - recompute the hashes (other fields kept); new files are
  added with placeholders that :func:`check_data_manifest` keeps flagging until filled in.

Command line: ``python -m helpers.data.manifest [--check | --refresh]``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from helpers import paths
from helpers.errors import InputDataError

FIELDS = ("path", "sha256", "source", "licence", "accessed", "notes")
PLACEHOLDER = "TODO: fill in"
_HEADER = """\
# Provenance of every file under data/ (this manifest excepted): where it comes from, on
# what terms, when the sources were accessed, and its sha256. Tests fail when it is stale;
# after editing a data file run:  python -m helpers.data.manifest --refresh
# (hashes are recomputed; source, licence, accessed and notes are kept - update them by hand).
"""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _data_files(data_dir: Path, manifest: Path) -> list[str]:
    out = []
    for p in sorted(data_dir.rglob("*")):
        rel = p.relative_to(data_dir)
        if not p.is_file() or p.resolve() == manifest.resolve():
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        out.append(rel.as_posix())
    return out


def load_data_manifest(path: str | Path | None = None) -> list[dict]:
    """The manifest's entries (default ``paths.DATA_MANIFEST``)."""
    import yaml

    p = Path(path) if path is not None else paths.DATA_MANIFEST
    if not p.is_file():
        raise InputDataError(
            f"{p}: data manifest not found (create it with: python -m helpers.data.manifest --refresh)"
        )
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputDataError(f"{p.name}: not valid YAML: {exc}") from None
    files = (doc or {}).get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list) or not all(isinstance(e, dict) and "path" in e for e in files):
        raise InputDataError(f"{p.name}: expected a mapping with a 'files' list of entries with a 'path'")
    return files


def check_data_manifest(path: str | Path | None = None, data_dir: str | Path | None = None) -> list[str]:
    """Problems with the manifest: missing files, unlisted files, hash mismatches, empty fields."""
    p = Path(path) if path is not None else paths.DATA_MANIFEST
    root = Path(data_dir) if data_dir is not None else p.parent
    entries = load_data_manifest(p)
    problems = []
    listed = [str(e["path"]) for e in entries]
    for dup in sorted({x for x in listed if listed.count(x) > 1}):
        problems.append(f"{dup}: listed more than once")
    for e in entries:
        f = root / str(e["path"])
        if not f.is_file():
            problems.append(f"{e['path']}: listed in the manifest but missing")
            continue
        if e.get("sha256") != _sha256(f):
            problems.append(
                f"{e['path']}: sha256 mismatch (the file changed; run python -m helpers.data.manifest --refresh)"
            )
        for key in ("source", "licence", "accessed"):
            value = e.get(key)
            if not value or value == PLACEHOLDER or (isinstance(value, list) and not value):
                problems.append(f"{e['path']}: no {key} recorded")
    for rel in _data_files(root, p):
        if rel not in listed:
            problems.append(f"{rel}: not listed in the manifest")
    return problems


def refresh_data_manifest(path: str | Path | None = None, data_dir: str | Path | None = None) -> list[str]:
    """Recompute hashes, keep the other fields, add unlisted files with placeholders.

    Entries whose file is gone are kept (and still reported by :func:`check_data_manifest`).
    Returns a description of each change."""
    import yaml

    p = Path(path) if path is not None else paths.DATA_MANIFEST
    root = Path(data_dir) if data_dir is not None else p.parent
    entries = load_data_manifest(p) if p.is_file() else []
    changes = []
    by_path = {str(e["path"]): e for e in entries}
    for rel in _data_files(root, p):
        if rel not in by_path:
            e = {"path": rel, "sha256": "", "source": PLACEHOLDER, "licence": PLACEHOLDER,
                 "accessed": PLACEHOLDER, "notes": ""}
            entries.append(e)
            by_path[rel] = e
            changes.append(f"{rel}: added (fill in source, licence and accessed)")
    for e in entries:
        f = root / str(e["path"])
        if f.is_file():
            digest = _sha256(f)
            if e.get("sha256") != digest:
                changes.append(f"{e['path']}: sha256 updated")
                e["sha256"] = digest
    ordered = [{k: e[k] for k in FIELDS if k in e} | {k: v for k, v in e.items() if k not in FIELDS}
               for e in sorted(entries, key=lambda e: str(e["path"]))]
    text = _HEADER + yaml.safe_dump({"files": ordered}, sort_keys=False, allow_unicode=True, width=100)
    if not p.is_file() or p.read_text(encoding="utf-8") != text:
        p.write_text(text, encoding="utf-8")
    return changes


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--refresh":
        for change in refresh_data_manifest():
            print(change)
    problems = check_data_manifest()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{paths.DATA_MANIFEST}: up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
