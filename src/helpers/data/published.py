"""Published figures of the NetClean Reports, with provenance, as the chapters read them.

``data/published/figures.csv`` holds one row per published figure::

    wave, part, chapter, question_id, option, value, unit, value_low, value_high,
    base_n, base_note, source_url, notes

``value`` is numeric; ``value_low``/``value_high`` the band the published text allows
(rounding band for exact percentages, a documented band for verbal figures such as
"one fifth", see :data:`VERBAL_BANDS` and ``data/README.md``). ``base_n`` is the number of
respondents a share refers to where it can be assumed (usually the survey total: item bases
are almost never published; ``base_note`` says so).

Usage::

    from helpers.data.published import figure
    f = figure("trend_encryption", "encryption increase", 2019)
    f.value                                                                # 20.0 (one fifth)
    f.count, f.count_low, f.count_high                                     # 90, 81, 99 of 450

Only pandas is imported (lazily, on first load); the file is validated on every load.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from helpers import paths
from helpers.errors import InputDataError, ReportError, listed
from helpers.stats.bands import VERBAL_BANDS, Band, ImpliedCounts, implied_counts

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COLUMNS = ("wave", "part", "chapter", "question_id", "option", "value", "unit", "value_low", "value_high",
           "base_n", "base_note", "source_url", "notes")
WAVE_COLUMNS = ("wave", "part", "respondents", "respondents_note", "countries", "fieldwork_start",
                "fieldwork_end", "composition", "source_url")
PARTS = ("law_enforcement", "business", "other")

#: unit -> meaning (documented in data/README.md).
UNITS = {
    "percent": "exact published percentage; band = rounding band (+-0.5 for integers, +-0.05 for one decimal)",
    "percent_verbal": "verbal percentage ('one fifth'); value and band from VERBAL_BANDS",
    "percent_lower_bound": "one-sided percentage ('more than 90'); value and band from VERBAL_BANDS",
    "percent_range": "published range of percentages ('50-80'); value = midpoint (a convention)",
    "count": "a count; value_low = value_high = value",
    "count_verbal": "verbal count ('over 1,600'); value and band from VERBAL_BANDS",
    "count_range": "published range of counts ('2-5 images'); value = midpoint (a convention)",
    "rank": "rank in a published ordering (1 = first); value_low = value_high = value",
    "per_1000": "'N in 1,000' estimate; value = N",
    "per_500": "'N per 500' ratio; value = N, band = rounding band",
    "age_range": "age bracket in years ('11-13'); value = midpoint (a convention)",
    "tb": "data volume in terabytes",
    "tb_range": "range of data volumes in terabytes; value = midpoint (a convention)",
}
PERCENT_UNITS = ("percent", "percent_verbal", "percent_lower_bound", "percent_range")
COUNT_UNITS = ("count", "count_verbal", "count_range")
VERBAL_UNITS = ("percent_verbal", "percent_lower_bound", "count_verbal")

_PHRASE_RE = re.compile(r'published as "([^"]+)"')


class FigureLookupError(LookupError, ReportError):
    """No (or more than one) published figure matches a question id, option and wave."""


class MissingBaseError(ValueError, ReportError):
    """A published figure has no base (number of respondents) to turn it into a count."""


# ---------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------
_CACHE: dict = {}


def _cached(kind: str, path: Path, build):
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputDataError(f"{path}: file not found") from None
    key = (kind, str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        for k in [k for k in _CACHE if k[0] == kind]:
            del _CACHE[k]
        _CACHE[key] = build(path)
    return _CACHE[key].copy()


def load_figures(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the published figures (default ``paths.PUBLISHED_FIGURES``).

    Every problem raises :class:`InputDataError` naming the file, the CSV line and the column
    and saying what was expected (all problems are collected, at most ten listed).
    """
    return _cached("figures", Path(path) if path is not None else paths.PUBLISHED_FIGURES, _build_figures)


def load_waves(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the survey waves table (default ``paths.WAVES_TABLE``)."""
    return _cached("waves", Path(path) if path is not None else paths.WAVES_TABLE, _build_waves)


def _problems_error(name: str, problems: list[str], what: str) -> InputDataError:
    return InputDataError(f"{name}: {len(problems)} problem(s) in the {what}:" + listed(problems))


def _numeric_column(raw, col, bad, *, required=True, integer=False):
    """One column of the figures file as numbers; every cell that is not one is reported."""
    import pandas as pd

    s = raw[col].str.strip()
    out = pd.to_numeric(s.where(s != ""), errors="coerce")
    for line, text in s[(s != "") & out.isna()].items():
        bad(line, col, f"{text!r} is not a number" + (" (expected an integer)" if integer else ""))
    if required:
        for line in s[s == ""].index:
            bad(line, col, "empty (a number is required)")
    if integer:
        frac = out.notna() & (out != out.round())
        for line, v in out[frac].items():
            bad(line, col, f"{v} is not an integer")
    return out


def _check_labels(line, row: dict, cb, bad) -> None:
    """A figure's part, unit, question id, option, source URL and chapter, against the codebook and the rules."""
    if row["part"] not in PARTS:
        bad(line, "part", f"{row['part']!r} is not a part (expected one of {', '.join(PARTS)})")
    u, q, option, url = row["unit"], row["question_id"], row["option"], row["source_url"]
    if u not in UNITS:
        close = difflib.get_close_matches(u, list(UNITS), n=1)
        hint = f" - did you mean {close[0]!r}?" if close else ""
        bad(line, "unit", f"{u!r} is not a known unit{hint} (expected one of {', '.join(UNITS)})")
    if q not in cb:
        close = difflib.get_close_matches(q, cb.published_ids(), n=3)
        hint = f" - did you mean {', '.join(close)}?" if close else ""
        bad(line, "question_id", f"{q!r} is not a question id of the codebook{hint}")
    elif not cb.question(q).is_published:
        bad(line, "question_id", f"{q!r} is a microdata-only id (no 'published' role in the codebook)")
    elif option not in cb.question(q).published_options:
        bad(line, "option", f"{option!r} is not a published option of {q!r} in the codebook "
                            f"(expected one of {', '.join(map(repr, cb.question(q).published_options))})")
    if not option:
        bad(line, "option", "empty (an option label is required)")
    if not re.match(r"^https?://\S+$", url or ""):
        bad(line, "source_url", f"{url!r} is not an http(s) URL (every figure needs its source page)")
    if not row["chapter"]:
        bad(line, "chapter", "empty (the report's insight or section title is required)")


def _check_verbal(line, notes: str, v, lo, hi, bad) -> None:  # noqa: PLR0913 - one figure's fields
    """A verbal figure quotes its wording in the notes, and its band is the documented one."""
    m = _PHRASE_RE.search(notes)
    if not m:
        bad(line, "notes", 'a verbal figure needs its wording in the notes as: published as "..."')
        return
    phrase = " ".join(m.group(1).lower().split())
    if phrase not in VERBAL_BANDS:
        bad(line, "notes", f"no band is defined for the verbal figure {m.group(1)!r} (see VERBAL_BANDS)")
    elif any(abs(a - b) > 1e-9 for a, b in zip((v, lo, hi), VERBAL_BANDS[phrase], strict=True)):
        bad(line, "value", f"{m.group(1)!r} must be value/low/high {VERBAL_BANDS[phrase]} "
                           f"(the documented band), got ({v:g}, {lo:g}, {hi:g})")


def _check_band(line, u: str, v, lo, hi, n, notes: str, bad) -> None:  # noqa: PLR0913 - one figure's fields
    """A figure's value within its band, the band within what its unit allows, counts within their base."""
    import pandas as pd

    if not lo <= v <= hi:
        bad(line, "value", f"{v:g} lies outside its band value_low {lo:g} .. value_high {hi:g}")
    if u in PERCENT_UNITS and not (0 <= lo and hi <= 100):
        bad(line, "value_high" if hi > 100 else "value_low",
            f"a percentage band must lie within 0..100, got {lo:g}..{hi:g}")
    if u in COUNT_UNITS + ("tb", "tb_range", "rank", "per_1000", "per_500") and lo < 0:
        bad(line, "value_low" if v >= 0 else "value", f"a negative {u} ({min(v, lo):g}) is impossible")
    if u in ("count", "rank") and not (lo == v == hi):
        bad(line, "value_low", f"for a {u}, value_low and value_high must equal value ({v:g})")
    if u in COUNT_UNITS and pd.notna(n) and hi > n:
        bad(line, "value", f"the count {hi:g} is above its base_n {int(n)}")
    if u in VERBAL_UNITS:
        _check_verbal(line, notes, v, lo, hi, bad)
    if u == "percent" and not any(abs((hi - lo) - w) < 1e-6 for w in (1.0, 0.1, 0.01)):
        bad(line, "value_high",
            f"an exact percentage needs its rounding band (width 1, 0.1 or 0.01), got {lo:g}..{hi:g}")


def _duplicate_figures(qid, option, wave_text) -> list[str]:
    """One problem per figure (question, option, wave) that appears on more than one line."""
    import pandas as pd

    keys = pd.DataFrame({"q": qid, "o": option, "w": wave_text})
    dupes = keys[keys.duplicated(keep=False)]
    return [f"lines {', '.join(map(str, lines))}: the figure ({q!r}, {o!r}, wave {w}) appears more than once"
            for (q, o, w), lines in dupes.groupby(["q", "o", "w"], sort=True).groups.items()]


def _build_figures(path: Path) -> pd.DataFrame:
    """The figures file, every line checked (all problems listed at once), as typed columns."""
    import pandas as pd

    from helpers.data.codebook import load_codebook
    from helpers.data.io import read_csv_strings

    name = path.name
    raw = read_csv_strings(path, expected_columns=COLUMNS, what="published figures")
    problems: list[str] = []
    _check_columns(raw, COLUMNS, name)

    def bad(line, col, msg):
        problems.append(f"line {line}, column '{col}': {msg}")

    wave = _numeric_column(raw, "wave", bad, integer=True)
    value, low, high = (_numeric_column(raw, c, bad) for c in ("value", "value_low", "value_high"))
    base = _numeric_column(raw, "base_n", bad, required=False, integer=True)
    cb = load_codebook()
    text = {c: raw[c].str.strip() for c in ("unit", "part", "question_id", "option", "source_url", "chapter")}
    notes = raw["notes"].fillna("")
    for line in raw.index:
        _check_labels(line, {c: column[line] for c, column in text.items()}, cb, bad)
        v, lo, hi, n = value[line], low[line], high[line], base[line]
        if pd.notna(v) and pd.notna(lo) and pd.notna(hi):
            _check_band(line, text["unit"][line], v, lo, hi, n, notes[line], bad)
        if pd.notna(n) and n <= 0:
            bad(line, "base_n", f"{n:g} is not a positive number of respondents")
        if pd.notna(n) and not raw.at[line, "base_note"].strip():
            bad(line, "base_note", "a base_n needs a base_note saying where it comes from (e.g. survey total assumed)")
    problems += _duplicate_figures(text["question_id"], text["option"], raw["wave"].str.strip())
    if problems:
        raise _problems_error(name, problems, "published figures")

    out = pd.DataFrame({
        "wave": wave.astype("int64"), "part": text["part"], "chapter": text["chapter"],
        "question_id": text["question_id"], "option": text["option"], "value": value.astype("float64"),
        "unit": text["unit"], "value_low": low.astype("float64"), "value_high": high.astype("float64"),
        "base_n": base.astype("Int64"), "base_note": raw["base_note"].str.strip(), "source_url": text["source_url"],
        "notes": notes.str.strip(),
    })
    out.index = raw.index  # CSV line numbers
    out.attrs["source"] = str(path)
    return out


def _check_columns(raw, expected, name):
    missing = [c for c in expected if c not in raw.columns]
    extra = [c for c in raw.columns if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(map(str, extra))}")
        raise InputDataError(f"{name}: line 1 (header): {'; '.join(parts)}; expected exactly: {', '.join(expected)}")


def _build_waves(path: Path) -> pd.DataFrame:
    import pandas as pd

    from helpers.data.io import read_csv_strings

    name = path.name
    raw = read_csv_strings(path, expected_columns=WAVE_COLUMNS, what="waves table")
    _check_columns(raw, WAVE_COLUMNS, name)
    problems: list[str] = []
    out = {}
    for col in ("wave", "respondents", "countries"):
        s = raw[col].str.strip()
        num = pd.to_numeric(s.where(s != ""), errors="coerce")
        for line in s.index:
            if s[line] == "" and col == "wave":
                problems.append(f"line {line}, column 'wave': empty (a wave is required)")
            elif s[line] != "" and (pd.isna(num[line]) or num[line] != round(num[line]) or num[line] <= 0):
                problems.append(f"line {line}, column '{col}': {s[line]!r} is not a positive integer")
        out[col] = num.astype("Int64")
    for line, p in raw["part"].str.strip().items():
        if p not in PARTS:
            problems.append(f"line {line}, column 'part': {p!r} is not a part (expected one of {', '.join(PARTS)})")
    for col in ("fieldwork_start", "fieldwork_end"):
        s = raw[col].str.strip()
        d = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d", errors="coerce")
        for line in s[(s != "") & d.isna()].index:
            problems.append(f"line {line}, column '{col}': {s[line]!r} is not a date YYYY-MM-DD")
        out[col] = d
    late = out["fieldwork_start"] > out["fieldwork_end"]
    for line in late[late.fillna(False)].index:
        problems.append(f"line {line}, column 'fieldwork_end': ends before fieldwork_start")
    for line, u in raw["source_url"].str.strip().items():
        if not re.match(r"^https?://\S+$", u):
            problems.append(f"line {line}, column 'source_url': {u!r} is not an http(s) URL")
    key = raw["wave"].str.strip() + "/" + raw["part"].str.strip()
    for line in key[key.duplicated()].index:
        problems.append(f"line {line}: wave/part {key[line]} appears more than once")
    if problems:
        raise _problems_error(name, problems, "waves table")
    frame = pd.DataFrame({
        "wave": out["wave"].astype("int64"),
        "part": raw["part"].str.strip(),
        "respondents": out["respondents"],
        "respondents_note": raw["respondents_note"].str.strip(),
        "countries": out["countries"],
        "fieldwork_start": out["fieldwork_start"],
        "fieldwork_end": out["fieldwork_end"],
        "composition": raw["composition"].str.strip(),
        "source_url": raw["source_url"].str.strip(),
    })
    frame.index = raw.index
    frame.attrs["source"] = str(path)
    return frame


def check_waves_cover_figures(figures: pd.DataFrame | None = None, waves: pd.DataFrame | None = None) -> None:
    """Cross-check the figures against the waves table, so that a new wave is never silently half-entered.

    Every (wave, part) of ``figures.csv`` needs its row in ``waves.csv`` (part ``other``, figures
    not from a survey: a row of the wave, any part); a survey total
    (``survey_size``) must equal that row's ``respondents``, and a share's assumed ``base_n`` too
    where the waves table gives the respondents. Problems raise :class:`InputDataError` naming
    ``figures.csv``, the line and the column. (Called by :func:`helpers.data.series.load_series`,
    which the runner's preflight and every chapter that reads a series call.)
    """
    figures = load_figures() if figures is None else figures
    waves = load_waves() if waves is None else waves
    name = Path(figures.attrs.get("source", paths.PUBLISHED_FIGURES)).name
    waves_name = Path(waves.attrs.get("source", paths.WAVES_TABLE)).name
    rows = {(int(w), p): r for w, p, r in zip(waves["wave"], waves["part"], waves["respondents"], strict=True)}
    problems: list[str] = []
    for line, f in figures.iterrows():
        key = (int(f["wave"]), f["part"])
        if key[1] == "other":  # not from a survey (e.g. a NetClean estimate): its wave needs a row, of any part
            if not any(w == key[0] for w, _ in rows):
                problems.append(f"line {line}, column 'wave': wave {key[0]} has no row in {waves_name}")
            continue
        if key not in rows:
            problems.append(f"line {line}, column 'wave': wave {key[0]} ({key[1]}) has no row in {waves_name}: "
                            f"add its row (respondents, countries, fieldwork, source_url) there")
            continue
        respondents = rows[key]
        if _missing(respondents):
            continue
        if f["question_id"] == "survey_size" and f["option"] in ("respondents", "businesses") \
                and f["value"] != respondents:
            problems.append(f"line {line}, column 'value': survey_size {f['value']:g} differs from the "
                            f"{respondents} respondents of wave {key[0]} ({key[1]}) in {waves_name}")
        if f["unit"] in PERCENT_UNITS and not _missing(f["base_n"]) and int(f["base_n"]) != int(respondents):
            problems.append(f"line {line}, column 'base_n': {int(f['base_n'])} differs from the {respondents} "
                            f"respondents of wave {key[0]} ({key[1]}) in {waves_name} (a share's base is the "
                            "survey total)")
    if problems:
        raise _problems_error(name, problems, "published figures (checked against the waves table)")


def _missing(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


# ---------------------------------------------------------------------------------------
# lookup
# ---------------------------------------------------------------------------------------
def _row(question_id: str, option: str, wave: int, frame: pd.DataFrame | None) -> pd.Series:
    f = load_figures() if frame is None else frame
    hit = f[(f["question_id"] == question_id) & (f["option"] == option) & (f["wave"] == int(wave))]
    if len(hit) == 1:
        return hit.iloc[0]
    wanted = f"{question_id} | {option} | {wave}"
    if len(hit) > 1:
        raise FigureLookupError(f"{len(hit)} published figures match ({question_id!r}, {option!r}, wave {wave}); "
                                f"expected one (lines {', '.join(map(str, hit.index))})")
    keys = (f["question_id"] + " | " + f["option"] + " | " + f["wave"].astype(str)).tolist()
    same_q = [k for k in keys if k.startswith(f"{question_id} | ")]
    close = same_q or difflib.get_close_matches(wanted, keys, n=6, cutoff=0.4)
    hint = "; close matches (question_id | option | wave):\n  " + "\n  ".join(close[:12]) if close else ""
    raise FigureLookupError(f"no published figure for ({question_id!r}, {option!r}, wave {wave}){hint}")


@dataclass(frozen=True)
class PublishedFigure:
    """One published figure with its band, base and source, and the counts it implies.

    ``counts`` (and ``count``, ``count_low``, ``count_high``, ``count_band``) turn a share into
    counts of respondents out of ``base_n`` (:func:`helpers.stats.bands.implied_counts`);
    ``consistent`` is False when no integer count out of ``base_n`` rounds to the published
    figure: the item's real base then differed from the assumed one (item non-response, or a
    different total).
    """

    question_id: str
    option: str
    wave: int
    value: float
    value_low: float
    value_high: float
    unit: str
    base_n: int | None
    base_note: str
    source_url: str
    notes: str = ""

    @property
    def where(self) -> str:
        return f"({self.question_id!r}, {self.option!r}, wave {self.wave})"

    @property
    def counts(self) -> ImpliedCounts:
        """The counts out of ``base_n`` this figure allows (a share or a count of respondents)."""
        if self.base_n is None:
            raise MissingBaseError(f"the published figure {self.where} has no base_n, so it cannot be turned into a "
                                   f"count: {self.base_note or 'base not published'}")
        if self.unit in PERCENT_UNITS:
            return implied_counts(self.value, self.value_low, self.value_high, self.base_n)
        if self.unit in COUNT_UNITS:
            return ImpliedCounts(int(round(self.value)), int(math.ceil(self.value_low)),
                                 int(math.floor(self.value_high)), self.base_n)
        raise FigureLookupError(f"the published figure {self.where} has unit {self.unit!r}: "
                                "not a share or count of respondents")

    @property
    def count(self) -> int:
        return self.counts.count

    @property
    def count_low(self) -> int:
        return self.counts.low

    @property
    def count_high(self) -> int:
        return self.counts.high

    @property
    def consistent(self) -> bool:
        return self.counts.consistent

    @property
    def count_band(self) -> Band:
        """The counts to test at: the band, or the rounded count when no integer count fits it."""
        return self.counts.band

    @property
    def share(self) -> float:
        if self.base_n is None:
            raise ValueError(f"{self.question_id}: the figure has no base_n, so no share")
        return self.count / self.base_n

    @property
    def phrase(self) -> str:
        """The report's own words for a verbal figure (``"one fifth"``); empty for a printed number."""
        found = _PHRASE_RE.search(self.notes)
        return found.group(1) if found and self.unit in VERBAL_UNITS else ""

    @property
    def quoted(self) -> str:
        """The figure as a statement may quote it: the report's words and the band read from them.

        ``"one fifth, read as 18-22 %"`` for a verbal figure, ``"50-80 %"`` for a published range
        and ``"37.9 %"`` for a printed percentage, never a number the report did not print.
        """
        band = f"{self.value_low:g}–{self.value_high:g} %"
        if self.phrase:
            return f"“{self.phrase}”, read as {band}"
        if self.unit == "percent_range":
            return f"{band} (a published range)"
        if self.unit in PERCENT_UNITS:
            return f"{self.value:g} %"
        return f"{self.value:g}"


def figure(question_id: str, option: str, wave: int, *, frame: pd.DataFrame | None = None) -> PublishedFigure:
    """The one published figure for ``(question_id, option, wave)``.

    Raises :class:`FigureLookupError` listing close matches if there is none, or if there
    are several (only possible with a hand-made ``frame``).
    """
    import pandas as pd

    row = _row(question_id, option, wave, frame)
    return PublishedFigure(question_id=question_id, option=option, wave=int(wave), value=float(row["value"]),
                           value_low=float(row["value_low"]), value_high=float(row["value_high"]), unit=row["unit"],
                           base_n=None if pd.isna(row["base_n"]) else int(row["base_n"]), base_note=row["base_note"],
                           source_url=row["source_url"], notes=row["notes"])
