"""Writing microdata files in the codebook's schema, with their provenance (csv, xlsx, sav)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helpers.data.io import sha256_file
from helpers.data.provenance import (
    WRITABLE_SUFFIXES,
    provenance_of,
    provenance_sidecar,
    write_sav,
    write_xlsx,
)
from helpers.errors import MicrodataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def check_writable(path: str | Path) -> Path:
    """``path`` if :func:`write_microdata` can write its format (by extension), else a MicrodataError."""
    path = Path(path)
    if path.suffix.lower() not in WRITABLE_SUFFIXES:
        raise MicrodataError(f"cannot write microdata to {path.name}: unsupported extension "
                             f"{path.suffix or '(none)'!r}; use {', '.join(WRITABLE_SUFFIXES)}")
    return path


def write_microdata(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` in the format its extension names (``.csv``, ``.xlsx``, ``.sav``), codebook
    column order, no index; empty answers are empty cells (missing values in sav).

    CSV is UTF-8 with ``\\n`` line endings (same frame -> same bytes). A synthetic frame
    (``attrs["data_kind"] == "synthetic"``) carries its provenance with it: a sidecar
    ``FILE.provenance.json`` (kind, label, scenario, seed, draws, the file's sha256) for every
    format, and inside the file as well for xlsx (a custom document property, title and
    subject) and sav (file label and document notes), so :func:`load_microdata` keeps it
    marked SYNTHETIC. Writing a plain frame removes a stale sidecar of the same name.
    """
    import json

    from helpers.data.codebook import load_codebook

    path = check_writable(path)
    cb = load_codebook()
    cols = cb.microdata_columns()
    missing = [c for c in cb.required_columns() if c not in frame.columns]
    if missing:
        raise MicrodataError(f"cannot write microdata: missing required column(s) {', '.join(missing)}")
    extra = [c for c in frame.columns if c not in cols]
    if extra:
        raise MicrodataError(f"cannot write microdata: column(s) {', '.join(map(str, extra))} are not in the codebook")
    out = frame.reindex(columns=cols)
    provenance = provenance_of(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", na_rep="")
    elif suffix == ".xlsx":
        write_xlsx(out, path, provenance)
    else:
        write_sav(out, path, provenance)
    sidecar = provenance_sidecar(path)
    if provenance is None:
        sidecar.unlink(missing_ok=True)
    else:
        record = {**provenance, "file": path.name, "sha256": sha256_file(path)}
        sidecar.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
