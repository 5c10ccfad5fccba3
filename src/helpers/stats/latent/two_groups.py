"""Two discrete groups against one continuous trait ("offenders form two groups").

A two-class latent class model (LCA2) is compared with the one-factor 2PL model
(a continuous trait; it contains "one homogeneous group" as the case a = 0). Latent
classes appear whenever items are associated, so K = 2 against K = 1 cannot show that
groups are DISCRETE; the competing model is the continuum (statistics.md section 3.1b).

Test
----
LR = 2 (ll_LCA2 - ll_null), where the null is one continuous trait whose distribution may be
SKEWED: a 2PL whose latent density is skew-normal (``null="skew-normal"``, the default; see
docs/statistics-two-groups.md for why, and :mod:`helpers.stats.latent.trait_density`), or
normal (``null="normal"``, the one-factor 2PL of :mod:`helpers.stats.latent.trait`). A
right-skewed spread of skill is the most plausible alternative to discrete groups, and a
normal-trait null mistakes it for groups half the time. The models are not nested, so LR has
no chi-square reference: it is calibrated by a PARAMETRIC BOOTSTRAP UNDER THE FITTED NULL
(data sets of the same size and missing-value pattern drawn from the fitted trait model, both
models refitted to each). p = (1 + #{LR* >= LR}) / (B + 1) after B samples, with the
Besag & Clifford (1991) sequential rule: sampling stops as soon as ``h`` exceedances
are seen, at sample b, and then p = h / b. With the default B = 499 the floor is 0.002, far below
alpha / 2 = 0.025 for a family of two headline claims (the floor stays below alpha / m
even after a BH or Holm adjustment over m = 2 claims). The test is one-sided by
construction (large LR = groups fit better than a continuum).

Exactly two
-----------
Three classes against two: the LR of a three-class model over the two-class one (within each
wave when ``waves`` are given, summed over the waves, so that items drifting from wave to wave
do not read as a third group), calibrated by a parametric bootstrap under the fitted two-class
model(s) with the same sequential rule. When it rejects at ``more_classes_alpha``, the answers
show MORE THAN TWO GROUPS and "two groups" is not supported.

Estimate
--------
The MODEL-BASED share of the advanced class (the class with the higher mean
probability on the ``advanced`` items) with a percentile interval from a parametric
bootstrap under the fitted LCA2 (classes re-identified in every sample by the same
rule). Scale: share of respondents (0-1).

Verdict (:meth:`TwoGroupsResult.verdict`): supported only if the adjusted p < alpha AND the
two classes fit better than the continuum (LR > 0) AND three classes do not fit clearly better
AND the advanced class is the smaller one AND the upper end of the share's interval is below
``small_minority``.

Power: with about nine binary items only well-separated groups can be told from a
continuum, so "the data cannot tell groups from a continuum" is a possible outcome.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int, check_level
from helpers.stats.latent.engine import (
    bootstrap_patterns,
    class_lr_bootstrap,
    compress_patterns,
    fit_classes,
    simulate_classes,
    validate_items,
)
from helpers.stats.latent.trait import fit_trait_batch, fit_trait_best, fit_trait_model, trait_start_values
from helpers.stats.latent.trait_density import (
    LatentDensity,
    density_weights,
    fit_density_trait_batch,
    fit_density_trait_best,
    simulate_density_trait,
)
from helpers.stats.results import TestResult

__all__ = ["TwoGroupsResult", "two_groups_test"]

NULLS = {"skew-normal": "skew-normal 2PL", "normal": "2PL"}
TEST_NAME = ("groups or continuum: LCA2 vs {null} likelihood ratio, parametric bootstrap under the fitted {null}; "
             "two against three classes")
#: Bootstrap fits of the class models: one random start besides the informed one (the fit to the
#: real data), both iterated until the log-likelihood changes by less than BOOT_TOL per respondent
#: (an LR then is exact to about 0.3 at n = 1,400, far below the spread of its bootstrap distribution).
BOOT_N_INIT = 1
BOOT_BURN_IN = (50, 1e-5)
BOOT_TOL = 1e-5
BOOT_MAX_ITER = 500
BATCH = 100
#: Bootstrap samples (at most) of the three-against-two-classes comparison.
THREE_CLASS_BOOTSTRAP = 99


@dataclass(frozen=True, kw_only=True)
class TwoGroupsResult(TestResult):
    """Result of :func:`two_groups_test`, usable directly as a register claim's ``result``.

    A :class:`helpers.stats.TestResult` (its register fields) with the test's details: statistic =
    LR (two classes over the continuum), p_value = bootstrap p (unadjusted), estimate/low/high =
    model-based share of the advanced class and its percentile interval. ``more_than_two``: three
    classes fit clearly better than two (``three_classes_p``). Use :meth:`verdict` with the
    ADJUSTED p.
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
    null_model: str = "2PL"
    more_than_two: bool = False
    three_classes_p: float = math.nan

    def verdict(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """'supported' only if adjusted p < alpha, LR > 0, not more than two groups, and a small advanced minority."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        check_level(alpha, "alpha")
        ok = (p < alpha and self.statistic > 0 and not self.more_than_two and self.advanced_class_smaller
              and self.high < self.small_minority)
        return "supported" if ok else "not supported"

    def _profiles_text(self) -> str:
        three = self.extra["three_classes"]
        shares = " / ".join(f"{v:.0%}" for v in three["shares"])
        adv = " / ".join(f"{v:.2f}" for v in three["advanced_mean"])
        main = " / ".join(f"{v:.2f}" for v in three["mainstream_mean"])
        return (f"three-class shares {shares}; mean probability on the advanced items {adv}, on the other items "
                f"{main}")

    def interpretation(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """The outcome in plain words (the words follow the fit: groups "fit better" only when LR > 0)."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        share = (f"model-based share of the advanced-technology class {self.estimate:.1%} "
                 f"({self.level:.0%} interval {self.low:.1%} to {self.high:.1%})")
        if self.statistic <= 0:
            text = (f"One continuous trait ({self.null_model}) explains the answers at least as well as two discrete "
                    f"groups (LR = {self.statistic:.1f}, bootstrap p = {p:.3g}): the answers give no sign of two "
                    "groups. With about nine yes/no items only well-separated groups can be told from a continuum.")
        elif p >= alpha:
            text = ("The data cannot tell groups from a continuum: two discrete groups fit the answers somewhat "
                    f"better than one continuous trait ({self.null_model}), but no better than continua of that "
                    f"kind often do (bootstrap p = {p:.3g}). With about nine yes/no items only well-separated "
                    "groups can be told from a continuum, so this is not evidence that there are no groups.")
        else:
            text = ""
        if self.more_than_two:
            return (f"More than two groups: three latent classes fit the answers clearly better than two "
                    f"(bootstrap p = {self.three_classes_p:.3g}), so the answers do not show exactly two groups "
                    f"({self._profiles_text()}). " + text).strip()
        if text:
            return text
        lead = (f"Two discrete groups fit the answers better than one continuous trait ({self.null_model}, "
                f"bootstrap p = {p:.3g}), and three groups fit no clearly better than two")
        if not self.advanced_class_smaller:
            return lead + f", but the advanced-technology class is not the smaller one ({share})."
        if self.high >= self.small_minority:
            return (lead + f"; the advanced-technology class is the smaller one, but it cannot be shown to be a "
                    f"small minority below {self.small_minority:.0%} ({share}).")
        return (lead + f"; the advanced-technology class is a small minority below {self.small_minority:.0%} "
                f"({share}).")

    def claim_fields(self) -> dict:
        """Keyword arguments for ``Chapter.claim`` (result, direction, null_value, note, judged_by).

        Judged by the interval: the register supports the claim only if the adjusted p < alpha
        and the share's whole interval lies below ``small_minority`` (at most 0.5, so the
        advanced class is then the smaller one) - the same rule as :meth:`verdict`. When the
        two-class model is not the better description (LR <= 0, or more than two groups), its
        share is no evidence for the claim: the register gets no interval (so: not supported)
        and the note says why.
        """
        result, note = self, self.note
        if self.more_than_two or self.statistic <= 0:
            result = replace(self, low=math.nan, high=math.nan)
            note += ("; MORE THAN TWO GROUPS: " + self._profiles_text() if self.more_than_two
                     else "; the continuum fits at least as well as two groups (LR <= 0)")
        return {"result": result, "direction": "less", "null_value": self.small_minority, "note": note,
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


def _checked(items, advanced, small_minority, options):
    """Validated arguments of :func:`two_groups_test` (errors name the argument)."""
    x, names = validate_items(items)
    adv_mask = _check_columns(names, advanced)
    if (isinstance(small_minority, bool) or not isinstance(small_minority, numbers.Real)
            or not 0 < float(small_minority) < 1):
        raise StatisticsInputError(f"small_minority={small_minority!r} must be a share strictly between 0 and 1")
    if options["null"] not in NULLS:
        raise StatisticsInputError(f"null={options['null']!r} is not one of {', '.join(map(repr, NULLS))}")
    h = options["sequential_h"]
    settings = {
        "n_bootstrap": check_int(options["n_bootstrap"], "n_bootstrap", 19),
        "sequential_h": None if h is None else check_int(h, "sequential_h", 1),
        "n_share_bootstrap": check_int(options["n_share_bootstrap"], "n_share_bootstrap", 19),
        "n_three_bootstrap": check_int(options["n_three_bootstrap"], "n_three_bootstrap", 19),
        "n_init": check_int(options["n_init"], "n_init", 1),
        "n_quadrature": check_int(options["n_quadrature"], "n_quadrature", 2),
        "seed": check_int(options["seed"], "seed", 0), "level": check_level(options["level"]),
        "more_classes_alpha": check_level(options["more_classes_alpha"], "more_classes_alpha"),
        "small_minority": float(small_minority), "null": options["null"],
    }
    n, j = x.shape
    if j < 3:
        raise StatisticsInputError(f"items has {j} columns; two classes need at least 3 items to be identified")
    if n <= 2 * j + 1:
        raise StatisticsInputError(f"items has {n} rows, too few for {2 * j + 1} parameters")
    waves = options["waves"]
    if waves is not None:
        waves = np.asarray(waves)
        if waves.ndim != 1 or waves.size != n:
            raise StatisticsInputError(f"waves has {waves.size} entries but items has {n} rows")
        if pd.isna(waves).any():
            raise StatisticsInputError("waves contains missing values")
    return x, names, adv_mask, waves, settings


class _Null:
    """The fitted continuum: fits, simulates and refits data sets in batches."""

    def __init__(self, kind, u, m, freq, rng, n_quadrature):
        self.kind, self.n_quadrature = kind, n_quadrature
        normal, ll_normal, conv = fit_trait_best(u, m, freq, n_quadrature, rng, 5)
        self.j = u.shape[1]
        if kind == "normal":
            self.params, self.loglik, self.converged = normal, float(ll_normal), conv
            self.default_start = trait_start_values(u, m, freq)
        else:
            self.density = LatentDensity(kind)
            self.params, ll, self.converged = fit_density_trait_best(u, m, freq, self.density, normal)
            self.loglik = float(ll)

    def simulate(self, n, rng):
        if self.kind == "normal":
            a, c = self.params[:self.j], self.params[self.j:]
            theta = rng.standard_normal(n)
            prob = 1.0 / (1.0 + np.exp(-(theta[:, None] * a + c)))
            return (rng.random((n, self.j)) < prob).astype(float)
        return simulate_density_trait(self.params, self.density, n, rng)

    def refit(self, u, m, freq):
        """Log-likelihoods of the refitted continuum on R data sets (from the fitted parameters)."""
        if self.kind == "normal":  # two starts: the normal 2PL can have local maxima
            return np.maximum(fit_trait_batch(u, m, freq, self.n_quadrature, self.params)[1],
                              fit_trait_batch(u, m, freq, self.n_quadrature, self.default_start)[1])
        return fit_density_trait_batch(u, m, freq, self.density, self.params)[1]

    def description(self):
        if self.kind == "normal":
            return {"discrimination": self.params[:self.j].tolist(), "intercept": self.params[self.j:].tolist()}
        w = density_weights(self.density, self.params[2 * self.j:])
        nodes = self.density.nodes
        mean = float(w @ nodes)
        sd = float(np.sqrt(w @ (nodes - mean) ** 2))
        return {"discrimination": self.params[:self.j].tolist(), "intercept": self.params[self.j:2 * self.j].tolist(),
                "density": self.kind, "density_parameters": self.params[2 * self.j:].tolist(),
                "skewness": float(w @ ((nodes - mean) / sd) ** 3)}


def _null_bootstrap(null, classes, lr, missing, rng, settings):
    """Parametric bootstrap of the LR under the fitted continuum with Besag-Clifford stopping.

    Returns the bootstrap LRs, the number of exceedances, whether the sequential rule stopped
    sampling, and the p-value.
    """
    n = missing.shape[0]
    n_bootstrap, h = settings["n_bootstrap"], settings["sequential_h"]
    lrs: list[float] = []
    exceed = 0
    stopped = False
    while len(lrs) < n_bootstrap and not stopped:
        # small first batches: under the null the sequential rule often stops after a few dozen samples
        size = min(BATCH, max(25, len(lrs)), n_bootstrap - len(lrs))
        sims = []
        for _ in range(size):
            xs = null.simulate(n, rng)
            xs[missing] = np.nan
            sims.append(xs)
        bu, bm, bf = bootstrap_patterns(sims)
        ll_t = null.refit(bu, bm, bf)
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


def _more_classes(x, waves, adv_mask, rng, settings):
    """Three classes against two (per wave when given, LRs summed), calibrated under the two-class fits."""
    missing = np.isnan(x)
    groups = [np.ones(x.shape[0], dtype=bool)] if waves is None else [waves == w for w in pd.unique(waves)]
    patterns, inv = compress_patterns(x)
    u, m = np.nan_to_num(patterns, nan=0.0), (~np.isnan(patterns)).astype(float)
    freq = np.stack([np.bincount(inv[g], minlength=patterns.shape[0]).astype(float) for g in groups])
    starts = max(1, settings["n_init"] // 2)  # per wave: the pooled fits below use all n_init
    fits = {k: fit_classes(u, m, freq, k, rng, starts) for k in (2, 3)}
    lr = float(2.0 * np.maximum(fits[3][2] - fits[2][2], 0.0).sum())
    nulls = [(fits[2][0][g], fits[2][1][g]) for g in range(len(groups))]
    alts = [(fits[3][0][g], fits[3][1][g]) for g in range(len(groups))]
    # Each bootstrap sample is refitted with the observed fits' random starts plus the fitted solution:
    # with one random start its three-class maximum fell short (bootstrap LRs about 7 lower on two-class
    # data), and "more than two groups" was called in 6 of 40 two-class data sets.
    p, lrs, _ = class_lr_bootstrap(nulls, alts, lr, [missing[g] for g in groups], rng,
                                   repetitions=settings["n_three_bootstrap"], sequential_h=settings["sequential_h"],
                                   n_init=starts + 1, tol=BOOT_TOL, max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN)
    pi3, th3, _, _ = fit_classes(u, m, freq.sum(axis=0)[None, :], 3, rng, settings["n_init"])
    order = np.argsort(th3[0][:, adv_mask].mean(axis=1))  # majority ... most advanced
    shares, profiles = pi3[0][order], th3[0][order]
    return {"lr": lr, "p": float(p), "bootstrap_samples": int(lrs.size), "groups": len(groups),
            "shares": shares.tolist(), "profiles": profiles, "advanced_mean": profiles[:, adv_mask].mean(axis=1),
            "mainstream_mean": profiles[:, ~adv_mask].mean(axis=1)}


def _share_interval(classes, adv_mask, missing, rng, settings):
    """Bootstrap shares of the advanced class under the fitted LCA2 and their percentile interval."""
    pi, th = classes
    n, count, level = missing.shape[0], settings["n_share_bootstrap"], settings["level"]
    sims = []
    for _ in range(count):
        xs, _cls = simulate_classes(pi, th, n, rng)
        xs[missing] = np.nan
        sims.append(xs)
    su, sm, sf = bootstrap_patterns(sims)
    bpi, bth, _, _ = fit_classes(su, sm, sf, 2, rng, BOOT_N_INIT + 1, informed=(pi, th), tol=BOOT_TOL,
                                 max_iter=BOOT_MAX_ITER, burn_in=BOOT_BURN_IN, keep=2)
    boot_share = bpi[np.arange(count), _advanced_class(bth, adv_mask)]
    low, high = (float(v) for v in np.quantile(boot_share, [(1 - level) / 2, (1 + level) / 2], method="linear"))
    return boot_share, low, high


def _note(lr, b, stopped, names, adv_mask, share, smaller, three, settings):
    h, null = settings["sequential_h"], NULLS[settings["null"]]
    where = "within each wave, summed" if three["groups"] > 1 else "pooled"
    return (f"LR = 2(ll_LCA2 - ll_{null.replace(' ', '_')}) = {lr:.2f}; parametric bootstrap under the fitted {null}, "
            f"{b} samples" + (f" (Besag-Clifford stop at h = {h} exceedances)" if stopped else "")
            + f"; three against two classes ({where}): LR = {three['lr']:.2f}, bootstrap p = {three['p']:.3g} "
            f"({three['bootstrap_samples']} samples; more than two groups when p < {settings['more_classes_alpha']:g})"
            + f"; advanced class = higher mean probability on {', '.join(np.array(names)[adv_mask])}; "
            f"its model-based share {share:.3f} with a {settings['level']:.0%} percentile interval from "
            f"{settings['n_share_bootstrap']} parametric bootstrap samples under the LCA2; advanced class "
            + ("is" if smaller else "is NOT") + " the smaller class; "
            f"supported only if adjusted p < alpha, LR > 0, not more than two groups, the advanced class is smaller "
            f"and the interval's upper end < {settings['small_minority']:g}")


def two_groups_test(items, *, advanced, small_minority: float = 0.25, n_bootstrap: int = 499,
                    sequential_h: int | None = 10, n_share_bootstrap: int = 199, n_init: int = 20,
                    n_quadrature: int = 21, seed: int = 2018, level: float = 0.95, null: str = "skew-normal",
                    waves=None, n_three_bootstrap: int = THREE_CLASS_BOOTSTRAP,
                    more_classes_alpha: float = 0.05) -> TwoGroupsResult:
    """Test two discrete groups against a continuous trait, and against three groups; share of the advanced class.

    ``items``: DataFrame of 0/1 item columns (rows = respondents, NaN = missing,
    marginalised); ``advanced``: the advanced-technology columns. ``null``: the continuum,
    "skew-normal" (a 2PL whose trait may be skewed) or "normal". ``n_bootstrap``: maximal
    number B of bootstrap samples under it (floor 1/(B + 1)); ``sequential_h``:
    Besag-Clifford stop after this many exceedances (None: always B samples).
    ``waves`` (optional, one per row): three against two classes is compared within each
    wave; ``n_three_bootstrap`` samples at most, "more than two groups" when its p <
    ``more_classes_alpha``. ``n_share_bootstrap``: samples under the fitted LCA2 for the
    share's percentile interval at ``level``. ``n_init``: random starts of the class models on
    the real data. Deterministic for a ``seed``. Unweighted (simple random sampling of respondents).
    """
    options = {"null": null, "n_bootstrap": n_bootstrap, "sequential_h": sequential_h, "waves": waves,
               "n_share_bootstrap": n_share_bootstrap, "n_three_bootstrap": n_three_bootstrap, "n_init": n_init,
               "n_quadrature": n_quadrature, "seed": seed, "level": level, "more_classes_alpha": more_classes_alpha}
    x, names, adv_mask, waves, settings = _checked(items, advanced, small_minority, options)
    n, j = x.shape
    started = time.perf_counter()
    patterns, inv = compress_patterns(x)
    freq = np.bincount(inv, minlength=patterns.shape[0]).astype(float)
    u, m = np.nan_to_num(patterns, nan=0.0), (~np.isnan(patterns)).astype(float)
    missing = np.isnan(x)
    ss = np.random.SeedSequence([settings["seed"], 2018, 11])
    rng_fit, rng_null, rng_share, rng_three = (np.random.default_rng(s) for s in ss.spawn(4))

    fitted_null = _Null(settings["null"], u, m, freq, rng_fit, settings["n_quadrature"])
    pi, th, ll_cls, cls_conv = fit_classes(u, m, freq[None, :], 2, rng_fit, settings["n_init"])
    pi, th, ll_cls = pi[0], th[0], float(ll_cls[0])
    lr = 2.0 * (ll_cls - fitted_null.loglik)
    adv_c = int(_advanced_class(th, adv_mask))
    share = float(pi[adv_c])
    smaller = bool(share < 1.0 - share)
    lrs, exceed, stopped, p = _null_bootstrap(fitted_null, (pi, th), lr, missing, rng_null, settings)
    three = _more_classes(x, waves, adv_mask, rng_three, settings)
    boot_share, low, high = _share_interval((pi, th), adv_mask, missing, rng_share, settings)

    profiles = pd.DataFrame({"advanced class": th[adv_c], "majority class": th[1 - adv_c], "advanced item": adv_mask},
                            index=pd.Index(list(names), name="item"))
    three["profiles"] = pd.DataFrame(three["profiles"].T, index=pd.Index(list(names), name="item"),
                                     columns=["majority class", "middle class", "most advanced class"])
    extra = {
        "bootstrap_lr": lrs, "class_shares": pi.tolist(), "advanced_class": adv_c, "profiles": profiles,
        "trait_items": fitted_null.description(), "trait_converged": fitted_null.converged,
        "classes_converged": bool(cls_conv[0]), "bootstrap_share": boot_share, "three_classes": three,
        "patterns": int(patterns.shape[0]), "bic_classes": -2 * ll_cls + (2 * j + 1) * math.log(n),
        "sequential_h": settings["sequential_h"], "max_bootstrap": settings["n_bootstrap"],
        "seconds": time.perf_counter() - started,
        "share_interval_method": "percentile, parametric bootstrap under the fitted LCA2",
    }
    null_name = NULLS[settings["null"]]
    return TwoGroupsResult(
        test=TEST_NAME.format(null=null_name), method=f"lr_parametric_bootstrap_{settings['null']}_2pl",
        statistic=float(lr), p_value=p, estimate=share, low=low, high=high, level=settings["level"], n=int(n),
        scale="share of respondents in the advanced-technology class (model-based, 0-1)",
        alternative="upper tail of the LR (groups fit better than a continuum)",
        note=_note(lr, lrs.size, stopped, names, adv_mask, share, smaller, three, settings),
        advanced_class_smaller=smaller, small_minority=settings["small_minority"], loglik_classes=ll_cls,
        loglik_trait=fitted_null.loglik, bootstrap_samples=int(lrs.size), exceedances=exceed, stopped_early=stopped,
        null_model=null_name, more_than_two=bool(three["p"] < settings["more_classes_alpha"]),
        three_classes_p=three["p"], extra=extra)


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
