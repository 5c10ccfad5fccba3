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
from helpers.stats.checks import check_level
from helpers.stats.groups import check_int, compress_patterns, validate_items
from helpers.stats.latent import classes as _classes
from helpers.stats.latent import trait as _trait
from helpers.stats.results import TestResult

__all__ = ["TwoGroupsResult", "two_groups_test"]

TEST_NAME = "groups or continuum: LCA2 vs 2PL likelihood ratio, parametric bootstrap under the 2PL"
#: Bootstrap fits: random starts per replicate besides the informed start, and EM settings
#: (per-respondent tolerance 1e-6 as in helpers.stats.groups' BLRT).
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


def _pool(datasets, w_rows=None):
    """Common pattern matrix (u, m) and per-data-set frequencies (R, P) of simulated data sets."""
    per = []
    for x in datasets:
        pats, inv = compress_patterns(x)
        per.append((pats, np.bincount(inv, minlength=pats.shape[0]).astype(float)))
    patterns, inv_all = compress_patterns(np.vstack([p for p, _ in per]))
    freq = np.zeros((len(per), patterns.shape[0]))
    offset = 0
    for b, (pats, f) in enumerate(per):
        np.add.at(freq[b], inv_all[offset:offset + pats.shape[0]], f)
        offset += pats.shape[0]
    return np.nan_to_num(patterns, nan=0.0), (~np.isnan(patterns)).astype(float), freq


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
    x, names = validate_items(items)
    adv_mask = _check_columns(names, advanced)
    if isinstance(small_minority, bool) or not isinstance(small_minority, numbers.Real) or not 0 < small_minority < 1:
        raise StatisticsInputError(f"small_minority={small_minority!r} must be a share strictly between 0 and 1")
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", 19)
    if sequential_h is not None:
        sequential_h = check_int(sequential_h, "sequential_h", 1)
    n_share_bootstrap = check_int(n_share_bootstrap, "n_share_bootstrap", 19)
    n_init = check_int(n_init, "n_init", 1)
    n_quadrature = check_int(n_quadrature, "n_quadrature", 2)
    seed = check_int(seed, "seed", 0)
    level = check_level(level)
    n, j = x.shape
    if j < 3:
        raise StatisticsInputError(f"items has {j} columns; two classes need at least 3 items to be identified")
    if n <= 2 * j + 1:
        raise StatisticsInputError(f"items has {n} rows, too few for {2 * j + 1} parameters")
    started = time.perf_counter()
    patterns, inv = compress_patterns(x)
    freq = np.bincount(inv, minlength=patterns.shape[0]).astype(float)
    u = np.nan_to_num(patterns, nan=0.0)
    m = (~np.isnan(patterns)).astype(float)
    missing = np.isnan(x)
    ss = np.random.SeedSequence([seed, 2018, 11])
    rng_fit, rng_null, rng_share = (np.random.default_rng(s) for s in ss.spawn(3))

    tr_params, ll_trait, tr_conv = _trait._fit_best(u, m, freq, n_quadrature, rng_fit, 5)
    pi, th, ll_cls, cls_conv = _classes._fit_patterns(u, m, freq[None, :], 2, rng_fit, n_init)
    pi, th, ll_cls = pi[0], th[0], float(ll_cls[0])
    lr = 2.0 * (ll_cls - ll_trait)
    adv_c = int(_advanced_class(th, adv_mask))
    share = float(pi[adv_c])
    smaller = bool(share < 1.0 - share)

    # Parametric bootstrap under the fitted 2PL, Besag-Clifford sequential stopping.
    a, c = tr_params[:j], tr_params[j:]
    default_start = _trait._start_values(u, m, freq)
    lrs: list[float] = []
    exceed = 0
    stopped = False
    while len(lrs) < n_bootstrap and not stopped:
        # small first batches: under the null the sequential rule often stops after a few dozen samples
        size = min(BATCH, max(25, len(lrs)), n_bootstrap - len(lrs))
        sims = []
        for _ in range(size):
            theta = rng_null.standard_normal(n)
            prob = 1.0 / (1.0 + np.exp(-(theta[:, None] * a + c)))
            xs = (rng_null.random((n, j)) < prob).astype(float)
            xs[missing] = np.nan
            sims.append(xs)
        bu, bm, bf = _pool(sims)
        # two starts per sample (the fitted 2PL and the item-mean start): the 2PL can have local maxima
        ll_t = np.maximum(_trait._fit_patterns_batch(bu, bm, bf, n_quadrature, tr_params)[1],
                          _trait._fit_patterns_batch(bu, bm, bf, n_quadrature, default_start)[1])
        ll_c = _classes._fit_patterns(bu, bm, bf, 2, rng_null, BOOT_N_INIT + 1, informed=(pi, th), tol=BOOT_TOL,
                                      max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN, keep=2)[2]
        for value in 2.0 * (ll_c - ll_t):
            lrs.append(float(value))
            exceed += int(value >= lr - 1e-8)
            if sequential_h is not None and exceed >= sequential_h:
                stopped = True
                break
    b = len(lrs)
    p = sequential_h / b if stopped else (1 + exceed) / (b + 1)

    # Percentile interval of the model-based advanced-class share (parametric bootstrap under LCA2).
    sims = []
    for _ in range(n_share_bootstrap):
        xs, _cls = _classes._simulate(pi, th, n, rng_share)
        xs[missing] = np.nan
        sims.append(xs)
    su, sm, sf = _pool(sims)
    bpi, bth, _, _ = _classes._fit_patterns(su, sm, sf, 2, rng_share, 3, informed=(pi, th), tol=BOOT_TOL,
                                            max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN, keep=2)
    boot_share = bpi[np.arange(n_share_bootstrap), _advanced_class(bth, adv_mask)]
    low, high = (float(v) for v in np.quantile(boot_share, [(1 - level) / 2, (1 + level) / 2], method="linear"))

    note = (f"LR = 2(ll_LCA2 - ll_2PL) = {lr:.2f}; parametric bootstrap under the fitted 2PL, "
            f"{b} samples" + (f" (Besag-Clifford stop at h = {sequential_h} exceedances)" if stopped else "")
            + f"; advanced class = higher mean probability on {', '.join(np.array(names)[adv_mask])}; "
            f"its model-based share {share:.3f} with a {level:.0%} percentile interval from {n_share_bootstrap} "
            f"parametric bootstrap samples under the LCA2; advanced class "
            + ("is" if smaller else "is NOT") + " the smaller class; "
            f"supported only if adjusted p < alpha, the advanced class is smaller and the interval's upper end "
            f"< {small_minority:g}")
    profiles = pd.DataFrame({"advanced class": th[adv_c], "majority class": th[1 - adv_c], "advanced item": adv_mask},
                            index=pd.Index(list(names), name="item"))
    extra = {
        "bootstrap_lr": np.array(lrs), "class_shares": pi.tolist(), "advanced_class": adv_c, "profiles": profiles,
        "trait_items": {"discrimination": a.tolist(), "intercept": c.tolist()}, "trait_converged": tr_conv,
        "classes_converged": bool(cls_conv[0]), "bootstrap_share": boot_share, "patterns": int(patterns.shape[0]),
        "bic_classes": -2 * ll_cls + (2 * j + 1) * math.log(n), "bic_trait": -2 * ll_trait + 2 * j * math.log(n),
        "sequential_h": sequential_h, "max_bootstrap": n_bootstrap, "seconds": time.perf_counter() - started,
        "share_interval_method": "percentile, parametric bootstrap under the fitted LCA2",
    }
    return TwoGroupsResult(
        test=TEST_NAME, method="lr_parametric_bootstrap_2pl", statistic=float(lr), p_value=float(p),
        estimate=share, low=low, high=high, level=level, n=int(n),
        scale="share of respondents in the advanced-technology class (model-based, 0-1)",
        alternative="upper tail of the LR (groups fit better than a continuum)", note=note,
        advanced_class_smaller=smaller,
        small_minority=float(small_minority), loglik_classes=ll_cls, loglik_trait=float(ll_trait),
        bootstrap_samples=b, exceedances=exceed, stopped_early=stopped, extra=extra)


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
    trait = _trait.fit_trait_model(items)
    rows.append({"model": "one continuous trait (2PL)", "kind": "continuum", "loglik": trait.loglik,
                 "n_parameters": trait.n_parameters, "bic": trait.bic})
    table = pd.DataFrame(rows)
    return table.assign(lowest_bic=table["bic"] == table["bic"].min())
