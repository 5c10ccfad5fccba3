"""Reading Excel and SPSS microdata files into frames of cells, before validation.

:func:`read_xlsx` and :func:`read_sav` are called by :func:`helpers.data.microdata.read_microdata`;
each stops with a :class:`~helpers.errors.MicrodataError` naming the file when it cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helpers.data.io import DELIMITER_NAMES
from helpers.errors import MAX_LISTED, MicrodataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from helpers.data.codebook import Codebook

#: ``frame.attrs`` key: column names a reader trimmed, for validate_microdata to count.
PADDED_NAMES = "padded_column_names"


def padded_names(names) -> int:
    """How many column names have spaces around them."""
    return sum(str(c) != str(c).strip() for c in names)


def format_cell(v) -> str:
    """A cell value for a message: integers without '.0', strings quoted."""
    try:
        import pandas as pd

        if pd.isna(v):
            return "empty"
    except (TypeError, ValueError):
        pass
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (np.integer,)):
        return str(int(v))
    if isinstance(v, str):
        return repr(v)
    return str(v)


def read_xlsx(path: Path, cb: Codebook) -> pd.DataFrame:
    """The first sheet of an Excel workbook as text cells, rows numbered as Excel numbers them (header = 1)."""
    import pandas as pd

    if path.stat().st_size == 0:
        raise MicrodataError(f"{path.name}: the file is empty (0 bytes)")
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise MicrodataError(
            f"{path.name}: cannot be read as an Excel .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None
    if len(frame.columns) == 0:
        raise MicrodataError(f"{path.name}: the first sheet is empty; expected a header row with the columns "
                             f"{', '.join(cb.microdata_columns())}")
    padded = padded_names(frame.columns)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs[PADDED_NAMES] = padded
    if frame.empty:
        raise MicrodataError(f"{path.name}: the first sheet has a header row but no data rows")
    if len(frame.columns) == 1 and any(d in frame.columns[0] for d in DELIMITER_NAMES):
        raise MicrodataError(f"{path.name}: found 1 column ({frame.columns[0][:60]!r}); expected one column per "
                             f"variable: {', '.join(cb.microdata_columns())}")
    frame.index = pd.Index(np.arange(2, len(frame) + 2), name="row")
    return frame.fillna("")


def read_sav(path: Path, cb: Codebook) -> pd.DataFrame:
    """An SPSS file's cases, codes translated through its value labels to the codebook's; cases numbered from 1."""
    import pandas as pd
    import pyreadstat

    if path.stat().st_size == 0:
        raise MicrodataError(f"{path.name}: the file is empty (0 bytes)")
    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise MicrodataError(f"{path.name}: cannot be read as an SPSS .sav file ({exc})") from None
    if frame.empty:
        raise MicrodataError(f"{path.name}: the file has variables but no cases")
    padded = padded_names(frame.columns)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs[PADDED_NAMES] = padded
    problems = _translate_value_labels(frame, meta, cb)
    if problems:
        raise MicrodataError(f"{path.name}: " + "; ".join(problems[:MAX_LISTED]))
    frame.index = pd.Index(np.arange(1, len(frame) + 1), name="case")
    return frame


def _translate_value_labels(frame, meta, cb: Codebook) -> list[str]:
    """Codes translated (in place) through the file's value labels where they name codebook labels, so a
    file that codes e.g. 1 = "more demanding" is read correctly; a label the codebook lacks is a problem."""
    import pandas as pd

    problems = []
    for col, labels in (meta.variable_value_labels or {}).items():
        if col not in cb or not cb.question(col).options or col not in frame.columns:
            continue
        q = cb.question(col)
        lab = q.label_map()
        used = pd.unique(frame[col].dropna())
        mapping = {}
        for code in used:
            text = value_label(labels, code)
            if text is None:
                continue
            target = lab.get(str(text).strip().lower())
            if target is None:
                problems.append(f"column '{col}': value label {text!r} (code {format_cell(code)}) is not a label "
                                f"in the codebook (expected {q.describe_codes()})")
            else:
                mapping[code] = target
        if mapping and any(k != v for k, v in mapping.items()):
            frame[col] = frame[col].map(lambda x, m=mapping: m.get(x, x))
    return problems


def value_label(labels: dict, code):
    """The SPSS value label of ``code`` (a number or, on a string variable, a text), or None.

    A numeric code may be stored as 2.0 with its label under 2; a string code is looked up as it is."""
    if code in labels:
        return labels[code]
    if isinstance(code, (int, float, np.integer, np.floating)) and float(code).is_integer():
        return labels.get(int(code))
    return None
