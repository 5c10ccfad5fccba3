"""The one-process floor: every chapter's code cells executed in ONE plain Python interpreter.

    python bench/floor.py NOTEBOOK_DIR OUTPUT_DIR RESULT.json SLUG [SLUG ...]

No kernel, no papermill, no notebook written, no HTML: each chapter gets a fresh namespace,
its parameters cell runs with its defaults and then ``output_dir`` is set to OUTPUT_DIR, and
its other code cells are exec'd in order (IPython magics and shell escapes are skipped and
counted). matplotlib uses the Agg backend; ``display`` comes from ``IPython.display``.
Chapters run in the order given (report order, the register last). Writes per-chapter
seconds and the number of skipped magic lines to RESULT.json; bench/run.py times the whole
process from outside, interpreter start-up included.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"


def code_cells(notebook: Path) -> list[tuple[str, bool]]:
    """(source, is_parameters_cell) for each code cell, in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out.append((source, "parameters" in cell.get("metadata", {}).get("tags", [])))
    return out


def strip_magics(source: str) -> tuple[str, int]:
    """Drop IPython magic (%, %%) and shell (!) lines; returns the source and how many were dropped."""
    kept, dropped = [], 0
    for line in source.splitlines():
        if line.lstrip().startswith(("%", "!")):
            dropped += 1
            continue
        kept.append(line)
    return "\n".join(kept), dropped


def run_chapter(notebook: Path, output_dir: str) -> tuple[float, int]:
    import matplotlib.pyplot as plt
    from IPython.display import display

    namespace = {"__name__": "__main__", "display": display}
    # which notebook is running, told the way Jupyter tells a kernel (Chapter.for_notebook reads it)
    os.environ["JPY_SESSION_NAME"] = str(notebook)
    skipped = 0
    started = time.perf_counter()
    for index, (source, is_parameters) in enumerate(code_cells(notebook)):
        source, dropped = strip_magics(source)
        skipped += dropped
        exec(compile(source, f"<{notebook.stem} code cell {index}>", "exec"), namespace)  # noqa: S102
        if is_parameters:
            namespace["output_dir"] = output_dir
    plt.close("all")  # a kernel's inline backend closes figures after each cell
    return time.perf_counter() - started, skipped


def main(argv: list[str]) -> int:
    notebook_dir, output_dir, result_path, *slugs = argv
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    chapters, skipped = {}, 0
    for slug in slugs:
        seconds, dropped = run_chapter(Path(notebook_dir) / f"{slug}.ipynb", output_dir)
        chapters[slug] = round(seconds, 3)
        skipped += dropped
        print(f"floor: {slug} {seconds:.2f} s", file=sys.stderr, flush=True)
    Path(result_path).write_text(json.dumps({"chapters": chapters, "skipped_magic_lines": skipped}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
