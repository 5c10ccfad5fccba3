"""Trends over ordered waves: the Cochran-Armitage test and its interval.

Reference: Fagerland MW, Lydersen S, Laake P (2017) Statistical Analysis of Contingency
Tables, ch. 5 (Cochran-Armitage test and interval).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    as_int_array,
    check_choice,
    check_level,
    p_from_z,
    z_quantile,
)
from helpers.stats.results import TestResult


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
    alternative = check_choice(alternative, "alternative", ("two-sided", "increasing", "decreasing"))
    level = check_level(level)
    x = as_int_array(counts, "counts")
    n = as_int_array(nobs, "nobs")
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
        pval = p_from_z(z, alternative)
        note = None
    se = math.sqrt(float(np.sum(n * ds**2 * p * (1.0 - p)))) / saa
    zc = z_quantile(level)
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


# ----------------------------------------------------------------------------------
# Do two series diverge over waves?
# ----------------------------------------------------------------------------------


