"""Adjusted p-values for a family of claims."""

from __future__ import annotations

import numpy as np

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    as_vector,
    check_choice,
    fmt,
)


def adjust_pvalues(pvalues, method: str = "fdr_bh") -> np.ndarray:
    """Adjusted p-values for a family of tests.

    ``"fdr_bh"`` (Benjamini-Hochberg), ``"fdr_by"`` (Benjamini-Yekutieli, valid under
    any dependence) or ``"holm"`` (family-wise error). NaN p-values (claims not
    testable) pass through as NaN and are excluded from the family: the size of the
    family is the number of non-missing p-values.
    """
    method = check_choice(method, "method", ("fdr_bh", "fdr_by", "holm"))
    p = as_vector(pvalues, "pvalues")
    ok = ~np.isnan(p)
    bad = np.flatnonzero(ok & ((p < 0) | (p > 1)))
    if bad.size:
        raise StatisticsInputError(f"pvalues[{bad[0]}]={fmt(p[bad[0]])} is outside [0, 1]")
    out = np.full(p.shape, np.nan)
    if ok.any():
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok], alpha=0.05, method=method)[1]
    return out
