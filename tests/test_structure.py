"""The package's shape, checked from the source (no import is executed).

``src/helpers`` is four layers over a foundation, and imports only go down::

    pipeline  ->  report  ->  data  ->  stats  ->  foundation (paths, errors, chapters, parameters, lifecycle)

``helpers.__main__`` is the command line and stands outside the layers; no module inside a layer
imports it. Every import counts - at the top of a module, inside a function, ``from helpers import x``
and relative forms - so a lazy import cannot hide a cycle or an upward dependency. The import
graph is the one the runner keys its cache on (:mod:`helpers.pipeline.module_graph`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from helpers.pipeline import module_graph
from helpers.pipeline.module_graph import imports_of, package_files

SRC = PROJECT_ROOT / "src"
PACKAGE = SRC / "helpers"
MAX_FILE_LINES = 600
MAX_NOTEBOOK_LINE = 120  # ruff's line-length in pyproject.toml

#: layer name -> rank; a module may import modules of its own rank or lower
LAYERS = {"foundation": 0, "stats": 1, "data": 2, "report": 3, "pipeline": 4}
FOUNDATION = {"helpers", "helpers.paths", "helpers.errors", "helpers.chapters", "helpers.parameters",
              "helpers.lifecycle"}
OUTSIDE = {"helpers.__main__"}


class Import(module_graph.Import):
    def where(self) -> str:
        return f"{Path(self.path).relative_to(PROJECT_ROOT)}:{self.line}"


def import_graph() -> list[Import]:
    return [Import(e.source, e.target, e.path, e.line) for e in module_graph.import_edges()]


def layer_of(module: str) -> str | None:
    """The module's layer, or None for the modules outside the layers."""
    if module in OUTSIDE:
        return None
    if module in FOUNDATION:
        return "foundation"
    top = module.split(".")[1]
    if top in LAYERS:
        return top
    raise AssertionError(f"{module} belongs to no layer: add it to a layer, or to OUTSIDE in tests/test_structure.py")


def find_cycles(edges: list[Import]) -> list[list[Import]]:
    """One cycle (as its chain of imports) through every back edge of a depth-first search."""
    graph: dict[str, list[Import]] = {}
    for e in edges:
        graph.setdefault(e.source, []).append(e)
    state: dict[str, int] = {}   # 1 on the stack, 2 done
    stack: list[Import] = []
    cycles, seen = [], set()

    def visit(node: str) -> None:
        state[node] = 1
        for e in graph.get(node, []):
            if state.get(e.target) == 1:
                start = next((i for i, s in enumerate(stack) if s.source == e.target), len(stack))
                cycle = [*stack[start:], e]
                key = frozenset(s.source for s in cycle)
                if key not in seen:
                    seen.add(key)
                    cycles.append(cycle)
            elif e.target not in state:
                stack.append(e)
                visit(e.target)
                stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


# ---------------------------------------------------------------------------------------
# the checker checks itself
# ---------------------------------------------------------------------------------------
def test_every_import_form_is_seen():
    modules = {"helpers", "helpers.paths", "helpers.stats", "helpers.stats.bands", "helpers.data",
               "helpers.data.published", "helpers.report"}
    source = (
        "import helpers.paths\n"
        "from helpers import paths, __version__\n"
        "from helpers.stats import wilson\n"
        "from . import published\n"
        "from ..stats.bands import Band\n"
        "def lazy():\n"
        "    from helpers.report import Chapter\n"
        "    import numpy\n"
    )
    found = imports_of(source, "helpers.data.io", False, modules)
    assert found == [("helpers.paths", 1), ("helpers.paths", 2), ("helpers", 2), ("helpers.stats", 3),
                     ("helpers.data.published", 4), ("helpers.stats.bands", 5), ("helpers.report", 7)]
    # in a package's __init__, one dot is the package itself
    assert imports_of("from .bands import Band", "helpers.stats", True, modules) == [("helpers.stats.bands", 1)]


def test_a_cycle_is_reported_with_its_path():
    def edge(source, target, line):
        return Import(f"helpers.{source}", f"helpers.{target}", PACKAGE / f"{source}.py", line)

    edges = [edge("a", "b", 3), edge("b", "c", 4), edge("c", "a", 5), edge("c", "paths", 6),
             edge("d", "e", 7), edge("e", "d", 8)]
    cycles = find_cycles(edges)
    assert [[e.source for e in cycle] for cycle in cycles] == [["helpers.a", "helpers.b", "helpers.c"],
                                                              ["helpers.d", "helpers.e"]]
    assert cycles[0][-1].where() == "src/helpers/c.py:5"
    assert not find_cycles(edges[:2] + edges[3:4])


def test_the_graph_sees_every_layer():
    layers = {layer_of(m) for m in package_files()}
    assert layers == {*LAYERS, None}
    assert any(e.source.startswith("helpers.pipeline") and e.target.startswith("helpers.report")
               for e in import_graph())


# ---------------------------------------------------------------------------------------
# the package
# ---------------------------------------------------------------------------------------
def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    described = [" -> ".join(f"{e.source} ({e.where()})" for e in cycle) + f" -> {cycle[0].source}"
                 for cycle in cycles]
    assert not described, "import cycles:\n" + "\n".join(described)


def test_imports_only_go_down_the_layers():
    upward = []
    for e in import_graph():
        source, target = layer_of(e.source), layer_of(e.target)
        if source is None or target is None:
            continue
        if LAYERS[target] > LAYERS[source]:
            upward.append(f"{e.where()}: {e.source} ({source}) imports {e.target} ({target}); "
                          f"imports must go down: {' -> '.join(reversed(LAYERS))}")
    assert not upward, "\n".join(upward)


def test_no_layer_imports_the_command_line():
    bad = [f"{e.where()}: {e.source} imports {e.target}, which stands outside the layers; "
           f"import its home module instead" for e in import_graph()
           if layer_of(e.source) is not None and e.target in OUTSIDE]
    assert not bad, "\n".join(bad)


def test_no_source_file_is_too_long():
    long = []
    for path in sorted(SRC.rglob("*")):
        if not path.is_file() or any(p.endswith(".egg-info") or p == "__pycache__" for p in path.parts):
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_FILE_LINES:
            long.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {n} lines (at most {MAX_FILE_LINES}); split it")
    assert not long, "\n".join(long)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_code_lines_fit(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    long = []
    for index, cell in enumerate(cells, start=1):   # numbered as ruff and JupyterLab's cell count do
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for number, line in enumerate(source.splitlines(), start=1):
            if len(line) > MAX_NOTEBOOK_LINE:
                long.append(f"{notebook.relative_to(PROJECT_ROOT)}: cell {index}, line {number}: "
                            f"{len(line)} characters (at most {MAX_NOTEBOOK_LINE})")
    assert not long, "\n".join(long)


def test_helpers_stats_loads_its_names_lazily_and_serves_every_one():
    """``helpers.stats`` names load on first use: the runner's input checks (the published figures,
    which use ``helpers.stats.bands``) must not pay for statsmodels and scipy.stats; and every name
    in ``__all__`` still resolves, with the import graph still seeing each module it comes from."""
    import subprocess
    import sys

    code = ("import sys, helpers.data.published, helpers.stats as s; "
            "heavy = [m for m in ('scipy.stats', 'statsmodels') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "missing = [n for n in s.__all__ if getattr(s, n, None) is None]; "
            "assert not missing, missing; "
            "assert 'scipy.stats' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = package_files()
    seen = {edge.target for edge in module_graph.import_edges(files) if edge.source == "helpers.stats"}
    assert {"helpers.stats.proportions", "helpers.stats.bands", "helpers.stats.trends"} <= seen
