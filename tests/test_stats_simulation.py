"""Simulation tier: coverage, type I error and latent class recovery (``-m slow``).

Every Monte Carlo comparison uses a fixed seed and a band of 3 Monte Carlo
standard errors around a reference that does not come from the code under test:
exact coverage / size computed from binomial probabilities with scipy's or
statsmodels' implementations, or the nominal level. Where an asymptotic method
cannot be expected to hit the nominal level exactly, the allowance is stated
next to the assertion.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from helpers.stats import compare_proportions, proportion_ci, trend_test
from helpers.stats.groups import fit_latent_classes

pytestmark = pytest.mark.slow

ALPHA = 0.05


def mc_band(p: float, reps: int) -> float:
    """Three Monte Carlo standard errors of a proportion estimated from ``reps`` draws."""
    return 3.0 * math.sqrt(p * (1.0 - p) / reps)


def test_wilson_coverage_over_a_grid():
    rng = np.random.default_rng(20190901)
    reps = 4000
    sims, exacts = [], []
    for n in (20, 50, 100, 300):
        for p in (0.05, 0.1, 0.3, 0.5):
            xs = np.arange(n + 1)
            ours = np.array([[proportion_ci(int(x), n).low, proportion_ci(int(x), n).high] for x in xs])
            covered = (ours[:, 0] <= p) & (p <= ours[:, 1])
            draws = rng.binomial(n, p, size=reps)
            sim = covered[draws].mean()
            # exact coverage of scipy's (independent) Wilson interval
            ref = [st.binomtest(int(x), n).proportion_ci(confidence_level=0.95, method="wilson") for x in xs]
            ref_cov = np.array([r.low <= p <= r.high for r in ref])
            exact = float(np.sum(st.binom.pmf(xs, n, p) * ref_cov))
            assert abs(sim - exact) <= mc_band(exact, reps), (n, p, sim, exact)
            assert sim > 0.90, (n, p, sim)  # no collapse of coverage anywhere on the grid
            sims.append(sim)
            exacts.append(exact)
    pooled_sim, pooled_exact = float(np.mean(sims)), float(np.mean(exacts))
    assert abs(pooled_sim - pooled_exact) <= mc_band(pooled_exact, reps * len(sims))
    # near nominal on average: the Wilson interval is approximate and oscillates with n and
    # p (0.92-0.98 on this grid), so allow 0.01 for the grid average
    assert abs(pooled_exact - 0.95) <= 0.01


@pytest.mark.parametrize("n1, n2, p", [(40, 60, 0.3), (100, 100, 0.1), (200, 150, 0.5)])
def test_score_test_type_one_error(n1, n2, p):
    from statsmodels.stats.proportion import test_proportions_2indep

    rng = np.random.default_rng(n1 * 1000 + n2)
    reps = 3000
    x1 = rng.binomial(n1, p, size=reps)
    x2 = rng.binomial(n2, p, size=reps)
    cache: dict[tuple[int, int], float] = {}
    rejections = 0
    for a, b in zip(x1, x2, strict=True):
        key = (int(a), int(b))
        if key not in cache:
            cache[key] = compare_proportions(key[0], n1, key[1], n2, method="score").p_value
        rejections += cache[key] < ALPHA
    rate = rejections / reps
    # exact size by enumerating every table, with statsmodels' score test
    a, b = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pv = test_proportions_2indep(a.ravel(), n1, b.ravel(), n2, value=0, method="score", compare="diff",
                                     correction=True).pvalue
    prob = np.outer(st.binom.pmf(np.arange(n1 + 1), n1, p), st.binom.pmf(np.arange(n2 + 1), n2, p)).ravel()
    size = float(np.sum(prob * (np.nan_to_num(pv, nan=1.0) < ALPHA)))
    assert abs(rate - size) <= mc_band(size, reps), (rate, size)
    # the asymptotic score test is near nominal at these sizes; allowance 0.015 for
    # discreteness of the binomial sample space
    assert abs(size - ALPHA) <= 0.015, size


def test_trend_test_type_one_error():
    rng = np.random.default_rng(2016_2019)
    reps = 4000
    nobs = np.array([368, 370, 435, 272, 450])  # the wave sizes of the law-enforcement survey
    scores = np.array([2015, 2016, 2017, 2018, 2019])
    p = 0.16
    counts = rng.binomial(nobs, p, size=(reps, nobs.size))
    pvals = np.array([trend_test(c, nobs, scores=scores).p_value for c in counts])
    one_sided = np.array([trend_test(c, nobs, scores=scores, alternative="increasing").p_value for c in counts[:1000]])
    rate = float(np.mean(pvals < ALPHA))
    # allowance 0.005 for the normal approximation at N = 1,895
    assert abs(rate - ALPHA) <= mc_band(ALPHA, reps) + 0.005, rate
    rate1 = float(np.mean(one_sided < ALPHA))
    assert abs(rate1 - ALPHA) <= mc_band(ALPHA, 1000) + 0.005, rate1
    # under H0 the p-values are close to uniform: the KS test should not reject at 1 %
    assert st.kstest(pvals, "uniform").pvalue > 0.01


def _planted(n, j, minority, seed):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < minority
    low = np.linspace(0.05, 0.35, j)
    high = np.linspace(0.45, 0.85, j)
    p = np.where(z[:, None], high, low)
    x = (rng.random((n, j)) < p).astype(int)
    return pd.DataFrame(x, columns=[f"item_{i + 1}" for i in range(j)]), z


def test_latent_classes_recover_a_planted_minority():
    items, z = _planted(1500, 9, 0.15, seed=2018)
    start = time.perf_counter()
    res = fit_latent_classes(items)  # defaults: k 1..5, n_init 20, BLRT up to chosen K + 1
    elapsed = time.perf_counter() - start
    assert elapsed < 60, elapsed  # the chapter runs this on a 2-core machine
    assert res.chosen_k == 2
    t = res.table.set_index("k")
    assert t.loc[2, "blrt_p"] <= 1 / (res.settings["blrt_repetitions"] + 1) + 1e-12
    # the minority is the smaller class and endorses every item more often
    assert (res.profiles.loc[1] > res.profiles.loc[0]).all()
    share = res.class_sizes[1]
    # its share: binomial SE of the planted share, inflated by 1 / relative entropy for the
    # information lost to classification uncertainty (an approximation), 3 SE band
    se = math.sqrt(0.15 * 0.85 / len(items)) / t.loc[2, "entropy"]
    assert abs(share - 0.15) <= 3 * se, (share, se)
    # modal assignment agrees with the planted labels as often as the model expects:
    # expected accuracy = mean of the largest posterior probability
    accuracy = np.mean(res.assignments == z.astype(int))
    expected = res.posterior.max(axis=1).mean()
    assert abs(accuracy - expected) <= mc_band(expected, len(items)), (accuracy, expected)


def test_latent_classes_choose_one_class_without_structure():
    rng = np.random.default_rng(1)
    items = pd.DataFrame((rng.random((1500, 9)) < np.linspace(0.1, 0.6, 9)).astype(int),
                         columns=[f"item_{i + 1}" for i in range(9)])
    res = fit_latent_classes(items)
    assert res.chosen_k == 1
    assert res.class_sizes.tolist() == [1.0]
    assert (res.assignments == 0).all()
