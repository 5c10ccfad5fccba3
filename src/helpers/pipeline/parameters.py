"""The runner's side of chapter parameters: the input files they name, and parameter files.

Reading a parameters cell and checking values is :mod:`helpers.parameters` (the foundation), so
that a chapter run by hand checks its parameters with the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.errors import ParameterError
from helpers.parameters import NO_FILE, ParameterSpec


def input_files(declared: dict[str, dict[str, ParameterSpec]], resolved: dict[str, dict[str, Any]]
                ) -> dict[str, str]:
    """Every input file the resolved parameters name: path -> its declared type, in chapter order."""
    files: dict[str, str] = {}
    for chapter, specs in declared.items():
        for name, spec in specs.items():
            value = resolved[chapter].get(name)
            if spec.is_input_file and value != NO_FILE:
                files.setdefault(str(value), spec.type_name)
    return files


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
