"""Input checks shared by the statistics modules: each names the argument at fault.

Bad input (a count above its base, a negative or non-integer count, a level outside (0, 1),
an unknown method, empty or mismatched series) raises
:class:`helpers.errors.StatisticsInputError` naming the argument.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy import special  # not scipy.stats: its import costs 0.7 s, and input checks come first

from helpers.errors import StatisticsInputError

#: The alternatives of a test on one signed estimate.
ALTERNATIVES = ("two-sided", "larger", "smaller")



def check_level(level: Any, name: str = "level") -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise StatisticsInputError(f"{name}={level!r} must be a number strictly between 0 and 1")
    level = float(level)
    if not (0.0 < level < 1.0):
        raise StatisticsInputError(f"{name}={level!r} is outside (0, 1); pass e.g. 0.95 for a 95 % interval")
    return level


def check_int(value: Any, name: str, minimum: int) -> int:
    """An integer argument (not a boolean) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise StatisticsInputError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise StatisticsInputError(f"{name}={value!r} is not one of {options}")
    return value


def as_int(value: Any, name: str) -> int:
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


def check_count_nobs(count: Any, nobs: Any, cname: str, nname: str) -> tuple[int, int]:
    c = as_int(count, cname)
    n = as_int(nobs, nname)
    if n == 0:
        raise StatisticsInputError(f"{nname}=0: a proportion needs at least one observation")
    if c > n:
        raise StatisticsInputError(f"{cname}={c} is above its base {nname}={n}")
    return c, n


def fmt(value: Any) -> str:
    """A plain repr for messages (no ``np.float64(...)`` wrappers)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def as_vector(values: Any, name: str) -> np.ndarray:
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


def as_finite_vector(values: Any, name: str) -> np.ndarray:
    """A non-empty one-dimensional float array without missing or infinite values, or an error naming ``name``."""
    arr = as_vector(values, name)
    if not np.all(np.isfinite(arr)):
        raise StatisticsInputError(f"{name} contains missing or infinite values")
    return arr


def as_int_array(values: Any, name: str) -> np.ndarray:
    arr = as_finite_vector(values, name)
    bad = np.flatnonzero(arr != np.round(arr))
    if bad.size:
        raise StatisticsInputError(f"{name}[{bad[0]}]={fmt(arr[bad[0]])} is not an integer count")
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        raise StatisticsInputError(f"{name}[{bad[0]}]={fmt(arr[bad[0]])} is negative")
    return arr.astype(np.int64)


def z_quantile(level: float) -> float:
    """The standard normal quantile of a two-sided interval at ``level`` (scipy.stats.norm.ppf's own routine)."""
    return float(special.ndtri(0.5 + level / 2.0))


def p_from_z(z: float, alternative: str) -> float:
    """The normal p-value of ``z`` (Phi and its upper tail, as scipy.stats.norm computes them)."""
    if alternative == "two-sided":
        return float(2.0 * special.ndtr(-abs(z)))
    if alternative in ("larger", "increasing"):
        return float(special.ndtr(-z))
    return float(special.ndtr(z))
