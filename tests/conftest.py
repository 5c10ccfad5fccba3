"""Shared fixtures: throwaway chapter notebooks and a driver that runs them through the runner."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNEL_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}

DEFAULT_PARAMETERS = 'alpha: float = 0.05  # significance level\noutput_dir: str = ""  # where outputs go'


def write_notebook(
    path: Path, *cells: str, parameters: str | None = DEFAULT_PARAMETERS, markdown: str = "# A chapter"
) -> Path:
    """A small chapter notebook: a markdown cell, an optional parameters cell, then code cells."""
    nb_cells = [new_markdown_cell(markdown)]
    if parameters is not None:
        nb_cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb_cells += [new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(new_notebook(cells=nb_cells, metadata=KERNEL_METADATA), str(path))
    return path


#: A cell that leaves a claim file behind, as real chapters do through helpers.report.
WRITES_CLAIMS = """
from pathlib import Path
folder = Path(output_dir) / "claims"
folder.mkdir(parents=True, exist_ok=True)
(folder / f"{CHAPTER}.csv").write_text(f"claim_id,alpha\\n{CHAPTER},{alpha}\\n")
"""


@pytest.fixture
def chapters_dir(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    return folder


def chapter_specs(folder: Path, slugs: list[str], register: str | None = None):
    from helpers.chapters import ChapterSpec

    specs = [ChapterSpec(s, s, path=str(folder / f"{s}.ipynb")) for s in slugs]
    if register:
        specs.append(ChapterSpec(register, register, gathers_claims=True, path=str(folder / f"{register}.ipynb")))
    return tuple(specs)


DRIVER = """
import sys
from helpers.chapters import ChapterSpec
from helpers.pipeline.cli import main

SPECS = {specs!r}

if __name__ == "__main__":
    chapters = tuple(ChapterSpec(*s[:2], gathers_claims=s[2], path=s[3]) for s in SPECS)
    sys.exit(main(sys.argv[1:], chapters=chapters))
"""


def run_driver(tmp_path: Path, specs, *args: str, timeout: float = 120, wait: bool = True):
    """Run the real command line (``python -m helpers run ...``) on throwaway chapters, in a subprocess."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(specs=[(s.slug, s.title, s.gathers_claims, s.path) for s in specs]))
    command = [sys.executable, str(driver), *args]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
