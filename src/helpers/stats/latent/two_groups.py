"""Two discrete groups against one continuous trait ("offenders form two groups").

A two-class latent class model (LCA2) is compared with the one-factor 2PL model
(a continuous trait; it contains "one homogeneous group" as the case a = 0). Latent
classes appear whenever items are associated, so K = 2 against K = 1 cannot show that
groups are DISCRETE; the competing model is the continuum (statistics.md section 3.1b).

Test
----
LR = 2 (ll_LCA2 - ll_2PL). The models are not nested, so LR has no chi-square
reference: it is calibrated by a PARAMETRIC BOOTSTRAP UNDER THE FITTED 2PL (data sets
of the same size and missing-value pattern drawn from the fitted trait model, both
models refitted to each). p = (1 + #{LR* >= LR}) / (B + 1) after B samples, with the
Besag & Clifford (1991) sequential rule: sampling stops as soon as ``h`` exceedances
are seen, at sample b, and then p = h / b. With the default B = 499 the floor is 0.002, far below
alpha / 2 = 0.025 for a family of two headline claims (the floor stays below alpha / m
even after a BH or Holm adjustment over m = 2 claims). The test is one-sided by
construction (large LR = groups fit better than a continuum).

Estimate
--------
The MODEL-BASED share of the advanced class (the class with the higher mean
probability on the ``advanced`` items) with a percentile interval from a parametric
bootstrap under the fitted LCA2 (classes re-identified in every sample by the same
rule). Scale: share of respondents (0-1).

Verdict (:meth:`TwoGroupsResult.verdict`): supported only if the adjusted p < alpha
AND the advanced class is the smaller one AND the upper end of the share's interval
is below ``small_minority``.

Power: with about nine binary items only well-separated groups can be told from a
continuum, so "the data cannot tell groups from a continuum" is a possible outcome.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int, check_level
from helpers.stats.latent.engine import (
    compress_patterns,
    fit_classes,
    pool_patterns,
    simulate_classes,
    validate_items,
)
from helpers.stats.latent.trait import fit_trait_batch, fit_trait_best, fit_trait_model, trait_start_values
from helpers.stats.results import TestResult

__all__ = ["TwoGroupsResult", "two_groups_test"]

TEST_NAME = "groups or continuum: LCA2 vs 2PL likelihood ratio, parametric bootstrap under the 2PL"
#: Bootstrap fits: random starts per replicate besides the informed start, and EM settings
#: (per-respondent tolerance 1e-6 as in the BLRT of helpers.stats.groups).
BOOT_N_INIT = 3
BOOT_BURN_IN = (50, 1e-5)
BOOT_TOL = 1e-6
BOOT_MAX_ITER = 500
BATCH = 100


@dataclass(frozen=True, kw_only=True)
class TwoGroupsResult(TestResult):
    """Result of :func:`two_groups_test`, usable directly as a register claim's ``result``.

    A :class:`helpers.stats.TestResult` (its register fields) with the test's details: statistic =
    LR, p_value = bootstrap p (unadjusted), estimate/low/high = model-based share of the
    advanced class and its percentile interval. Use :meth:`verdict` with the ADJUSTED p.
    """

    __test__ = False

    note: str
    advanced_class_smaller: bool
    small_minority: float
    loglik_classes: float
    loglik_trait: float
    bootstrap_samples: int
    exceedances: int
    stopped_early: bool

    def verdict(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """'supported' or 'not supported' (adjusted p < alpha, advanced class smaller, share high < small_minority)."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        check_level(alpha, "alpha")
        ok = p < alpha and self.advanced_class_smaller and self.high < self.small_minority
        return "supported" if ok else "not supported"

    def interpretation(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """The outcome in plain words."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        share = (f"model-based share of the advanced-technology class {self.estimate:.1%} "
                 f"({self.level:.0%} interval {self.low:.1%} to {self.high:.1%})")
        if p >= alpha:
            base = ("The data cannot tell groups from a continuum: one continuous trait explains the answers "
                    f"about as well as two discrete groups (bootstrap p = {p:.3g}).")
            if self.statistic < 0:
                base += " The continuous trait even fits better than two groups."
            return base + (" With about nine yes/no items only well-separated groups can be told from a "
                           "continuum, so this is not evidence that there are no groups.")
        lead = f"Two discrete groups fit the answers better than one continuous trait (bootstrap p = {p:.3g})"
        if not self.advanced_class_smaller:
            return lead + f", but the advanced-technology class is not the smaller one ({share})."
        if self.high >= self.small_minority:
            return (lead + f" and the advanced-technology class is the smaller one, but it cannot be shown to be a "
                    f"small minority below {self.small_minority:.0%} ({share}).")
        return (lead + f", and the advanced-technology class is a small minority below {self.small_minority:.0%} "
                f"({share}).")

    def claim_fields(self) -> dict:
        """Keyword arguments for ``Chapter.claim`` (result, direction, null_value, note, judged_by).

        Judged by the interval: the register supports the claim only if the adjusted p < alpha
        and the share's whole interval lies below ``small_minority`` (at most 0.5, so the
        advanced class is then the smaller one) - the same rule as :meth:`verdict`.
        """
        return {"result": self, "direction": "less", "null_value": self.small_minority, "note": self.note,
                "judged_by": "interval"}


def _check_columns(names, advanced):
    if isinstance(advanced, str) or not hasattr(advanced, "__iter__"):
        raise StatisticsInputError(f"advanced={advanced!r} must be a list of item column names")
    adv = list(advanced)
    if not adv:
        raise StatisticsInputError("advanced is empty: name the advanced-technology item columns")
    for a in adv:
        if a not in names:
            raise StatisticsInputError(f"advanced entry {a!r} is not a column of items")
    if len(adv) == len(names):
        raise StatisticsInputError("advanced names every column of items: at least one other item is needed")
    return np.array([nm in adv for nm in names])


def _advanced_class(profiles, adv_mask):
    """Index of the class with the higher mean probability on the advanced items (per row of profiles)."""
    return np.argmax(profiles[..., adv_mask].mean(axis=-1), axis=-1)


def _checked(items, advanced, small_minority, n_bootstrap, sequential_h, n_share_bootstrap, n_init, n_quadrature,
             seed, level):
    """Validated arguments of :func:`two_groups_test` (errors name the argument)."""
    x, names = validate_items(items)
    adv_mask = _check_columns(names, advanced)
    if isinstance(small_minority, bool) or not isinstance(small_minority, numbers.Real) or not 0 < small_minority < 1:
        raise StatisticsInputError(f"small_minority={small_minority!r} must be a share strictly between 0 and 1")
    settings = {
        "n_bootstrap": check_int(n_bootstrap, "n_bootstrap", 19),
        "sequential_h": None if sequential_h is None else check_int(sequential_h, "sequential_h", 1),
        "n_share_bootstrap": check_int(n_share_bootstrap, "n_share_bootstrap", 19),
        "n_init": check_int(n_init, "n_init", 1), "n_quadrature": check_int(n_quadrature, "n_quadrature", 2),
        "seed": check_int(seed, "seed", 0), "level": check_level(level), "small_minority": float(small_minority),
    }
    n, j = x.shape
    if j < 3:
        raise StatisticsInputError(f"items has {j} columns; two classes need at least 3 items to be identified")
    if n <= 2 * j + 1:
        raise StatisticsInputError(f"items has {n} rows, too few for {2 * j + 1} parameters")
    return x, names, adv_mask, settings


def _null_bootstrap(u, m, freq, tr_params, classes, lr, missing, rng, settings):
    """Parametric bootstrap of the LR under the fitted 2PL with Besag-Clifford stopping.

    Returns the bootstrap LRs, the number of exceedances, whether the sequential rule stopped
    sampling, and the p-value.
    """
    n, j = missing.shape
    n_bootstrap, h, n_quadrature = settings["n_bootstrap"], settings["sequential_h"], settings["n_quadrature"]
    a, c = tr_params[:j], tr_params[j:]
    default_start = trait_start_values(u, m, freq)
    lrs: list[float] = []
    exceed = 0
    stopped = False
    while len(lrs) < n_bootstrap and not stopped:
        # small first batches: under the null the sequential rule often stops after a few dozen samples
        size = min(BATCH, max(25, len(lrs)), n_bootstrap - len(lrs))
        sims = []
        for _ in range(size):
            theta = rng.standard_normal(n)
            prob = 1.0 / (1.0 + np.exp(-(theta[:, None] * a + c)))
            xs = (rng.random((n, j)) < prob).astype(float)
            xs[missing] = np.nan
            sims.append(xs)
        bu, bm, bf = pool_patterns(sims)
        # two starts per sample (the fitted 2PL and the item-mean start): the 2PL can have local maxima
        ll_t = np.maximum(fit_trait_batch(bu, bm, bf, n_quadrature, tr_params)[1],
                          fit_trait_batch(bu, bm, bf, n_quadrature, default_start)[1])
        ll_c = fit_classes(bu, bm, bf, 2, rng, BOOT_N_INIT + 1, informed=classes, tol=BOOT_TOL,
                           max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN, keep=2)[2]
        for value in 2.0 * (ll_c - ll_t):
            lrs.append(float(value))
            exceed += int(value >= lr - 1e-8)
            if h is not None and exceed >= h:
                stopped = True
                break
    b = len(lrs)
    p = h / b if stopped else (1 + exceed) / (b + 1)
    return np.array(lrs), exceed, stopped, float(p)


def _share_interval(classes, adv_mask, missing, rng, settings):
    """Bootstrap shares of the advanced class under the fitted LCA2 and their percentile interval."""
    pi, th = classes
    n, count, level = missing.shape[0], settings["n_share_bootstrap"], settings["level"]
    sims = []
    for _ in range(count):
        xs, _cls = simulate_classes(pi, th, n, rng)
        xs[missing] = np.nan
        sims.append(xs)
    su, sm, sf = pool_patterns(sims)
    bpi, bth, _, _ = fit_classes(su, sm, sf, 2, rng, 3, informed=(pi, th), tol=BOOT_TOL,
                                 max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN, keep=2)
    boot_share = bpi[np.arange(count), _advanced_class(bth, adv_mask)]
    low, high = (float(v) for v in np.quantile(boot_share, [(1 - level) / 2, (1 + level) / 2], method="linear"))
    return boot_share, low, high


def _note(lr, b, stopped, names, adv_mask, share, smaller, settings):
    h = settings["sequential_h"]
    return (f"LR = 2(ll_LCA2 - ll_2PL) = {lr:.2f}; parametric bootstrap under the fitted 2PL, "
            f"{b} samples" + (f" (Besag-Clifford stop at h = {h} exceedances)" if stopped else "")
            + f"; advanced class = higher mean probability on {', '.join(np.array(names)[adv_mask])}; "
            f"its model-based share {share:.3f} with a {settings['level']:.0%} percentile interval from "
            f"{settings['n_share_bootstrap']} parametric bootstrap samples under the LCA2; advanced class "
            + ("is" if smaller else "is NOT") + " the smaller class; "
            f"supported only if adjusted p < alpha, the advanced class is smaller and the interval's upper end "
            f"< {settings['small_minority']:g}")


def two_groups_test(items, *, advanced, small_minority: float = 0.25, n_bootstrap: int = 499,
                    sequential_h: int | None = 10, n_share_bootstrap: int = 199, n_init: int = 20,
                    n_quadrature: int = 21, seed: int = 2018, level: float = 0.95) -> TwoGroupsResult:
    """Test two discrete groups against a continuous trait; share of the advanced class.

    ``items``: DataFrame of 0/1 item columns (rows = respondents, NaN = missing,
    marginalised); ``advanced``: the advanced-technology columns. ``n_bootstrap``: maximal
    number B of bootstrap samples under the 2PL (floor 1/(B + 1)); ``sequential_h``:
    Besag-Clifford stop after this many exceedances (None: always B samples).
    ``n_share_bootstrap``: samples under the fitted LCA2 for the share's percentile
    interval at ``level``. ``n_init``: random starts of the LCA2 on the real data.
    Deterministic for a ``seed``. Unweighted (simple random sampling of respondents).
    """
    x, names, adv_mask, settings = _checked(items, advanced, small_minority, n_bootstrap, sequential_h,
                                            n_share_bootstrap, n_init, n_quadrature, seed, level)
    n, j = x.shape
    started = time.perf_counter()
    patterns, inv = compress_patterns(x)
    freq = np.bincount(inv, minlength=patterns.shape[0]).astype(float)
    u = np.nan_to_num(patterns, nan=0.0)
    m = (~np.isnan(patterns)).astype(float)
    missing = np.isnan(x)
    ss = np.random.SeedSequence([settings["seed"], 2018, 11])
    rng_fit, rng_null, rng_share = (np.random.default_rng(s) for s in ss.spawn(3))

    tr_params, ll_trait, tr_conv = fit_trait_best(u, m, freq, settings["n_quadrature"], rng_fit, 5)
    pi, th, ll_cls, cls_conv = fit_classes(u, m, freq[None, :], 2, rng_fit, settings["n_init"])
    pi, th, ll_cls = pi[0], th[0], float(ll_cls[0])
    lr = 2.0 * (ll_cls - ll_trait)
    adv_c = int(_advanced_class(th, adv_mask))
    share = float(pi[adv_c])
    smaller = bool(share < 1.0 - share)
    lrs, exceed, stopped, p = _null_bootstrap(u, m, freq, tr_params, (pi, th), lr, missing, rng_null, settings)
    boot_share, low, high = _share_interval((pi, th), adv_mask, missing, rng_share, settings)

    profiles = pd.DataFrame({"advanced class": th[adv_c], "majority class": th[1 - adv_c], "advanced item": adv_mask},
                            index=pd.Index(list(names), name="item"))
    extra = {
        "bootstrap_lr": lrs, "class_shares": pi.tolist(), "advanced_class": adv_c, "profiles": profiles,
        "trait_items": {"discrimination": tr_params[:j].tolist(), "intercept": tr_params[j:].tolist()},
        "trait_converged": tr_conv, "classes_converged": bool(cls_conv[0]), "bootstrap_share": boot_share,
        "patterns": int(patterns.shape[0]), "bic_classes": -2 * ll_cls + (2 * j + 1) * math.log(n),
        "bic_trait": -2 * ll_trait + 2 * j * math.log(n), "sequential_h": settings["sequential_h"],
        "max_bootstrap": settings["n_bootstrap"], "seconds": time.perf_counter() - started,
        "share_interval_method": "percentile, parametric bootstrap under the fitted LCA2",
    }
    return TwoGroupsResult(
        test=TEST_NAME, method="lr_parametric_bootstrap_2pl", statistic=float(lr), p_value=p,
        estimate=share, low=low, high=high, level=settings["level"], n=int(n),
        scale="share of respondents in the advanced-technology class (model-based, 0-1)",
        alternative="upper tail of the LR (groups fit better than a continuum)",
        note=_note(lr, lrs.size, stopped, names, adv_mask, share, smaller, settings),
        advanced_class_smaller=smaller, small_minority=settings["small_minority"], loglik_classes=ll_cls,
        loglik_trait=float(ll_trait), bootstrap_samples=int(lrs.size), exceedances=exceed, stopped_early=stopped,
        extra=extra)


def compare_models(items, *, max_classes: int = 4, n_init: int = 20, seed: int = 2018) -> pd.DataFrame:
    """Latent class models with 1..``max_classes`` classes beside the one-factor 2PL (a continuum).

    One row per model: log-likelihood, number of parameters and BIC (lower is better). BIC alone
    cannot tell groups from a continuum (classes appear whenever items are associated); the
    groups-against-continuum test (:func:`two_groups_test`) calibrates the comparison that can.
    """
    from helpers.stats.groups import fit_latent_classes

    check_int(max_classes, "max_classes", 1)
    fits = fit_latent_classes(items, k_range=range(1, max_classes + 1), n_init=n_init, seed=seed,
                              blrt_repetitions=0)
    rows = [{"model": f"{k} latent class{'es' if k > 1 else ''}", "kind": "discrete groups", "loglik": row.loglik,
             "n_parameters": row.n_parameters, "bic": row.bic} for k, row in fits.table.set_index("k").iterrows()]
    trait = fit_trait_model(items)
    rows.append({"model": "one continuous trait (2PL)", "kind": "continuum", "loglik": trait.loglik,
                 "n_parameters": trait.n_parameters, "bic": trait.bic})
    table = pd.DataFrame(rows)
    return table.assign(lowest_bic=table["bic"] == table["bic"].min())
