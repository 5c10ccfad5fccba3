"""Provenance that travels with a microdata file: a synthetic file stays marked synthetic.

:func:`helpers.data.writing.write_microdata` writes a sidecar ``FILE.provenance.json`` for
every format and embeds the same record inside xlsx (a custom document property) and sav (document
lines); :func:`read_provenance` finds it again, sidecar first. Only a "synthetic" mark is honoured,
so a stray mark can add the synthetic label but never remove it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from helpers.data.io import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The ``frame.attrs`` that travel with a written file (a sidecar, and inside xlsx and sav).
PROVENANCE_KEYS = ("data_kind", "label", "scenario", "seed", "draws", "n_groups", "minority_share",
                   "drift_logit", "source")
#: Formats :func:`write_microdata` writes, by file extension.
WRITABLE_SUFFIXES = (".csv", ".xlsx", ".sav")
#: Name of the xlsx custom document property that holds the provenance (JSON).
XLSX_PROPERTY = "netclean_provenance"
#: The SPSS document line after which the provenance follows (base64 JSON in 76-character lines:
#: SPSS document lines hold at most 80 characters and lose trailing spaces).
SAV_NOTE_PREFIX = "netclean_provenance_b64:"


def provenance_sidecar(path: str | Path) -> Path:
    """``FILE.provenance.json`` beside ``FILE``: the provenance of a written microdata file."""
    path = Path(path)
    return path.with_name(path.name + ".provenance.json")


def provenance_of(frame: pd.DataFrame) -> dict | None:
    """The provenance to write with ``frame``: its attrs when it is synthetic, else None."""
    if frame.attrs.get("data_kind") != "synthetic":
        return None
    out = {}
    for key in PROVENANCE_KEYS:
        value = frame.attrs.get(key)
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, np.generic):
            value = value.item()
        if value is not None:
            out[key] = value
    out["generator"] = "python -m helpers synth (helpers.data.synthetic)"
    return out


def read_provenance(path: str | Path) -> dict | None:
    """The synthetic-data provenance written with a microdata file, or None for a plain file.

    Looked for in the sidecar ``FILE.provenance.json``, then inside the file (xlsx custom
    document property, sav document note). Only a *synthetic* mark is honoured: nothing
    found here can turn a file into anything but synthetic data, so a stray or stale mark can
    only add a warning label, never remove one. ``file_changed`` is True when the sidecar's
    checksum no longer matches the file.
    """

    path = Path(path)
    found = None
    sidecar = provenance_sidecar(path)
    if sidecar.is_file():
        try:
            found = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = {"data_kind": "synthetic", "label": "synthetic data (unreadable provenance file) — "
                                                        "not real survey answers"}
        if isinstance(found, dict) and found.get("sha256") and path.is_file():
            found["file_changed"] = found["sha256"] != sha256_file(path)
    if found is None:
        found = _embedded_provenance(path)
    if not isinstance(found, dict) or found.get("data_kind") != "synthetic":
        return None
    return found


def _embedded_provenance(path: Path) -> dict | None:

    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                for prop in getattr(book, "custom_doc_props", []) or []:
                    if prop.name == XLSX_PROPERTY:
                        return json.loads(prop.value)
            finally:
                book.close()
        elif suffix == ".sav":
            import pyreadstat

            _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
            notes = [str(n).strip() for n in (meta.notes or [])]
            if SAV_NOTE_PREFIX in notes:
                import base64

                chunks = notes[notes.index(SAV_NOTE_PREFIX) + 1:]
                return json.loads(base64.b64decode("".join(chunks)).decode("utf-8"))
            if str(meta.file_label or "").upper().startswith("SYNTHETIC"):
                return {"data_kind": "synthetic", "label": f"{meta.file_label} — not real survey answers"}
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the reader, not here
        return None
    return None


def synthetic_attrs(path: Path, provenance: dict) -> dict:
    """``frame.attrs`` of a synthetic file read back: kind, label (scenario, seed, file), source."""
    scenario, seed = provenance.get("scenario"), provenance.get("seed")
    label = provenance.get("label") or (
        f"synthetic data (scenario '{scenario or 'unknown'}', seed {seed if seed is not None else 'unknown'})"
        " — not real survey answers")
    if "not real survey answers" not in label:
        label += " — not real survey answers"
    label += f" · file {path.name}"
    if provenance.get("file_changed"):
        label += " (changed since it was generated)"
    attrs = {k: v for k, v in provenance.items() if k in PROVENANCE_KEYS}
    attrs.update({"data_kind": "synthetic", "label": label, "scenario": scenario or "unknown",
                  "source": str(path.resolve()),
                  "generated_by": provenance.get("source", "helpers.data.synthetic.generate")})
    return attrs


def write_xlsx(out: pd.DataFrame, path: Path, provenance: dict | None) -> None:

    import pandas as pd


    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name="microdata", na_rep="")
        if provenance is not None:
            from openpyxl.packaging.custom import StringProperty

            book = writer.book
            book.properties.title = "SYNTHETIC DATA - not real survey answers"
            book.properties.subject = provenance.get("label", "synthetic data")
            book.properties.keywords = "synthetic"
            book.custom_doc_props.append(StringProperty(name=XLSX_PROPERTY,
                                                        value=json.dumps(provenance, ensure_ascii=False)))


def write_sav(out: pd.DataFrame, path: Path, provenance: dict | None) -> None:
    import json

    import pyreadstat

    data = out.copy()
    for col in data.columns:  # nullable integers -> float64 with NaN (SPSS system-missing)
        if str(data[col].dtype) in ("Int8", "Int16", "Int32", "Int64", "boolean"):
            data[col] = data[col].astype("float64")
    options: dict[str, Any] = {}
    if provenance is not None:
        payload = base64.b64encode(json.dumps(provenance).encode("utf-8")).decode("ascii")
        label = f"SYNTHETIC DATA scenario {provenance.get('scenario', '?')} seed {provenance.get('seed', '?')}"
        options = {"file_label": label[:64],
                   "note": ["SYNTHETIC DATA - generated by python -m helpers synth, not real survey answers",
                            SAV_NOTE_PREFIX, *(payload[i:i + 76] for i in range(0, len(payload), 76))]}
    pyreadstat.write_sav(data, str(path), **options)
