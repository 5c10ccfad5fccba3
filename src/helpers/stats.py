"""Intervals and named tests for the claims register.

The NetClean reports print percentages without intervals or tests. Every function
here returns a small frozen result (:class:`Interval` or :class:`TestResult`) that
carries what a claim needs: the estimate, its interval, the name of the test, the
statistic, the p-value, the number of observations and the scale of the estimate.

Conventions used throughout
---------------------------
* Proportions and differences of proportions are on the 0-1 scale (0.05 is five
  percentage points); the ``scale`` field of every :class:`TestResult` says so.
* Intervals are two-sided at ``level`` even when a test is one-sided.
* Every method is named explicitly; statsmodels is always called with ``method=``.
* Bad input (a count above its base, a negative or non-integer count, a level
  outside (0, 1), an unknown method, empty or mismatched series) raises
  :class:`helpers.errors.StatisticsInputError` naming the argument.

References
----------
Newcombe RG (1998a) Two-sided confidence intervals for the single proportion.
Stat Med 17:857-872. Newcombe RG (1998b) Interval estimation for the difference
between independent proportions: comparison of eleven methods. Stat Med 17:873-890.
Newcombe RG (2001) Estimating the difference between differences. Stat Med
20:2885-2893. Miettinen O, Nurminen M (1985) Comparative analysis of two rates.
Stat Med 4:213-226. Fagerland MW, Lydersen S, Laake P (2017) Statistical Analysis of
Contingency Tables, ch. 5 (Cochran-Armitage test and interval).
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np
from scipy import optimize, stats

from helpers.errors import StatisticsInputError

__all__ = [
    "Interval",
    "TestResult",
    "Band",
    "BandResult",
    "proportion_ci",
    "diff_ci",
    "compare_proportions",
    "trend_test",
    "diff_in_diff_ci",
    "gap_trend_test",
    "rate_ci",
    "adjust_pvalues",
    "across_band",
    "count_band",
]


# ----------------------------------------------------------------------------------
# Result types
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval.

    ``n`` is the number of observations behind the estimate; ``n_effective`` is
    set by weighted estimators (the design-based effective sample size).
    """

    estimate: float
    low: float
    high: float
    method: str
    level: float
    n: float
    n_effective: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for data frames and the claims register)."""
        return asdict(self)


@dataclass(frozen=True)
class TestResult:
    """A named test with its effect estimate and interval.

    ``test`` is a human-readable name, ``method`` the method key passed in,
    ``scale`` the unit of ``estimate``/``low``/``high``; ``extra`` holds anything
    else (per-wave gaps, the interval method, auxiliary statistics).
    """

    __test__ = False  # not a pytest test class, despite the name

    test: str
    method: str
    statistic: float
    p_value: float
    estimate: float
    low: float
    high: float
    level: float
    n: float
    scale: str
    alternative: str
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (``extra`` included as a nested dict)."""
        return asdict(self)


# ----------------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------------


def _check_level(level: Any, name: str = "level") -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise StatisticsInputError(f"{name}={level!r} must be a number strictly between 0 and 1")
    level = float(level)
    if not (0.0 < level < 1.0):
        raise StatisticsInputError(f"{name}={level!r} is outside (0, 1); pass e.g. 0.95 for a 95 % interval")
    return level


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise StatisticsInputError(f"{name}={value!r} is not one of {options}")
    return value


def _as_int(value: Any, name: str) -> int:
    """An integer-valued, finite, non-negative count (ints, numpy ints or integral floats)."""
    if isinstance(value, (bool, np.bool_)):
        raise StatisticsInputError(f"{name}={value!r} is a boolean, not a count")
    if isinstance(value, numbers.Integral):
        out = int(value)
    elif isinstance(value, numbers.Real):
        fvalue = float(value)
        if not math.isfinite(fvalue):
            raise StatisticsInputError(f"{name}={value!r} is not a finite count")
        if not fvalue.is_integer():
            raise StatisticsInputError(f"{name}={value!r} is not an integer count")
        out = int(fvalue)
    else:
        raise StatisticsInputError(f"{name}={value!r} is not a number")
    if out < 0:
        raise StatisticsInputError(f"{name}={value!r} is negative")
    return out


def _check_count_nobs(count: Any, nobs: Any, cname: str, nname: str) -> tuple[int, int]:
    c = _as_int(count, cname)
    n = _as_int(nobs, nname)
    if n == 0:
        raise StatisticsInputError(f"{nname}=0: a proportion needs at least one observation")
    if c > n:
        raise StatisticsInputError(f"{cname}={c} is above its base {nname}={n}")
    return c, n


def _fmt(value: Any) -> str:
    """A plain repr for messages (no ``np.float64(...)`` wrappers)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _as_vector(values: Any, name: str) -> np.ndarray:
    """A non-empty one-dimensional float array, or an error naming ``name``."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatisticsInputError(f"{name} must be a sequence of numbers ({exc})") from None
    if arr.ndim != 1:
        raise StatisticsInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise StatisticsInputError(f"{name} is empty")
    return arr


def _as_finite_vector(values: Any, name: str) -> np.ndarray:
    """A non-empty one-dimensional float array without missing or infinite values, or an error naming ``name``."""
    arr = _as_vector(values, name)
    if not np.all(np.isfinite(arr)):
        raise StatisticsInputError(f"{name} contains missing or infinite values")
    return arr


def _as_int_array(values: Any, name: str) -> np.ndarray:
    arr = _as_finite_vector(values, name)
    bad = np.flatnonzero(arr != np.round(arr))
    if bad.size:
        raise StatisticsInputError(f"{name}[{bad[0]}]={_fmt(arr[bad[0]])} is not an integer count")
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        raise StatisticsInputError(f"{name}[{bad[0]}]={_fmt(arr[bad[0]])} is negative")
    return arr.astype(np.int64)


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2.0))


# ----------------------------------------------------------------------------------
# Single proportions
# ----------------------------------------------------------------------------------

_PROPORTION_METHODS = ("wilson", "exact", "jeffreys")


def _wilson(count: int, nobs: int, level: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(count, nobs, alpha=1.0 - level, method="wilson")
    return float(low), float(high)


def proportion_ci(count, nobs, method: str = "wilson", level: float = 0.95) -> Interval:
    """Confidence interval for one proportion ``count / nobs``.

    Methods: ``"wilson"`` (score interval; the default, good coverage at every n),
    ``"exact"`` (Clopper-Pearson, conservative) and ``"jeffreys"`` (equal-tailed
    Beta(x+1/2, n-x+1/2) interval, with the Brown-Cai-DasGupta boundary rule:
    lower limit 0 when count = 0 and upper limit 1 when count = nobs).
    """
    method = _check_choice(method, "method", _PROPORTION_METHODS)
    level = _check_level(level)
    count, nobs = _check_count_nobs(count, nobs, "count", "nobs")
    from statsmodels.stats.proportion import proportion_confint

    alpha = 1.0 - level
    if method == "wilson":
        low, high = _wilson(count, nobs, level)
        name = "Wilson score"
    elif method == "exact":
        low, high = proportion_confint(count, nobs, alpha=alpha, method="beta")
        name = "Clopper-Pearson exact"
    else:
        low, high = proportion_confint(count, nobs, alpha=alpha, method="jeffreys")
        if count == 0:
            low = 0.0
        if count == nobs:
            high = 1.0
        name = "Jeffreys"
    low = 0.0 if count == 0 else float(low)
    high = 1.0 if count == nobs else float(high)
    return Interval(count / nobs, low, high, name, level, nobs)


# ----------------------------------------------------------------------------------
# Two independent proportions
# ----------------------------------------------------------------------------------

_DIFF_METHODS = ("newcombe", "score")


def _newcombe_limits(c1: int, n1: int, c2: int, n2: int, level: float) -> tuple[float, float]:
    """Newcombe (1998b) method 10: square-and-add of the Wilson limits."""
    p1, p2 = c1 / n1, c2 / n2
    l1, u1 = _wilson(c1, n1, level)
    l2, u2 = _wilson(c2, n2, level)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(low, -1.0), min(high, 1.0)


def _mn_restricted(p1: float, n1: int, p2: float, n2: int, delta: float) -> tuple[float, float]:
    """Maximum-likelihood p1, p2 under the constraint p1 - p2 = delta (closed form).

    The cubic solution of Miettinen & Nurminen (1985) / Farrington & Manning (1990);
    the arccos argument is clipped to [-1, 1] (rounding pushes it outside at zero
    cells, which is where statsmodels' implementation fails).
    """
    theta = n2 / n1
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta**2 + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a**2) + d / (2.0 * a)
    u2 = b**2 / (9.0 * a**2) - c / (3.0 * a)
    u = math.copysign(math.sqrt(max(u2, 0.0)), v) if v != 0 else math.sqrt(max(u2, 0.0))
    if u == 0.0:
        r1 = -b / (3.0 * a)
    else:
        ratio = min(1.0, max(-1.0, v / u**3))
        w = (math.pi + math.acos(ratio)) / 3.0
        r1 = 2.0 * u * math.cos(w) - b / (3.0 * a)
    r1 = min(max(r1, max(0.0, delta)), min(1.0, 1.0 + delta))
    return r1, r1 - delta


def _mn_statistic(c1: int, n1: int, c2: int, n2: int, delta: float) -> float:
    """Miettinen-Nurminen score statistic for H0: p1 - p2 = delta."""
    p1, p2 = c1 / n1, c2 / n2
    r1, r2 = _mn_restricted(p1, n1, p2, n2, delta)
    big_n = n1 + n2
    var = (r1 * (1.0 - r1) / n1 + r2 * (1.0 - r2) / n2) * big_n / (big_n - 1.0)
    diff = p1 - p2 - delta
    if var <= 0.0:
        if diff == 0.0:
            return 0.0
        return math.copysign(math.inf, diff)
    return diff / math.sqrt(var)


def _mn_limits(c1: int, n1: int, c2: int, n2: int, level: float) -> tuple[float, float]:
    """Miettinen-Nurminen score interval: all delta with |T(delta)| <= z."""
    z = _z(level)
    d = c1 / n1 - c2 / n2
    eps = 1e-12

    def lower_fn(delta: float) -> float:
        return _mn_statistic(c1, n1, c2, n2, delta) - z

    def upper_fn(delta: float) -> float:
        return _mn_statistic(c1, n1, c2, n2, delta) + z

    if d <= -1.0 + eps:
        low = -1.0
    else:
        a = -1.0 + eps
        low = -1.0 if lower_fn(a) <= 0 else optimize.brentq(lower_fn, a, d, xtol=1e-12, rtol=4 * np.finfo(float).eps)
    if d >= 1.0 - eps:
        high = 1.0
    else:
        b = 1.0 - eps
        high = 1.0 if upper_fn(b) >= 0 else optimize.brentq(upper_fn, d, b, xtol=1e-12, rtol=4 * np.finfo(float).eps)
    return float(low), float(high)


def diff_ci(count1, nobs1, count2, nobs2, method: str = "newcombe", level: float = 0.95) -> Interval:
    """Confidence interval for p1 - p2 from two independent samples.

    ``"newcombe"``: hybrid score interval (Newcombe 1998b, method 10: square-and-add
    of the two Wilson intervals). ``"score"``: Miettinen-Nurminen asymptotic score
    interval (inverts the score test with the N/(N-1) variance correction; computed
    here by root-finding because statsmodels' version fails at zero cells).
    """
    method = _check_choice(method, "method", _DIFF_METHODS)
    level = _check_level(level)
    c1, n1 = _check_count_nobs(count1, nobs1, "count1", "nobs1")
    c2, n2 = _check_count_nobs(count2, nobs2, "count2", "nobs2")
    if method == "newcombe":
        low, high = _newcombe_limits(c1, n1, c2, n2, level)
        name = "Newcombe hybrid score (method 10)"
    else:
        low, high = _mn_limits(c1, n1, c2, n2, level)
        name = "Miettinen-Nurminen score"
    return Interval(c1 / n1 - c2 / n2, low, high, name, level, n1 + n2)


_ALTERNATIVES_2 = ("two-sided", "larger", "smaller")


def _p_from_z(z: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(2.0 * stats.norm.sf(abs(z)))
    if alternative in ("larger", "increasing"):
        return float(stats.norm.sf(z))
    return float(stats.norm.cdf(z))


def compare_proportions(
    count1, nobs1, count2, nobs2, method: str = "score", level: float = 0.95, alternative: str = "two-sided"
) -> TestResult:
    """Test p1 = p2 for two independent samples, with an interval for p1 - p2.

    ``method="score"``: Miettinen-Nurminen score test (z statistic) with the
    matching Miettinen-Nurminen interval, so the test rejects at 1 - level exactly
    when the two-sided interval excludes 0. ``method="exact"``: Boschloo's exact
    unconditional test (``scipy.stats.boschloo_exact``; its statistic is Fisher's
    one-sided p-value), recommended for small cells (any expected count below 5),
    reported with a Newcombe hybrid-score interval. ``alternative``:
    ``"two-sided"``, ``"larger"`` (p1 > p2) or ``"smaller"`` (p1 < p2); the interval
    is always two-sided at ``level``. Estimate and interval are on the 0-1 scale.
    """
    method = _check_choice(method, "method", ("score", "exact"))
    alternative = _check_choice(alternative, "alternative", _ALTERNATIVES_2)
    level = _check_level(level)
    c1, n1 = _check_count_nobs(count1, nobs1, "count1", "nobs1")
    c2, n2 = _check_count_nobs(count2, nobs2, "count2", "nobs2")
    d = c1 / n1 - c2 / n2
    expected_min = min(
        (c1 + c2) * n1 / (n1 + n2), (c1 + c2) * n2 / (n1 + n2),
        (n1 + n2 - c1 - c2) * n1 / (n1 + n2), (n1 + n2 - c1 - c2) * n2 / (n1 + n2),
    )
    extra: dict[str, Any] = {"p1": c1 / n1, "p2": c2 / n2, "min_expected_count": expected_min}
    if method == "score":
        z = _mn_statistic(c1, n1, c2, n2, 0.0)
        p = _p_from_z(z, alternative)
        low, high = _mn_limits(c1, n1, c2, n2, level)
        extra["interval_method"] = "Miettinen-Nurminen score"
        if expected_min < 5:
            extra["note"] = "an expected cell count is below 5: consider method='exact' (Boschloo)"
        return TestResult(
            "Miettinen-Nurminen score test for p1 - p2", "score", float(z), p, d, low, high, level,
            n1 + n2, "difference in proportions (0-1 scale)", alternative, extra,
        )
    table = np.array([[c1, c2], [n1 - c1, n2 - c2]])
    alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
    res = stats.boschloo_exact(table, alternative=alt, n=32)
    low, high = _newcombe_limits(c1, n1, c2, n2, level)
    extra["interval_method"] = "Newcombe hybrid score (method 10)"
    extra["note"] = "exact unconditional test for small cells; statistic = Fisher's one-sided p-value"
    return TestResult(
        "Boschloo exact unconditional test for p1 = p2", "exact", float(res.statistic), float(res.pvalue),
        d, low, high, level, n1 + n2, "difference in proportions (0-1 scale)", alternative, extra,
    )


# ----------------------------------------------------------------------------------
# Trend over ordered groups
# ----------------------------------------------------------------------------------


def trend_test(counts, nobs, scores=None, alternative: str = "two-sided", level: float = 0.95) -> TestResult:
    """Cochran-Armitage test for a linear trend in proportions over ordered groups.

    Textbook variance: z = sum x_i (s_i - s_bar) / sqrt(p_bar (1 - p_bar) sum n_i (s_i - s_bar)^2),
    with s_bar weighted by n_i (this is the score test of the slope in a binomial
    GLM; statsmodels' ``test_ordinal_association`` reports z * sqrt((N-1)/N)).
    ``alternative``: ``"two-sided"`` (default), ``"increasing"`` or ``"decreasing"``.

    The estimate is the least-squares slope b = sum n_i (p_i - p_bar)(s_i - s_bar) /
    sum n_i (s_i - s_bar)^2: the change in proportion (0-1 scale) per unit of score
    (per year when the scores are years). Its interval is the Cochran-Armitage
    Wald interval with the unrestricted variance sum n_i (s_i - s_bar)^2 p_i (1 - p_i)
    / S^2 (Fagerland, Lydersen & Laake 2017, section 5.7). Default scores 0..k-1.
    """
    alternative = _check_choice(alternative, "alternative", ("two-sided", "increasing", "decreasing"))
    level = _check_level(level)
    x = _as_int_array(counts, "counts")
    n = _as_int_array(nobs, "nobs")
    if x.shape != n.shape:
        raise StatisticsInputError(f"counts has {x.size} groups but nobs has {n.size}")
    if x.size < 2:
        raise StatisticsInputError("counts needs at least two groups for a trend test")
    zero = np.flatnonzero(n == 0)
    if zero.size:
        raise StatisticsInputError(f"nobs[{zero[0]}]=0: every group needs at least one observation")
    above = np.flatnonzero(x > n)
    if above.size:
        i = above[0]
        raise StatisticsInputError(f"counts[{i}]={x[i]} is above its base nobs[{i}]={n[i]}")
    if scores is None:
        s = np.arange(x.size, dtype=float)
    else:
        try:
            s = np.asarray(scores, dtype=float)
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(f"scores must be numbers ({exc})") from None
        if s.shape != x.shape:
            raise StatisticsInputError(f"scores has {s.size} values but counts has {x.size} groups")
        if not np.all(np.isfinite(s)):
            raise StatisticsInputError("scores contains missing or infinite values")
    big_n = float(n.sum())
    s_bar = float(np.sum(n * s) / big_n)
    ds = s - s_bar
    saa = float(np.sum(n * ds**2))
    if saa <= 0:
        raise StatisticsInputError("scores are all equal: a trend needs at least two distinct scores")
    p = x / n
    p_bar = float(x.sum() / big_n)
    u = float(np.sum(x * ds))
    slope = u / saa
    if p_bar in (0.0, 1.0):
        z, pval = 0.0, 1.0
        note = "no variation in the outcome (all counts 0 or all equal to nobs): z set to 0, p to 1"
    else:
        z = u / math.sqrt(p_bar * (1.0 - p_bar) * saa)
        pval = _p_from_z(z, alternative)
        note = None
    se = math.sqrt(float(np.sum(n * ds**2 * p * (1.0 - p)))) / saa
    zc = _z(level)
    extra: dict[str, Any] = {
        "interval_method": "Cochran-Armitage Wald interval (unrestricted variance)",
        "se_slope": se,
        "scores": s.tolist(),
        "proportions": p.tolist(),
        "z_conditional": z * math.sqrt((big_n - 1.0) / big_n),
    }
    if note:
        extra["note"] = note
    return TestResult(
        "Cochran-Armitage trend test (textbook variance)", "cochran-armitage", float(z), pval, slope,
        slope - zc * se, slope + zc * se, level, int(big_n),
        "difference in proportion (0-1 scale) per unit of score", alternative, extra,
    )


# ----------------------------------------------------------------------------------
# Difference of differences (two waves, two groups)
# ----------------------------------------------------------------------------------


def diff_in_diff_ci(
    count_a1, nobs_a1, count_b1, nobs_b1, count_a2, nobs_a2, count_b2, nobs_b2, level: float = 0.95
) -> Interval:
    """Interval for (p_a1 - p_b1) - (p_a2 - p_b2) from four independent samples.

    Newcombe (2001) MOVER / square-and-add: the distances from each proportion to
    its Wilson limits are combined, so the interval respects the 0-1 bounds and
    reduces to method 10 for a single difference. A typical use: group a vs b in
    wave 1 and in wave 2, so the estimate is minus the change in the gap.
    """
    level = _check_level(level)
    cells = [
        _check_count_nobs(count_a1, nobs_a1, "count_a1", "nobs_a1"),
        _check_count_nobs(count_b1, nobs_b1, "count_b1", "nobs_b1"),
        _check_count_nobs(count_a2, nobs_a2, "count_a2", "nobs_a2"),
        _check_count_nobs(count_b2, nobs_b2, "count_b2", "nobs_b2"),
    ]
    props = [c / n for c, n in cells]
    lims = [_wilson(c, n, level) for c, n in cells]
    signs = (1, -1, -1, 1)
    est = sum(sg * p for sg, p in zip(signs, props))
    low_sq = high_sq = 0.0
    for sg, p, (lo, hi) in zip(signs, props, lims):
        if sg > 0:
            low_sq += (p - lo) ** 2
            high_sq += (hi - p) ** 2
        else:
            low_sq += (hi - p) ** 2
            high_sq += (p - lo) ** 2
    total = sum(n for _, n in cells)
    return Interval(
        est, max(est - math.sqrt(low_sq), -2.0), min(est + math.sqrt(high_sq), 2.0),
        "Newcombe (2001) MOVER square-and-add of Wilson limits", level, total,
    )


# ----------------------------------------------------------------------------------
# Do two series diverge over waves?
# ----------------------------------------------------------------------------------


def _validate_gap_frame(frame, series, wave, count, nobs):
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise StatisticsInputError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    for arg, col in (("series", series), ("wave", wave), ("count", count), ("nobs", nobs)):
        if col not in frame.columns:
            raise StatisticsInputError(f"{arg}={col!r} is not a column of frame (columns: {list(frame.columns)})")
    if len(frame) == 0:
        raise StatisticsInputError("frame is empty")
    df = frame[[series, wave, count, nobs]].copy()
    if df[series].isna().any():
        raise StatisticsInputError(f"column {series!r} (series) has missing values")
    try:
        waves = df[wave].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise StatisticsInputError(f"column {wave!r} (wave) must be numeric, e.g. the year") from None
    if not np.all(np.isfinite(waves)):
        raise StatisticsInputError(f"column {wave!r} (wave) has missing or infinite values")
    x = _as_int_array(df[count].to_numpy(), f"column {count!r}")
    n = _as_int_array(df[nobs].to_numpy(), f"column {nobs!r}")
    for i in range(len(df)):
        if n[i] == 0:
            raise StatisticsInputError(f"column {nobs!r} is 0 in row {_fmt(df.index[i])}")
        if x[i] > n[i]:
            raise StatisticsInputError(
                f"column {count!r}={x[i]} is above its base {nobs!r}={n[i]} in row {_fmt(df.index[i])}"
            )
    if df.duplicated([series, wave]).any():
        dup = df.loc[df.duplicated([series, wave], keep=False), [series, wave]].iloc[0]
        raise StatisticsInputError(
            f"series {_fmt(dup[series])} has more than one row for wave {_fmt(dup[wave])}; aggregate first"
        )
    return df, waves, x, n


def _glm_fit(endog, exog, family, start_params=None):
    """Fit a binomial GLM; return (result, None) or (None, reason).

    statsmodels' PerfectSeparationWarning is ignored on purpose: with a
    two-column (successes, failures) endog it fires whenever the model reproduces
    the observed proportions, i.e. for every saturated model (two waves). Real
    separation is detected from the fit instead (fitted proportions within 1e-8 of
    0 or 1, non-finite estimates, no convergence).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import DomainWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", DomainWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = sm.GLM(endog, exog, family=family).fit(start_params=start_params, maxiter=200, tol=1e-12)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
            return None, f"the fit failed ({exc})"
    params = np.asarray(res.params, dtype=float)
    bse = np.asarray(res.bse, dtype=float)
    mu = np.asarray(res.mu, dtype=float)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(bse))):
        return None, "non-finite estimates or standard errors"
    if not np.all((mu > 1e-8) & (mu < 1 - 1e-8)):
        return None, (f"fitted proportions at or outside the bounds 0 and 1 (range {mu.min():.4g} to "
                      f"{mu.max():.4g}): separation or a boundary solution")
    if not getattr(res, "converged", True):
        return None, "IRLS did not converge"
    return res, None


def gap_trend_test(
    frame,
    *,
    series: str = "series",
    wave: str = "wave",
    count: str = "count",
    nobs: str = "nobs",
    focal=None,
    scale: str = "logit",
    level: float = 0.95,
    alternative: str = "two-sided",
) -> TestResult:
    """Do two series diverge over waves? Interaction test in a binomial GLM.

    Fits ``count + failures ~ C(series) * wave`` (wave numeric, e.g. the year,
    centred internally) to aggregate counts, with the logit link (``scale="logit"``:
    the estimate is the change per wave unit of the log odds ratio focal vs other;
    ``extra["odds_ratio_per_unit"]`` holds its exponent) or the identity link
    (``scale="identity"``: change per wave unit of the gap focal - other in
    proportions, 0-1 scale). The test is the Wald z test of the interaction; the
    likelihood-ratio test is in ``extra``. The same data can widen on one scale and
    narrow on the other, so state the scale with the claim.

    ``focal`` names the series whose gap is focal - other (default: the first in
    sorted order); exactly two series are required, each seen in at least two
    waves. ``alternative="larger"`` is the one-sided test that the gap focal - other
    grows with wave, ``"smaller"`` that it shrinks. With two waves the model is
    saturated and the interaction is the difference in differences on that scale
    divided by the distance between the waves. ``extra["gap_by_wave"]`` lists the
    per-wave gaps with Newcombe intervals. The binomial variance assumes
    independent respondents; ``extra["pearson_dispersion"]`` flags overdispersion.
    """
    scale = _check_choice(scale, "scale", ("logit", "identity"))
    alternative = _check_choice(alternative, "alternative", _ALTERNATIVES_2)
    level = _check_level(level)
    df, waves, x, n = _validate_gap_frame(frame, series, wave, count, nobs)
    labels = sorted(df[series].unique(), key=lambda v: (str(type(v)), v))
    if len(labels) != 2:
        raise StatisticsInputError(
            f"column {series!r} must name exactly two series, found {len(labels)}: {labels!r}"
        )
    if focal is None:
        focal = labels[0]
    elif focal not in labels:
        raise StatisticsInputError(f"focal={focal!r} is not one of the series {labels!r}")
    other = labels[1] if focal == labels[0] else labels[0]
    is_focal = (df[series] == focal).to_numpy()
    for lab, mask in ((focal, is_focal), (other, ~is_focal)):
        if np.unique(waves[mask]).size < 2:
            raise StatisticsInputError(
                f"series {lab!r} is observed in fewer than two waves; a change in the gap needs two"
            )
    import statsmodels.api as sm

    centre = float(np.mean(np.unique(waves)))
    wc = waves - centre
    g = is_focal.astype(float)
    exog = np.column_stack([np.ones_like(wc), g, wc, g * wc])
    endog = np.column_stack([x, n - x]).astype(float)
    if scale == "logit":
        for lab, mask in ((focal, is_focal), (other, ~is_focal)):
            if np.all(x[mask] == 0) or np.all(x[mask] == n[mask]):
                raise StatisticsInputError(
                    f"series {lab!r} has count 0 (or count = nobs) in every wave: the log odds ratio is "
                    "infinite and the logit-scale interaction is not estimable; use scale='identity' "
                    "or report gap_by_wave"
                )
        family = sm.families.Binomial()
        start = None
    else:
        family = sm.families.Binomial(link=sm.families.links.Identity())
        # Start from weighted least squares on the observed proportions.
        sw = np.sqrt(n.astype(float))
        start, *_ = np.linalg.lstsq(exog * sw[:, None], (x / n) * sw, rcond=None)
        mu0 = exog @ start
        if not np.all((mu0 > 0) & (mu0 < 1)):
            start = None
    res, problem = _glm_fit(endog, exog, family, start)
    if res is None:
        raise StatisticsInputError(
            f"the binomial GLM with scale={scale!r} could not be fitted to frame: {problem}. "
            + ("The identity link needs fitted proportions strictly inside (0, 1); "
               "use scale='logit', or diff_in_diff_ci for two waves." if scale == "identity" else
               "Check for series with (almost) all counts at 0 or at nobs.")
        )
    beta = float(res.params[3])
    se = float(res.bse[3])
    z = beta / se
    p = _p_from_z(z, alternative)
    zc = _z(level)
    low, high = beta - zc * se, beta + zc * se
    reduced, _ = _glm_fit(endog, exog[:, :3], family, None if start is None else start[:3])
    if reduced is not None:
        lr = max(0.0, 2.0 * float(res.llf - reduced.llf))
        lr_p = float(stats.chi2.sf(lr, 1))
    else:
        lr, lr_p = float("nan"), float("nan")
    gap_rows = []
    for w in np.unique(waves):
        fi = np.flatnonzero(is_focal & (waves == w))
        oi = np.flatnonzero(~is_focal & (waves == w))
        if fi.size == 0 or oi.size == 0:
            continue
        cf, nf, co, no = int(x[fi[0]]), int(n[fi[0]]), int(x[oi[0]]), int(n[oi[0]])
        lo_g, hi_g = _newcombe_limits(cf, nf, co, no, level)
        w_out = int(w) if float(w).is_integer() else float(w)
        gap_rows.append({
            "wave": w_out, "count_focal": cf, "nobs_focal": nf, "count_other": co, "nobs_other": no,
            "p_focal": cf / nf, "p_other": co / no, "gap": cf / nf - co / no, "low": lo_g, "high": hi_g,
            "interval_method": "Newcombe hybrid score (method 10)",
        })
    df_resid = float(res.df_resid)
    pearson = float(res.pearson_chi2)
    extra: dict[str, Any] = {
        "focal": focal,
        "other": other,
        "link": scale,
        "interval_method": "Wald",
        "wave_centre": centre,
        "lr_statistic": lr,
        "lr_p_value_two_sided": lr_p,
        "deviance": float(res.deviance),
        "pearson_chi2": pearson,
        "df_resid": df_resid,
        "pearson_dispersion": pearson / df_resid if df_resid > 0 else float("nan"),
        "gap_by_wave": gap_rows,
    }
    if scale == "logit":
        extra["odds_ratio_per_unit"] = math.exp(beta)
        extra["odds_ratio_per_unit_low"] = math.exp(low)
        extra["odds_ratio_per_unit_high"] = math.exp(high)
        unit = "log odds ratio (focal vs other) per wave unit"
        name = "Wald test of the series x wave interaction, binomial GLM (logit link)"
    else:
        unit = "difference in proportions (0-1 scale, focal - other) per wave unit"
        name = "Wald test of the series x wave interaction, binomial GLM (identity link)"
    return TestResult(name, scale, z, p, beta, low, high, level, int(n.sum()), unit, alternative, extra)


# ----------------------------------------------------------------------------------
# Poisson rate
# ----------------------------------------------------------------------------------


def rate_ci(events, exposure, per=1, method: str = "exact", level: float = 0.95) -> Interval:
    """Poisson rate ``events / exposure * per`` with the exact (Garwood) interval.

    Garwood (1936) limits from the chi-square quantiles: lower chi2(a/2, 2x)/2 (0 when
    x = 0), upper chi2(1 - a/2, 2x + 2)/2, both divided by ``exposure`` and scaled by
    ``per`` (e.g. 513 alerts over 269,370 computers per 500 computers). ``n`` in the
    result is the exposure (the units observed).
    """
    method = _check_choice(method, "method", ("exact",))
    level = _check_level(level)
    x = _as_int(events, "events")
    for name, value in (("exposure", exposure), ("per", per)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise StatisticsInputError(f"{name}={value!r} must be a finite positive number")
        if float(value) <= 0:
            raise StatisticsInputError(f"{name}={value!r} must be positive")
    exposure, per = float(exposure), float(per)
    alpha = 1.0 - level
    low = 0.0 if x == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * x)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * x + 2)) / 2.0
    scale = per / exposure
    n_out = int(exposure) if exposure.is_integer() else exposure
    return Interval(x * scale, low * scale, high * scale, "Garwood exact Poisson", level, n_out)


# ----------------------------------------------------------------------------------
# Multiple testing
# ----------------------------------------------------------------------------------


def adjust_pvalues(pvalues, method: str = "fdr_bh") -> np.ndarray:
    """Adjusted p-values for a family of tests.

    ``"fdr_bh"`` (Benjamini-Hochberg), ``"fdr_by"`` (Benjamini-Yekutieli, valid under
    any dependence) or ``"holm"`` (family-wise error). NaN p-values (claims not
    testable) pass through as NaN and are excluded from the family: the size of the
    family is the number of non-missing p-values.
    """
    method = _check_choice(method, "method", ("fdr_bh", "fdr_by", "holm"))
    p = _as_vector(pvalues, "pvalues")
    ok = ~np.isnan(p)
    bad = np.flatnonzero(ok & ((p < 0) | (p > 1)))
    if bad.size:
        raise StatisticsInputError(f"pvalues[{bad[0]}]={_fmt(p[bad[0]])} is outside [0, 1]")
    out = np.full(p.shape, np.nan)
    if ok.any():
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok], alpha=0.05, method=method)[1]
    return out


# ----------------------------------------------------------------------------------
# Band sensitivity (verbal figures and rounding)
# ----------------------------------------------------------------------------------


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
    ``worst`` (the result with the largest p-value, for a conservative claim) are
    None when the results carry no p-value (intervals).
    """

    results: list

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

    @property
    def worst(self):
        """The result with the largest p-value (None for results without p-values)."""
        scored = [(r, _maybe(r, "p_value")) for _, r in self.results]
        scored = [(r, p) for r, p in scored if p is not None and not math.isnan(p)]
        if not scored:
            return None
        return max(scored, key=lambda rp: rp[1])[0]

    def stable(self, alpha: float = 0.05) -> bool:
        """True when every band end gives a p-value on the same side of ``alpha``."""
        alpha = _check_level(alpha, "alpha")
        ps = [_maybe(r, "p_value") for _, r in self.results]
        if not ps or any(p is None or math.isnan(p) for p in ps):
            raise StatisticsInputError("stable() needs results that all carry a p_value")
        below = [p < alpha for p in ps]
        return all(below) or not any(below)


def across_band(fn: Callable[..., Any], **kwargs) -> BandResult:
    """Call ``fn`` at every combination of band ends (2^m calls for m bands).

    Any keyword argument may be a :class:`Band`; the others are passed unchanged.
    The ends are used as given (pass integer ends for counts, e.g. from
    :func:`count_band`). Example: ``across_band(compare_proportions,
    count1=count_band(18, 22, 450), nobs1=450, count2=48, nobs2=435)``.
    """
    if not callable(fn):
        raise StatisticsInputError(f"fn={fn!r} is not callable")
    names = [k for k, v in kwargs.items() if isinstance(v, Band)]
    grids = [kwargs[k].ends() for k in names]
    results = []
    for combo in itertools.product(*grids):
        call = dict(kwargs)
        call.update(zip(names, combo))
        results.append((call, fn(**call)))
    return BandResult(results)


def count_band(percent_low, percent_high, base_n) -> Band:
    """Integer counts consistent with a percentage band on a base of ``base_n``.

    Returns Band(ceil(low * N / 100), floor(high * N / 100)), computed in exact
    decimal arithmetic (16.1 % is 161/1000, not a binary float) and clipped to
    [0, N]. For rounding, pass (p - 0.5, p + 0.5) for a percentage printed to whole
    percent. Guard: when no integer lies in the band (a narrow band on a small base),
    both ends are the integer nearest to the band's midpoint (halves round up).
    """
    n = _as_int(base_n, "base_n")
    if n == 0:
        raise StatisticsInputError("base_n=0: a count band needs a positive base")
    vals = []
    for name, v in (("percent_low", percent_low), ("percent_high", percent_high)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
            raise StatisticsInputError(f"{name}={v!r} must be a finite number")
        vals.append(Fraction(str(v)) if not isinstance(v, numbers.Integral) else Fraction(int(v)))
    lo_p, hi_p = vals
    if lo_p > hi_p:
        raise StatisticsInputError(f"percent_low={percent_low!r} is above percent_high={percent_high!r}")
    if hi_p < 0 or lo_p > 100:
        raise StatisticsInputError(f"the band [{percent_low}, {percent_high}] % lies outside 0-100 %")
    lo = max(0, math.ceil(lo_p * n / 100))
    hi = min(n, math.floor(hi_p * n / 100))
    if lo > hi:
        mid = (lo_p + hi_p) / 2 * n / 100
        k = min(n, max(0, math.floor(mid + Fraction(1, 2))))
        return Band(k, k)
    return Band(lo, hi)


# ----------------------------------------------------------------------------------
# One proportion against a fixed value, and two answers of the same respondents
# ----------------------------------------------------------------------------------


def one_proportion_test(count, nobs, null, method: str = "exact", alternative: str = "two-sided",
                        level: float = 0.95) -> TestResult:
    """Test p = ``null`` for one proportion (e.g. "most officers": null 0.5).

    ``method="exact"``: exact binomial test (``scipy.stats.binomtest``; two-sided p by
    the minimum-likelihood method) with the Clopper-Pearson interval. ``method="score"``:
    the Wilson score test (z with the null variance) with the Wilson interval, which
    excludes ``null`` exactly when the two-sided test rejects. ``alternative``:
    ``"two-sided"``, ``"larger"`` (p > null) or ``"smaller"``. The estimate is p on the
    0-1 scale.
    """
    method = _check_choice(method, "method", ("exact", "score"))
    alternative = _check_choice(alternative, "alternative", _ALTERNATIVES_2)
    level = _check_level(level)
    c, n = _check_count_nobs(count, nobs, "count", "nobs")
    if n == 0:
        raise StatisticsInputError("nobs=0: a proportion needs at least one observation")
    if isinstance(null, bool) or not isinstance(null, numbers.Real) or not 0 < float(null) < 1:
        raise StatisticsInputError(f"null={null!r} must lie strictly between 0 and 1")
    null = float(null)
    if method == "exact":
        alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
        res = stats.binomtest(c, n, null, alternative=alt)
        ci = proportion_ci(c, n, method="exact", level=level)
        return TestResult("exact binomial test of p = p0", "exact", float(c), float(res.pvalue), c / n, ci.low,
                          ci.high, level, n, "proportion (0-1 scale)", alternative, {"null": null})
    z = (c / n - null) / math.sqrt(null * (1 - null) / n)
    ci = proportion_ci(c, n, method="wilson", level=level)
    return TestResult("Wilson score test of p = p0", "score", z, _p_from_z(z, alternative), c / n, ci.low,
                      ci.high, level, n, "proportion (0-1 scale)", alternative, {"null": null})


def frechet_overlap(count1, count2, nobs) -> tuple[int, int]:
    """The fewest and most respondents who can have said yes to both of two items.

    With only the two margins published, the overlap lies in
    [max(0, count1 + count2 - nobs), min(count1, count2)] (the Frechet bounds).
    """
    c1, n = _check_count_nobs(count1, nobs, "count1", "nobs")
    c2, _ = _check_count_nobs(count2, nobs, "count2", "nobs")
    return max(0, c1 + c2 - n), min(c1, c2)


def paired_compare(count1, count2, nobs, overlap, level: float = 0.95) -> TestResult:
    """p1 - p2 for two yes/no items answered by the same ``nobs`` respondents.

    ``overlap`` is the number who said yes to both (unknown from aggregates: pass the two
    Frechet bounds through :func:`across_band` with ``Band(*frechet_overlap(...))``).
    Test: exact McNemar (binomial test of the discordant pairs, mid-p not used).
    Interval: Newcombe's (1998) hybrid score interval for paired proportions (method 10),
    with his corrected phi: AD - BC is reduced by N/2 when above N/2, set to 0 when between
    0 and N/2, kept when negative (phi = 0 when a margin is empty).
    """
    level = _check_level(level)
    c1, n = _check_count_nobs(count1, nobs, "count1", "nobs")
    c2, _ = _check_count_nobs(count2, nobs, "count2", "nobs")
    a = _as_int(overlap, "overlap")
    low_a, high_a = frechet_overlap(c1, c2, n)
    if not low_a <= a <= high_a:
        raise StatisticsInputError(f"overlap={a} is impossible: it must lie in [{low_a}, {high_a}] for these margins")
    b, c, d = c1 - a, c2 - a, n - c1 - c2 + a
    discordant = b + c
    p = 1.0 if discordant == 0 else float(stats.binomtest(b, discordant, 0.5).pvalue)
    p1, p2 = c1 / n, c2 / n
    l1, u1 = _wilson(c1, n, level)
    l2, u2 = _wilson(c2, n, level)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = 0.0 if denominator == 0 else corrected / math.sqrt(denominator)
    diff = p1 - p2
    low = diff - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = diff + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return TestResult("exact McNemar test for paired p1 - p2", "mcnemar_exact", float(b), p, diff,
                      max(-1.0, low), min(1.0, high), level, n, "difference in proportions (0-1 scale)",
                      "two-sided", {"both": a, "only_first": b, "only_second": c, "neither": d, "phi": phi})


__all__ += ["one_proportion_test", "frechet_overlap", "paired_compare"]


# ----------------------------------------------------------------------------------
# Two groups of respondents diverging over waves, from respondent-level answers
# ----------------------------------------------------------------------------------


def _respondent_frame(items, groups, waves, name: str = "items"):
    import pandas as pd

    if not isinstance(items, pd.DataFrame) or items.shape[1] == 0 or items.shape[0] == 0:
        raise StatisticsInputError(f"{name} must be a non-empty DataFrame of 0/1 columns")
    values = items.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(values) & (values != 0) & (values != 1)
    if bad.any():
        column = items.columns[np.where(bad.any(axis=0))[0][0]]
        raise StatisticsInputError(f"column {column!r} of {name} is not 0/1")
    groups, waves = np.asarray(groups), np.asarray(waves, dtype=float)
    if len(groups) != len(items) or len(waves) != len(items):
        raise StatisticsInputError(f"groups ({len(groups)}) and waves ({len(waves)}) must have one entry per row of {name} ({len(items)})")
    return pd.DataFrame({"group": groups, "wave": waves, "endorsed": np.nansum(values, axis=1),
                         "answered": (~np.isnan(values)).sum(axis=1)})


def item_rate_by_group_and_wave(items, groups, waves, level: float = 0.95):
    """Mean share of ``items`` endorsed per respondent, by group and wave, with a respondent-level interval.

    The respondent is the unit (items of one respondent are correlated), so the interval is
    the normal interval of the mean of respondents' own shares (t quantile, n − 1 df).
    """
    level = _check_level(level)
    frame = _respondent_frame(items, groups, waves)
    frame = frame[frame["answered"] > 0].assign(rate=lambda f: f["endorsed"] / f["answered"])
    summary = frame.groupby(["group", "wave"], sort=True)["rate"].agg(["count", "mean", "std"]).reset_index()
    t = stats.t.ppf(0.5 + level / 2, np.maximum(summary["count"] - 1, 1))
    half = t * summary["std"].fillna(0) / np.sqrt(summary["count"])
    return summary.assign(low=(summary["mean"] - half).clip(0, 1), high=(summary["mean"] + half).clip(0, 1)).rename(
        columns={"group": "series", "count": "n", "mean": "estimate"})[["series", "wave", "n", "estimate", "low", "high"]]


def respondent_gap_trend_test(items, groups, waves, *, focal, scale: str = "logit", level: float = 0.95,
                              alternative: str = "two-sided") -> TestResult:
    """Does the gap between two groups on a set of binary items change over waves? (respondent-level)

    Binomial GLM of each respondent's endorsed items out of answered items (``items`` rows are
    respondents) on group × wave (wave centred), with heteroscedasticity-robust (HC1) standard
    errors: each row is one respondent, so this is the cluster-robust sandwich for items nested
    in respondents and does not treat one person's answers as independent. ``scale="logit"``:
    the estimate is the change per wave unit of the log odds ratio focal vs other;
    ``"identity"``: the change per wave unit of the gap in proportions (0-1 scale).
    ``alternative="larger"`` tests that the gap focal − other grows.
    """
    import statsmodels.api as sm

    scale = _check_choice(scale, "scale", ("logit", "identity"))
    alternative = _check_choice(alternative, "alternative", _ALTERNATIVES_2)
    level = _check_level(level)
    frame = _respondent_frame(items, groups, waves)
    frame = frame[frame["answered"] > 0]
    labels = list(dict.fromkeys(sorted(frame["group"].unique(), key=str)))
    if len(labels) != 2:
        raise StatisticsInputError(f"groups must hold exactly two groups, found {len(labels)}: {labels}")
    if focal not in labels:
        raise StatisticsInputError(f"focal={focal!r} is not one of the groups {labels}")
    if frame["wave"].nunique() < 2:
        raise StatisticsInputError("waves must hold at least two distinct waves")
    centre = float(frame["wave"].mean())
    is_focal = (frame["group"] == focal).to_numpy(dtype=float)
    wave_c = frame["wave"].to_numpy() - centre
    exog = np.column_stack([np.ones(len(frame)), is_focal, wave_c, is_focal * wave_c])
    endog = np.column_stack([frame["endorsed"], frame["answered"] - frame["endorsed"]])
    link = sm.families.links.Logit() if scale == "logit" else sm.families.links.Identity()
    model = sm.GLM(endog, exog, family=sm.families.Binomial(link=link))
    start = None
    if scale == "identity":
        start = np.linalg.lstsq(exog, frame["endorsed"] / frame["answered"], rcond=None)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = model.fit(start_params=start, cov_type="HC1", maxiter=200)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            raise StatisticsInputError(f"the {scale}-scale model could not be fitted ({exc}); try scale='logit'") from None
    estimate, se = float(fit.params[3]), float(fit.bse[3])
    if not math.isfinite(se) or se <= 0:
        raise StatisticsInputError("the interaction is not estimable (a group or wave has no variation)")
    z = estimate / se
    half = _z(level) * se
    unit = "log odds ratio per wave unit" if scale == "logit" else "difference in proportions (0-1 scale) per wave unit"
    extra = {"focal": focal, "other": [g for g in labels if g != focal][0], "wave_centre": centre,
             "cov_type": "HC1 (respondent-level sandwich)", "respondents": int(len(frame))}
    if scale == "logit":
        extra["odds_ratio_per_unit"] = math.exp(estimate)
    return TestResult(f"binomial GLM group x wave interaction ({scale} link, respondent-robust Wald z)",
                      f"respondent_glm_{scale}", z, _p_from_z(z, alternative), estimate, estimate - half,
                      estimate + half, level, int(len(frame)), unit, alternative, extra)


__all__ += ["item_rate_by_group_and_wave", "respondent_gap_trend_test"]
