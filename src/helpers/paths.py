"""The one place that defines where things live.

Notebooks, tests and the runner take every path from here, never from the
working directory, so a chapter runs the same from JupyterLab, from the runner
or from the plain ``papermill`` command line in any folder.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root. ``HELPERS_PROJECT_ROOT`` overrides it (for a non-editable install).
PROJECT_ROOT = Path(os.environ.get("HELPERS_PROJECT_ROOT") or Path(__file__).resolve().parents[2])

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DATA_DIR = PROJECT_ROOT / "data"
PUBLISHED_DIR = DATA_DIR / "published"
PUBLISHED_FIGURES = PUBLISHED_DIR / "figures.csv"
WAVES_TABLE = PUBLISHED_DIR / "waves.csv"
SERIES_TABLE = PUBLISHED_DIR / "series.csv"
CODEBOOK = DATA_DIR / "codebook.yaml"
DATA_MANIFEST = DATA_DIR / "manifest.yaml"
#: Data sets this project derives and stores (e.g. the method study of chapter 09)
DERIVED_DIR = DATA_DIR / "derived"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / "outputs"
#: Where a chapter run by hand (JupyterLab, plain papermill, nbconvert) writes: never the runner's
#: outputs, which only ``python -m helpers run`` builds (it always passes ``output_dir``).
INTERACTIVE_OUTPUT_DIR = DEFAULT_OUTPUT_DIR / "interactive"
BENCH_DIR = PROJECT_ROOT / "bench"
#: Results that outlive a run (e.g. the method checks' finished replicates); HELPERS_CACHE_DIR overrides it.
CACHE_DIR = Path(os.environ.get("HELPERS_CACHE_DIR") or PROJECT_ROOT / ".cache")


class OutputLayout:
    """Where one run's generated files go (the layout the whole project relies on)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root).resolve() if root else DEFAULT_OUTPUT_DIR

    @classmethod
    def interactive(cls) -> OutputLayout:
        """The layout of hand runs (``outputs/interactive/``), kept apart from the runner's outputs."""
        return cls(INTERACTIVE_OUTPUT_DIR)

    def is_interactive(self) -> bool:
        return self.root == INTERACTIVE_OUTPUT_DIR.resolve()

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def html(self) -> Path:
        return self.root / "html"

    @property
    def claims_dir(self) -> Path:
        """Each chapter's own claims, gathered by the register chapter."""
        return self.root / "claims"

    @property
    def claims_register(self) -> Path:
        return self.root / "claims.csv"

    @property
    def run_record(self) -> Path:
        return self.root / "run.json"

    @property
    def bench(self) -> Path:
        return self.root / "bench"

    def figures(self, chapter: str) -> Path:
        return self.root / "figures" / chapter

    def tables(self, chapter: str) -> Path:
        return self.root / "tables" / chapter

    def notebook(self, chapter: str) -> Path:
        return self.notebooks / f"{chapter}.ipynb"

    def chapter_claims(self, chapter: str) -> Path:
        return self.claims_dir / f"{chapter}.csv"

    @property
    def index(self) -> Path:
        return self.html / "index.html"

    def chapter_pages(self, chapter: str) -> tuple[Path, Path]:
        """A chapter's HTML pages: with code, and the reader page without."""
        return self.html / f"{chapter}.html", self.html / "reader" / f"{chapter}.html"

    def chapter_files(self, chapter: str, *, gathers_claims: bool = False) -> list[Path]:
        """Every file one chapter's run produced here (its executed notebook, claims, tables, figures and
        HTML pages; the register's also ``claims.csv``), sorted. These are what the runner checksums."""
        files = [self.notebook(chapter), self.chapter_claims(chapter), *self.chapter_pages(chapter)]
        if gathers_claims:
            files.append(self.claims_register)
        for folder in (self.figures(chapter), self.tables(chapter)):
            if folder.is_dir():
                files += [p for p in folder.rglob("*") if p.is_file()]
        return sorted(p for p in files if p.is_file())

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, with forward slashes (how run.json names outputs)."""
        return Path(path).relative_to(self.root).as_posix()
