"""Chapter parameters: read an annotated parameters cell, and check the values a run gives.

papermill only warns about an unknown parameter, injects it anyway, and never checks types. The
runner checks here before any kernel starts, and so does a chapter run by hand (papermill,
nbconvert, JupyterLab): the cell after its parameters cell is
``from helpers.parameters import check_parameters`` and ``check_parameters(globals())``. Both say
the same thing in the same words, naming the chapter and the parameter. This module sits in the
foundation so that chapters reach it without importing the pipeline.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.errors import ParameterError

#: Parameters the runner sets itself; users choose them through runner options.
RUNNER_OWNED = {"output_dir": "--output-dir"}

#: Declared types that make a parameter an input file: the runner validates the file before any
#: kernel starts, hashes it into the chapter's cache key and records its sha256 in run.json.
#: Declared in a parameters cell with the type itself: ``from helpers.data import MicrodataFile``, then
#: ``microdata: MicrodataFile = "synthetic"  # help``.
INPUT_FILE_TYPES = {
    "MicrodataFile": "respondent-level data: 'synthetic', or a path to a CSV, xlsx or sav export",
}
#: The value of an input-file parameter that names no file (data made in memory).
NO_FILE = "synthetic"

SUPPORTED_TYPES = ("int", "float", "bool", "str", "list", "list[int]", "list[str]", *INPUT_FILE_TYPES)

#: The first line of the cell papermill injects with the values it was given.
INJECTED_CELL_HEADER = "# Parameters"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type_name: str
    default: Any
    help: str

    @property
    def is_input_file(self) -> bool:
        return self.type_name in INPUT_FILE_TYPES


# -- reading a parameters cell -------------------------------------------------------------------
def _help_comment(line: str) -> str:
    match = re.match(r"\s*#\s?(.*)$", line)
    return match[1].strip() if match else ""


def declared_in(source: str, chapter: str) -> dict[str, ParameterSpec]:
    """The parameters a parameters cell declares: ``name: type = literal  # help`` per line.

    Imports are allowed (``from helpers.data import MicrodataFile``); a parameter without a
    supported type annotation or a literal default is a ParameterError naming the chapter.
    """
    lines = source.splitlines()
    specs = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            name, type_name, value = ast.get_source_segment(source, node.targets[0]) or "?", "None", node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
            type_name = (ast.get_source_segment(source, node.annotation) or "").replace(" ", "")
        else:
            continue
        if type_name not in SUPPORTED_TYPES:
            raise ParameterError(
                f"chapter {chapter}: parameter {name!r} needs a type annotation, one of "
                f"{', '.join(SUPPORTED_TYPES)} (found {type_name!r}); write e.g. '{name}: float = 0.05  # help'"
            )
        text = ast.get_source_segment(source, value) or ""
        try:
            default = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(
                f"chapter {chapter}: parameter {name!r} needs a literal default, not {text!r}") from exc
        end = lines[node.end_lineno - 1][node.end_col_offset:] if node.end_lineno else ""
        specs[name] = ParameterSpec(name, type_name, default, _help_comment(end))
    return specs


def parameters_cell(notebook: Path) -> str | None:
    """The source of a notebook's cell tagged ``parameters`` (None when it has none)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    return None


def notebook_parameters(notebook: Path) -> dict[str, ParameterSpec]:
    """The annotated parameters a chapter declares in its cell tagged ``parameters``."""
    source = parameters_cell(notebook)
    if source is None:
        raise ParameterError(f"chapter {Path(notebook).stem}: no cell tagged 'parameters' in {notebook}")
    return declared_in(source, Path(notebook).stem)


# -- checking values ----------------------------------------------------------------------------
def _parse_text(text: str) -> Any:
    """A command-line value as YAML would read it ('0.1' -> 0.1, '[2017, 2018]' -> list)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _coerce_list(value: Any, raw: Any, type_name: str, fail) -> list:
    # '[2016, 2017]' or '2016,2017' on the command line, a YAML list in a file
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        value = [_parse_text(part) for part in str(raw).split(",") if part.strip()]
    if not isinstance(value, list):
        raise fail("a list")
    if type_name == "list[int]" and not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise fail("a list of whole numbers")
    if type_name == "list[str]":
        value = [str(v) for v in value]
    return value


def coerce(value: Any, type_name: str, *, name: str, chapter: str) -> Any:  # noqa: C901 - one branch per declared type
    """``value`` converted to the declared type, or a ParameterError naming chapter and parameter."""

    def fail(expected: str) -> ParameterError:
        return ParameterError(f"chapter {chapter}: parameter {name!r} expects {expected}, got {value!r}")

    raw = value
    if type_name in INPUT_FILE_TYPES:
        if not isinstance(raw, str) or not raw.strip():
            raise fail(f"{INPUT_FILE_TYPES[type_name]}")
        return raw if raw == NO_FILE else str(Path(raw).expanduser().resolve())
    if isinstance(value, str) and type_name != "str":
        value = _parse_text(value)
    if type_name == "str":
        if isinstance(raw, (dict, list)) or raw is None:
            raise fail("text")
        return str(raw)
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        raise fail("true or false")
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
        return value
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail("a number")
        return float(value)
    return _coerce_list(value, raw, type_name, fail)


#: name -> (is the value out of its domain?, what the value must be)
DOMAINS = {
    "alpha": (lambda v: not 0 < v < 1,
              "is a significance level: it must lie strictly between 0 and 1 (e.g. 0.05 for 5 %)"),
    "seed": (lambda v: v < 0, "must not be negative"),
    "n_init": (lambda v: v < 0, "must not be negative"),
    "n_bootstrap": (lambda v: v < 99, "must be at least 99 (the p-value's floor is 1/(n_bootstrap + 1))"),
    "small_minority": (lambda v: not 0 < v <= 0.5, "must lie in (0, 0.5]: a minority is below half"),
    "max_classes": (lambda v: v < 2, "must be at least 2"),
    "min_cell_count": (lambda v: v < 1, "must be at least 1"),
    "weighting": (lambda v: v not in ("none", "region"), "must be 'none' or 'region'"),
}


def check_domain(name: str, value: Any, *, chapter: str) -> None:
    """Values outside a known parameter's domain (alpha outside (0, 1), ...)."""
    where = f"chapter {chapter}: parameter {name!r}"
    if name == "waves" and not value:
        raise ParameterError(f"{where} must name at least one wave")
    if name in DOMAINS:
        outside, rule = DOMAINS[name]
        if outside(value):
            raise ParameterError(f"{where} {rule}, got {value!r}")


def unknown_parameter(name: str, declared: dict[str, dict[str, ParameterSpec]],
                      everywhere: dict[str, dict[str, ParameterSpec]] | None = None) -> ParameterError:
    """The error for a name no chosen chapter declares: which chapters do declare it, or the closest
    declared name ("did you mean 'alpha'?", difflib over every name any chapter declares)."""
    everywhere = everywhere or declared
    chosen = ", ".join(declared) or "none"
    elsewhere = [chapter for chapter, specs in everywhere.items() if name in specs and chapter not in declared]
    if elsewhere:
        return ParameterError(f"parameter {name!r} is not declared by the chapters chosen ({chosen}); "
                              f"it is declared by {', '.join(elsewhere)}: choose that chapter too")
    names = sorted({n for specs in everywhere.values() for n in specs if n not in RUNNER_OWNED})
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:  # a typo in a long name, or a different case
        close = [n for n in names if n.lower() == name.lower().replace("-", "_")]
    hint = f"; did you mean {close[0]!r}?" if close else f"; the parameters are: {', '.join(names) or 'none'}"
    return ParameterError(f"unknown parameter {name!r}: no chapter declares it (chapters: {chosen}){hint}")


def chapter_values(chapter: str, specs: dict[str, ParameterSpec], given: dict[str, Any]) -> dict[str, Any]:
    """One chapter's parameters: its defaults overridden by ``given``, each type- and range-checked."""
    values = {}
    for name, spec in specs.items():
        value = coerce(given[name] if name in given else spec.default, spec.type_name, name=name, chapter=chapter)
        if spec.is_input_file and value != NO_FILE and not Path(value).is_file():
            raise ParameterError(f"chapter {chapter}: parameter {name!r}: {value!r} is neither "
                                 f"{NO_FILE!r} nor an existing file")
        if name not in RUNNER_OWNED:
            check_domain(name, value, chapter=chapter)
        values[name] = value
    return values


def resolve_parameters(
    declared: dict[str, dict[str, ParameterSpec]], given: dict[str, Any], *,
    everywhere: dict[str, dict[str, ParameterSpec]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each chapter's parameters: its defaults, overridden by the values given for names it declares.

    ``declared`` maps chapter slug to its specs. A given name that no chapter declares, or
    one the runner owns, is an error (with the closest declared name, looked up in ``everywhere``:
    every chapter's specs, when more chapters exist than were chosen); every value is
    type-checked against every chapter that declares it.
    """
    for name in given:
        if name in RUNNER_OWNED:
            raise ParameterError(f"parameter {name!r} is set by the runner: use {RUNNER_OWNED[name]}")
        if not any(name in specs for specs in declared.values()):
            raise unknown_parameter(name, declared, everywhere)
    return {chapter: chapter_values(chapter, specs, given) for chapter, specs in declared.items()}


# -- a chapter run by hand ------------------------------------------------------------------------
def _is_parameters_cell(source: str) -> bool:
    """Imports and annotated assignments only, at least one of them an assignment."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.AnnAssign)
    return any(isinstance(n, ast.AnnAssign) for n in body) and all(isinstance(n, allowed) for n in body)


def _injected_names(cells: list[str]) -> list[str]:
    """The names papermill assigned in the cell it injected (its first line is ``# Parameters``)."""
    names: list[str] = []
    for source in cells:
        if source.lstrip().startswith(INJECTED_CELL_HEADER):
            try:
                body = ast.parse(source).body
            except SyntaxError:
                continue
            names += [t.id for n in body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    return names


def _chapter_of(source: str) -> str:
    """The chapter whose parameters cell this is: JupyterLab names the notebook; else the matching chapter."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        return Path(session).stem
    from helpers.chapters import CHAPTERS

    for spec in CHAPTERS:
        if spec.notebook.is_file() and (parameters_cell(spec.notebook) or "").strip() == source.strip():
            return spec.slug
    return "this notebook"


def check_parameters(namespace: dict[str, Any]) -> None:
    """Check a chapter's parameters inside its own kernel, with the runner's checks and words.

    Called first thing after the parameters cell (``check_parameters(globals())``): the declared
    parameters are read from the parameters cell as it ran (IPython's input history, ``In``),
    the values from the namespace. A name papermill injected that the cell does not declare is an
    unknown parameter. Converted values (5 -> 5.0 for a float, a path made absolute) are written back.
    """
    history = [c for c in namespace.get("In", []) if isinstance(c, str)]
    candidates = [i for i, source in enumerate(history) if _is_parameters_cell(source)]
    if not candidates:  # not IPython, or no parameters cell has run: nothing to check against
        return
    source = history[candidates[-1]]
    chapter = _chapter_of(source)
    specs = declared_in(source, chapter)
    for name in _injected_names(history[candidates[-1] + 1:]):
        if name not in specs:
            raise unknown_parameter(name, {chapter: specs})
    given = {name: namespace[name] for name in specs if name in namespace}
    namespace.update(chapter_values(chapter, specs, given))
