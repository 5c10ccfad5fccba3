"""Latent classes of respondents ("offenders form two groups").

:func:`fit_latent_classes` fits binary latent class models for K in ``k_range``
and picks K by the lowest BIC, with a parametric bootstrap likelihood-ratio test
(BLRT) of K against K-1, relative entropy and the smallest class share reported
for every K (Nylund, Asparouhov & Muthen 2007: BIC and BLRT are the best guides).

StepMix is imported lazily (importing it takes about 1.7 s).
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.errors import StatisticsInputError
from helpers.stats.checks import fmt

__all__ = ["LatentClassResult", "fit_latent_classes"]

#: EM convergence: change of the (weighted) mean log-likelihood per respondent.
EM_TOL = 1e-9
EM_MAX_ITER = 3000
#: Two-stage starts: every start runs BURN_IN = (iterations, tolerance) first, then
#: the best quarter (at least 2) is iterated to EM_TOL.
BURN_IN = (100, 1e-6)
#: Random starts per model in each bootstrap replicate (besides one informed start:
#: the fitted solution of the real data); the best 2 after BLRT_BURN_IN are finished.
BLRT_N_INIT = 9
BLRT_BURN_IN = (50, 1e-5)
#: Per respondent: at n = 1,500 a likelihood-ratio statistic is then exact to about 0.003,
#: far below the spread of its bootstrap distribution; it halves the BLRT's time
#: (measured: same p-values, statistics and chosen k as with 1e-8).
BLRT_TOL = 1e-6
BLRT_MAX_ITER = 2000
#: Probabilities are kept inside [EPS, 1 - EPS] so that logs stay finite.
EPS = 1e-12
#: Upper bound on the number of float64 cells of one batched E-step array.
_BATCH_CELLS = 4_000_000


# ----------------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------
# Input handling
# ----------------------------------------------------------------------------------


def validate_items(items: Any) -> tuple[np.ndarray, list]:
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
    cols = []
    for name in frame.columns:
        col = frame[name]
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
                f"column {name!r} of items is not binary: value {fmt(values[bad][0])} (expected 0, 1 or missing)"
            )
        cols.append(values)
    x = np.column_stack(cols)
    empty_rows = np.flatnonzero(np.isnan(x).all(axis=1))
    if empty_rows.size:
        raise StatisticsInputError(
            f"row {fmt(frame.index[empty_rows[0]])} of items has no answered item; drop such rows first"
        )
    return x, list(frame.columns)


def validate_weights(weights: Any, n: int, name: str = "weights") -> np.ndarray | None:
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


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise StatisticsInputError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


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


# ----------------------------------------------------------------------------------
# Batched EM for binary latent class models (many starts / data sets at once)
# ----------------------------------------------------------------------------------


def _loglik_parts(uu, log_pi, theta):
    """Log joint density log pi_c + log f(u | c), shape (B, patterns, k).

    ``uu`` is [u, m - u] (patterns x 2J: ones, and observed zeros).
    """
    lt = np.concatenate([np.log(theta), np.log1p(-theta)], axis=2).transpose(0, 2, 1)  # (B, 2J, k)
    out = np.matmul(uu, lt)  # (P, 2J) @ (B, 2J, k) -> (B, P, k)
    out += log_pi[:, None, :]
    return out


def _e_step(uu, log_pi, theta, freq):
    """Weighted log-likelihood (B,) and weighted responsibilities (B, P, k)."""
    joint = _loglik_parts(uu, log_pi, theta)
    mx = joint.max(axis=2, keepdims=True)
    np.subtract(joint, mx, out=joint)
    np.exp(joint, out=joint)
    s = joint.sum(axis=2)
    ll = np.einsum("bm,bm->b", freq, mx[..., 0] + np.log(s))
    joint *= (freq / s)[..., None]
    return ll, joint


def _em(uu, u, m, freq, log_pi, theta, tol, max_iter):
    """EM for B independent problems sharing the pattern matrix ``u``.

    u: (P, J) 0/1 with missing set to 0; m: (P, J) observed mask; uu = [u, m - u];
    freq: (B, P) pattern weights of each problem; log_pi (B, k), theta (B, k, J)
    start values. A problem stops when its mean log-likelihood per respondent
    changes by less than ``tol``. Returns log_pi, theta, loglik (B,) at the final
    parameters, iterations (B,), converged (B,).
    """
    b_count = freq.shape[0]
    total = freq.sum(axis=1)
    ll = np.full(b_count, -np.inf)
    iters = np.zeros(b_count, dtype=int)
    converged = np.zeros(b_count, dtype=bool)
    active = np.arange(b_count)
    for it in range(1, max_iter + 1):
        new_ll, resp = _e_step(uu, log_pi[active], theta[active], freq[active])
        nk = resp.sum(axis=1)  # (b, k)
        log_pi[active] = np.log(np.clip(nk / nk.sum(axis=1, keepdims=True), EPS, None))
        resp_t = resp.transpose(0, 2, 1)  # (b, k, P)
        num = np.matmul(resp_t, u)
        den = np.matmul(resp_t, m)
        theta[active] = np.clip(num / np.maximum(den, 1e-300), EPS, 1 - EPS)
        change = np.abs(new_ll - ll[active]) / total[active]
        ll[active] = new_ll
        iters[active] = it
        done = change < tol
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    ll, _ = _e_step(uu, log_pi, theta, freq)
    return log_pi, theta, ll, iters, converged


def random_starts(rng, count, k, j):
    log_pi = np.full((count, k), -math.log(k))
    theta = rng.uniform(0.05, 0.95, size=(count, k, j))
    return log_pi, theta


def fit_many(u, m, freq, log_pi, theta, tol, max_iter, keep=1, burn_in=None):
    """Best solution per problem from several starts.

    freq: (R, P) for R data sets; log_pi (R, S, k), theta (R, S, k, J) starts. With
    ``burn_in`` = (iterations, tol), all S starts first run a short EM and only the
    ``keep`` best per data set are iterated to convergence (Mplus-style two-stage
    starts). Work is chunked so that one E-step array stays below _BATCH_CELLS.
    Returns log_pi (R, k), theta (R, k, J), loglik (R,), converged (R,).
    """
    r_count, s_count, k = log_pi.shape
    j = u.shape[1]
    uu = np.concatenate([u, m - u], axis=1)

    def run(lp, th, fr, tol_, iters_):
        flat = lp.shape[0] * lp.shape[1]
        lp2, th2 = lp.reshape(flat, k).copy(), th.reshape(flat, k, j).copy()
        fr2 = np.repeat(fr, lp.shape[1], axis=0)
        chunk = max(1, _BATCH_CELLS // max(1, u.shape[0] * k))
        out_lp, out_th = np.empty_like(lp2), np.empty_like(th2)
        out_ll, out_cv = np.empty(flat), np.empty(flat, dtype=bool)
        for s in range(0, flat, chunk):
            sl = slice(s, min(flat, s + chunk))
            a, b, c, _, d = _em(uu, u, m, fr2[sl], lp2[sl], th2[sl], tol_, iters_)
            out_lp[sl], out_th[sl], out_ll[sl], out_cv[sl] = a, b, c, d
        shape = lp.shape[:2]
        return (out_lp.reshape(*shape, k), out_th.reshape(*shape, k, j), out_ll.reshape(shape),
                out_cv.reshape(shape))

    if burn_in is not None and s_count > keep:
        lp, th, ll, _ = run(log_pi, theta, freq, burn_in[1], burn_in[0])
        top = np.argsort(-ll, axis=1, kind="stable")[:, :keep]
        rows = np.arange(r_count)[:, None]
        log_pi, theta = lp[rows, top], th[rows, top]
    lp, th, ll, cv = run(log_pi, theta, freq, tol, max_iter)
    best = np.argmax(ll, axis=1)
    rows = np.arange(r_count)
    return lp[rows, best], th[rows, best], ll[rows, best], cv[rows, best]


# ----------------------------------------------------------------------------------
# StepMix refit (the reported solution)
# ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _stepmix_class():
    from stepmix.stepmix import StepMix

    class WarmStartStepMix(StepMix):
        """StepMix whose EM starts from given parameters (attribute ``warm_start_``)."""

        def _initialize_parameters(self, X, random_state):
            super()._initialize_parameters(X, random_state)
            start = getattr(self, "warm_start_", None)
            if start is not None:
                self.weights_ = np.array(start[0], dtype=float)
                self._mm.parameters["pis"] = np.array(start[1], dtype=float)

    return WarmStartStepMix


def _stepmix_refit(patterns, freq, pi, theta, seed, has_missing):
    cls = _stepmix_class()
    model = cls(
        n_components=pi.size,
        measurement="binary_nan" if has_missing else "binary",
        n_init=1,
        max_iter=EM_MAX_ITER,
        abs_tol=EM_TOL,
        random_state=seed,
        verbose=0,
        progress_bar=0,
    )
    model.warm_start_ = (pi, theta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(patterns, sample_weight=freq)
    total = float(freq.sum())
    loglik = float(model.score(patterns, sample_weight=freq)) * total
    post = np.asarray(model.predict_proba(patterns), dtype=float)
    weights = np.asarray(model.weights_, dtype=float)
    pis = np.asarray(model._mm.parameters["pis"], dtype=float)
    return loglik, post, weights, pis, int(model.n_parameters), bool(model.converged_)


# ----------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------


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
    likelihood, StepMix ``binary_nan``). Rows are compressed to unique response
    patterns with frequency weights, which gives the same likelihood as the full
    data and makes a million rows as cheap as a thousand when there are few items.

    Estimation: for every K, ``n_init`` random starts run in a batched NumPy EM;
    the best solution is then refitted by StepMix (``measurement="binary"``) from
    those starting values, and StepMix's log-likelihood, posterior and parameter
    count are reported. BIC = -2 loglik + p ln(n), AIC = -2 loglik + 2p, entropy is
    the relative entropy 1 - E / (n ln K) (NaN for K = 1), smallest_class the
    smallest class share. Selection rule: lowest BIC (Nylund et al. 2007); look at
    blrt_p, entropy and smallest_class before calling K classes "groups".

    BLRT (parametric bootstrap, McLachlan 1987): for each K with K - 1 also fitted and
    K <= chosen K + 1, ``blrt_repetitions`` data sets of the same size (and the
    same missing-value pattern and weights) are simulated from the fitted K - 1
    model; K - 1 and K classes are fitted to each (one informed start plus
    BLRT_N_INIT random starts, looser tolerance), and
    p = (1 + #{LR* >= LR}) / (B + 1). Other K get NaN; ``blrt_repetitions=0`` skips
    the BLRT (e.g. for a million rows). With B = 39 the smallest possible p is 0.025.

    ``weights`` (optional, positive) are rescaled to sum to n and enter as a
    pseudo-likelihood; BIC and BLRT are then approximate. Deterministic for a seed.
    """
    x, names = validate_items(items)
    n, j = x.shape
    try:
        ks = sorted({check_int(k, "k_range value", 1) for k in k_range})
    except TypeError:
        raise StatisticsInputError(f"k_range={k_range!r} must be an iterable of positive integers") from None
    if not ks:
        raise StatisticsInputError("k_range is empty")
    n_init = check_int(n_init, "n_init", 1)
    seed = check_int(seed, "seed", 0)
    blrt_repetitions = check_int(blrt_repetitions, "blrt_repetitions", 0)
    w = validate_weights(weights, n)
    free_cells = 2.0**j - 1
    for k in ks:
        n_par = k * (j + 1) - 1
        if n_par > free_cells:
            raise StatisticsInputError(
                f"k_range includes K={k}: {n_par} parameters for {j} binary items exceed the "
                f"{int(free_cells)} free cells of the response table (not identified)"
            )
    max_par = max(ks) * (j + 1) - 1
    if n <= max_par:
        raise StatisticsInputError(
            f"items has {n} rows, fewer than needed: K={max(ks)} has {max_par} parameters"
        )
    has_missing = bool(np.isnan(x).any())
    patterns, inv, freq, u, obs = weighted_patterns(x, w)
    w_row = np.ones(n) if w is None else w * (n / w.sum())  # the BLRT resamples rows
    seeds = np.random.SeedSequence(seed)
    fits: dict[int, dict] = {}
    for k, child in zip(ks, seeds.spawn(len(ks)), strict=True):
        rng = np.random.default_rng(child)
        log_pi, theta = random_starts(rng, n_init, k, j)
        keep = min(n_init, max(2, n_init // 4))
        lp, th, ll_np, _ = fit_many(u, obs, freq[None, :], log_pi[None], theta[None], EM_TOL, EM_MAX_ITER,
                                     keep=keep, burn_in=BURN_IN)
        lp, th, ll_np = lp[0], th[0], float(ll_np[0])
        loglik, post, pi, pis, n_par, conv = _stepmix_refit(patterns, freq, np.exp(lp), th, seed, has_missing)
        pi = pi / pi.sum()
        order = np.argsort(-pi, kind="stable")
        pi, pis, post = pi[order], pis[order], post[:, order]
        if k > 1:
            p_clip = np.clip(post, 1e-15, 1.0)
            ent = -float(np.sum(freq[:, None] * post * np.log(p_clip)))
            rel_entropy = 1.0 - ent / (freq.sum() * math.log(k))
        else:
            rel_entropy = float("nan")
        fits[k] = {
            "loglik": loglik, "loglik_numpy": ll_np, "n_parameters": n_par, "class_sizes": pi,
            "profiles": np.clip(pis, 0.0, 1.0), "posterior_patterns": post, "entropy": rel_entropy,
            "converged": conv,
        }
    log_n = math.log(n)
    rows = []
    for k in ks:
        f = fits[k]
        rows.append({
            "k": k, "loglik": f["loglik"], "n_parameters": f["n_parameters"],
            "bic": -2 * f["loglik"] + f["n_parameters"] * log_n,
            "aic": -2 * f["loglik"] + 2 * f["n_parameters"],
            "entropy": f["entropy"], "smallest_class": float(f["class_sizes"].min()), "blrt_p": float("nan"),
        })
    table = pd.DataFrame(rows, columns=["k", "loglik", "n_parameters", "bic", "aic", "entropy",
                                        "smallest_class", "blrt_p"])
    table["k"] = table["k"].astype(int)
    table["n_parameters"] = table["n_parameters"].astype(int)
    chosen = int(table.loc[table["bic"].idxmin(), "k"])
    blrt_info: dict[int, dict] = {}
    if blrt_repetitions > 0:
        for k in ks:
            if k < 2 or (k - 1) not in fits or k > chosen + 1:
                continue
            p, info = _blrt(x, w_row, fits[k - 1], fits[k], k, blrt_repetitions, seed)
            table.loc[table["k"] == k, "blrt_p"] = p
            blrt_info[k] = info
    best = fits[chosen]
    labels = list(range(chosen))
    posterior = best["posterior_patterns"][inv]
    assignments = np.argmax(posterior, axis=1)
    class_sizes = pd.Series(best["class_sizes"], index=pd.Index(labels, name="class"), name="share")
    profiles = pd.DataFrame(best["profiles"], index=pd.Index(labels, name="class"), columns=names)
    settings = {
        "n": n, "items": names, "k_range": ks, "n_init": n_init, "seed": seed,
        "blrt_repetitions": blrt_repetitions, "blrt_n_init": BLRT_N_INIT + 1, "em_tol": EM_TOL,
        "weighted": w is not None, "missing_values": has_missing, "patterns": int(patterns.shape[0]),
    }
    public_fits = {
        k: {"class_sizes": f["class_sizes"], "profiles": pd.DataFrame(f["profiles"], columns=names),
            "assignments": np.argmax(f["posterior_patterns"][inv], axis=1),
            "loglik": f["loglik"], "converged": f["converged"]}
        for k, f in fits.items()
    }
    return LatentClassResult(
        table=table,
        chosen_k=chosen,
        selection_rule="lowest BIC over k_range (BIC = -2 loglik + n_parameters * ln n)",
        class_sizes=class_sizes,
        profiles=profiles,
        assignments=assignments,
        posterior=posterior,
        fits=public_fits,
        blrt=blrt_info,
        settings=settings,
    )


def _blrt(x, w_row, null_fit, alt_fit, k, reps, seed):
    """Parametric bootstrap LRT of k against k - 1 classes."""
    n, j = x.shape
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919, k]))
    pi0, th0 = null_fit["class_sizes"], np.clip(null_fit["profiles"], EPS, 1 - EPS)
    lr_obs = 2.0 * (alt_fit["loglik"] - null_fit["loglik"])
    missing = np.isnan(x)
    per_rep = []
    for _ in range(reps):
        cls = rng.choice(pi0.size, size=n, p=pi0 / pi0.sum())
        sim = (rng.random((n, j)) < th0[cls]).astype(float)
        sim[missing] = np.nan
        pats, inv = compress_patterns(sim)
        per_rep.append((pats, np.bincount(inv, weights=w_row, minlength=pats.shape[0])))
    patterns, inv_all = compress_patterns(np.vstack([pats for pats, _ in per_rep]))
    freq = np.zeros((reps, patterns.shape[0]))
    offset = 0
    for b, (pats, f) in enumerate(per_rep):
        np.add.at(freq[b], inv_all[offset:offset + pats.shape[0]], f)
        offset += pats.shape[0]
    u = np.nan_to_num(patterns, nan=0.0)
    obs = (~np.isnan(patterns)).astype(float)
    starts = BLRT_N_INIT + 1
    lls = []
    for kk, informed in ((k - 1, null_fit), (k, alt_fit)):
        log_pi, theta = random_starts(rng, reps * starts, kk, j)
        log_pi, theta = log_pi.reshape(reps, starts, kk), theta.reshape(reps, starts, kk, j)
        log_pi[:, 0] = np.log(np.clip(informed["class_sizes"], EPS, None))
        theta[:, 0] = np.clip(informed["profiles"], 0.01, 0.99)
        lls.append(fit_many(u, obs, freq, log_pi, theta, BLRT_TOL, BLRT_MAX_ITER, keep=2,
                             burn_in=BLRT_BURN_IN)[2])
    lrs = np.maximum(0.0, 2.0 * (lls[1] - lls[0]))
    exceed = int(np.sum(lrs >= lr_obs - 1e-8))
    p = (1 + exceed) / (reps + 1)
    return p, {"lr": lr_obs, "bootstrap_lr": lrs, "repetitions": reps, "exceedances": exceed}


