"""A widening gap, tested inside ONE latent class model.

Model (two latent classes c = 0, 1; waves w; items j; t_w = wave_w - mean of the waves):

    P(class = 1 | wave w) = pi_w                        (free per wave: a growing
                                                          minority is not a widening gap)
    logit P(x_j = 1 | c, w) = alpha_j + beta_j c + gamma_{j,w}            (every item)
                              + delta c t_w      (advanced items only; mainstream items
                                                  anchor the classes)

gamma_{j,w} (item-specific wave effects, gamma_{j,first wave} = 0) absorb any drift
common to both classes (new wording, a changing sample), so only a change of the
class GAP moves delta. THE TEST'S SCALE IS THE LOGIT SCALE, stated in advance: delta is
the change per wave unit of the log-odds gap between the classes on each advanced
item. Class 1 is labelled the "advanced" class: the one with the higher mean
probability on the advanced items.

Estimation: EM. E-step: class posteriors of every (response pattern x wave) row. M-step:
class shares per wave in closed form, and a weighted binomial GLM (statsmodels
``GLM(..., family=Binomial())``, ``method="IRLS"``) of the answers on the design
above, with the posterior-weighted pattern x wave x class rows. Their covariates depend
only on (item, wave, class), so the rows are collapsed to their sufficient statistics
(posterior-weighted successes and trials per item x wave x class cell) before the GLM
call; the estimates are identical to the row-level GLM with frequency weights
(checked in tests/test_latent_gap_change.py). Several starts (the pooled two-class
LCA's posteriors and random posteriors) run a short EM; the best is then maximised to
convergence with L-BFGS-B on the observed-data log-likelihood, whose gradient is the
expected complete-data score (Fisher's identity).

Test: likelihood ratio of delta = 0, chi-square with 1 df: delta is an interior parameter of a
nested model with the number of classes fixed, so the usual asymptotics hold. Both models are
started from each other's solution as well (the full model from the null's with delta = 0, so
LR >= 0; the null from the full model's without delta, so a null stuck at a worse local maximum
cannot inflate the LR: with 15-30 % of answers blank at 100 respondents a wave it did, in about a
fifth of null data sets). The LR is SCALED for a misspecified model: divided by the ratio of the
sandwich (robust) variance of delta to its model-based variance whenever that ratio exceeds 1
(Satorra & Bentler 2001, one degree of freedom; White 1982): pooled regions whose profiles differ
make answers dependent within a class, and the unscaled LR was then oversized. The ratio is
never taken below 1, so a noisy sandwich in a small survey cannot make the test more liberal.
Interval: WALD with the same covariance (robust when scaled, else the observed information:
numerical Hessian, central differences of the analytic score). Per-wave gaps on the logit scale
(mean over advanced items of beta_j + delta t_w) and in percentage points (mean over
advanced items of the class difference in probability), per-wave class shares, all with
delta-method Wald intervals (shares on the logit scale, then transformed). Size and power:
chapter 09's stored method study.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special, stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int, check_level
from helpers.stats.latent.engine import class_posterior, compress_patterns, fit_classes, validate_items
from helpers.stats.results import TestResult

__all__ = ["GapChangeResult", "gap_change_test"]

TEST_NAME = "widening gap: class x wave interaction on advanced items in a two-class model (scaled LR test, 1 df)"
EM_BURN_IN = 25
EPS = 1e-10


@dataclass(frozen=True, kw_only=True)
class GapChangeResult(TestResult):
    """Result of :func:`gap_change_test`, usable directly as a register claim's ``result``.

    A :class:`helpers.stats.TestResult` (its register fields) with the model's tables: statistic = the
    scaled LR (chi-square, 1 df; ``extra``: ``lr_model`` unscaled, ``scaling``, ``se_model``),
    p_value two-sided, estimate = delta with its Wald interval (logit scale, per wave
    unit). ``gaps``: per wave ``gap_logit`` (low/high) and ``gap_pp`` (percentage points,
    low_pp/high_pp); ``shares``: advanced-class share per wave with intervals; ``items``:
    alpha, beta per item and the fitted class probabilities per wave.
    """

    __test__ = False

    note: str
    gaps: pd.DataFrame
    shares: pd.DataFrame
    items: pd.DataFrame
    loglik: float
    loglik_null: float

    def verdict(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """'supported' (widening) only if the adjusted p < alpha and delta > 0."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        check_level(alpha, "alpha")
        return "supported" if (p < alpha and self.estimate > 0) else "not supported"

    def interpretation(self, p_adjusted: float | None = None, alpha: float = 0.05) -> str:
        """The outcome in plain words."""
        p = self.p_value if p_adjusted is None else float(p_adjusted)
        per = (f"{self.estimate:+.2f} log-odds per wave ({self.level:.0%} interval {self.low:+.2f} to "
               f"{self.high:+.2f}; LR p = {p:.3g})")
        if p >= alpha:
            text = ("No change of the gap between the advanced class and the majority can be shown: " + per +
                    ". Drift common to both classes and a changing class share are allowed for and do not count.")
        elif self.estimate > 0:
            text = "The gap between the advanced class and the majority on the advanced items widens: " + per + "."
        else:
            text = "The gap between the advanced class and the majority on the advanced items NARROWS: " + per + "."
        reading = self.scale_reading(alpha)
        return text + (f" The two scales disagree: {reading}." if reading else "")

    def scale_reading(self, alpha: float = 0.05) -> str:
        """Empty when the logit-scale test and the percentage-point change of the gap agree; else both readings.

        Each scale reads "widening", "narrowing" (p < ``alpha``, by the sign of its change per
        wave) or "flat". The test is on the logit scale (declared in advance); the same change of
        the log-odds gap can be a flat or opposite change in percentage points (a rise near 5 %
        is a large logit change, near 75 % a small one), so a reader is told when they differ,
        e.g. "narrowing in log-odds, flat in percentage points".
        """
        check_level(alpha, "alpha")
        pp = self.extra["gap_pp_change"]

        def word(p, estimate):
            return "flat" if p >= alpha else ("widening" if estimate > 0 else "narrowing")

        logit, points = word(self.p_value, self.estimate), word(pp["p"], pp["estimate"])
        if logit == points:
            return ""
        return (f"{logit} in log-odds, {points} in percentage points (the percentage-point gap changes by "
                f"{pp['estimate']:+.1f} points per wave, {self.level:.0%} interval {pp['low']:+.1f} to "
                f"{pp['high']:+.1f}, Wald p = {pp['p']:.3g})")

    def claim_fields(self, alpha: float = 0.05) -> dict:
        """Keyword arguments for ``Chapter.claim``: widening = delta > 0 (direction 'greater', null 0).

        The note says so when the percentage-point change of the gap reads otherwise at ``alpha``.
        """
        reading = self.scale_reading(alpha)
        note = self.note + (f"; the scales disagree: {reading}" if reading else "")
        return {"result": self, "direction": "greater", "null_value": 0.0, "note": note}


# ----------------------------------------------------------------------------------
# Data and design
# ----------------------------------------------------------------------------------


class GapData:
    """The answers as unique (pattern, wave) rows with counts, and the item x wave x class design.

    ``with_delta``: the full model (the class x wave slope on the advanced items) or the null.
    The E-step, M-step and scores below take it as their first argument.
    """

    def __init__(self, x, wave_index, t, adv_mask, with_delta):
        w_count = t.size
        j = x.shape[1]
        coded = np.column_stack([x, wave_index.astype(float)])
        rows, inv = compress_patterns(coded)
        self.freq = np.bincount(inv, minlength=rows.shape[0]).astype(float)
        pats = rows[:, :j]
        self.wv = rows[:, j].astype(int)
        self.u = np.nan_to_num(pats, nan=0.0)
        self.m = (~np.isnan(pats)).astype(float)
        self.j, self.w_count, self.t, self.adv = j, w_count, t, adv_mask
        self.wave_total = np.bincount(self.wv, weights=self.freq, minlength=w_count)
        self.design = _design(j, w_count, t, adv_mask, with_delta)  # (J, W, 2, K)
        self.flat = self.design.reshape(-1, self.design.shape[-1])
        self.k = self.design.shape[-1]
        self.with_delta = with_delta


def _design(j, w_count, t, adv_mask, with_delta):
    k = 2 * j + j * (w_count - 1) + int(with_delta)
    x = np.zeros((j, w_count, 2, k))
    for jj in range(j):
        for w in range(w_count):
            for c in (0, 1):
                x[jj, w, c, jj] = 1.0  # alpha_j
                x[jj, w, c, j + jj] = c  # beta_j
                if w > 0:
                    x[jj, w, c, 2 * j + jj * (w_count - 1) + (w - 1)] = 1.0  # gamma_jw
                if with_delta and adv_mask[jj]:
                    x[jj, w, c, k - 1] = c * t[w]  # delta
    return x


def _cell_logp(d, coef):
    eta = d.design @ coef  # (J, W, 2)
    return -np.logaddexp(0.0, -eta), -np.logaddexp(0.0, eta), special.expit(eta)


def _estep(d, coef, lam):
    """Observed log-likelihood and class-1 posteriors of the rows."""
    lp, lq, _ = _cell_logp(d, coef)
    lp_r = lp.transpose(1, 2, 0)[d.wv]  # (R, 2, J)
    lq_r = lq.transpose(1, 2, 0)[d.wv]
    logf = np.einsum("rj,rcj->rc", d.u, lp_r) + np.einsum("rj,rcj->rc", d.m - d.u, lq_r)
    log_pi = np.stack([-np.logaddexp(0.0, lam), -np.logaddexp(0.0, -lam)], axis=1)[d.wv]  # (R, 2)
    logf += log_pi
    lse = np.logaddexp(logf[:, 0], logf[:, 1])
    post1 = np.exp(logf[:, 1] - lse)
    return float(d.freq @ lse), post1


def _cell_counts(d, post1):
    """Posterior-weighted successes and trials per item x wave x class cell (J, W, 2)."""
    wts = np.stack([d.freq * (1 - post1), d.freq * post1], axis=1)  # (R, 2)
    succ = np.zeros((d.w_count, 2, d.j))
    tri = np.zeros((d.w_count, 2, d.j))
    for w in range(d.w_count):
        sel = d.wv == w
        succ[w] = wts[sel].T @ d.u[sel]
        tri[w] = wts[sel].T @ d.m[sel]
    return succ.transpose(2, 0, 1), tri.transpose(2, 0, 1)


def m_step(d, post1, coef=None):
    """One M-step from class-1 posteriors ``post1`` of the rows: closed-form shares per wave and the
    weighted binomial GLM on the collapsed item x wave x class cells. Returns (coef, share logits)."""
    share = np.bincount(d.wv, weights=d.freq * post1, minlength=d.w_count) / d.wave_total
    share = np.clip(share, 1e-6, 1 - 1e-6)
    succ, tri = _cell_counts(d, post1)
    endog = np.column_stack([succ.ravel(), (tri - succ).ravel()])
    keep = tri.ravel() > 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(endog[keep], d.flat[keep], family=sm.families.Binomial())
        fit = model.fit(method="IRLS", start_params=coef, maxiter=50)
    new = np.clip(np.asarray(fit.params, dtype=float), -25, 25)
    return new, special.logit(share)


def loglik_and_score(d, coef, lam):
    """Observed log-likelihood and its gradient in (coef, lam) (Fisher's identity)."""
    ll, post1 = _estep(d, coef, lam)
    succ, tri = _cell_counts(d, post1)
    _, _, prob = _cell_logp(d, coef)
    g_coef = d.flat.T @ (succ - tri * prob).ravel()
    pi = special.expit(lam)
    g_lam = np.bincount(d.wv, weights=d.freq * post1, minlength=d.w_count) - d.wave_total * pi
    return ll, np.concatenate([g_coef, g_lam])


def row_scores(d, coef, lam):
    """Score of each (pattern, wave) row in (coef, lam), by Fisher's identity (rows x parameters)."""
    _, post1 = _estep(d, coef, lam)
    _, _, prob = _cell_logp(d, coef)  # (J, W, 2)
    post = np.stack([1 - post1, post1], axis=1)  # (R, 2)
    resid = post[:, None, :] * d.m[:, :, None] * (d.u[:, :, None] - prob.transpose(1, 0, 2)[d.wv])  # (R, J, 2)
    g_coef = np.einsum("rjc,rjck->rk", resid, d.design.transpose(1, 0, 2, 3)[d.wv])
    g_lam = np.zeros((d.freq.size, d.w_count))
    g_lam[np.arange(d.freq.size), d.wv] = post1 - special.expit(lam)[d.wv]
    return np.column_stack([g_coef, g_lam])


def _polish(d, coef, lam):
    total = d.freq.sum()
    k = d.k

    def fun(v):
        ll, g = loglik_and_score(d, v[:k], v[k:])
        return -ll / total, -g / total

    bounds = [(-25, 25)] * k + [(-12, 12)] * d.w_count
    res = optimize.minimize(fun, np.concatenate([coef, lam]), jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 3000, "gtol": 1e-9, "ftol": 1e-14, "maxcor": 30})
    v = res.x
    ll, _ = _estep(d, v[:k], v[k:])
    return v[:k], v[k:], ll, bool(res.success)


def _advanced_gap_sign(d, coef):
    _, _, prob = _cell_logp(d, coef)
    return float((prob[d.adv, :, 1] - prob[d.adv, :, 0]).mean())


def _em_from(d, post1, iters):
    """Orient a start (class 1 = higher advanced rate), then ``iters`` EM iterations."""
    adv_rate1 = (d.freq * post1) @ d.u[:, d.adv].sum(axis=1) / max((d.freq * post1).sum(), 1e-12)
    adv_rate0 = (d.freq * (1 - post1)) @ d.u[:, d.adv].sum(axis=1) / max((d.freq * (1 - post1)).sum(), 1e-12)
    if adv_rate1 < adv_rate0:
        post1 = 1 - post1
    coef, lam = m_step(d, post1)
    ll = -np.inf
    for _ in range(iters):
        ll, post1 = _estep(d, coef, lam)
        coef, lam = m_step(d, post1, coef)
    ll, _ = _estep(d, coef, lam)
    return coef, lam, ll


def _fit(d, start_posteriors, extra_starts=()):
    """Best of the starts after a short EM, then polished to the maximum; classes oriented."""
    cands = [_em_from(d, p, EM_BURN_IN) for p in start_posteriors]
    cands += [(c, lam, _estep(d, c, lam)[0]) for c, lam in extra_starts]
    best = max(cands, key=lambda c: c[2])
    coef, lam, ll, conv = _polish(d, best[0], best[1])
    if _advanced_gap_sign(d, coef) < 0:  # label switch: refit from swapped posteriors
        _, post1 = _estep(d, coef, lam)
        coef, lam = m_step(d, 1 - post1)
        for _ in range(5):
            _, post1 = _estep(d, coef, lam)
            coef, lam = m_step(d, post1, coef)
        coef, lam, ll, conv = _polish(d, coef, lam)
    return coef, lam, ll, conv


def _hessian(d, v):
    k = d.k
    h = np.zeros((v.size, v.size))
    for i in range(v.size):
        step = 1e-4 * max(1.0, abs(v[i]))
        vp, vm = v.copy(), v.copy()
        vp[i] += step
        vm[i] -= step
        h[:, i] = (loglik_and_score(d, vp[:k], vp[k:])[1] - loglik_and_score(d, vm[:k], vm[k:])[1]) / (2 * step)
    return (h + h.T) / 2


# ----------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------


def _check_names(names, value, label):
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise StatisticsInputError(f"{label}={value!r} must be a list of item column names")
    out = list(value)
    if not out:
        raise StatisticsInputError(f"{label} is empty: name at least one item column")
    for v in out:
        if v not in names:
            raise StatisticsInputError(f"{label} entry {v!r} is not a column of items")
    return out


def _checked(items, waves, advanced, mainstream, level, n_starts, seed):
    """Validated arguments: answers (advanced then mainstream columns), wave values and index, settings."""
    if not isinstance(items, pd.DataFrame):
        raise StatisticsInputError(f"items must be a pandas DataFrame of 0/1 columns, got {type(items).__name__}")
    names = list(items.columns)
    adv = _check_names(names, advanced, "advanced")
    main = _check_names(names, mainstream, "mainstream")
    overlap = set(adv) & set(main)
    if overlap:
        raise StatisticsInputError(f"item {sorted(overlap)[0]!r} is in both advanced and mainstream")
    settings = {"level": check_level(level), "n_starts": check_int(n_starts, "n_starts", 1),
                "seed": check_int(seed, "seed", 0), "advanced": adv}
    cols = adv + main
    x, _ = validate_items(items[cols])
    n = x.shape[0]
    try:
        wv = np.asarray(waves, dtype=float)
    except (TypeError, ValueError):
        raise StatisticsInputError("waves must be numbers (e.g. survey years)") from None
    if wv.ndim != 1 or wv.size != n:
        raise StatisticsInputError(f"waves has {wv.size} entries but items has {n} rows")
    if not np.all(np.isfinite(wv)):
        raise StatisticsInputError("waves contains missing or infinite values")
    values, wave_index = np.unique(wv, return_inverse=True)
    if values.size < 2:
        raise StatisticsInputError("waves must hold at least two distinct waves")
    return x, cols, values, wave_index, settings


def _start_posteriors(x, d0, n_starts, rng):
    """Starts: the pooled two-class LCA's posteriors (waves ignored), then random posteriors (rows of d0)."""
    pats, inv = compress_patterns(x)
    pf = np.bincount(inv, minlength=pats.shape[0]).astype(float)
    pu, pm = np.nan_to_num(pats, nan=0.0), (~np.isnan(pats)).astype(float)
    pi, th, _, _ = fit_classes(pu, pm, pf[None, :], 2, rng, 10)
    informed = class_posterior(d0.u, d0.m, pi[0], th[0])[:, 1]  # rows of d0 (pattern x wave)
    return [informed] + [rng.uniform(0.0, 1.0, size=d0.freq.size) for _ in range(n_starts - 1)]


def _fit_both(d0, d1, starts):
    """The null (no delta) and the full model, each also started from the other's solution.

    The full model starts from the null's solution with delta = 0, so LR >= 0; the null is refitted
    from the full model's solution without delta, so a null stuck at a worse local maximum (common
    with many blank answers in small surveys) does not inflate the LR.
    """
    coef0, lam0, ll0, conv0 = _fit(d0, starts)
    coef1, lam1, ll1, conv1 = _fit(d1, starts[:1], extra_starts=[(np.r_[coef0, 0.0], lam0)])
    coef0b, lam0b, ll0b, conv0b = _fit(d0, [], extra_starts=[(coef1[:-1], lam1)])
    if ll0b > ll0:
        ll0, conv0 = ll0b, conv0b
    return {"coef1": coef1, "lam1": lam1, "ll1": float(ll1), "ll0": float(ll0), "converged": bool(conv0 and conv1)}


def _scaled_lr(d1, v, lr_model):
    """The LR scaled by the sandwich-to-model variance ratio of delta (never below 1), and its covariance.

    Conditional independence within a class rarely holds exactly (pooled regions with their own
    profiles make answers dependent within a class); the model-based LR is then too large. The
    robust covariance H^-1 J H^-1 (J: outer products of the respondents' scores) is used, and the
    LR divided by var_robust(delta) / var_model(delta), whenever the ratio exceeds 1 (Satorra &
    Bentler 2001's scaled difference test with one degree of freedom); never below the model-based
    variance, so a noisy sandwich in a small survey cannot make the test more liberal.
    """
    k = d1.k
    hess = _hessian(d1, v)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(-hess)
    scores = row_scores(d1, v[:k], v[k:])
    robust = cov @ (scores.T * d1.freq) @ scores @ cov
    var_model = max(float(cov[k - 1, k - 1]), 0.0)
    scaling = max(1.0, float(robust[k - 1, k - 1]) / var_model) if var_model > 0 else 1.0
    lr_model = max(0.0, float(lr_model))
    lr = lr_model / scaling
    return {"cov": robust if scaling > 1.0 else cov, "lr": lr, "p": float(stats.chi2.sf(lr, 1)),
            "lr_model": lr_model, "scaling": scaling, "se_model": math.sqrt(var_model)}


def _gap_table(d1, v, cov, values, z):
    """Per-wave gaps: logit scale (linear in the parameters) and percentage points (delta method)."""
    j, k, t = d1.j, d1.k, d1.t
    adv_idx = np.flatnonzero(d1.adv)
    rows = []
    for w in range(values.size):
        lin = np.zeros(v.size)
        lin[j + adv_idx] = 1.0 / adv_idx.size
        lin[k - 1] = t[w]
        g_logit = float(lin @ v)
        se_logit = math.sqrt(max(float(lin @ cov @ lin), 0.0))

        def gap_pp(vec, w=w):
            _, _, prob = _cell_logp(d1, vec[:k])
            return float((prob[adv_idx, w, 1] - prob[adv_idx, w, 0]).mean())

        g_pp = gap_pp(v)
        grad = np.array([(gap_pp(v + e) - gap_pp(v - e)) / 2e-6 for e in np.eye(v.size) * 1e-6])
        se_pp = math.sqrt(max(grad @ cov @ grad, 0.0))
        rows.append({"wave": values[w], "gap_logit": g_logit, "low": g_logit - z * se_logit,
                     "high": g_logit + z * se_logit, "gap_pp": 100 * g_pp, "low_pp": 100 * (g_pp - z * se_pp),
                     "high_pp": 100 * (g_pp + z * se_pp)})
    return pd.DataFrame(rows)


def _pp_change(d1, v, cov, z):
    """Least-squares change per wave unit of the percentage-point gap, with a delta-method Wald test."""
    k, t = d1.k, d1.t
    adv_idx = np.flatnonzero(d1.adv)

    def slope(vec):
        _, _, prob = _cell_logp(d1, vec[:k])
        gap = (prob[adv_idx, :, 1] - prob[adv_idx, :, 0]).mean(axis=0)  # per wave
        return float(100 * (t @ gap) / (t @ t))

    est = slope(v)
    grad = np.array([(slope(v + e) - slope(v - e)) / 2e-6 for e in np.eye(v.size) * 1e-6])
    se = math.sqrt(max(grad @ cov @ grad, 0.0))
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    return {"estimate": est, "se": se, "low": est - z * se, "high": est + z * se, "p": p,
            "scale": "percentage points per wave unit (least-squares slope of the per-wave gaps)"}


def _item_table(d1, coef1, cols, values):
    """Alpha, beta and the fitted class probabilities per wave of every item."""
    j = d1.j
    _, _, prob = _cell_logp(d1, coef1)
    item_rows = []
    for jj, name in enumerate(cols):
        row = {"item": name, "tag": "advanced" if d1.adv[jj] else "mainstream", "alpha": coef1[jj],
               "beta": coef1[j + jj]}
        for w in range(values.size):
            row[f"p_majority_{values[w]:g}"] = prob[jj, w, 0]
            row[f"p_advanced_{values[w]:g}"] = prob[jj, w, 1]
        item_rows.append(row)
    return pd.DataFrame(item_rows).set_index("item")


def gap_change_test(items, waves, *, advanced, mainstream, level: float = 0.95, n_starts: int = 5,
                    seed: int = 2018) -> GapChangeResult:
    """Does the log-odds gap between the advanced class and the majority change per wave?

    ``items``: DataFrame with (at least) the ``advanced`` and ``mainstream`` 0/1 columns
    (rows = respondents, NaN = missing, marginalised); ``waves``: one number per row (e.g.
    the survey year; the slope delta is per unit of it). ``n_starts``: EM starts for each
    model (the pooled two-class LCA's posteriors, then random posteriors). Wald
    intervals at ``level``. Deterministic for a ``seed``. See the module docstring.
    """
    x, cols, values, wave_index, settings = _checked(items, waves, advanced, mainstream, level, n_starts, seed)
    level, adv = settings["level"], settings["advanced"]
    n = x.shape[0]
    t = values - values.mean()
    adv_mask = np.array([c in adv for c in cols])
    started = time.perf_counter()
    d1 = GapData(x, wave_index, t, adv_mask, with_delta=True)
    d0 = GapData(x, wave_index, t, adv_mask, with_delta=False)
    w_count = values.size
    if n <= d1.k + w_count:
        raise StatisticsInputError(f"items has {n} rows, too few for {d1.k + w_count} parameters")
    rng = np.random.default_rng(np.random.SeedSequence([settings["seed"], 11, 4]))
    fits = _fit_both(d0, d1, _start_posteriors(x, d0, settings["n_starts"], rng))
    coef1, lam1 = fits["coef1"], fits["lam1"]
    v = np.concatenate([coef1, lam1])
    test = _scaled_lr(d1, v, 2.0 * (fits["ll1"] - fits["ll0"]))
    cov, lr, p = test["cov"], test["lr"], test["p"]
    z = float(stats.norm.ppf(0.5 + level / 2))
    k = d1.k
    delta = float(coef1[k - 1])
    se_delta = math.sqrt(max(cov[k - 1, k - 1], 0.0))
    gaps = _gap_table(d1, v, cov, values, z)
    labels = values.astype(int) if np.all(values == np.round(values)) else values  # waves are years
    se_lam = np.sqrt(np.clip(np.diag(cov)[k:], 0.0, None))
    gaps["wave"] = labels
    shares = pd.DataFrame({"wave": labels, "n": d1.wave_total.astype(int), "share": special.expit(lam1),
                           "low": special.expit(lam1 - z * se_lam), "high": special.expit(lam1 + z * se_lam)})
    note = (f"two-class model, class shares free per wave, item x wave effects on every item; delta = change per "
            f"wave unit of the log-odds gap on {', '.join(adv)} (mainstream items anchor the classes); LR test of "
            f"delta = 0, chi-square 1 df, scaled by the robust-to-model variance ratio "
            f"{test['scaling']:.2f}; Wald interval from the {'sandwich' if test['scaling'] > 1.0 else 'model'} "
            f"covariance; waves centred at {values.mean():g}")
    extra = {"se": se_delta, "se_model": test["se_model"], "lr_model": test["lr_model"], "scaling": test["scaling"],
             "wald_z": delta / se_delta if se_delta > 0 else float("nan"), "converged": fits["converged"],
             "n_parameters": int(d1.k + w_count), "n_parameters_null": int(d0.k + w_count),
             "interval_method": ("Wald, sandwich (robust) covariance" if test["scaling"] > 1.0
                                 else "Wald, observed information"),
             "wave_centre": float(values.mean()), "seconds": time.perf_counter() - started,
             "rows": int(d1.freq.size), "coefficients": coef1, "share_logits": lam1,
             "gap_pp_change": _pp_change(d1, v, cov, z)}
    return GapChangeResult(
        test=TEST_NAME, method="lca_class_by_wave_lr", statistic=float(lr), p_value=p, estimate=delta,
        low=delta - z * se_delta, high=delta + z * se_delta, level=level, n=int(n),
        scale=("change per wave unit of the log-odds gap (advanced vs majority class) on each advanced item "
               "(logit scale)"),
        alternative="two-sided", note=note, gaps=gaps, shares=shares, items=_item_table(d1, coef1, cols, values),
        loglik=fits["ll1"], loglik_null=fits["ll0"], extra=extra)
