"""Series that run across waves, and the one comparability rule for comparing their waves.

``data/published/series.csv`` names, for each series and wave, the published figure that carries
it (``question_id``, ``option``) and how that wave's question compares with the series'
reference wording (``comparability``):

* ``same question``: asked alike (wording differences of the option label only);
* ``reworded``: the same construct asked in other words; tested, and the claim's note says so;
* ``different construct``: something else was asked; a comparison with it is not testable.

Two waves compare at the worse of their two grades. Chapters read series through
:func:`series_points` and :func:`comparison`, so a wave added to the data files enters them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers import paths
from helpers.data.published import PublishedFigure, check_waves_cover_figures, figure, load_figures
from helpers.errors import InputDataError, listed

COLUMNS = ("series", "wave", "question_id", "option", "comparability", "notes")
#: Grades, from the most to the least comparable.
GRADES = ("same question", "reworded", "different construct")


@dataclass(frozen=True)
class SeriesPoint:
    series: str
    wave: int
    figure: PublishedFigure
    comparability: str
    notes: str


@dataclass(frozen=True)
class Comparison:
    """Two waves of one series, with the grade of their comparability and what it rests on."""

    series: str
    later: SeriesPoint
    earlier: SeriesPoint

    @property
    def grade(self) -> str:
        return max(self.later.comparability, self.earlier.comparability, key=GRADES.index)

    @property
    def testable(self) -> bool:
        return self.grade != "different construct"

    @property
    def note(self) -> str:
        """What the grade rests on, in words (empty when both waves asked the same question)."""
        if self.grade == "same question":
            return ""
        reasons = [f"{p.wave}: {p.notes}" for p in (self.earlier, self.later) if p.comparability == self.grade]
        return f"{self.grade} ({'; '.join(reasons)})"


def load_series(path: str | Path | None = None):
    """The series table, validated against the published figures (errors name file, line, column)."""
    import pandas as pd

    from helpers.data.io import read_csv_strings

    path = Path(path) if path else paths.SERIES_TABLE
    raw = read_csv_strings(path, expected_columns=COLUMNS, what="series table")
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputDataError(f"{path.name}: missing column(s) {', '.join(missing)}")
    figures = load_figures()
    check_waves_cover_figures(figures)  # a wave's figures without its waves-table row stop the run here
    known = set(zip(figures["question_id"], figures["option"], figures["wave"].astype(int), strict=True))
    problems: list[str] = []
    seen: dict = {}
    waves = pd.to_numeric(raw["wave"], errors="coerce")
    for line, row in raw.iterrows():
        where = f"line {line}"
        if pd.isna(waves[line]) or waves[line] != int(waves[line]):
            problems.append(f"{where}, column 'wave': {row['wave']!r} is not a wave (a year)")
            continue
        wave = int(waves[line])
        if row["comparability"] not in GRADES:
            problems.append(f"{where}, column 'comparability': {row['comparability']!r} is not one of {GRADES}")
        key = (row["series"], wave)
        if key in seen:
            problems.append(f"{where}, columns 'series' and 'wave': ({row['series']!r}, {wave}) "
                            f"repeats line {seen[key]}")
        seen[key] = line
        if (row["question_id"], row["option"], wave) not in known:
            problems.append(f"{where}, columns 'question_id' and 'option': no published figure "
                            f"({row['question_id']!r}, {row['option']!r}, wave {wave}) in figures.csv")
        elif figure(row["question_id"], row["option"], wave, frame=figures).base_n is None:
            problems.append(f"{where}: the figure ({row['question_id']!r}, {row['option']!r}, wave {wave}) "
                            "has no base_n, so it cannot enter a series")
    if problems:
        raise InputDataError(f"{path.name}: {len(problems)} problem(s) in the series table:" + listed(problems))
    return raw.assign(wave=waves.astype(int))


def series_points(name: str, *, table=None) -> list[SeriesPoint]:
    """Every wave of a series, in wave order."""
    table = load_series() if table is None else table
    rows = table[table["series"] == name].sort_values("wave")
    if rows.empty:
        known = ", ".join(sorted(table["series"].unique()))
        raise InputDataError(f"no series {name!r} in series.csv; the series are: {known}")
    return [SeriesPoint(name, int(r.wave), figure(r.question_id, r.option, int(r.wave)), r.comparability, r.notes)
            for r in rows.itertuples()]


def comparison(name: str, later: int, earlier: int, *, table=None) -> Comparison:
    """Two waves of a series, graded by the comparability rule."""
    points = {p.wave: p for p in series_points(name, table=table)}
    for wave in (later, earlier):
        if wave not in points:
            raise InputDataError(f"series {name!r} has no wave {wave}; its waves are {sorted(points)}")
    return Comparison(name, points[later], points[earlier])


# ---------------------------------------------------------------------------------------
# a series over all its waves: what chapters quote and test, so a new wave enters by data alone
# ---------------------------------------------------------------------------------------
#: A trend test needs at least this many waves that are not a different construct.
MIN_TREND_WAVES = 3


def join_words(items, *, last: str = ", ") -> str:
    """``a, b, c`` (or ``a, b and c`` with ``last=" and "``)."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def quote(points, *, last: str = ", ") -> str:
    """The published figures of some waves in words, from the data: ``61.1 % in 2016, 54.4 % in 2018, ...``."""
    return join_words([f"{p.figure.value:g} % in {p.wave}" for p in points], last=last)


def waves_of(points) -> list[int]:
    return [p.wave for p in points]


def span(points) -> str:
    """``2016-2019`` (first and last wave), or the one wave."""
    waves = waves_of(points)
    return str(waves[0]) if waves[0] == waves[-1] else f"{waves[0]}-{waves[-1]}"


def previous_point(name: str, wave: int, *, table=None) -> SeriesPoint:
    """The wave of a series just before ``wave`` (whatever its grade: the comparison grades it)."""
    points = series_points(name, table=table)
    earlier = [p for p in points if p.wave < wave]
    if not earlier or wave not in waves_of(points):
        raise InputDataError(f"series {name!r} has no wave before {wave} (its waves are {waves_of(points)})")
    return earlier[-1]


def consecutive_comparisons(name: str, *, table=None) -> dict[str, Comparison]:
    """Every wave of a series against the wave before it, keyed ``"<series> <later> vs <earlier>"``."""
    points = series_points(name, table=table)
    return {f"{name} {b.wave} vs {a.wave}": Comparison(name, b, a) for a, b in zip(points, points[1:], strict=False)}


@dataclass(frozen=True)
class SeriesTrend:
    """A series over every wave the data carry, and whether a trend test can run on it.

    The trend runs over the waves that are not a ``different construct`` (their grade against
    the series' reference wording); it is testable with at least :data:`MIN_TREND_WAVES` of them.
    """

    series: str
    points: tuple[SeriesPoint, ...]

    @property
    def comparable(self) -> list[SeriesPoint]:
        return [p for p in self.points if p.comparability != "different construct"]

    @property
    def excluded(self) -> list[SeriesPoint]:
        return [p for p in self.points if p.comparability == "different construct"]

    @property
    def waves(self) -> list[int]:
        return waves_of(self.comparable)

    @property
    def testable(self) -> bool:
        return len(self.comparable) >= MIN_TREND_WAVES

    @property
    def grade(self) -> str:
        return max((p.comparability for p in self.comparable), key=GRADES.index, default="different construct")

    @property
    def reference(self) -> SeriesPoint:
        """The wave asked in the series' reference wording (the first 'same question' wave), else the first."""
        same = [p for p in self.comparable if p.comparability == "same question"]
        return (same or self.comparable or list(self.points))[0]

    @property
    def note(self) -> str:
        """What the trend rests on: reworded waves (tested as approximately comparable) and excluded ones."""
        parts = []
        reworded = [p for p in self.comparable if p.comparability == "reworded"]
        if reworded:
            parts.append("reworded (" + "; ".join(f"{p.wave}: {p.notes}" for p in reworded)
                         + "): tested as approximately comparable")
        if self.excluded:
            left_out = "; ".join(f"{p.wave}: {p.notes}" for p in self.excluded)
            parts.append(f"left out as a different construct ({left_out})")
        return "; ".join(parts)

    @property
    def why_not(self) -> str:
        """Why no trend test can run (empty when it can)."""
        if self.testable:
            return ""
        n = len(self.comparable)
        have = f"only {n} comparable wave{'s' if n != 1 else ''}" + (f" ({join_words(self.waves, last=' and ')})"
                                                                     if n else "")
        excluded = "".join(f"; {p.wave} is a different construct ({p.notes})" for p in self.excluded)
        return f"{have}{excluded}, and a trend test needs at least {MIN_TREND_WAVES}."


def series_trend(name: str, *, table=None) -> SeriesTrend:
    """A series over all its waves, for a trend test (see :class:`SeriesTrend`)."""
    return SeriesTrend(name, tuple(series_points(name, table=table)))
