"""Reading and writing files safely: the low-level CSV reader and the atomic text writer.

:func:`read_csv_strings` reads every project CSV (published figures, waves, microdata) with
errors that name the file, line and column; :func:`atomic_write_text` writes a file so that
readers see the old or the new content, never half of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helpers import lifecycle
from helpers.errors import InputDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DELIMITER_NAMES = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _csv_record_lines(buf: bytes) -> np.ndarray:
    """1-based line number at which each non-blank CSV record starts (header included).

    Quote-aware (a newline inside a quoted field does not start a record), vectorised."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    if b'"' in buf:
        quotes = np.flatnonzero(arr == 34)
        nl = nl[np.searchsorted(quotes, nl) % 2 == 0]
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(arr)]))
    # physical line number of each record start
    all_nl = np.flatnonzero(arr == 10)
    line_of_start = np.searchsorted(all_nl, starts) + 1
    length = ends - starts
    last = np.where(length > 0, arr[np.minimum(ends - 1, len(arr) - 1)], 0)
    blank = (length == 0) | ((length == 1) & (last == 13))
    return line_of_start[~blank]


def read_csv_strings(path: str | Path, *, expected_columns, what: str = "file") -> pd.DataFrame:
    """Read a UTF-8 comma-separated file as strings (empty cells = ``""``), index = line numbers.

    Raises :class:`InputDataError` with its own message for an empty file, a header without
    rows, bytes that are not UTF-8 (naming the byte offset and line), a file that is not
    comma-separated (naming the delimiter it seems to use) and ragged rows.
    """
    import pandas as pd

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    raw = path.read_bytes()
    expected = ", ".join(expected_columns)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise InputDataError(f"{name}: the file is empty ({path.stat().st_size} bytes); expected a header line "
                             f"with the columns {expected} and one row per record")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputDataError(f"{name}: not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
                             f"(line {line}) cannot be decoded; re-save the {what} as UTF-8 "
                             "(e.g. Excel: 'CSV UTF-8 (comma delimited)')") from None
    header_line = raw.lstrip(b"\r\n").split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([header_line]))
    if len(header) == 1 and len(expected_columns) > 1:
        guess = [d for d in DELIMITER_NAMES if d in header_line]
        hint = (f" - is the file {DELIMITER_NAMES[guess[0]]}-delimited?" if guess
                else f" (the header line reads {header_line[:80]!r})")
        raise InputDataError(f"{name}: found 1 column; expected comma-separated columns {expected}{hint}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputDataError(f"{name}: line 1 (header): column(s) {', '.join(dupes)} appear more than once")
    try:  # the pyarrow parser is ~3x faster; the C parser gives the clearer error messages
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception:  # noqa: BLE001 - fall back and let the C parser report
        try:
            frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False,
                                encoding="utf-8", skip_blank_lines=True)
        except pd.errors.ParserError as exc:
            raise InputDataError(f"{name}: not a well-formed CSV file: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputDataError(f"{name}: has a header line but no data rows")
    lines = _csv_record_lines(raw)
    if len(lines) == len(frame) + 1:
        frame.index = pd.Index(lines[1:], name="line")
    else:  # a blank-looking line pandas kept, or similar: fall back to physical order
        frame.index = pd.Index(np.arange(2, len(frame) + 2), name="line")
    return frame.fillna("")


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    lifecycle.ensure_run_alive()  # a straggler of a killed run dies here rather than write
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
