"""A Poisson rate per unit of exposure (e.g. alerts per 500 work computers)."""

from __future__ import annotations

import math
import numbers

from scipy import stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    as_int,
    check_choice,
    check_level,
)
from helpers.stats.results import Interval


def rate_ci(events, exposure, per=1, method: str = "exact", level: float = 0.95) -> Interval:
    """Poisson rate ``events / exposure * per`` with the exact (Garwood) interval.

    Garwood (1936) limits from the chi-square quantiles: lower chi2(a/2, 2x)/2 (0 when
    x = 0), upper chi2(1 - a/2, 2x + 2)/2, both divided by ``exposure`` and scaled by
    ``per`` (e.g. 513 alerts over 269,370 computers per 500 computers). ``n`` in the
    result is the exposure (the units observed).
    """
    method = check_choice(method, "method", ("exact",))
    level = check_level(level)
    x = as_int(events, "events")
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
