"""One continuous trait whose distribution is not assumed normal: the 2PL with a skew-normal latent density.

P(x_j = 1 | theta) = expit(a_j theta + c_j) as in :mod:`helpers.stats.latent.trait`, but theta
has a skew-normal density (Azzalini 1985), log density -z^2 / 2 + log Phi(alpha z), estimated with
the items on a fixed grid of ``GRID_NODES`` points over [-GRID_RANGE, GRID_RANGE] (a discrete
latent distribution, as in Bock & Aitkin's quadrature). alpha = 0 is the normal; the skewness
stays below 0.995, but seen through binary items the slopes absorb much of a stronger skew
(docs/statistics-two-groups.md shows it on gamma-distributed traits). Unimodal for every alpha,
so it never contains two discrete groups.

Location and scale of theta are not identified apart from a and c (a shift or stretch of the
density is undone by the item parameters); the likelihood is what the tests use, and the fit is
oriented so that the discriminations sum to a positive number. Estimation on unique response
patterns: L-BFGS-B with the analytic gradient for one data set, batched BHHH scoring with step
halving for many (the parametric bootstrap), refitted by L-BFGS-B where scoring stalls.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special, stats

from helpers.errors import StatisticsInputError
from helpers.stats.latent.engine import log_sum_exp
from helpers.stats.latent.trait import A_MAX, C_MAX

__all__ = ["DENSITIES", "LatentDensity", "density_start", "fit_density_trait", "fit_density_trait_batch",
           "fit_density_trait_best", "simulate_density_trait", "density_weights", "density_negloglik_and_grad"]

DENSITIES = ("skew-normal",)
GRID_NODES = 33
GRID_RANGE = 6.0
#: Bound on the skew-normal's shape alpha.
ALPHA_MAX = 30.0


class LatentDensity:
    """A family of densities on the grid: log density L(eta) (up to a constant) and its Jacobian."""

    def __init__(self, kind: str):
        if kind not in DENSITIES:
            raise StatisticsInputError(f"density={kind!r} is not one of {', '.join(map(repr, DENSITIES))}")
        self.kind = kind
        self.nodes = np.linspace(-GRID_RANGE, GRID_RANGE, GRID_NODES)
        self.size = 1
        self.bounds = [(-ALPHA_MAX, ALPHA_MAX)]

    def log_density(self, eta):
        """Unnormalised log density at the nodes, (..., Q) for eta (..., size)."""
        z = self.nodes
        return -0.5 * z**2 + special.log_ndtr(eta[..., :1] * z)

    def jacobian(self, eta):
        """dL / d eta, (..., Q, size)."""
        z = self.nodes
        az = eta[..., :1] * z
        return (z * np.exp(stats.norm.logpdf(az) - special.log_ndtr(az)))[..., None]


def density_weights(density: LatentDensity, eta) -> np.ndarray:
    """Probabilities of the grid nodes (..., Q)."""
    log_d = density.log_density(np.asarray(eta, dtype=float))
    return np.exp(log_d - log_sum_exp(log_d, axis=-1, keepdims=True))


def density_start(density: LatentDensity, normal_params, j):
    """Start values from a normal-trait 2PL fit [a, c]: the same items, a N(0, 1) density on the grid (alpha = 0)."""
    return np.concatenate([np.asarray(normal_params, dtype=float)[: 2 * j], np.zeros(density.size)])


def density_negloglik_and_grad(params, u, m, freq, density):
    """-loglik and gradient for [a (J), c (J), eta] on patterns u (P, J), answered m, counts freq."""
    j = u.shape[1]
    a, c, eta = params[:j], params[j:2 * j], params[2 * j:]
    nodes = density.nodes
    log_d = density.log_density(eta)
    lw = log_d - log_sum_exp(log_d, axis=-1)
    lin = nodes[:, None] * a[None, :] + c[None, :]
    log_p, log_q = -np.logaddexp(0.0, -lin), -np.logaddexp(0.0, lin)
    logf = u @ log_p.T + (m - u) @ log_q.T + lw[None, :]
    lse = log_sum_exp(logf, axis=1)
    post = np.exp(logf - lse[:, None]) * freq[:, None]
    resid = post.T @ u - (post.T @ m) * np.exp(log_p)
    grad_l = post.sum(axis=0) - freq.sum() * np.exp(lw)
    grad = np.concatenate([nodes @ resid, resid.sum(axis=0), density.jacobian(eta).T @ grad_l])
    return -float(freq @ lse), -grad


def _bounds(density, j):
    return [(-A_MAX, A_MAX)] * j + [(-C_MAX, C_MAX)] * j + density.bounds


def fit_density_trait(u, m, freq, density: LatentDensity, start):
    """Maximise the marginal log-likelihood of one data set (L-BFGS-B). Returns params, loglik, converged."""
    total = float(freq.sum())

    def fun(p):
        f, g = density_negloglik_and_grad(p, u, m, freq, density)
        return f / total, g / total

    res = optimize.minimize(fun, np.asarray(start, dtype=float), jac=True, method="L-BFGS-B",
                            bounds=_bounds(density, u.shape[1]),
                            options={"maxiter": 3000, "gtol": 1e-7, "ftol": 1e-14, "maxcor": 30})
    return _oriented(res.x, density, u.shape[1]), -float(res.fun) * total, bool(res.success)


def _oriented(params, density, j):
    """theta -> -theta (a -> -a, the density mirrored) leaves the likelihood unchanged: sum of a > 0."""
    params = np.array(params, dtype=float)
    if params[:j].sum() >= 0:
        return params
    params[:j] = -params[:j]
    params[2 * j:] = -params[2 * j:]  # the mirrored skew-normal
    return params


def fit_density_trait_best(u, m, freq, density: LatentDensity, normal_params):
    """Best of three starts: a normal density, and right- and left-skewed ones, with the normal fit's items."""
    j = u.shape[1]
    start = density_start(density, normal_params, j)
    best = fit_density_trait(u, m, freq, density, start)
    for shape in (4.0, -4.0):
        trial = start.copy()
        trial[2 * j:] = shape
        fit = fit_density_trait(u, m, freq, density, trial)
        if fit[1] > best[1] + 1e-9:
            best = fit
    return best


def _evaluate(par, u, m, fr, density, j):
    a, c, eta = par[:, :j], par[:, j:2 * j], par[:, 2 * j:]
    lin = density.nodes[None, :, None] * a[:, None, :] + c[:, None, :]  # (R, Q, J)
    log_p, log_q = -np.logaddexp(0.0, -lin), -np.logaddexp(0.0, lin)
    log_d = density.log_density(eta)
    lw = log_d - log_sum_exp(log_d, axis=1, keepdims=True)  # (R, Q)
    if u.ndim == 2:
        logf = (log_p @ u.T + log_q @ (m - u).T).transpose(0, 2, 1)
    else:
        logf = np.einsum("rqj,rpj->rpq", log_p, u) + np.einsum("rqj,rpj->rpq", log_q, m - u)
    logf += lw[:, None, :]
    lse = log_sum_exp(logf, axis=2)
    return np.einsum("rp,rp->r", fr, lse), logf, lse, np.exp(log_p), np.exp(lw)


def _scores(post, u, m, prob, w, jac, nodes):
    """Per-pattern scores (r, P, K) of items and density parameters."""
    ep = post @ prob
    epz = (post * nodes) @ prob
    ez = post @ nodes
    s_a = u * ez[..., None] - m * epz
    s_c = u - m * ep
    s_d = post @ jac - (w[:, None, :] @ jac)
    return np.concatenate([s_a, s_c, s_d], axis=2)


def fit_density_trait_batch(u, m, freq, density: LatentDensity, start, tol=1e-7, max_iter=150):
    """Fit R data sets at once (freq (R, P); u, m shared (P, J) or per data set (R, P, J)) from ``start``.

    BHHH scoring (information = sum of outer products of per-pattern scores) with step halving;
    a data set stops when its log-likelihood changes by less than ``tol`` per respondent. Data
    sets still moving after ``max_iter`` are finished by L-BFGS-B. Returns params (R, K), loglik (R,).
    """
    r_count = freq.shape[0]
    j = u.shape[-1]
    total = freq.sum(axis=1)
    params = np.tile(np.asarray(start, dtype=float), (r_count, 1))
    bounds = np.array(_bounds(density, j))
    ll, logf, lse, prob, w = _evaluate(params, u, m, freq, density, j)
    active = np.ones(r_count, dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        uu, mm = (u, m) if u.ndim == 2 else (u[idx], m[idx])
        post = np.exp(logf[idx] - lse[idx][..., None])
        s = _scores(post, uu, mm, prob[idx], w[idx], density.jacobian(params[idx, 2 * j:]), density.nodes)
        fr = freq[idx]
        grad = np.einsum("rp,rpk->rk", fr, s)
        info = (s * fr[..., None]).transpose(0, 2, 1) @ s + 1e-6 * np.eye(s.shape[2])
        step = np.linalg.solve(info, grad[..., None])[..., 0]
        base, old = params[idx].copy(), ll[idx].copy()
        accepted = np.zeros(idx.size, dtype=bool)
        scale = np.ones(idx.size)
        for _half in range(12):
            trial = np.clip(base + scale[:, None] * step, bounds[:, 0], bounds[:, 1])
            t_ll, t_logf, t_lse, t_prob, t_w = _evaluate(trial, uu, mm, fr, density, j)
            ok = (t_ll >= old - 1e-10) & ~accepted
            sel = idx[ok]
            params[sel], ll[sel], logf[sel], lse[sel], prob[sel], w[sel] = (
                trial[ok], t_ll[ok], t_logf[ok], t_lse[ok], t_prob[ok], t_w[ok])
            accepted |= ok
            if accepted.all():
                break
            scale = np.where(accepted, scale, scale / 2)
        done = (np.abs(ll[idx] - old) / total[idx] < tol) | ~accepted
        active[idx[done]] = False
    for r in np.flatnonzero(active):
        ur, mr = (u, m) if u.ndim == 2 else (u[r], m[r])
        params[r], ll[r], _ = fit_density_trait(ur, mr, freq[r], density, params[r])
    return params, ll


def simulate_density_trait(params, density: LatentDensity, n, rng):
    """``n`` rows from a fitted model: theta drawn from the grid density, answers independent Bernoulli."""
    j = (params.size - density.size) // 2
    a, c, eta = params[:j], params[j:2 * j], params[2 * j:]
    theta = density.nodes[rng.choice(density.nodes.size, size=n, p=density_weights(density, eta))]
    prob = special.expit(theta[:, None] * a[None, :] + c[None, :])
    return (rng.random((n, j)) < prob).astype(float)
