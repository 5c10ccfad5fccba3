"""One continuous trait: the one-factor two-parameter logistic (2PL) item response model.

P(x_j = 1 | theta) = 1 / (1 + exp(-a_j (theta - b_j))), theta ~ N(0, 1), fitted by
marginal maximum likelihood with Gauss-Hermite quadrature (the "probabilists'"
rule: nodes and weights for the standard normal density, as in R ``ltm``).

Estimation works on UNIQUE RESPONSE PATTERNS with counts: 9 binary items have at
most 512 patterns (3**9 with missing answers), whatever the number of respondents,
so a fit costs the same for 1,000 or 1,000,000 rows and a parametric bootstrap is
cheap. The log-likelihood is maximised directly (scipy L-BFGS-B with the analytic
gradient) in the slope-intercept form logit P = a_j theta + c_j, with bounded
slopes |a_j| <= A_MAX and intercepts |c_j| <= C_MAX, so items endorsed by almost
nobody or almost everybody stay finite; difficulties are b_j = -c_j / a_j.

Missing answers follow :mod:`helpers.stats.latent.engine`: full-information likelihood, a
missing answer contributes no factor to its respondent's likelihood (missing at
random); a respondent with no answered item is an error. The sign of theta is not
identified (a -> -a leaves the likelihood unchanged): the fit is oriented so that
the sum of the discriminations is positive.

Reference check: the LSAT section 6 data (Bock & Lieberman 1970) reproduce R
``ltm``'s published fit (Rizopoulos 2006) to the printed precision; see
tests/test_latent_trait.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize, special

from helpers.errors import StatisticsInputError
from helpers.stats.checks import check_int
from helpers.stats.latent.engine import log_sum_exp, validate_items, validate_weights, weighted_patterns

__all__ = ["TraitModelResult", "fit_trait_model", "A_MAX", "C_MAX", "quadrature", "trait_start_values",
           "fit_trait_patterns", "fit_trait_batch", "fit_trait_best", "negloglik_and_grad"]

#: Bounds on the slope-intercept parameters (keep extreme items finite).
A_MAX = 10.0
C_MAX = 20.0
#: L-BFGS-B convergence: projected gradient norm (per respondent) and iterations.
GTOL = 1e-7
MAX_ITER = 2000


def quadrature(n_quadrature: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights of the Gauss-Hermite rule for the standard normal density."""
    nodes, weights = hermegauss(n_quadrature)
    return nodes, np.log(weights / math.sqrt(2.0 * math.pi))


def negloglik_and_grad(params, u, m, freq, nodes, log_w):
    """-loglik and its gradient for slope-intercept params [a (J), c (J)] on patterns.

    u: (P, J) ones (missing as 0), m: (P, J) observed mask, freq: (P,) pattern counts.
    """
    j = u.shape[1]
    a, c = params[:j], params[j:]
    eta = nodes[:, None] * a[None, :] + c[None, :]  # (Q, J)
    log_p = -np.logaddexp(0.0, -eta)
    log_q = -np.logaddexp(0.0, eta)
    logf = u @ log_p.T + (m - u) @ log_q.T + log_w[None, :]  # (P, Q)
    lse = log_sum_exp(logf, axis=1)
    ll = float(freq @ lse)
    post = np.exp(logf - lse[:, None]) * freq[:, None]  # (P, Q), rows sum to freq
    prob = np.exp(log_p)  # (Q, J)
    resid = post.T @ u - (post.T @ m) * prob  # (Q, J): sum over patterns of r (u - m p)
    grad_c = resid.sum(axis=0)
    grad_a = nodes @ resid
    return -ll, -np.concatenate([grad_a, grad_c])


def _pattern_loglik(params, u, m, nodes, log_w):
    """Log marginal probability of every pattern (P,)."""
    j = u.shape[1]
    a, c = params[:j], params[j:]
    eta = nodes[:, None] * a[None, :] + c[None, :]
    logf = u @ (-np.logaddexp(0.0, -eta)).T + (m - u) @ (-np.logaddexp(0.0, eta)).T + log_w[None, :]
    return log_sum_exp(logf, axis=1)


def trait_start_values(u, m, freq):
    """Intercepts from the item means (a = 1 shrinks the logit by about sqrt(1 + pi a^2 / 8))."""
    endorsed = freq @ u + 0.5
    answered = freq @ m + 1.0
    rate = endorsed / answered
    a = np.ones(u.shape[1])
    c = np.log(rate / (1 - rate)) * math.sqrt(1 + math.pi / 8)
    return np.concatenate([a, np.clip(c, -C_MAX + 1, C_MAX - 1)])


def fit_trait_patterns(u, m, freq, n_quadrature, start=None):
    """Maximise the marginal log-likelihood on patterns. Returns params, loglik, converged."""
    nodes, log_w = quadrature(n_quadrature)
    j = u.shape[1]
    x0 = trait_start_values(u, m, freq) if start is None else np.asarray(start, dtype=float).copy()
    bounds = [(-A_MAX, A_MAX)] * j + [(-C_MAX, C_MAX)] * j
    total = float(freq.sum())

    def fun(p):
        f, g = negloglik_and_grad(p, u, m, freq, nodes, log_w)
        return f / total, g / total

    res = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": MAX_ITER, "gtol": GTOL, "ftol": 1e-15, "maxcor": 20})
    params = res.x.copy()
    if params[:j].sum() < 0:  # orient the trait: theta -> -theta leaves the likelihood unchanged
        params[:j] = -params[:j]
    ll = -negloglik_and_grad(params, u, m, freq, nodes, log_w)[0]
    return params, ll, bool(res.success)


def fit_trait_batch(u, m, freq, n_quadrature, start, tol=1e-8, max_iter=100):
    """Fit R data sets at once (freq: (R, P)) by BHHH scoring with step halving, from ``start``.

    The direction solves I d = g with I = sum_p n_p s_p s_p' (outer product of the
    per-pattern scores, which estimates the information), so every iteration is a
    few batched array products. A data set stops when its log-likelihood changes by
    less than ``tol`` per respondent. Data sets that do not converge are refitted by
    :func:`_fit_patterns` (L-BFGS-B). Returns params (R, 2J) and loglik (R,).
    """
    nodes, log_w = quadrature(n_quadrature)
    r_count, _ = freq.shape
    j = u.shape[1]
    total = freq.sum(axis=1)
    params = np.tile(np.asarray(start, dtype=float), (r_count, 1))
    lo = np.r_[np.full(j, -A_MAX), np.full(j, -C_MAX)]
    hi = -lo

    ut, vt = u.T.copy(), (m - u).T.copy()

    def evaluate(par, fr):
        a, c = par[:, :j], par[:, j:]
        eta = nodes[None, :, None] * a[:, None, :] + c[:, None, :]  # (R, Q, J)
        log_p = -np.logaddexp(0.0, -eta)
        log_q = -np.logaddexp(0.0, eta)
        logf = (log_p @ ut + log_q @ vt).transpose(0, 2, 1) + log_w  # (R, P, Q)
        lse = log_sum_exp(logf, axis=2)  # (R, P)
        ll = np.einsum("rp,rp->r", fr, lse)
        return ll, logf, lse, np.exp(log_p)

    ll, logf, lse, prob = evaluate(params, freq)
    active = np.ones(r_count, dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        post = np.exp(logf[idx] - lse[idx][..., None])  # (r, P, Q), rows sum to 1
        # per-pattern score: sum_q post_pq (u_pj - m_pj p_qj) [z_q, 1]
        ep = post @ prob[idx]
        epz = (post * nodes) @ prob[idx]
        ez = post @ nodes  # (r, P)
        s_a = u[None] * ez[..., None] - m[None] * epz
        s_c = u[None] - m[None] * ep
        s = np.concatenate([s_a, s_c], axis=2)  # (r, P, 2J)
        fr = freq[idx]
        grad = np.einsum("rp,rpk->rk", fr, s)
        info = (s * fr[..., None]).transpose(0, 2, 1) @ s + 1e-8 * np.eye(2 * j)
        step = np.linalg.solve(info, grad[..., None])[..., 0]
        base = params[idx].copy()
        old = ll[idx]
        accepted = np.zeros(idx.size, dtype=bool)
        scale = np.ones(idx.size)
        for _half in range(12):
            trial = np.clip(base + scale[:, None] * step, lo, hi)
            t_ll, t_logf, t_lse, t_prob = evaluate(trial, fr)
            ok = (t_ll >= old - 1e-10) & ~accepted
            sel = idx[ok]
            params[sel], ll[sel], logf[sel] = trial[ok], t_ll[ok], t_logf[ok]
            lse[sel], prob[sel] = t_lse[ok], t_prob[ok]
            accepted |= ok
            if accepted.all():
                break
            scale = np.where(accepted, scale, scale / 2)
        change = np.abs(ll[idx] - old) / total[idx]
        done = (change < tol) | ~accepted
        active[idx[done]] = False
    # any data set still active, or stopped by a failed line search with a large gradient: L-BFGS-B
    ok = ~active
    for r in np.flatnonzero(active):
        params[r], ll[r], _ = fit_trait_patterns(u, m, freq[r], n_quadrature, start=params[r])
    flip = params[:, :j].sum(axis=1) < 0
    params[flip, :j] *= -1
    return params, ll, ok


def fit_trait_best(u, m, freq, n_quadrature, rng, n_starts=5):
    """Best of several starts: item-mean start values, then random slopes in (-2, 2).

    With weakly associated items the 2PL likelihood has several local maxima (slopes
    near 0 of either sign), so one start is not enough on real data.
    """
    best = fit_trait_patterns(u, m, freq, n_quadrature)
    j = u.shape[1]
    base = trait_start_values(u, m, freq)
    for _ in range(n_starts - 1):
        start = base.copy()
        start[:j] = rng.uniform(-2.0, 2.0, size=j)
        fit = fit_trait_patterns(u, m, freq, n_quadrature, start=start)
        if fit[1] > best[1] + 1e-9:
            best = fit
    return best


@dataclass(frozen=True, eq=False)
class TraitModelResult:
    """A fitted one-factor 2PL model.

    ``items``: DataFrame indexed by item name with ``discrimination`` (a),
    ``difficulty`` (b = -c / a; infinite when a = 0) and ``intercept`` (c; logit
    of the probability at theta = 0). ``loglik`` is the marginal log-likelihood at
    the optimum (with ``n_quadrature`` Gauss-Hermite points), ``n_parameters`` = 2J,
    ``bic`` = -2 loglik + 2J ln n. ``simulate`` draws new data from the fit.
    """

    loglik: float
    n_parameters: int
    bic: float
    aic: float
    items: pd.DataFrame
    n: int
    n_quadrature: int
    converged: bool
    settings: dict = field(default_factory=dict)

    @property
    def params(self) -> np.ndarray:
        """Slope-intercept vector [a_1..a_J, c_1..c_J]."""
        return np.concatenate([self.items["discrimination"].to_numpy(), self.items["intercept"].to_numpy()])

    def pattern_probabilities(self, patterns) -> np.ndarray:
        """Model probability of each given 0/1 pattern (rows; NaN = missing, marginalised)."""
        x = np.asarray(patterns, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.items):
            raise StatisticsInputError(f"patterns must have {len(self.items)} columns, got shape {x.shape}")
        nodes, log_w = quadrature(self.n_quadrature)
        u = np.nan_to_num(x, nan=0.0)
        m = (~np.isnan(x)).astype(float)
        return np.exp(_pattern_loglik(self.params, u, m, nodes, log_w))

    def simulate(self, n: int, rng: np.random.Generator | int | None = None, missing=None) -> pd.DataFrame:
        """``n`` new respondents: theta ~ N(0, 1), independent Bernoulli answers given theta.

        ``missing`` (optional boolean array n x J) blanks those answers (NaN), e.g. to
        keep the missing-value pattern of the real data in a parametric bootstrap.
        """
        n = check_int(n, "n", 1)
        rng = np.random.default_rng(rng)
        a = self.items["discrimination"].to_numpy()
        c = self.items["intercept"].to_numpy()
        theta = rng.standard_normal(n)
        prob = special.expit(theta[:, None] * a[None, :] + c[None, :])
        x = (rng.random(prob.shape) < prob).astype(float)
        if missing is not None:
            miss = np.asarray(missing, dtype=bool)
            if miss.shape != x.shape:
                raise StatisticsInputError(f"missing has shape {miss.shape}, expected {x.shape}")
            x[miss] = np.nan
        return pd.DataFrame(x, columns=list(self.items.index))


def _result(params, ll, converged, names, n, n_quadrature, settings):
    j = len(names)
    a, c = params[:j], params[j:]
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(a != 0, -c / a, np.inf)
    items = pd.DataFrame({"discrimination": a, "difficulty": b, "intercept": c},
                         index=pd.Index(names, name="item"))
    k = 2 * j
    return TraitModelResult(loglik=float(ll), n_parameters=k, bic=float(-2 * ll + k * math.log(n)),
                            aic=float(-2 * ll + 2 * k), items=items, n=int(n), n_quadrature=n_quadrature,
                            converged=converged, settings=settings)


def fit_trait_model(items, *, n_quadrature: int = 21, weights=None, n_starts: int = 5) -> TraitModelResult:
    """Fit the one-factor 2PL model by marginal maximum likelihood (Gauss-Hermite quadrature).

    ``items``: DataFrame of 0/1 columns (rows = respondents; NaN = missing, marginalised
    out as in the latent class models). ``n_quadrature``: number of
    Gauss-Hermite points for the N(0, 1) trait (21, as R ``ltm``'s default).
    ``weights`` (optional, positive) are rescaled to sum to n and enter as a
    pseudo-likelihood; BIC is then approximate. ``n_starts``: starting points (item-mean
    start, then random slopes; deterministic), the best fit is kept. Errors name the
    offending argument.
    """
    x, names = validate_items(items)
    n_quadrature = check_int(n_quadrature, "n_quadrature", 2)
    n_starts = check_int(n_starts, "n_starts", 1)
    n, j = x.shape
    if j < 2:
        raise StatisticsInputError(f"items has {j} column; a trait model needs at least 2 items")
    w = validate_weights(weights, n)
    patterns, inv, freq, u, m = weighted_patterns(x, w)
    params, ll, conv = fit_trait_best(u, m, freq, n_quadrature, np.random.default_rng(n_starts), n_starts)
    settings = {"n_starts": n_starts, "patterns": int(patterns.shape[0]), "weighted": w is not None,
                "missing_values": bool(np.isnan(x).any()), "method": "marginal ML, L-BFGS-B, analytic gradient"}
    return _result(params, ll, conv, names, n, n_quadrature, settings)
