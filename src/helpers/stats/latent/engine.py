"""The one latent-class engine: response patterns, batched EM, simulation and posteriors.

Every latent class fit of the project runs here: :func:`helpers.stats.groups.fit_latent_classes`
(K = 1..5 by BIC), :func:`helpers.stats.latent.fit_class_model`, the headline tests of
:mod:`helpers.stats.latent` and their parametric bootstraps.

* **Patterns.** Respondents are compressed to unique response patterns (NaN = missing kept
  as its own value) with counts, so a fit costs the same for a thousand or a million rows
  when there are few items. Missing answers are marginalised (full-information likelihood:
  a missing answer contributes no factor), so they need no imputation.
* **EM.** :func:`fit_many` runs many independent problems at once (random starts, bootstrap
  data sets): every start runs a short burn-in, the best few are iterated to convergence
  (Mplus-style two-stage starts). Problems either share one pattern matrix (P, J) with
  their own counts (R, P), or carry their own pattern matrices (R, P, J) - the layout for
  bootstrap samples with missing answers, whose patterns hardly overlap.
* **Simulation and posteriors.** :func:`simulate_classes` draws class membership and
  independent Bernoulli answers; :func:`class_posterior` gives class membership
  probabilities of patterns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import fmt

__all__ = [
    "EM_TOL", "EM_MAX_ITER", "BURN_IN", "EPS", "validate_items", "validate_weights", "compress_patterns",
    "weighted_patterns", "pool_patterns", "random_starts", "fit_many", "fit_classes", "simulate_classes",
    "class_posterior", "bootstrap_patterns", "class_lr_bootstrap",
]

#: EM convergence: change of the (weighted) mean log-likelihood per respondent.
EM_TOL = 1e-9
EM_MAX_ITER = 3000
#: Two-stage starts: every start runs BURN_IN = (iterations, tolerance) first, then
#: the best quarter (at least 2) is iterated to EM_TOL.
BURN_IN = (100, 1e-6)
#: Probabilities are kept inside [EPS, 1 - EPS] so that logs stay finite.
EPS = 1e-12
#: Upper bound on the number of float64 cells of one batched E-step array.
BATCH_CELLS = 4_000_000


# ----------------------------------------------------------------------------------
# Items and patterns
# ----------------------------------------------------------------------------------


def _binary_column(col, name) -> np.ndarray:
    try:
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            values = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = pd.to_numeric(col.astype("object").where(col.notna(), np.nan), errors="raise")
            values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        bad = col.dropna().iloc[0] if col.notna().any() else None
        raise StatisticsInputError(f"column {name!r} of items is not binary (value {bad!r})") from None
    obs = ~np.isnan(values)
    if not obs.any():
        raise StatisticsInputError(f"column {name!r} of items is entirely missing")
    bad = obs & (values != 0) & (values != 1)
    if bad.any():
        raise StatisticsInputError(
            f"column {name!r} of items is not binary: value {fmt(values[bad][0])} (expected 0, 1 or missing)")
    return values


def validate_items(items: Any) -> tuple[np.ndarray, list]:
    """The 0/1 answers as a float array (NaN = missing) and the column names; errors name the column."""
    if isinstance(items, pd.DataFrame):
        frame = items
    elif isinstance(items, np.ndarray) and items.ndim == 2:
        frame = pd.DataFrame(items, columns=[f"item_{j + 1}" for j in range(items.shape[1])])
    else:
        raise StatisticsInputError(f"items must be a pandas DataFrame of 0/1 columns, got {type(items).__name__}")
    if frame.shape[1] == 0:
        raise StatisticsInputError("items has no columns")
    if frame.shape[0] == 0:
        raise StatisticsInputError("items has no rows")
    if frame.columns.duplicated().any():
        raise StatisticsInputError(f"items has duplicated column {frame.columns[frame.columns.duplicated()][0]!r}")
    x = np.column_stack([_binary_column(frame[name], name) for name in frame.columns])
    empty_rows = np.flatnonzero(np.isnan(x).all(axis=1))
    if empty_rows.size:
        raise StatisticsInputError(
            f"row {fmt(frame.index[empty_rows[0]])} of items has no answered item; drop such rows first")
    return x, list(frame.columns)


def validate_weights(weights: Any, n: int, name: str = "weights") -> np.ndarray | None:
    """Positive finite weights, one per row (None: unweighted)."""
    if weights is None:
        return None
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatisticsInputError(f"{name} must be numbers ({exc})") from None
    if w.ndim != 1 or w.size != n:
        raise StatisticsInputError(f"{name} has {w.size} entries but there are {n} rows")
    if not np.all(np.isfinite(w)):
        raise StatisticsInputError(f"{name} contains missing or infinite values")
    if np.any(w <= 0):
        i = int(np.flatnonzero(w <= 0)[0])
        raise StatisticsInputError(f"{name}[{i}]={fmt(w[i])} is not positive")
    return w


def compress_patterns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique response patterns (NaN kept) and the row -> pattern index."""
    n, j = x.shape
    coded = np.where(np.isnan(x), 2, x).astype(np.int64)
    if j <= 39:  # 3**39 < 2**63: one integer code per row
        code = coded @ (3 ** np.arange(j, dtype=np.int64))
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
    else:
        _, first, inv = np.unique(coded, axis=0, return_index=True, return_inverse=True)
    return x[first], inv.ravel()


def weighted_patterns(x: np.ndarray, w: np.ndarray | None):
    """``(patterns, inv, freq, answers, answered)``: what every pattern-based fit works on.

    ``freq`` sums the row weights (rescaled to sum to n; all 1 when unweighted) per unique pattern;
    ``answers`` are the patterns with missing answers as 0 and ``answered`` marks the answered cells.
    """
    n = x.shape[0]
    w_row = np.ones(n) if w is None else w * (n / w.sum())
    patterns, inv = compress_patterns(x)
    freq = np.bincount(inv, weights=w_row, minlength=patterns.shape[0])
    return patterns, inv, freq, np.nan_to_num(patterns, nan=0.0), (~np.isnan(patterns)).astype(float)


def pool_patterns(datasets, w_row=None):
    """One pattern matrix shared by R data sets: answers (P, J), answered (P, J), counts (R, P).

    The right layout when the data sets' patterns overlap (no missing answers, few items);
    ``w_row`` (optional) weights the rows of every data set.
    """
    per = []
    for x in datasets:
        pats, inv = compress_patterns(x)
        per.append((pats, np.bincount(inv, weights=w_row, minlength=pats.shape[0]).astype(float)))
    patterns, inv_all = compress_patterns(np.vstack([p for p, _ in per]))
    freq = np.zeros((len(per), patterns.shape[0]))
    offset = 0
    for b, (pats, f) in enumerate(per):
        np.add.at(freq[b], inv_all[offset:offset + pats.shape[0]], f)
        offset += pats.shape[0]
    return np.nan_to_num(patterns, nan=0.0), (~np.isnan(patterns)).astype(float), freq


# ----------------------------------------------------------------------------------
# Batched EM for binary latent class models (many starts / data sets at once)
# ----------------------------------------------------------------------------------


def _loglik_parts(uu_t, log_pi, theta):
    """Log joint density log pi_c + log f(u | c), shape (B, k, patterns).

    ``uu_t`` is [u, m - u] transposed (2J x patterns: ones, and observed zeros), shared (2J, P) or
    per problem (B, 2J, P). Classes come before patterns so that sums and maxima over the few
    classes run over contiguous rows of patterns.
    """
    lt = np.concatenate([np.log(theta), np.log1p(-theta)], axis=2)  # (B, k, 2J)
    out = np.matmul(lt, uu_t)  # (B, k, 2J) @ (2J, P) or (B, 2J, P) -> (B, k, P)
    out += log_pi[:, :, None]
    return out


def log_sum_exp(x: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) along ``axis``, shifted by the maximum so that nothing overflows.

    The trait models' quadrature sums call this thousands of times per fit on small arrays, where
    scipy.special.logsumexp's input handling costs more than the sum itself.
    """
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _e_step(uu_t, log_pi, theta, freq):
    """Weighted log-likelihood (B,) and weighted responsibilities (B, k, P)."""
    joint = _loglik_parts(uu_t, log_pi, theta)
    mx = joint.max(axis=1)
    np.subtract(joint, mx[:, None, :], out=joint)
    np.exp(joint, out=joint)
    s = joint.sum(axis=1)
    ll = np.einsum("bm,bm->b", freq, mx + np.log(s))
    joint *= (freq / s)[:, None, :]
    return ll, joint


def _em(uu_t, u, m, freq, log_pi, theta, tol, max_iter):
    """EM for B independent problems.

    u: 0/1 answers with missing set to 0 and m: the answered mask, either shared (P, J) or
    per problem (B, P, J); uu_t = [u, m - u] transposed, (2J, P) or (B, 2J, P); freq: (B, P)
    pattern weights of each problem (0 for padding rows); log_pi (B, k), theta (B, k, J) start
    values. A problem stops when its mean log-likelihood per respondent changes by less than
    ``tol``. Returns log_pi, theta, loglik (B,) at the final parameters, iterations (B,),
    converged (B,).
    """
    b_count = freq.shape[0]
    shared = u.ndim == 2
    total = freq.sum(axis=1)
    ll = np.full(b_count, -np.inf)
    iters = np.zeros(b_count, dtype=int)
    converged = np.zeros(b_count, dtype=bool)
    active = np.arange(b_count)
    for it in range(1, max_iter + 1):
        uu_a, u_a, m_a = (uu_t, u, m) if shared else (uu_t[active], u[active], m[active])
        new_ll, resp = _e_step(uu_a, log_pi[active], theta[active], freq[active])  # resp: (b, k, P)
        nk = resp.sum(axis=2)  # (b, k)
        log_pi[active] = np.log(np.clip(nk / nk.sum(axis=1, keepdims=True), EPS, None))
        num = np.matmul(resp, u_a)
        den = np.matmul(resp, m_a)
        theta[active] = np.clip(num / np.maximum(den, 1e-300), EPS, 1 - EPS)
        change = np.abs(new_ll - ll[active]) / total[active]
        ll[active] = new_ll
        iters[active] = it
        done = change < tol
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    ll, _ = _e_step(uu_t, log_pi, theta, freq)
    return log_pi, theta, ll, iters, converged


def random_starts(rng, count, k, j):
    """``count`` random starts: equal class shares, item probabilities uniform on (0.05, 0.95)."""
    log_pi = np.full((count, k), -math.log(k))
    theta = rng.uniform(0.05, 0.95, size=(count, k, j))
    return log_pi, theta


def _run_starts(u, m, uu_t, freq, log_pi, theta, tol, max_iter):
    """EM from every start of every problem, chunked so that one E-step array stays below BATCH_CELLS."""
    r_count, s_count, k = log_pi.shape
    j = u.shape[-1]
    flat = r_count * s_count
    lp2, th2 = log_pi.reshape(flat, k).copy(), theta.reshape(flat, k, j).copy()
    fr2 = np.repeat(freq, s_count, axis=0)
    per_set = u.ndim == 3
    chunk = max(1, BATCH_CELLS // max(1, u.shape[-2] * k))
    out_lp, out_th = np.empty_like(lp2), np.empty_like(th2)
    out_ll, out_cv = np.empty(flat), np.empty(flat, dtype=bool)
    for s in range(0, flat, chunk):
        sl = slice(s, min(flat, s + chunk))
        if per_set:
            rows = np.arange(sl.start, sl.stop) // s_count
            args = (uu_t[rows], u[rows], m[rows])
        else:
            args = (uu_t, u, m)
        a, b, c, _, d = _em(*args, fr2[sl], lp2[sl], th2[sl], tol, max_iter)
        out_lp[sl], out_th[sl], out_ll[sl], out_cv[sl] = a, b, c, d
    shape = (r_count, s_count)
    return (out_lp.reshape(*shape, k), out_th.reshape(*shape, k, j), out_ll.reshape(shape), out_cv.reshape(shape))


def fit_many(u, m, freq, log_pi, theta, tol, max_iter, keep=1, burn_in=None):
    """Best solution per problem from several starts.

    u, m: answers and answered mask, shared (P, J) or per data set (R, P, J); freq: (R, P)
    for R data sets; log_pi (R, S, k), theta (R, S, k, J) starts. With ``burn_in`` =
    (iterations, tol), all S starts first run a short EM and only the ``keep`` best per
    data set are iterated to convergence (Mplus-style two-stage starts).
    Returns log_pi (R, k), theta (R, k, J), loglik (R,), converged (R,).
    """
    r_count, s_count, _ = log_pi.shape
    uu_t = np.ascontiguousarray(np.swapaxes(np.concatenate([u, m - u], axis=-1), -1, -2))
    if burn_in is not None and s_count > keep:
        lp, th, ll, _ = _run_starts(u, m, uu_t, freq, log_pi, theta, burn_in[1], burn_in[0])
        top = np.argsort(-ll, axis=1, kind="stable")[:, :keep]
        rows = np.arange(r_count)[:, None]
        log_pi, theta = lp[rows, top], th[rows, top]
    lp, th, ll, cv = _run_starts(u, m, uu_t, freq, log_pi, theta, tol, max_iter)
    best = np.argmax(ll, axis=1)
    rows = np.arange(r_count)
    return lp[rows, best], th[rows, best], ll[rows, best], cv[rows, best]


def fit_classes(u, m, freq, k, rng, n_init, informed=None, tol=EM_TOL, max_iter=EM_MAX_ITER,
                burn_in=BURN_IN, keep=None):
    """Best K-class solution for each row of ``freq`` (R, P); ``informed`` = (shares, profiles) start.

    ``n_init`` starts per data set (random; the first is ``informed`` when given). Returns
    shares (R, K), profiles (R, K, J), loglik (R,), converged (R,), classes sorted by share
    (largest first).
    """
    r_count = freq.shape[0]
    j = u.shape[-1]
    log_pi, theta = random_starts(rng, r_count * n_init, k, j)
    log_pi, theta = log_pi.reshape(r_count, n_init, k), theta.reshape(r_count, n_init, k, j)
    if informed is not None:
        log_pi[:, 0] = np.log(np.clip(informed[0], EPS, None))
        theta[:, 0] = np.clip(informed[1], 0.01, 0.99)
    keep = keep if keep is not None else min(n_init, max(2, n_init // 4))
    lp, th, ll, cv = fit_many(u, m, freq, log_pi, theta, tol, max_iter, keep=keep, burn_in=burn_in)
    pi = np.exp(lp)
    pi /= pi.sum(axis=1, keepdims=True)
    order = np.argsort(-pi, axis=1, kind="stable")
    rows = np.arange(r_count)[:, None]
    return pi[rows, order], th[rows, order], ll, cv


def simulate_classes(shares, profiles, n, rng):
    """``n`` rows: class drawn with ``shares``, answers independent Bernoulli given the class's profile."""
    cls = rng.choice(shares.size, size=n, p=shares / shares.sum())
    x = (rng.random((n, profiles.shape[1])) < profiles[cls]).astype(float)
    return x, cls


def class_posterior(u, m, shares, profiles):
    """Class membership probabilities of patterns (P, K)."""
    th = np.clip(profiles, EPS, 1 - EPS)
    logf = u @ np.log(th).T + (m - u) @ np.log1p(-th).T + np.log(np.clip(shares, EPS, None))[None, :]
    logf -= logf.max(axis=1, keepdims=True)
    post = np.exp(logf)
    return post / post.sum(axis=1, keepdims=True)


def bootstrap_patterns(datasets, w_row=None):
    """Answers, answered mask and counts of R simulated data sets in the cheaper layout.

    Shared patterns ((P, J) with counts (R, P)) when the data sets' patterns overlap; otherwise
    each data set keeps its own patterns, padded to a common length with zero counts
    ((R, P, J) with counts (R, P)) - missing answers make nearly every pattern unique, and a
    shared matrix would then grow with R times n.
    """
    per = []
    for x in datasets:
        pats, inv = compress_patterns(x)
        per.append((pats, np.bincount(inv, weights=w_row, minlength=pats.shape[0]).astype(float)))
    longest = max(p.shape[0] for p, _ in per)
    distinct = np.unique(np.vstack([np.where(np.isnan(p), 2, p) for p, _ in per]), axis=0).shape[0]
    if distinct <= 4 * longest:
        return pool_patterns(datasets, w_row)
    r_count, j = len(per), per[0][0].shape[1]
    u = np.zeros((r_count, longest, j))
    m = np.zeros((r_count, longest, j))
    freq = np.zeros((r_count, longest))
    for b, (pats, f) in enumerate(per):
        size = pats.shape[0]
        u[b, :size] = np.nan_to_num(pats, nan=0.0)
        m[b, :size] = ~np.isnan(pats)
        freq[b, :size] = f
    return u, m, freq


def class_lr_bootstrap(null, alternative, lr, missing, rng, *, repetitions, w_row=None, sequential_h=None,
                       n_init=10, tol=1e-6, max_iter=2000, burn_in=(50, 1e-5)):
    """Parametric bootstrap of the LR of K + 1 against K classes (BLRT, McLachlan 1987).

    ``null`` and ``alternative`` are fitted (shares, profiles); data sets of the observed size
    and missing-value pattern (``missing``, n x J) are drawn from ``null`` and both models are
    refitted to each (the fitted solution as one start, ``n_init - 1`` random starts). With
    ``sequential_h``, sampling stops at that many exceedances (Besag & Clifford 1991) and
    p = h / b; otherwise p = (1 + exceedances) / (B + 1). Returns (p, bootstrap LRs, exceedances).

    Separate groups (e.g. survey waves, each with its own classes): pass lists of nulls,
    alternatives and missing masks (unweighted); each replicate then draws every group from its
    own null and its LR is the sum over the groups.
    """
    grouped = isinstance(missing, list)
    nulls, alts, masks = (null, alternative, missing) if grouped else ([null], [alternative], [missing])
    g_count = len(masks)
    lrs: list[float] = []
    exceed = 0
    while len(lrs) < repetitions:
        size = repetitions - len(lrs) if sequential_h is None else min(repetitions - len(lrs), max(20, len(lrs)))
        sims = []
        for _ in range(size):
            for (pi0, th0), mask in zip(nulls, masks, strict=True):
                xs, _cls = simulate_classes(pi0, np.clip(th0, EPS, 1 - EPS), mask.shape[0], rng)
                xs[mask] = np.nan
                sims.append(xs)
        u, m, freq = bootstrap_patterns(sims, None if grouped else w_row)
        lls = []
        for models in (nulls, alts):
            shares = np.tile(np.stack([mdl[0] for mdl in models]), (size, 1))
            profiles = np.tile(np.stack([mdl[1] for mdl in models]), (size, 1, 1))
            lls.append(fit_classes(u, m, freq, shares.shape[1], rng, n_init, informed=(shares, profiles), tol=tol,
                                   max_iter=max_iter, burn_in=burn_in, keep=2)[2])
        per_group = 2.0 * (lls[1] - lls[0]).reshape(size, g_count)
        for value in np.maximum(0.0, per_group).sum(axis=1):
            lrs.append(float(value))
            exceed += int(value >= lr - 1e-8)
            if sequential_h is not None and exceed >= sequential_h:
                return sequential_h / len(lrs), np.array(lrs), exceed
    return (1 + exceed) / (len(lrs) + 1), np.array(lrs), exceed
