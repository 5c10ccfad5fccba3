"""Reading and writing files safely: the low-level CSV reader and the atomic text writer.

:func:`read_csv_strings` reads every project CSV (published figures, waves, microdata) with
errors that name the file, line (as the file counts them: one per newline) and column;
:func:`atomic_write_text` writes a file so that readers see the old or the new content, never
half of it.
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


def _where(name: str, line: int, header: list[str], field: int | None) -> str:
    """``file: line L, column 'C'`` (the column by its header name, or its position past the header)."""
    if field is None:
        return f"{name}: line {line}"
    column = f"'{header[field]}'" if field < len(header) else f"{field + 1} (past the header's {len(header)})"
    return f"{name}: line {line}, column {column}"


def _field_at(text: str, position: int) -> int:
    """Index of the field that holds character ``position`` of one record's text (quote-aware)."""
    field, quoted = 0, False
    for char in text[:position]:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            field += 1
    return field


def _bare_carriage_return(raw: bytes, name: str, header: list[str]) -> None:
    """Refuse a carriage return that does not end a CRLF pair (CR-only files, stray CRs)."""
    bare = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 13)
    bare = bare[(bare + 1 >= len(raw)) | (np.frombuffer(raw, dtype=np.uint8)[np.minimum(bare + 1, len(raw) - 1)] != 10)]
    if not len(bare):
        return
    at = int(bare[0])
    line = raw.count(b"\n", 0, at) + 1
    start = raw.rfind(b"\n", 0, at) + 1
    field = _field_at(raw[start:at].decode("utf-8", "replace"), at - start)
    only_cr = b"\n" not in raw
    raise InputDataError(
        f"{_where(name, line, header, field)}: "
        + ("the file's lines end with a bare carriage return (CR only, the old Mac OS convention)"
           if only_cr else f"a bare carriage return (CR without LF) at byte offset {at}")
        + "; re-save the file with LF or CRLF line endings")


def _records_without_quotes(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Line number and number of fields of every non-blank line of a file without quote characters."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(arr)]))
    last = arr[np.clip(ends - 1, 0, max(len(arr) - 1, 0))] if len(arr) else np.zeros(0, dtype=np.uint8)
    ends = np.where((ends > starts) & (last == 13), ends - 1, ends)   # CRLF: the CR is not content
    commas = np.flatnonzero(arr == 44)
    fields = np.bincount(np.searchsorted(newlines, commas), minlength=len(starts)) + 1
    keep = ends > starts
    return (np.arange(1, len(starts) + 1)[keep], fields[keep])


def _records_with_quotes(text: str, name: str, header: list[str], quotes_in_values: bool):
    """Every record of a file with quote characters: (line numbers, rows), quote faults named."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines, rows, previous = [], [], 0
    physical = text.split("\n")
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            record = "\n".join(physical[start - 1:reader.line_num])
            opening = record.find('"')
            line = start + record.count("\n", 0, max(opening, 0))
            field = _field_at(record, opening) if opening >= 0 else None
            what = ("a quoted cell opens here and is never closed (a missing closing quote?)"
                    if "end of data" in str(exc) else
                    "text follows a closing quote; a quote inside a quoted cell is written twice (\"\")")
            raise InputDataError(f"{_where(name, line, header, field)}: {what}") from None
        previous = reader.line_num
        if not row:
            continue   # a blank line
        if not quotes_in_values:
            for i, value in enumerate(row):
                if '"' in value:
                    line = start + sum(v.count("\n") for v in row[:i])
                    raise InputDataError(f"{_where(name, line, header, i)}: a quote character (\") inside the cell "
                                         f"{value[:40]!r}; the file's values never contain quotes")
        lines.append(start)
        rows.append(row)
    return np.array(lines, dtype=np.int64), rows


def _check_field_counts(name: str, header: list[str], lines, fields) -> None:
    """Every record has as many fields as the header: a short row is an error, not missing answers."""
    bad = np.flatnonzero(np.asarray(fields) != len(header))
    if not len(bad):
        return
    line, found = int(lines[bad[0]]), int(fields[bad[0]])
    more = f" ({len(bad) - 1} more row(s) like it)" if len(bad) > 1 else ""
    if found < len(header):
        missing = header[found:]
        raise InputDataError(
            f"{_where(name, line, header, found)}: the row has {found} field(s) where the header has {len(header)}: "
            f"it ends before column '{missing[0]}' ({len(missing)} missing; a row cut short, or a lost comma){more}")
    raise InputDataError(f"{_where(name, line, header, len(header))}: the row has {found} fields where the header "
                         f"has {len(header)} (an extra comma, or a value with an unquoted comma){more}")


def read_csv_strings(path: str | Path, *, expected_columns, what: str = "file",
                     quotes_in_values: bool = True) -> pd.DataFrame:
    """Read a UTF-8 comma-separated file as strings (empty cells = ``""``), index = line numbers.

    Raises :class:`InputDataError` with its own message for an empty file, a header without
    rows, bytes that are not UTF-8 (naming the byte offset and line), a file that is not
    comma-separated (naming the delimiter it seems to use), bare carriage returns (CR-only line
    endings), quote errors, and rows with more or fewer fields than the header; each names the
    line (as the file counts lines: blank lines included) and the column.
    ``quotes_in_values=False``: a quote character inside a value is an error too (microdata).
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputDataError(f"{name}: not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
                             f"(line {line}) cannot be decoded; re-save the {what} as UTF-8 "
                             "(e.g. Excel: 'CSV UTF-8 (comma delimited)')") from None
    header_line = raw.lstrip(b"\r\n").split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8")
    header = next(csv.reader([header_line]), [""])
    if len(header) == 1 and len(expected_columns) > 1:
        guess = [d for d in DELIMITER_NAMES if d in header_line]
        hint = (f" - is the file {DELIMITER_NAMES[guess[0]]}-delimited?" if guess
                else f" (the header line reads {header_line[:80]!r})")
        raise InputDataError(f"{name}: found 1 column; expected comma-separated columns {expected}{hint}")
    _bare_carriage_return(raw, name, header)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputDataError(f"{name}: line 1 (header): column(s) {', '.join(dupes)} appear more than once")
    if b'"' in raw:
        lines, rows = _records_with_quotes(text, name, header, quotes_in_values)
        _check_field_counts(name, header, lines, [len(r) for r in rows])
        frame = pd.DataFrame(rows[1:], columns=header, dtype=str)
    else:
        lines, fields = _records_without_quotes(raw)
        _check_field_counts(name, header, lines, fields)
        frame = _parse_plain(raw, name)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputDataError(f"{name}: has a header line but no data rows")
    if len(lines) != len(frame) + 1:  # cannot happen once the structure is checked: say so rather than guess
        raise InputDataError(f"{name}: {len(lines) - 1} records found but {len(frame)} rows parsed")
    frame.index = pd.Index(lines[1:], name="line")
    return frame.fillna("")


def _parse_plain(raw: bytes, name: str):
    """A structurally checked file without quotes, parsed as strings (pyarrow: ~3x faster)."""
    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception:  # noqa: BLE001 - fall back to the C parser, which reports in its own words
        try:
            return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False,
                               encoding="utf-8", skip_blank_lines=True)
        except pd.errors.ParserError as exc:
            raise InputDataError(f"{name}: not a well-formed CSV file: {exc}") from None


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
