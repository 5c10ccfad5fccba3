"""Discrete groups: a K-class binary latent class model fitted on response patterns.

Runs the batched pattern EM of :mod:`helpers.stats.latent.engine` (random starts, a short
burn-in for every start, the best ones iterated to convergence). Missing
answers are marginalised (full-information likelihood), as there. Class shares are
MODEL-BASED (the fitted mixing proportions), not shares of modal assignments, which
are biased low for a small class when entropy is modest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int
from helpers.stats.latent.engine import (
    class_posterior,
    fit_classes,
    simulate_classes,
    validate_items,
    validate_weights,
    weighted_patterns,
)

__all__ = ["ClassModelResult", "fit_class_model"]


@dataclass(frozen=True, eq=False)
class ClassModelResult:
    """A fitted K-class latent class model (classes ordered by share, largest first).

    ``shares``: model-based class proportions; ``profiles``: class x item endorsement
    probabilities; ``posterior``: respondent x class membership probabilities (rows of
    the input); ``n_parameters`` = K (J + 1) - 1; ``bic`` = -2 loglik + p ln n.
    """

    loglik: float
    n_parameters: int
    bic: float
    aic: float
    shares: pd.Series
    profiles: pd.DataFrame
    posterior: np.ndarray
    n: int
    converged: bool
    settings: dict = field(default_factory=dict)

    def simulate(self, n: int, rng: np.random.Generator | int | None = None, missing=None) -> pd.DataFrame:
        """``n`` new respondents: class drawn with the model's shares, answers independent Bernoulli.

        ``missing`` (optional boolean n x J) blanks those answers (NaN). The drawn class of
        each row is in ``frame.attrs["classes"]``.
        """
        n = check_int(n, "n", 1)
        rng = np.random.default_rng(rng)
        x, cls = simulate_classes(self.shares.to_numpy(), self.profiles.to_numpy(), n, rng)
        if missing is not None:
            miss = np.asarray(missing, dtype=bool)
            if miss.shape != x.shape:
                raise StatisticsInputError(f"missing has shape {miss.shape}, expected {x.shape}")
            x[miss] = np.nan
        out = pd.DataFrame(x, columns=list(self.profiles.columns))
        out.attrs["classes"] = cls
        return out


def fit_class_model(items, *, k: int = 2, n_init: int = 20, seed: int = 2018, weights=None) -> ClassModelResult:
    """Fit a K-class binary latent class model on response patterns (``n_init`` random starts).

    ``items``: DataFrame of 0/1 columns, NaN = missing (marginalised). ``weights``
    (optional, positive) are rescaled to sum to n (pseudo-likelihood). Deterministic
    for a ``seed``.
    """
    x, names = validate_items(items)
    k = check_int(k, "k", 1)
    n_init = check_int(n_init, "n_init", 1)
    seed = check_int(seed, "seed", 0)
    n, j = x.shape
    n_par = k * (j + 1) - 1
    if n_par > 2**j - 1:
        raise StatisticsInputError(f"k={k}: {n_par} parameters for {j} binary items exceed the "
                                   f"{2**j - 1} free cells of the response table (not identified)")
    if n <= n_par:
        raise StatisticsInputError(f"items has {n} rows, fewer than the {n_par} parameters of k={k} classes")
    w = validate_weights(weights, n)
    patterns, inv, freq, u, m = weighted_patterns(x, w)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, k]))
    pi, th, ll, cv = fit_classes(u, m, freq[None, :], k, rng, n_init)
    pi, th, ll = pi[0], th[0], float(ll[0])
    post = class_posterior(u, m, pi, th)[inv]
    labels = pd.Index(range(k), name="class")
    return ClassModelResult(
        loglik=ll, n_parameters=n_par, bic=float(-2 * ll + n_par * math.log(n)), aic=float(-2 * ll + 2 * n_par),
        shares=pd.Series(pi, index=labels, name="share"),
        profiles=pd.DataFrame(np.clip(th, 0.0, 1.0), index=labels, columns=names),
        posterior=post, n=n, converged=bool(cv[0]),
        settings={"n_init": n_init, "seed": seed, "patterns": int(patterns.shape[0]), "weighted": w is not None,
                  "missing_values": bool(np.isnan(x).any())},
    )
