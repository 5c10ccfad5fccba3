"""Latent classes of respondents: K = 1..5 binary latent class models compared by BIC.

:func:`fit_latent_classes` fits binary latent class models for K in ``k_range``
and picks K by the lowest BIC, with a parametric bootstrap likelihood-ratio test
(BLRT) of K against K-1, relative entropy and the smallest class share reported
for every K (Nylund, Asparouhov & Muthen 2007: BIC and BLRT are the best guides).
Every fit runs on the one latent-class engine, :mod:`helpers.stats.latent.engine`
(StepMix, used before, is now the test oracle in tests/test_groups.py only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int
from helpers.stats.latent.engine import (
    BURN_IN,
    EM_MAX_ITER,
    EM_TOL,
    class_lr_bootstrap,
    class_posterior,
    fit_many,
    random_starts,
    validate_items,
    validate_weights,
    weighted_patterns,
)

__all__ = ["LatentClassResult", "fit_latent_classes"]

#: The best start's solution is iterated once more, from where it stopped, until the mean
#: log-likelihood per respondent changes by less than this (as StepMix's refit did before).
FINAL_TOL = EM_TOL
#: Random starts per model in each bootstrap replicate (besides one informed start:
#: the fitted solution of the real data); the best 2 after BLRT_BURN_IN are finished.
BLRT_N_INIT = 9
BLRT_BURN_IN = (50, 1e-5)
#: Per respondent: at n = 1,500 a likelihood-ratio statistic is then exact to about 0.003,
#: far below the spread of its bootstrap distribution; it halves the BLRT's time
#: (measured: same p-values, statistics and chosen k as with 1e-8).
BLRT_TOL = 1e-6
BLRT_MAX_ITER = 2000


@dataclass(frozen=True, eq=False)
class LatentClassResult:
    """Fitted latent class models for every K and the chosen one.

    ``table``: one row per K with columns ``k, loglik, n_parameters, bic, aic,
    entropy, smallest_class, blrt_p``. ``chosen_k`` is the K with the lowest BIC
    (``selection_rule`` says so). For the chosen model: ``class_sizes`` (shares,
    largest class first, labels 0..K-1 in that order), ``profiles`` (class x item
    endorsement probabilities), ``assignments`` (modal class per input row) and
    ``posterior`` (n x K class probabilities). ``fits`` keeps every K's class sizes,
    profiles and modal assignments (same ordering rule), ``blrt`` the bootstrap details.
    """

    table: pd.DataFrame
    chosen_k: int
    selection_rule: str
    class_sizes: pd.Series
    profiles: pd.DataFrame
    assignments: np.ndarray
    posterior: np.ndarray
    fits: dict = field(default_factory=dict)
    blrt: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)




def _checked(items, k_range, n_init, seed, blrt_repetitions, weights):
    x, names = validate_items(items)
    n, j = x.shape
    try:
        ks = sorted({check_int(k, "k_range value", 1) for k in k_range})
    except TypeError:
        raise StatisticsInputError(f"k_range={k_range!r} must be an iterable of positive integers") from None
    if not ks:
        raise StatisticsInputError("k_range is empty")
    settings = {"n_init": check_int(n_init, "n_init", 1), "seed": check_int(seed, "seed", 0),
                "blrt_repetitions": check_int(blrt_repetitions, "blrt_repetitions", 0)}
    w = validate_weights(weights, n)
    free_cells = 2.0**j - 1
    for k in ks:
        n_par = k * (j + 1) - 1
        if n_par > free_cells:
            raise StatisticsInputError(
                f"k_range includes K={k}: {n_par} parameters for {j} binary items exceed the "
                f"{int(free_cells)} free cells of the response table (not identified)")
    max_par = max(ks) * (j + 1) - 1
    if n <= max_par:
        raise StatisticsInputError(f"items has {n} rows, fewer than needed: K={max(ks)} has {max_par} parameters")
    return x, names, ks, w, settings


def _fit_k(u, obs, freq, k, n_init, rng):
    """Best of ``n_init`` random starts for K classes, iterated to FINAL_TOL; classes sorted by share."""
    j = u.shape[1]
    log_pi, theta = random_starts(rng, n_init, k, j)
    keep = min(n_init, max(2, n_init // 4))
    lp, th, _, _ = fit_many(u, obs, freq[None, :], log_pi[None], theta[None], EM_TOL, EM_MAX_ITER,
                            keep=keep, burn_in=BURN_IN)
    lp, th, ll, conv = fit_many(u, obs, freq[None, :], lp[:, None], th[:, None], FINAL_TOL, EM_MAX_ITER)
    pi = np.exp(lp[0])
    pi = pi / pi.sum()
    order = np.argsort(-pi, kind="stable")
    pi, th = pi[order], th[0][order]
    post = class_posterior(u, obs, pi, th)
    if k > 1:
        ent = -float(np.sum(freq[:, None] * post * np.log(np.clip(post, 1e-15, 1.0))))
        rel_entropy = 1.0 - ent / (freq.sum() * math.log(k))
    else:
        rel_entropy = float("nan")
    return {"loglik": float(ll[0]), "n_parameters": k * (j + 1) - 1, "class_sizes": pi,
            "profiles": np.clip(th, 0.0, 1.0), "posterior_patterns": post, "entropy": rel_entropy,
            "converged": bool(conv[0])}


def _table(ks, fits, n):
    log_n = math.log(n)
    rows = [{"k": k, "loglik": fits[k]["loglik"], "n_parameters": fits[k]["n_parameters"],
             "bic": -2 * fits[k]["loglik"] + fits[k]["n_parameters"] * log_n,
             "aic": -2 * fits[k]["loglik"] + 2 * fits[k]["n_parameters"], "entropy": fits[k]["entropy"],
             "smallest_class": float(fits[k]["class_sizes"].min()), "blrt_p": float("nan")} for k in ks]
    table = pd.DataFrame(rows, columns=["k", "loglik", "n_parameters", "bic", "aic", "entropy",
                                        "smallest_class", "blrt_p"])
    table["k"] = table["k"].astype(int)
    table["n_parameters"] = table["n_parameters"].astype(int)
    return table


def _blrt_column(table, fits, ks, chosen, x, w_row, settings):
    """BLRT of K against K - 1 for every K up to the chosen K + 1 (fills ``blrt_p``)."""
    info: dict[int, dict] = {}
    for k in ks:
        if k < 2 or (k - 1) not in fits or k > chosen + 1:
            continue
        rng = np.random.default_rng(np.random.SeedSequence([settings["seed"], 7919, k]))
        null = (fits[k - 1]["class_sizes"], fits[k - 1]["profiles"])
        alternative = (fits[k]["class_sizes"], fits[k]["profiles"])
        lr = 2.0 * (fits[k]["loglik"] - fits[k - 1]["loglik"])
        p, lrs, exceed = class_lr_bootstrap(null, alternative, lr, np.isnan(x), rng,
                                            repetitions=settings["blrt_repetitions"], w_row=w_row,
                                            n_init=BLRT_N_INIT + 1, tol=BLRT_TOL, max_iter=BLRT_MAX_ITER,
                                            burn_in=BLRT_BURN_IN)
        table.loc[table["k"] == k, "blrt_p"] = p
        info[k] = {"lr": lr, "bootstrap_lr": lrs, "repetitions": settings["blrt_repetitions"],
                   "exceedances": exceed}
    return info


def fit_latent_classes(
    items,
    k_range=range(1, 6),
    n_init: int = 20,
    seed: int = 2018,
    blrt_repetitions: int = 39,
    weights=None,
) -> LatentClassResult:
    """Binary latent class analysis for K in ``k_range``, K chosen by the lowest BIC.

    ``items``: a DataFrame of 0/1 columns (missing values allowed: full-information
    likelihood). Rows are compressed to unique response patterns with frequency weights,
    which gives the same likelihood as the full data and makes a million rows as cheap as a
    thousand when there are few items.

    Estimation: for every K, ``n_init`` random starts run in the batched EM of
    :mod:`helpers.stats.latent.engine`; the best is iterated until the mean log-likelihood
    changes by less than FINAL_TOL. BIC = -2 loglik + p ln(n), AIC = -2 loglik + 2p, p =
    K (J + 1) - 1, entropy is the relative entropy 1 - E / (n ln K) (NaN for K = 1),
    smallest_class the smallest class share. Selection rule: lowest BIC (Nylund et al.
    2007); look at blrt_p, entropy and smallest_class before calling K classes "groups".

    BLRT (parametric bootstrap, McLachlan 1987): for each K with K - 1 also fitted and
    K <= chosen K + 1, ``blrt_repetitions`` data sets of the same size (and the same
    missing-value pattern and weights) are simulated from the fitted K - 1 model; K - 1 and
    K classes are refitted to each, and p = (1 + #{LR* >= LR}) / (B + 1). Other K get NaN;
    ``blrt_repetitions=0`` skips the BLRT. With B = 39 the smallest possible p is 0.025.

    ``weights`` (optional, positive) are rescaled to sum to n and enter as a
    pseudo-likelihood; BIC and BLRT are then approximate. Deterministic for a seed.
    """
    x, names, ks, w, settings = _checked(items, k_range, n_init, seed, blrt_repetitions, weights)
    n = x.shape[0]
    patterns, inv, freq, u, obs = weighted_patterns(x, w)
    w_row = np.ones(n) if w is None else w * (n / w.sum())  # the BLRT resamples rows
    seeds = np.random.SeedSequence(settings["seed"])
    fits = {k: _fit_k(u, obs, freq, k, settings["n_init"], np.random.default_rng(child))
            for k, child in zip(ks, seeds.spawn(len(ks)), strict=True)}
    table = _table(ks, fits, n)
    chosen = int(table.loc[table["bic"].idxmin(), "k"])
    blrt_info = _blrt_column(table, fits, ks, chosen, x, w_row, settings) if settings["blrt_repetitions"] else {}
    best = fits[chosen]
    labels = pd.Index(list(range(chosen)), name="class")
    posterior = best["posterior_patterns"][inv]
    settings.update({"n": n, "items": names, "k_range": ks, "blrt_n_init": BLRT_N_INIT + 1, "em_tol": EM_TOL,
                     "weighted": w is not None, "missing_values": bool(np.isnan(x).any()),
                     "patterns": int(patterns.shape[0])})
    public_fits = {
        k: {"class_sizes": f["class_sizes"], "profiles": pd.DataFrame(f["profiles"], columns=names),
            "assignments": np.argmax(f["posterior_patterns"][inv], axis=1),
            "loglik": f["loglik"], "converged": f["converged"]}
        for k, f in fits.items()
    }
    return LatentClassResult(
        table=table, chosen_k=chosen, selection_rule="lowest BIC over k_range (BIC = -2 loglik + n_parameters * ln n)",
        class_sizes=pd.Series(best["class_sizes"], index=labels, name="share"),
        profiles=pd.DataFrame(best["profiles"], index=labels, columns=names),
        assignments=np.argmax(posterior, axis=1), posterior=posterior, fits=public_fits, blrt=blrt_info,
        settings=settings)
