"""Bands: figures known only approximately, and tests run at every end of them.

The one place where a published figure becomes a range and a range becomes counts:

* :func:`verbal_band` maps a verbal figure ("one fifth") to its documented band
  (:data:`VERBAL_BANDS`, reasoned in ``data/README.md``);
* :func:`rounding_band` gives the band of a printed number ("16.1" -> 16.05 to 16.15);
* :func:`implied_counts` turns a percentage band on a base into the integer counts it allows
  (exact decimal arithmetic: 16.1 % is 161/1000, not a binary float);
* :func:`nested_count_band` gives the counts implied by a share of a share;
* :func:`across_band` runs a test at every combination of band ends, and :class:`BandResult`
  keeps the end least favourable to a claim.
"""

from __future__ import annotations

import difflib
import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from helpers.errors import InputDataError, StatisticsInputError
from helpers.stats.checks import as_int, check_level

#: The directions a claim can assert, relative to its null value (see helpers.report.claims).
DIRECTIONS = ("greater", "less", "different")

#: The one mapping of verbal figures to (point value, low, high); data/README.md has the
#: reasoning. Point value = the nominal fraction for two-sided phrases ("one fifth" = 20),
#: the band midpoint for one-sided phrases ("more than half" = 55). Analyses use the band.
VERBAL_BANDS: dict[str, tuple[float, float, float]] = {
    "one fifth": (20.0, 18.0, 22.0),
    "one in five": (20.0, 18.0, 22.0),
    "one in ten": (10.0, 8.0, 12.0),
    "more than one in ten": (14.0, 10.1, 17.9),
    "one in twenty": (5.0, 4.0, 6.0),
    "six in 10": (60.0, 55.0, 65.0),
    "six in ten": (60.0, 55.0, 65.0),
    "more than eight in ten": (85.0, 80.1, 89.9),
    "more than one third": (36.7, 33.4, 40.0),
    "more than a third": (36.7, 33.4, 40.0),
    "close to a third": (31.7, 30.0, 33.3),
    "slightly more than two thirds": (67.7, 66.7, 70.0),
    "more than half": (55.0, 50.1, 60.0),
    "almost 40": (38.0, 36.0, 39.9),
    "roughly 16": (16.0, 15.5, 17.5),
    "more than 90": (95.0, 90.0, 100.0),
    "over 1,600": (1650.0, 1601.0, 1699.0),
    "half": (50.0, 45.0, 55.0),
    "four in ten": (40.0, 35.0, 45.0),
    "almost half": (47.5, 45.0, 49.9),
    "nearly half": (47.5, 45.0, 49.9),
    "nearly two thirds": (63.3, 60.0, 66.6),
    "nearly two-thirds": (63.3, 60.0, 66.6),
    "just over a quarter": (26.5, 25.1, 28.0),
    "just over one quarter": (26.5, 25.1, 28.0),
    "between one fifth and one quarter": (22.5, 18.0, 27.0),
}


def verbal_band(phrase: str) -> tuple[float, float, float]:
    """``(value, low, high)`` for a verbal figure such as ``"one fifth"``."""
    key = " ".join(phrase.lower().split())
    if key not in VERBAL_BANDS:
        close = difflib.get_close_matches(key, list(VERBAL_BANDS), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InputDataError(f"no band is defined for the verbal figure {phrase!r}{hint} "
                             "(add it to VERBAL_BANDS in helpers/stats/bands.py and the table in data/README.md)")
    return VERBAL_BANDS[key]


def rounding_band(text: str) -> tuple[float, float]:
    """Rounding band of a published number as printed: ``"16.1"`` -> (16.05, 16.15)."""
    text = text.strip()
    decimals = len(text.split(".")[1]) if "." in text else 0
    half = 0.5 * 10 ** (-decimals)
    value = float(text)
    return round(value - half, decimals + 2), round(value + half, decimals + 2)


def _exact(value, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise StatisticsInputError(f"{name}={value!r} must be a finite number")
    return Fraction(int(value)) if isinstance(value, numbers.Integral) else Fraction(str(float(value)))


@dataclass(frozen=True)
class ImpliedCounts:
    """The integer counts out of ``base_n`` that a percentage band allows.

    ``count`` is the published value's count (halves round up); ``low`` and ``high`` the
    smallest and largest integer counts inside the band. When no integer count lies in the
    band (``consistent`` is False: e.g. 16.1 % of 450), the item's real base differed from
    the assumed one.
    """

    count: int
    low: int
    high: int
    base_n: int

    @property
    def consistent(self) -> bool:
        return self.low <= self.high

    @property
    def band(self) -> Band:
        """The counts to test at: the band, or the rounded count when no integer fits it."""
        return Band(self.low, self.high) if self.consistent else Band(self.count, self.count)

    @property
    def nearest(self) -> int:
        """The count inside the band nearest the published value (the rounded count if none fits)."""
        return min(max(self.count, self.low), self.high) if self.consistent else self.count


def implied_counts(value, low, high, base_n) -> ImpliedCounts:
    """Counts out of ``base_n`` for a percentage ``value`` known to lie in ``[low, high]`` %.

    ``count = round(value * N / 100)``, ``low = ceil(low * N / 100)``,
    ``high = floor(high * N / 100)``, in exact decimal arithmetic and clipped to [0, N].
    """
    n = as_int(base_n, "base_n")
    if n == 0:
        raise StatisticsInputError("base_n=0: counts need a positive base")
    v, lo, hi = _exact(value, "value"), _exact(low, "low"), _exact(high, "high")
    if lo > hi:
        raise StatisticsInputError(f"low={low!r} is above high={high!r}")
    if hi < 0 or lo > 100:
        raise StatisticsInputError(f"the band [{low}, {high}] % lies outside 0-100 %")
    count = min(n, max(0, math.floor(v * n / 100 + Fraction(1, 2))))
    return ImpliedCounts(count, max(0, math.ceil(lo * n / 100)), min(n, math.floor(hi * n / 100)), n)


def nested_count_band(outer: Band, inner_low_percent: float, inner_high_percent: float) -> Band:
    """Counts implied by a share of a share: ``round(outer × inner / 100)`` at every end of both bands.

    E.g. officers who met cryptocurrencies (outer) of whom "one fifth" (inner) call them common.
    """
    counts = [round(o * p / 100) for o in outer.ends() for p in (inner_low_percent, inner_high_percent)]
    return Band(min(counts), max(counts))


@dataclass(frozen=True)
class Band:
    """A closed range [low, high] for an input known only approximately."""

    low: float
    high: float

    def __post_init__(self):
        for name in ("low", "high"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
                raise StatisticsInputError(f"Band {name}={v!r} must be a finite number")
        if self.low > self.high:
            raise StatisticsInputError(f"Band low={self.low!r} is above high={self.high!r}")

    def ends(self) -> tuple:
        """The distinct ends (one value when low == high)."""
        return (self.low,) if self.low == self.high else (self.low, self.high)


def _maybe(obj, attr):
    v = getattr(obj, attr, None)
    return float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else None


@dataclass(frozen=True)
class BandResult:
    """Results of one function at every combination of band ends.

    ``results`` lists (kwargs, result) pairs. ``p_value_min``/``p_value_max`` and
    :meth:`least_favourable` (the end a claim is judged at) are None when the results carry
    no p-value (intervals). ``fn`` is the function that gave every result (so the same test can
    be run again at other counts, e.g. at a smaller base); None when unknown. ``figures`` names the
    published figures the counts came from, where the caller knows them.
    """

    results: list
    fn: Callable[..., Any] | None = None
    figures: tuple[str, ...] = ()

    def _values(self, attr):
        vals = [_maybe(r, attr) for _, r in self.results]
        return [v for v in vals if v is not None and not math.isnan(v)]

    @property
    def p_value_min(self):
        v = self._values("p_value")
        return min(v) if v else None

    @property
    def p_value_max(self):
        v = self._values("p_value")
        return max(v) if v else None

    @property
    def estimate_min(self):
        return min(self._values("estimate"))

    @property
    def estimate_max(self):
        return max(self._values("estimate"))

    @property
    def low(self):
        """The smallest lower limit over the band ends."""
        return min(self._values("low"))

    @property
    def high(self):
        """The largest upper limit over the band ends."""
        return max(self._values("high"))

    def least_favourable(self, direction: str = "different", null_value: float = 0.0):
        """The result at the band end least favourable to a claim in ``direction`` (None without p-values).

        Ends are ranked by their p-value *in the claimed direction*: p/2 when the estimate lies on
        the claimed side of ``null_value``, 1 - p/2 when it does not (p two-sided). So an end on the
        wrong side is always chosen over one on the claimed side, and the largest two-sided p is
        chosen only among ends on the same side (or for ``"different"``). The largest two-sided p
        alone can pick the favourable end when a band spans the null.
        """
        if direction not in DIRECTIONS:
            raise StatisticsInputError(f"direction={direction!r} must be one of {DIRECTIONS}")
        scored = [(r, _maybe(r, "p_value"), _maybe(r, "estimate")) for _, r in self.results]
        scored = [(r, p, e) for r, p, e in scored if p is not None and not math.isnan(p)]
        if not scored:
            return None

        def p_in_direction(p: float, estimate: float | None) -> float:
            if direction == "different":
                return p
            if estimate is None:
                return 1.0
            on_side = estimate > null_value if direction == "greater" else estimate < null_value
            return p / 2 if on_side else 1 - p / 2

        return max(scored, key=lambda rpe: p_in_direction(rpe[1], rpe[2]))[0]

    def stable(self, alpha: float = 0.05) -> bool:
        """True when every band end gives a p-value on the same side of ``alpha``."""
        alpha = check_level(alpha, "alpha")
        ps = [_maybe(r, "p_value") for _, r in self.results]
        if not ps or any(p is None or math.isnan(p) for p in ps):
            raise StatisticsInputError("stable() needs results that all carry a p_value")
        below = [p < alpha for p in ps]
        return all(below) or not any(below)


def across_band(fn: Callable[..., Any], **kwargs) -> BandResult:
    """Call ``fn`` at every combination of band ends (2^m calls for m bands).

    Any keyword argument may be a :class:`Band`; the others are passed unchanged.
    The ends are used as given (pass integer ends for counts, e.g. from
    :func:`implied_counts`). Example: ``across_band(compare_proportions,
    count1=implied_counts(20, 18, 22, 450).band, nobs1=450, count2=48, nobs2=435)``.
    """
    if not callable(fn):
        raise StatisticsInputError(f"fn={fn!r} is not callable")
    names = [k for k, v in kwargs.items() if isinstance(v, Band)]
    grids = [kwargs[k].ends() for k in names]
    results = []
    for combo in itertools.product(*grids):
        call = dict(kwargs)
        call.update(zip(names, combo, strict=True))
        results.append((call, fn(**call)))
    return BandResult(results, fn=fn)
