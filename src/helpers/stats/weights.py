"""Weights for a convenience sample: post-stratification and the Kish effective sample size.

The NetClean surveys are self-selected; weighting can only correct the
composition on the variables weighted on (e.g. region), never self-selection
within them. Use these helpers for sensitivity grids over plausible targets.

Targets are given per level either as population totals or as shares
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

from helpers.errors import StatisticsInputError
from helpers.stats.checks import as_finite_vector, fmt

__all__ = ["poststratify", "kish_effective_n"]

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


