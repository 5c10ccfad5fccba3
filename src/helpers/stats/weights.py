"""Weights for a convenience sample: post-stratification, raking, Kish n, weighted CIs.

The NetClean surveys are self-selected; weighting can only correct the
composition on the variables weighted on (e.g. region), never self-selection
within them. Use these helpers for sensitivity grids over plausible targets.

Targets and margins are given per level either as population totals or as shares
(non-negative numbers that sum to 1, within 1e-9). Shares are scaled to the number
of rows, so share-based weights sum to n; totals make the weights sum to the total.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import as_finite_vector, as_vector, check_choice, check_level, fmt
from helpers.stats.results import Interval

__all__ = ["poststratify", "rake", "kish_effective_n", "weighted_proportion_ci"]

_SHARE_TOL = 1e-9


def _check_frame(frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise StatisticsInputError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise StatisticsInputError("frame is empty")
    return frame


def _target_totals(targets: Any, name: str, n_rows: int) -> dict:
    """Validate a {level: total or share} mapping and return totals."""
    if not isinstance(targets, Mapping) or len(targets) == 0:
        raise StatisticsInputError(f"{name} must be a non-empty mapping {{level: total or share}}")
    values = {}
    for level, value in targets.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise StatisticsInputError(f"{name}[{level!r}]={value!r} must be a finite number")
        if float(value) < 0:
            raise StatisticsInputError(f"{name}[{level!r}]={value!r} is negative")
        values[level] = float(value)
    total = sum(values.values())
    if total <= 0:
        raise StatisticsInputError(f"{name} sums to 0: nothing to weight to")
    if abs(total - 1.0) <= _SHARE_TOL and all(v <= 1.0 for v in values.values()):
        return {k: v * n_rows for k, v in values.items()}
    return values


def _codes(frame: pd.DataFrame, column: Any, totals: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``column`` against the target levels, with both-way checks."""
    if column not in frame.columns:
        raise StatisticsInputError(f"{name}={column!r} is not a column of frame (columns: {list(frame.columns)})")
    col = frame[column]
    if col.isna().any():
        raise StatisticsInputError(f"column {column!r} has missing values; give them a level or drop the rows")
    levels = list(totals)
    index = pd.Index(levels)
    codes = index.get_indexer(col)
    if (codes < 0).any():
        missing = pd.unique(col[codes < 0])
        raise StatisticsInputError(
            f"level {fmt(missing[0])} of column {column!r} is in the data but missing from the targets"
        )
    counts = np.bincount(codes, minlength=len(levels))
    empty = [lev for lev, c in zip(levels, counts, strict=True) if c == 0]
    if empty:
        raise StatisticsInputError(f"target level {fmt(empty[0])} of column {column!r} has no respondents")
    return codes, np.array([totals[lev] for lev in levels], dtype=float)


def poststratify(frame, by, targets) -> pd.Series:
    """Post-stratification weights: w_i = target_h / n_h for the cell h of row i.

    ``targets`` maps each level of column ``by`` to a population total or a share
    (shares summing to 1 give weights summing to n; totals give weights summing to
    the total). A level in the data but not in ``targets``, or a target level with
    no respondents, raises StatisticsInputError naming it.
    """
    frame = _check_frame(frame)
    totals = _target_totals(targets, "targets", len(frame))
    codes, target = _codes(frame, by, totals, "by")
    counts = np.bincount(codes, minlength=target.size).astype(float)
    w = (target / counts)[codes]
    return pd.Series(w, index=frame.index, name="weight")


def rake(frame, margins, max_iter: int = 100, tol: float = 1e-8) -> pd.Series:
    """Raking (iterative proportional fitting) of unit weights to several margins.

    ``margins`` is {column: {level: total or share}}. Each iteration scales the
    weights to every margin in turn (vectorised with bincount, so a million rows
    take well under a second per iteration). Convergence: the largest relative
    discrepancy |weighted total - target| / target over all margin cells is below
    ``tol``. Non-convergence raises StatisticsInputError with the achieved
    discrepancy (usually inconsistent margins or empty combinations of levels).
    All margins must imply the same grand total.
    """
    frame = _check_frame(frame)
    if not isinstance(margins, Mapping) or len(margins) == 0:
        raise StatisticsInputError("margins must be a non-empty mapping {column: {level: total or share}}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise StatisticsInputError(f"max_iter={max_iter!r} must be a positive integer")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (0 < float(tol) < 1):
        raise StatisticsInputError(f"tol={tol!r} must be a number in (0, 1)")
    n = len(frame)
    prepared = []
    grand = None
    for column, targets in margins.items():
        totals = _target_totals(targets, f"margins[{column!r}]", n)
        codes, target = _codes(frame, column, totals, "margins")
        s = float(target.sum())
        if grand is None:
            grand = s
        elif abs(s - grand) > 1e-9 * max(grand, 1.0):
            raise StatisticsInputError(
                f"margins[{column!r}] sums to {s:g} but the first margin sums to {grand:g}: "
                "raking needs margins with the same total"
            )
        prepared.append((column, codes, target))
    w = np.ones(n, dtype=float)

    def discrepancy() -> float:
        worst = 0.0
        for _, codes, target in prepared:
            got = np.bincount(codes, weights=w, minlength=target.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(target > 0, np.abs(got - target) / target, np.abs(got))
            worst = max(worst, float(rel.max()))
        return worst

    for _ in range(int(max_iter)):
        for _, codes, target in prepared:
            got = np.bincount(codes, weights=w, minlength=target.size)
            factor = np.divide(target, got, out=np.zeros_like(target), where=got > 0)
            w *= factor[codes]
        if discrepancy() < tol:
            return pd.Series(w, index=frame.index, name="weight")
    raise StatisticsInputError(
        f"raking did not converge in max_iter={max_iter} iterations: the largest relative "
        f"discrepancy from a margin is {discrepancy():.3g} (tol={tol:g}); check that the margins "
        "are consistent and that no needed combination of levels is empty"
    )


def _check_weights(weights: Any, name: str = "weights", positive: bool = False) -> np.ndarray:
    w = as_finite_vector(weights, name)
    if positive and np.any(w <= 0):
        i = int(np.flatnonzero(w <= 0)[0])
        raise StatisticsInputError(f"{name}[{i}]={fmt(w[i])} is not positive")
    if np.any(w < 0):
        i = int(np.flatnonzero(w < 0)[0])
        raise StatisticsInputError(f"{name}[{i}]={fmt(w[i])} is negative")
    if w.sum() <= 0:
        raise StatisticsInputError(f"{name} sum to 0")
    return w


def kish_effective_n(weights) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 (n for equal weights)."""
    w = _check_weights(weights)
    return float(w.sum() ** 2 / np.sum(w**2))


def weighted_proportion_ci(values, weights, method: str = "logit", level: float = 0.95) -> Interval:
    """Weighted share of independent respondents with unequal weights, with its CI.

    Reproduces R's ``svyciprop(~y, svydesign(ids=~1, weights=~w, data), method=...)``:
    p = sum w y / sum w with the with-replacement linearisation variance
    var = n/(n-1) sum w_i^2 (y_i - p)^2 / (sum w)^2 (R's svymean for ids=~1).

    * ``"logit"``: Wald interval on the logit scale with a t quantile on n - 1
      degrees of freedom, expit(logit p +- t * se / (p (1 - p))).
    * ``"beta"``: Korn-Graubard: n_eff = p (1 - p) / var, then
      (qbeta(a/2, n_eff p, n_eff (1 - p) + 1), qbeta(1 - a/2, n_eff p + 1, n_eff (1 - p)))
      (for ids=~1 R's degrees-of-freedom factor is 1).

    When p is 0 or 1 the variance is 0 and both R methods degenerate; here the
    Korn-Graubard limits are used with n_eff = Kish's effective n instead (a
    documented deviation from R). ``n`` is the number of respondents and
    ``n_effective`` the design-based effective n = p (1 - p) / var.
    """
    method = check_choice(method, "method", ("logit", "beta"))
    level = check_level(level)
    y = as_vector(values, "values")
    if np.isnan(y).any():
        raise StatisticsInputError("values contains missing values; drop them (and their weights) first")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise StatisticsInputError(f"values[{bad[0]}]={fmt(y[bad[0]])} is not 0 or 1")
    w = _check_weights(weights, positive=True)
    if w.size != y.size:
        raise StatisticsInputError(f"weights has {w.size} entries but values has {y.size}")
    n = y.size
    if n < 2:
        raise StatisticsInputError("values needs at least two respondents for a design-based variance")
    sw = w.sum()
    p = float(np.sum(w * y) / sw)
    var = float(n / (n - 1) * np.sum(w**2 * (y - p) ** 2) / sw**2)
    alpha = 1.0 - level
    name = {"logit": "survey logit (t, n-1 df)", "beta": "survey Korn-Graubard beta"}[method]
    if p <= 0.0 or p >= 1.0 or var <= 0.0:
        n_eff = float(sw**2 / np.sum(w**2))
        if p <= 0.0:
            low, high = 0.0, float(stats.beta.ppf(1 - alpha / 2, 1.0, n_eff))
        else:
            low, high = float(stats.beta.ppf(alpha / 2, n_eff, 1.0)), 1.0
        return Interval(p, low, high, name + " (boundary: Kish n_eff)", level, n, n_eff)
    n_eff = p * (1.0 - p) / var
    if method == "logit":
        t = float(stats.t.ppf(1 - alpha / 2, n - 1))
        eta = math.log(p / (1 - p))
        half = t * math.sqrt(var) / (p * (1 - p))
        low = 1.0 / (1.0 + math.exp(-(eta - half)))
        high = 1.0 / (1.0 + math.exp(-(eta + half)))
    else:
        low = float(stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
        high = float(stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    return Interval(p, low, high, name, level, n, n_eff)
