"""One proportion, two independent proportions, and two answers of the same respondents.

Proportions and differences of proportions are on the 0-1 scale (0.05 is five percentage
points). Intervals are two-sided at ``level`` even when a test is one-sided. statsmodels is
always called with ``method=``.

References: Newcombe RG (1998a) Two-sided confidence intervals for the single proportion.
Stat Med 17:857-872. Newcombe RG (1998b) Interval estimation for the difference between
independent proportions: comparison of eleven methods. Stat Med 17:873-890. Miettinen O,
Nurminen M (1985) Comparative analysis of two rates. Stat Med 4:213-226.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy import optimize, stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    ALTERNATIVES,
    as_int,
    check_choice,
    check_count_nobs,
    check_level,
    p_from_z,
    z_quantile,
)
from helpers.stats.results import Interval, TestResult

_PROPORTION_METHODS = ("wilson", "exact", "jeffreys")


def wilson_limits(count: int, nobs: int, level: float) -> tuple[float, float]:
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
    method = check_choice(method, "method", _PROPORTION_METHODS)
    level = check_level(level)
    count, nobs = check_count_nobs(count, nobs, "count", "nobs")
    from statsmodels.stats.proportion import proportion_confint

    alpha = 1.0 - level
    if method == "wilson":
        low, high = wilson_limits(count, nobs, level)
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


def newcombe_limits(c1: int, n1: int, c2: int, n2: int, level: float) -> tuple[float, float]:
    """Newcombe (1998b) method 10: square-and-add of the Wilson limits."""
    p1, p2 = c1 / n1, c2 / n2
    l1, u1 = wilson_limits(c1, n1, level)
    l2, u2 = wilson_limits(c2, n2, level)
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


def mn_statistic(c1: int, n1: int, c2: int, n2: int, delta: float) -> float:
    """Miettinen-Nurminen score statistic for H0: p1 - p2 = delta (the score interval is where it lies within +-z)."""
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
    z = z_quantile(level)
    d = c1 / n1 - c2 / n2
    eps = 1e-12

    def lower_fn(delta: float) -> float:
        return mn_statistic(c1, n1, c2, n2, delta) - z

    def upper_fn(delta: float) -> float:
        return mn_statistic(c1, n1, c2, n2, delta) + z

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
    method = check_choice(method, "method", ("score", "exact"))
    alternative = check_choice(alternative, "alternative", ALTERNATIVES)
    level = check_level(level)
    c1, n1 = check_count_nobs(count1, nobs1, "count1", "nobs1")
    c2, n2 = check_count_nobs(count2, nobs2, "count2", "nobs2")
    d = c1 / n1 - c2 / n2
    expected_min = min(
        (c1 + c2) * n1 / (n1 + n2), (c1 + c2) * n2 / (n1 + n2),
        (n1 + n2 - c1 - c2) * n1 / (n1 + n2), (n1 + n2 - c1 - c2) * n2 / (n1 + n2),
    )
    extra: dict[str, Any] = {"p1": c1 / n1, "p2": c2 / n2, "min_expected_count": expected_min}
    if method == "score":
        z = mn_statistic(c1, n1, c2, n2, 0.0)
        p = p_from_z(z, alternative)
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
    low, high = newcombe_limits(c1, n1, c2, n2, level)
    extra["interval_method"] = "Newcombe hybrid score (method 10)"
    extra["note"] = "exact unconditional test for small cells; statistic = Fisher's one-sided p-value"
    return TestResult(
        "Boschloo exact unconditional test for p1 = p2", "exact", float(res.statistic), float(res.pvalue),
        d, low, high, level, n1 + n2, "difference in proportions (0-1 scale)", alternative, extra,
    )



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
    method = check_choice(method, "method", ("exact", "score"))
    alternative = check_choice(alternative, "alternative", ALTERNATIVES)
    level = check_level(level)
    c, n = check_count_nobs(count, nobs, "count", "nobs")
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
    return TestResult("Wilson score test of p = p0", "score", z, p_from_z(z, alternative), c / n, ci.low,
                      ci.high, level, n, "proportion (0-1 scale)", alternative, {"null": null})


def frechet_overlap(count1, count2, nobs) -> tuple[int, int]:
    """The fewest and most respondents who can have said yes to both of two items.

    With only the two margins published, the overlap lies in
    [max(0, count1 + count2 - nobs), min(count1, count2)] (the Frechet bounds).
    """
    c1, n = check_count_nobs(count1, nobs, "count1", "nobs")
    c2, _ = check_count_nobs(count2, nobs, "count2", "nobs")
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
    level = check_level(level)
    c1, n = check_count_nobs(count1, nobs, "count1", "nobs")
    c2, _ = check_count_nobs(count2, nobs, "count2", "nobs")
    a = as_int(overlap, "overlap")
    low_a, high_a = frechet_overlap(c1, c2, n)
    if not low_a <= a <= high_a:
        raise StatisticsInputError(f"overlap={a} is impossible: it must lie in [{low_a}, {high_a}] for these margins")
    b, c, d = c1 - a, c2 - a, n - c1 - c2 + a
    discordant = b + c
    p = 1.0 if discordant == 0 else float(stats.binomtest(b, discordant, 0.5).pvalue)
    p1, p2 = c1 / n, c2 / n
    l1, u1 = wilson_limits(c1, n, level)
    l2, u2 = wilson_limits(c2, n, level)
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
