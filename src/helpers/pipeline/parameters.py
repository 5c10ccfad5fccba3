"""Chapter parameters: read them from annotated parameters cells, and validate what users pass.

papermill only warns about an unknown parameter and injects it anyway, and never checks
types. The runner validates here, before any kernel starts, so a typo or a wrong value
stops the run with a message that names the chapter and the parameter.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
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


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type_name: str
    default: Any
    help: str

    @property
    def is_input_file(self) -> bool:
        return self.type_name in INPUT_FILE_TYPES


def input_files(declared: dict[str, dict[str, ParameterSpec]], resolved: dict[str, dict[str, Any]]
                ) -> dict[str, str]:
    """Every input file the resolved parameters name: path -> its declared type, in chapter order."""
    files = {}
    for chapter, specs in declared.items():
        for name, spec in specs.items():
            value = resolved[chapter].get(name)
            if spec.is_input_file and value != NO_FILE:
                files.setdefault(str(value), spec.type_name)
    return files


def notebook_parameters(notebook: Path) -> dict[str, ParameterSpec]:
    """The annotated parameters a chapter declares, read with ``papermill.inspect_notebook``.

    A notebook without a cell tagged ``parameters``, or a parameter without a type
    annotation or a literal default, is a ParameterError naming the chapter.
    """
    import nbformat
    import papermill

    chapter = Path(notebook).stem
    nb = nbformat.read(str(notebook), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ParameterError(f"chapter {chapter}: no cell tagged 'parameters' in {notebook}")
    specs = {}
    for name, info in papermill.inspect_notebook(str(notebook)).items():
        type_name = (info.get("inferred_type_name") or "None").replace(" ", "")
        if type_name not in SUPPORTED_TYPES:
            raise ParameterError(
                f"chapter {chapter}: parameter {name!r} needs a type annotation, one of "
                f"{', '.join(SUPPORTED_TYPES)} (found {type_name!r}); write e.g. '{name}: float = 0.05  # help'"
            )
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(
                f"chapter {chapter}: parameter {name!r} needs a literal default, not {info['default']!r}"
            ) from exc
        specs[name] = ParameterSpec(name, type_name, default, info.get("help", "") or "")
    return specs


def _parse_text(text: str) -> Any:
    """A command-line value as YAML would read it ('0.1' -> 0.1, '[2017, 2018]' -> list)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def coerce(value: Any, type_name: str, *, name: str, chapter: str) -> Any:
    """``value`` converted to the declared type, or a ParameterError naming chapter and parameter."""

    def fail(expected: str) -> ParameterError:
        return ParameterError(
            f"chapter {chapter}: parameter {name!r} expects {expected}, got {value!r}"
        )

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
    # lists: '[2016, 2017]' or '2016,2017' on the command line, a YAML list in a file
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        value = [_parse_text(part) for part in str(raw).split(",") if part.strip()]
    if not isinstance(value, list):
        raise fail("a list")
    if type_name == "list[int]":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise fail("a list of whole numbers")
    if type_name == "list[str]":
        value = [str(v) for v in value]
    return value


def check_domain(name: str, value: Any, *, chapter: str) -> None:
    """Values outside a known parameter's domain (alpha outside (0, 1), ...)."""
    where = f"chapter {chapter}: parameter {name!r}"
    if name == "alpha" and not 0 < value < 1:
        raise ParameterError(f"{where} must lie strictly between 0 and 1, got {value!r}")
    if name in ("seed", "n_init") and value < 0:
        raise ParameterError(f"{where} must not be negative, got {value!r}")
    if name == "n_bootstrap" and value < 99:
        raise ParameterError(f"{where} must be at least 99 (the p-value's floor is 1/(n_bootstrap + 1)), got {value!r}")
    if name == "small_minority" and not 0 < value <= 0.5:
        raise ParameterError(f"{where} must lie in (0, 0.5]: a minority is below half, got {value!r}")
    if name == "max_classes" and value < 2:
        raise ParameterError(f"{where} must be at least 2, got {value!r}")
    if name == "min_cell_count" and value < 1:
        raise ParameterError(f"{where} must be at least 1, got {value!r}")
    if name == "weighting" and value not in ("none", "region"):
        raise ParameterError(f"{where} must be 'none' or 'region', got {value!r}")
    if name == "waves" and not value:
        raise ParameterError(f"{where} must name at least one wave")


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """A YAML mapping of parameter names to values (``-f params.yaml``)."""
    import yaml

    path = Path(path)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParameterError(f"parameters file {path} does not exist") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"parameters file {path} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise ParameterError(f"parameters file {path} must be a mapping of parameter names to values")
    return loaded


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
    resolved = {}
    for chapter, specs in declared.items():
        values = {}
        for name, spec in specs.items():
            value = given[name] if name in given else spec.default
            value = coerce(value, spec.type_name, name=name, chapter=chapter)
            if spec.is_input_file and value != NO_FILE and not Path(value).is_file():
                raise ParameterError(f"chapter {chapter}: parameter {name!r}: {value!r} is neither "
                                     f"{NO_FILE!r} nor an existing file")
            if name not in RUNNER_OWNED:
                check_domain(name, value, chapter=chapter)
            values[name] = value
        resolved[chapter] = values
    return resolved


def canonical_json(values: dict[str, Any]) -> str:
    """Parameters as stable text, for cache keys and provenance."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
