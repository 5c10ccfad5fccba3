"""Which ``helpers`` modules a chapter runs: its notebook's imports, followed through the package.

Read from the source with :mod:`ast`, never by importing: every import counts (at the top of a
module, inside a function, ``from helpers import x`` and relative forms), and importing a module
also runs the ``__init__`` of every package above it. The runner keys each chapter's cache on the
modules found here, so an edit re-runs only the chapters that can reach it; ``tests/test_structure.py``
checks the layering on the same graph.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "helpers"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Import:
    source: str   # the importing module
    target: str   # the imported module of the package
    path: Path
    line: int


def module_name(path: Path, root: Path = PACKAGE_DIR.parent) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_files(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module of the package: dotted name -> its file."""
    root = package_dir.parent
    return {module_name(p, root): p for p in sorted(package_dir.rglob("*.py")) if "__pycache__" not in p.parts}


def resolve(name: str, modules: set[str] | dict) -> str | None:
    """The module of the package that ``name`` (a module or an attribute path) refers to."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _from_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(source: str, module: str, is_package: bool, modules: set[str] | dict) -> list[tuple[str, int]]:
    """(imported module, line) of every import in ``source`` that names a module of ``modules``,
    wherever it stands (top level, functions, conditionals), absolute or relative."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(t, node.lineno) for t in (resolve(a.name, modules) for a in node.names) if t]
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, module, is_package)
            for alias in node.names:  # ``from helpers import paths`` names a module, ``__version__`` does not
                full = f"{base}.{alias.name}"
                target = full if full in modules else resolve(base, modules)
                if target:
                    found.append((target, node.lineno))
    return found


def import_edges(files: dict[str, Path] | None = None) -> list[Import]:
    """Every import of one package module by another."""
    files = files if files is not None else package_files()
    edges = []
    for module, path in files.items():
        for target, line in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", files):
            if target != module:
                edges.append(Import(module, target, path, line))
    return edges


def _with_packages(module: str, modules) -> set[str]:
    """The module and every package above it (importing it runs their ``__init__``)."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(modules)


def reachable(start: set[str], edges: list[Import], modules) -> set[str]:
    """Every module that importing ``start`` can run, ``start`` included."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    seen: set[str] = set()
    todo = [m for s in start for m in _with_packages(s, modules)]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for target in graph.get(module, ()):
            todo += sorted(_with_packages(target, modules) - seen)
    return seen


def notebook_imports(notebook: Path, modules) -> set[str]:
    """The package modules a notebook's code cells import (IPython magics and shell lines skipped)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found: set[str] = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            found.update(t for t, _ in imports_of("\n".join(lines), "__main__", False, modules))
        except SyntaxError:  # the chapter itself will fail, loudly, when it runs
            continue
    return found
