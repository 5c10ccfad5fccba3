"""Respondent-level microdata: read, validate against the codebook, load, write.

The harmonised schema (one row per respondent) is defined by ``data/codebook.yaml``
(entries with the ``microdata`` role, see :mod:`helpers.data.codebook` and ``data/README.md``).

* :func:`read_microdata` reads a CSV (UTF-8, comma-separated), Excel ``.xlsx`` (first sheet)
  or SPSS ``.sav`` file and validates it.
* :func:`validate_microdata` checks a frame against a pandera schema built from the codebook
  (lazily: all problems are collected) and raises one :class:`MicrodataError` naming the
  file and, for each problem, the line (CSV), row (Excel) or case (SPSS), the column and what
  was expected - at most ten listed, then "and N more".
* :func:`load_microdata` returns synthetic data (``source="synthetic"``) or a validated user
  file, labelled in ``frame.attrs`` (``data_kind``, ``label``, ``scenario``, ``source``).
* :func:`helpers.data.writing.write_microdata` writes what the generator's command line produces (csv, xlsx or sav, by
  extension); synthetic data carry their provenance with them (see :func:`read_provenance`).

Decisions (documented in data/README.md):

* answers may be codes or labels (``"yes"``, ``"More demanding"``: case-insensitive);
  labels are mapped to codes through the codebook;
* spaces around a value or a column name (``"Europe "``, common in fixed-width SPSS strings and
  hand-edited sheets) are trimmed, never silently: the count per column is kept in
  ``frame.attrs["whitespace_trimmed"]``, and the runner prints it and records it in run.json;
* a value in a wave where the codebook says the question was not asked is an ERROR (not a
  warning): it usually means a column was mapped wrongly;
* ``crypto_frequency`` must be empty unless ``crypto_encountered`` is 1 (the skip rule);
* question columns missing from a file are added as empty columns; ``respondent_id``,
  ``wave``, ``country`` and ``region`` are required; unknown columns are rejected.

Everything is vectorised (no Python loop over rows): 1,000,000 rows load in seconds.
pandera is imported inside :func:`validate_microdata` only.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from helpers.data.io import read_csv_strings
from helpers.data.provenance import (
    read_provenance,
    synthetic_attrs,
)
from helpers.data.spreadsheets import PADDED_NAMES, format_cell, padded_names, read_sav, read_xlsx
from helpers.errors import MAX_LISTED, InputDataError, MicrodataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from helpers.data.codebook import Codebook

# ---------------------------------------------------------------------------------------
# reading microdata files
# ---------------------------------------------------------------------------------------
def _csv_header(path: Path) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def read_microdata(path: str | Path, *, codebook: Codebook | None = None, waves=None,
                   validate: bool = True) -> pd.DataFrame:
    """Read a microdata file (``.csv``, ``.xlsx``, ``.sav``) and, by default, validate it.

    The returned frame is indexed by the file's line (CSV), row (Excel) or case (SPSS)
    numbers. ``waves``: waves that must have respondents (see :func:`validate_microdata`).
    """
    from helpers.data.codebook import load_codebook

    path = Path(path)
    cb = codebook or load_codebook()
    if not path.is_file():
        raise MicrodataError(f"{path}: microdata file not found")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        try:
            frame = read_csv_strings(path, expected_columns=cb.microdata_columns(), what="microdata file",
                                     quotes_in_values=False)
        except MicrodataError:
            raise
        except InputDataError as exc:
            raise MicrodataError(str(exc)) from None
        frame.attrs[PADDED_NAMES] = padded_names(_csv_header(path))  # the reader trims them
    elif suffix == ".xlsx":
        frame = read_xlsx(path, cb)
    elif suffix == ".sav":
        frame = read_sav(path, cb)
    else:
        raise MicrodataError(f"{path.name}: unsupported file type {suffix!r}; use .csv (UTF-8, comma-separated), "
                             ".xlsx or .sav")
    if not validate:
        return frame
    return validate_microdata(frame, source=path, codebook=cb, waves=waves)


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
class _Problems:
    """Problems found, kept per kind with the row positions (so nothing loops over rows)."""

    def __init__(self, index):
        self.index = index
        self.groups: list[tuple[np.ndarray, Callable[[int], str]]] = []   # (positions, formatter(pos) -> str)
        self.general: list[str] = []

    def add(self, positions, fmt) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions):
            self.groups.append((np.sort(positions), fmt))

    def total(self) -> int:
        return sum(len(p) for p, _ in self.groups) + len(self.general)

    def messages(self, limit: int = MAX_LISTED) -> list[str]:
        candidates = []
        for gi, (pos, _fmt) in enumerate(self.groups):
            for p in pos[:limit]:
                candidates.append((int(p), gi))
        candidates.sort()
        out = list(self.general[:limit])
        for p, gi in candidates[: max(0, limit - len(out))]:
            out.append(self.groups[gi][1](p))
        return out

    def where(self, pos: int) -> str:
        return f"{self.index.name or 'row'} {self.index[pos]}"


def _source_name(source) -> str:
    if source is None:
        return "microdata"
    return Path(source).name if isinstance(source, Path) or ("/" in str(source) or "\\" in str(source)) else str(source)


def _check_structure(frame, cb, name: str, trimmed: dict) -> pd.DataFrame:
    """``frame`` with names trimmed; its columns checked against the schema (duplicates, required, unknown)."""
    frame = frame.copy(deep=False)
    padded = padded_names(frame.columns) + int(frame.attrs.get(PADDED_NAMES, 0))
    if padded:
        trimmed["(column names)"] = int(padded)
    frame.columns = [str(c).strip() for c in frame.columns]
    cols = cb.microdata_columns()
    structural = []
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        structural.append(f"column(s) {', '.join(dupes)} appear more than once")
    missing = [c for c in cb.required_columns() if c not in frame.columns]
    if missing:
        structural.append(f"missing required column(s) {', '.join(missing)}")
    for c in (c for c in frame.columns if c not in cols):
        close = difflib.get_close_matches(c, cols, n=1)
        structural.append(f"unknown column {c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if structural:
        raise MicrodataError(f"{name}: {'; '.join(structural)}. Expected the codebook's columns: {', '.join(cols)} "
                             f"(required: {', '.join(cb.required_columns())})")
    if len(frame) == 0:
        raise MicrodataError(f"{name}: no rows (a header without data)")
    return frame


def _typed_columns(frame, cb, problems: _Problems, index, trimmed: dict) -> tuple[dict, dict[str, np.ndarray]]:
    """Every schema column converted to its type; and, per column, the rows whose conversion failed."""
    import pandas as pd

    typed, failed = {}, {}
    for col in cb.microdata_columns():
        s = frame[col] if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="object")
        before = len(problems.groups)
        typed[col] = _convert(s, cb.question(col), problems, index, trimmed)
        if len(problems.groups) > before:
            failed[col] = np.concatenate([pos for pos, _ in problems.groups[before:]])
    return typed, failed


def _check_required(typed: dict, failed: dict, cb, problems: _Problems) -> None:
    """A required column's empty cells (those that failed conversion are reported already)."""
    import pandas as pd

    for col in cb.required_columns():
        isna = np.array(pd.isna(typed[col]), dtype=bool)
        if col in failed:
            isna[failed[col]] = False
        problems.add(np.flatnonzero(isna),
                     lambda p, col=col: f"{problems.where(p)}, column '{col}': empty (a value is required)")


def _check_schema(out, cb, problems: _Problems, index) -> None:
    """The pandera schema, lazily (every failure collected), in the project's words."""
    schema, describe = _schema(cb)
    try:
        schema.validate(out, lazy=True)
    except Exception as exc:  # pandera.errors.SchemaErrors
        fc = getattr(exc, "failure_cases", None)
        if fc is None:
            raise
        _translate_pandera(fc, describe, problems, out, index, cb)


def _check_requested_waves(out, waves, cb, problems: _Problems, in_file: set) -> dict[str, list[int]]:
    """Each requested wave is a codebook wave with respondents, and its analysis items were answered;
    returns the waves in which an item was asked but answered by nobody (``check_items_answered``)."""
    from helpers.data.coverage import check_items_answered

    valid_waves = cb.valid_waves()
    for w in sorted({int(w) for w in waves}):
        if w not in valid_waves:
            problems.general.append(f"wave {w} was requested but is not a wave in the codebook "
                                    f"(valid: {', '.join(map(str, valid_waves))})")
        elif not (out["wave"] == w).any():
            present = ", ".join(map(str, sorted(out.loc[out["wave"].isin(valid_waves), "wave"].unique())))
            problems.general.append(f"wave {w} was requested but the data have no respondents in it "
                                    f"(waves present: {present})")
    found, unanswered = check_items_answered(out, waves=waves, codebook=cb, in_file=in_file)
    problems.general.extend(found)
    return unanswered


def validate_microdata(frame: pd.DataFrame, *, source=None, codebook: Codebook | None = None,
                       waves=None) -> pd.DataFrame:
    """Check ``frame`` against the codebook's microdata schema; return a typed copy.

    Raises one :class:`MicrodataError` listing (at most ten) problems, each naming the line /
    row / case (the frame's index), the column and what was expected. ``waves``: waves the
    caller needs; each must be a valid wave and have at least one respondent.

    Returned dtypes: ``respondent_id``/``country``/``region`` strings, ``wave`` int64, answers
    nullable ``Int8`` (empty = ``<NA>``). Columns are in codebook order.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook

    cb = codebook or load_codebook()
    name = _source_name(source)
    trimmed: dict[str, int] = {}
    frame = _check_structure(frame, cb, name, trimmed)
    index = frame.index if frame.index.name else frame.index.rename("row")
    problems = _Problems(index)
    typed, failed = _typed_columns(frame, cb, problems, index, trimmed)
    _check_required(typed, failed, cb, problems)
    out = pd.DataFrame(typed, index=index)
    _check_schema(out, cb, problems, index)
    unanswered = {} if waves is None else _check_requested_waves(out, waves, cb, problems, set(frame.columns))
    n = problems.total()
    if n:
        listed = problems.messages()
        more = f"\n  ... and {n - len(listed)} more" if n > len(listed) else ""
        where = f" (checked against {cb.path.name})" if cb.path else ""
        raise MicrodataError(f"{name}: {n} problem(s) in the microdata{where}:\n  " + "\n  ".join(listed) + more)
    out["wave"] = out["wave"].astype("int64")
    out.attrs["whitespace_trimmed"] = trimmed
    out.attrs["unanswered_in_wave"] = unanswered
    return out


#: cell texts read as "no answer" besides the empty cell (case-insensitive)
MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", ".")


def _convert_text(s, q, trimmed: dict[str, int] | None):
    """An identifier or text column as strings (numeric ids from Excel or SPSS: 17.0 -> "17"), trimmed."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce")
        integral = bool(((num.dropna() % 1) == 0).all())
        txt = num.astype("Int64").astype("str") if integral else s.astype("str")
        txt = txt.where(s.notna())
    else:
        raw_txt = s.astype("str")
        txt = raw_txt.str.strip()
        n_trimmed = int(((raw_txt != txt) & s.notna() & (txt != "")).sum())
        if n_trimmed and trimmed is not None:
            trimmed[q.id] = n_trimmed
    return txt.where(~txt.str.lower().isin(MISSING_MARKERS)).astype("str")


def _parse_uniques(uniques: list, q, string_codes: bool):
    """Each distinct cell text parsed: the values, and flags (not a code or number, padded, look-alike).

    The flag arrays have one more slot than ``uniques``: the NA sentinel of :func:`pandas.factorize`.
    """
    lab = q.label_map()
    parsed: list = []
    notnum = np.zeros(len(uniques) + 1, dtype=bool)
    padded = np.zeros(len(uniques) + 1, dtype=bool)
    lookalike = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        text = str(u).strip()
        padded[i] = isinstance(u, str) and text != u and text != ""
        low = text.lower()
        if low in MISSING_MARKERS or (isinstance(u, float) and np.isnan(u)):
            parsed.append(None)
        elif string_codes:
            code = lab.get(low)
            parsed.append(code)
            notnum[i] = code is None
        elif not text.isascii() and low not in lab:   # float() reads full-width look-alike digits: refuse
            parsed.append(None)
            notnum[i] = lookalike[i] = True
        else:
            try:
                val = float(text)
                if not np.isfinite(val):
                    raise ValueError
            except ValueError:
                val = lab.get(low)
                notnum[i] = val is None
            parsed.append(val)
    return parsed, notnum, padded, lookalike


def _numeric_codes(s, q, parsed: list, codes, problems: _Problems, expected: str):
    """Parsed numbers as a nullable integer column; fractions and out-of-range codes recorded and blanked."""
    import pandas as pd

    table = np.array([np.nan if (p is None or isinstance(p, str)) else float(p) for p in parsed] + [np.nan])
    arr = table[codes]
    frac = np.flatnonzero(~np.isnan(arr) & (arr != np.round(arr)))
    problems.add(frac, lambda p, q=q, a=arr: f"{problems.where(p)}, column '{q.id}': {a[p]:g} is not a whole number "
                                             f"(expected {expected})")
    big = np.flatnonzero(np.abs(np.nan_to_num(arr)) > (10**9 if q.type == "wave" else 127))
    problems.add(big, lambda p, q=q, a=arr: f"{problems.where(p)}, column '{q.id}': {a[p]:g} is not "
                                            f"{'a wave' if q.type == 'wave' else 'an answer code'} "
                                            f"(expected {expected})")
    bad = np.isnan(arr) | (arr != np.round(arr))
    bad[big] = True
    arr = np.where(bad, np.nan, arr)
    dtype = "Int64" if q.type == "wave" else "Int8"
    return pd.Series(pd.array(arr, dtype="Float64").astype(dtype), index=s.index)


def _convert(s, q, problems: _Problems, index, trimmed: dict[str, int] | None = None):
    """One column to its typed form; unparseable cells become NA and are recorded.

    Spaces around a text are trimmed, and the cells trimmed counted in ``trimmed[column]``.
    Vectorised: coded columns are factorised, so only their few distinct texts are parsed."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Int8")
    if q.type in ("identifier", "text"):
        return _convert_text(s, q, trimmed)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniques = list(uniques)
    string_codes = bool(q.options) and isinstance(q.options[0].code, str)
    parsed, notnum, padded, lookalike = _parse_uniques(uniques, q, string_codes)
    bad_rows = np.flatnonzero(notnum[codes])  # codes == -1 picks the sentinel slot (False)
    n_padded = int(padded[codes].sum())
    if n_padded and trimmed is not None:
        trimmed[q.id] = n_padded
    raw = np.array(uniques + [None], dtype=object)
    expected = (f"one of {', '.join(map(str, q.waves))}" if q.type == "wave"
                else f"a code ({q.describe_codes()}) or its label" if q.options else "a number")
    what = ("an answer code" if string_codes else "a number or a label" if q.options else "a number")
    problems.add(bad_rows, lambda p, q=q, c=codes, r=raw, la=lookalike:
                 f"{problems.where(p)}, column '{q.id}': {format_cell(r[c[p]])} is not {what} (expected {expected})"
                 + (f": it holds {_non_ascii(r[c[p]])}; type plain ASCII digits and letters" if la[c[p]] else ""))
    if string_codes:
        table = np.array([p if p is not None else None for p in parsed] + [None], dtype=object)
        return pd.Series(table[codes], index=s.index, dtype="str")
    return _numeric_codes(s, q, parsed, codes, problems, expected)


_SCHEMAS: dict = {}


def _schema(cb: Codebook):
    """pandera DataFrameSchema built from the codebook, plus check-name -> description."""
    key = id(cb)
    if key in _SCHEMAS:
        return _SCHEMAS[key]
    import pandera.pandas as pa

    valid_waves = cb.valid_waves()
    describe: dict[str, tuple[str, str]] = {}
    columns = {}
    for q in (cb.question(c) for c in cb.microdata_columns()):
        checks = []
        if q.type == "wave":
            checks.append(pa.Check.isin(valid_waves, name=f"isin:{q.id}"))
            describe[f"isin:{q.id}"] = (
                q.id, f"is not a wave in the codebook (expected one of {', '.join(map(str, valid_waves))})"
            )
        elif q.options:
            checks.append(pa.Check.isin(list(q.codes), name=f"isin:{q.id}"))
            describe[f"isin:{q.id}"] = (q.id, f"is not an answer code (expected {q.describe_codes()}, or empty)")
        columns[q.id] = pa.Column(
            dtype=None, checks=checks, nullable=True, required=True,
            unique=q.type == "identifier", report_duplicates="all",
        )
        if q.type == "identifier":
            describe["field_uniqueness"] = (q.id, "duplicate")
    frame_checks = []
    for q in (cb.question(c) for c in cb.microdata_columns()):
        if q.type in ("identifier", "wave", "text") or set(q.waves) >= set(valid_waves):
            continue
        not_asked = sorted(set(valid_waves) - set(q.waves))

        def fn(df, col=q.id, not_asked=not_asked):
            return ~(df[col].notna() & df["wave"].isin(not_asked)).fillna(False)

        nm = f"not_asked:{q.id}"
        frame_checks.append(pa.Check(fn, name=nm))
        describe[nm] = (q.id, f"has a value in a wave where the codebook says the question was not asked "
                              f"(asked in {', '.join(map(str, q.waves))}); leave it empty")
    for q in (cb.question(c) for c in cb.microdata_columns()):
        for other, code in q.asked_if:
            def asked_if(df, col=q.id, other=other, code=code):
                return ~(df[col].notna() & (df[other] != code).fillna(True)).fillna(False)

            nm = f"asked_if:{q.id}"
            frame_checks.append(pa.Check(asked_if, name=nm))
            describe[nm] = (q.id, f"has a value but {other} is not {code}: "
                                  f"the question is asked only if {other} = {code}; leave it empty")
    schema = pa.DataFrameSchema(columns=columns, checks=frame_checks, strict=False, coerce=False)
    _SCHEMAS.clear()
    _SCHEMAS[key] = (schema, describe)
    return schema, describe


def _non_ascii(text: str) -> str:
    """The first non-ASCII characters of a cell, by Unicode name (e.g. FULLWIDTH DIGIT ONE)."""
    import unicodedata

    odd = [c for c in dict.fromkeys(str(text)) if not c.isascii()][:3]
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}" for c in odd)




def _translate_pandera(fc, describe, problems: _Problems, out, index, cb) -> None:
    """pandera's failure cases -> problems (one per failing cell, named by line and column)."""
    import pandas as pd

    fc = fc[fc["index"].notna()] if "index" in fc.columns else fc
    frame_level = fc["check"].astype("str").str.startswith(("not_asked:", "asked_if:"))
    fc = fc.assign(column=fc["column"].where(~frame_level, "*"))  # a frame-level check lists every column
    for (column, check), group in fc.groupby(["column", "check"], sort=False, dropna=False):
        check = str(check)
        if check.startswith(("not_asked:", "asked_if:")):
            col, text = describe[check]
        elif check == "field_uniqueness":
            col, text = str(column), "duplicate"
        elif check.startswith("isin") and str(column) in out.columns:
            col, text = describe.get(f"isin:{column}", (str(column), f"failed {check}"))
        else:
            col, text = (str(column) if pd.notna(column) else "?"), f"failed the check {check}"
        positions = index.get_indexer(pd.unique(group["index"].to_numpy()))
        positions = positions[positions >= 0]
        vals = out[col].to_numpy() if col in out.columns else None
        if check == "field_uniqueness":
            ids = out[col]
            dup = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
            pos_all = np.flatnonzero(dup)
            groups = pd.Series(pos_all).groupby(ids.to_numpy()[pos_all], sort=False).agg(list)
            lists = {v[0]: v for v in groups.to_numpy()}
            problems.add(np.fromiter(lists, dtype=np.int64, count=len(lists)), lambda p, col=col, o=lists, ids=vals:
                         f"column '{col}': {format_cell(ids[p])} appears on {index.name or 'row'}s "
                         f"{' and '.join(str(index[i]) for i in o[p][:5])}{' and more' if len(o[p]) > 5 else ''} "
                         "(respondent ids must be unique)")
        elif check.startswith(("not_asked:", "asked_if:")):
            waves = out["wave"].to_numpy()
            problems.add(positions, lambda p, col=col, text=text, v=vals, w=waves:
                         f"{problems.where(p)}, column '{col}': {format_cell(v[p])} (wave {format_cell(w[p])}) {text}")
        else:
            problems.add(positions, lambda p, col=col, text=text, v=vals:
                         f"{problems.where(p)}, column '{col}': {format_cell(v[p]) if v is not None else ''} {text}")


# ---------------------------------------------------------------------------------------
# loading and writing
# ---------------------------------------------------------------------------------------
def load_microdata(source: str | Path = "synthetic", *, scenario: str = "widening", seed: int = 2018,
                   waves=None, n_respondents: int | None = None) -> pd.DataFrame:
    """Synthetic data (``source="synthetic"``) or a user file, validated and labelled.

    ``frame.attrs``: ``data_kind`` ("synthetic" or "user"), ``label`` (a human label that says
    what the data are), ``scenario`` (synthetic only) and ``source``. The index is a plain
    RangeIndex; ``waves`` restricts the frame to those waves (each must have respondents).
    ``scenario``, ``seed`` and ``n_respondents`` apply to synthetic data and are ignored for a
    file (so a chapter can pass its parameters unchanged).
    """
    from helpers.data import synthetic

    if str(source) == "synthetic":
        scen = scenario or synthetic.DEFAULT_SCENARIO
        gen_waves = tuple(waves) if waves is not None else synthetic.DEFAULT_WAVES
        frame = synthetic.generate(scen, seed, waves=gen_waves, n_respondents=n_respondents)
        label = frame.attrs["label"]
        checked = validate_microdata(frame, source=label, waves=waves)
        checked.attrs.update(frame.attrs)
        checked.attrs.update({"data_kind": "synthetic", "label": label, "scenario": scen,
                              "source": f"helpers.data.synthetic.generate(scenario={scen!r}, seed={seed})"})
        return checked.reset_index(drop=True)
    path = Path(source)
    frame = read_microdata(path, waves=waves)
    if waves is not None:
        frame = frame[frame["wave"].isin([int(w) for w in waves])]
    frame = frame.reset_index(drop=True)
    provenance = read_provenance(path)
    if provenance is not None:  # written by `helpers synth`: synthetic data stay marked synthetic
        frame.attrs.update(synthetic_attrs(path, provenance))
        return frame
    frame.attrs.update({"data_kind": "user", "label": f"user microdata: {path.name}", "source": str(path.resolve())})
    return frame
