"""Tests of helpers.stats: published reference values, cross-checks, input validation.

Reference values are pinned to the precision printed in their source (cited next
to each); everything else is checked against an independent implementation
(statsmodels, scipy, closed forms), never against numbers produced by this code.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from helpers.errors import ReportError, StatisticsInputError
from helpers.stats import (
    Band,
    Interval,
    TestResult,
    across_band,
    adjust_pvalues,
    compare_proportions,
    implied_counts,
    proportion_ci,
    rate_ci,
    trend_test,
)

# ------------------------------------------------------------------------------
# Published reference values
# ------------------------------------------------------------------------------



def diff_ci(count1, nobs1, count2, nobs2, method: str, level: float = 0.95):
    """The interval compare_proportions reports: Newcombe's hybrid score interval with the exact test,
    Miettinen-Nurminen's with the score test."""
    return compare_proportions(count1, nobs1, count2, nobs2, method={"newcombe": "exact", "score": "score"}[method],
                               level=level)

@pytest.mark.parametrize(
    "count, nobs, low, high",
    [
        # Newcombe (1998a) Table I, quoted in shared/reference/statistics.md
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        # Fagerland, Lydersen & Laake (2017) example 13/16, printed by the R package
        # contingencytables (ocbe-uio/contingencytables, tests/testthat/test-ch2.R:
        # Wilson_score_CI_1x2(X = 13, n = 16) -> "95% CI 0.5699 to 0.9341")
        (13, 16, 0.5699, 0.9341),
    ],
)
def test_wilson_reference(count, nobs, low, high):
    ci = proportion_ci(count, nobs, method="wilson")
    assert ci.low == pytest.approx(low, abs=5e-5)
    assert ci.high == pytest.approx(high, abs=5e-5)
    assert ci.estimate == pytest.approx(count / nobs)
    assert ci.n == nobs and ci.level == 0.95


def test_exact_and_jeffreys_reference():
    # contingencytables tests/testthat/test-ch2.R (Fagerland et al. 2017 example, 13/16):
    # ClopperPearson_exact_CI_1x2 -> 0.5435 to 0.9595; Jeffreys_CI_1x2 -> 0.5792 to 0.9442
    cp = proportion_ci(13, 16, method="exact")
    assert (cp.low, cp.high) == pytest.approx((0.5435, 0.9595), abs=5e-5)
    jf = proportion_ci(13, 16, method="jeffreys")
    assert (jf.low, jf.high) == pytest.approx((0.5792, 0.9442), abs=5e-5)


def test_newcombe_reference():
    # Newcombe (1998b) 56/70 - 48/80, method 10 -> 0.0524 to 0.3339 (statistics.md);
    # the R package propint prints 0.05243147, 0.3338727 (m-Py/propint README).
    ci = diff_ci(56, 70, 48, 80, method="newcombe")
    assert ci.estimate == pytest.approx(0.2)
    assert (ci.low, ci.high) == pytest.approx((0.05243147, 0.3338727), abs=5e-8)
    # Perondi et al. (2004) 7/34 vs 1/34, contingencytables test-ch4.R:
    # Newcombe_hybrid_score_CI_2x2 -> "estimate = 0.1765 (95% CI 0.0189 to 0.3404)"
    ci = diff_ci(7, 34, 1, 34, method="newcombe")
    assert (ci.low, ci.high) == pytest.approx((0.0189, 0.3404), abs=5e-5)


def test_miettinen_nurminen_reference():
    # Ritland et al. (2007) 0/16 vs 15/72 (a zero cell), contingencytables test-ch4.R:
    # MiettinenNurminen_asymptotic_score_CI_difference_2x2 -> -0.2083 (-0.3164 to -0.0056)
    ci = diff_ci(0, 16, 15, 72, method="score")
    assert ci.estimate == pytest.approx(-0.2083, abs=5e-5)
    assert (ci.low, ci.high) == pytest.approx((-0.3164, -0.0056), abs=5e-5)
    # R PropCIs diffscoreci(7, 34, 1, 34, 0.95) -> 0.0270416, 0.3452912, as quoted in
    # statsmodels/stats/tests/test_proportion.py::test_confint_2indep_propcis
    ci = diff_ci(7, 34, 1, 34, method="score")
    assert (ci.low, ci.high) == pytest.approx((0.0270416, 0.3452912), abs=1e-6)


def test_cochran_armitage_reference():
    # R DescTools CochranArmitageTest, quoted in statsmodels issue #8404 (statistics.md)
    res = trend_test([0, 1, 3, 6], [50, 50, 50, 50], scores=[0, 1, 2, 3])
    assert res.statistic == pytest.approx(2.9019, abs=5e-5)
    assert res.p_value == pytest.approx(0.003709, abs=5e-7)
    assert res.alternative == "two-sided"


def test_cochran_armitage_fagerland_example():
    # contingencytables tests/testthat/test-ch5.R, table rbind(c(8,53), c(10,48),
    # c(11,100), c(22,102), c(6,129)), scores 1..5:
    #   CochranArmitage_CI_rx2 -> "betahat = -0.0194 (95% CI -0.0395 to 0.0007)"
    #   CochranArmitage_MH_tests_rx2 -> "Mantel-Haenszel test: T = -1.790, P = 0.07351"
    # where that package defines T_MH = sqrt(N / (N - 1)) * Z_CA
    # (R/CochranArmitage_MH_tests_rx2.R).
    tab = np.array([[8, 53], [10, 48], [11, 100], [22, 102], [6, 129]])
    res = trend_test(tab[:, 0], tab.sum(axis=1), scores=[1, 2, 3, 4, 5])
    assert res.estimate == pytest.approx(-0.0194, abs=5e-5)
    assert (res.low, res.high) == pytest.approx((-0.0395, 0.0007), abs=5e-5)
    big_n = tab.sum()
    t_mh = res.statistic * math.sqrt(big_n / (big_n - 1))
    assert t_mh == pytest.approx(-1.790, abs=5e-4)
    assert 2 * st.norm.sf(abs(t_mh)) == pytest.approx(0.07351, abs=5e-6)


def test_boschloo_reference():
    # scipy.stats.boschloo_exact docstring example (Saari et al. 2004): 74/117 professors
    # vs 31/63 scientists very satisfied, alternative "greater": statistic 0.0483, p 0.0355
    # (the docstring truncates to 4 d.p., so allow one unit in the last place)
    res = compare_proportions(74, 117, 31, 63, method="exact", alternative="larger")
    assert res.statistic == pytest.approx(0.0483, abs=1e-4)
    assert res.p_value == pytest.approx(0.0355, abs=1e-4)
    assert "Boschloo" in res.test and "Newcombe" in res.extra["interval_method"]


def test_rate_reference():
    # epitools pois.exact documentation: for x = 0 "the upper confidence limit
    # pois.exact returns 3.689" (95 %)
    ci = rate_ci(0, 1)
    assert ci.low == 0.0
    assert ci.high == pytest.approx(3.689, abs=5e-4)


def test_bh_reference():
    # R multtest output in statsmodels' test_multi.py (statistics.md)
    p = [0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309, 0.71626938238,
         0.177096952723, 5.23656777208e-05, 0.0202732688798, 0.00028140506198, 0.0149877310796]
    expected = [0.931713, 0.895337, 0.895337, 0.967834, 0.895337, 0.354194, 0.000524,
                0.050683, 0.001407, 0.049959]
    np.testing.assert_allclose(adjust_pvalues(p, method="fdr_bh"), expected, atol=5e-7)


# ------------------------------------------------------------------------------
# Cross-checks against independent implementations
# ------------------------------------------------------------------------------

GRID = [(0, 10), (1, 10), (5, 10), (10, 10), (3, 37), (20, 37), (0, 120), (60, 120), (119, 120), (271, 450)]


@pytest.mark.parametrize("count, nobs", GRID)
def test_proportion_ci_matches_scipy(count, nobs):
    res = st.binomtest(count, nobs)
    for method, sp in (("exact", "exact"), ("wilson", "wilson")):
        ours = proportion_ci(count, nobs, method=method, level=0.9)
        ref = res.proportion_ci(confidence_level=0.9, method=sp)
        assert ours.low == pytest.approx(ref.low, abs=1e-10)
        assert ours.high == pytest.approx(ref.high, abs=1e-10)


@pytest.mark.parametrize("count, nobs", GRID)
def test_jeffreys_closed_form(count, nobs):
    ci = proportion_ci(count, nobs, method="jeffreys")
    low = 0.0 if count == 0 else st.beta.ppf(0.025, count + 0.5, nobs - count + 0.5)
    high = 1.0 if count == nobs else st.beta.ppf(0.975, count + 0.5, nobs - count + 0.5)
    assert (ci.low, ci.high) == pytest.approx((low, high), abs=1e-12)


PAIRS = [(7, 34, 1, 34), (56, 70, 48, 80), (0, 16, 15, 72), (5, 12, 9, 11), (30, 200, 45, 180),
         (0, 10, 0, 20), (10, 10, 0, 20), (3, 5, 3, 5), (120, 450, 80, 435)]


@pytest.mark.parametrize("c1, n1, c2, n2", PAIRS)
def test_newcombe_matches_statsmodels(c1, n1, c2, n2):
    from statsmodels.stats.proportion import confint_proportions_2indep

    ref = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb", compare="diff", alpha=0.1)
    ours = diff_ci(c1, n1, c2, n2, method="newcombe", level=0.9)
    assert (ours.low, ours.high) == pytest.approx(tuple(map(float, ref)), abs=1e-10)


def _numeric_mn_limits(c1, n1, c2, n2, level=0.95):
    """Independent Miettinen-Nurminen interval: numerical restricted MLE + root finding."""
    from scipy import optimize

    def stat(delta):
        lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

        def nll(q2):
            q1 = min(max(q2 + delta, 1e-15), 1 - 1e-15)
            q2 = min(max(q2, 1e-15), 1 - 1e-15)
            return -(c1 * np.log(q1) + (n1 - c1) * np.log1p(-q1) + c2 * np.log(q2) + (n2 - c2) * np.log1p(-q2))

        q2 = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-14}).x
        q1 = q2 + delta
        var = (q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2) * (n1 + n2) / (n1 + n2 - 1)
        return (c1 / n1 - c2 / n2 - delta) / np.sqrt(var)

    z = st.norm.ppf(0.5 + level / 2)
    d = c1 / n1 - c2 / n2
    low = -1.0 if d <= -1 else optimize.brentq(lambda x: stat(x) - z, -1 + 1e-9, min(d, 1 - 1e-9))
    high = 1.0 if d >= 1 else optimize.brentq(lambda x: stat(x) + z, max(d, -1 + 1e-9), 1 - 1e-9)
    return low, high


@pytest.mark.parametrize("c1, n1, c2, n2", PAIRS)
def test_score_interval_matches_numeric_inversion(c1, n1, c2, n2):
    # statsmodels' confint_proportions_2indep(method="score") is not used as the reference:
    # in 0.15 it is off by up to 0.006 (e.g. 3/5 vs 3/5 gives an asymmetric interval) and
    # raises at some tables (0/16 vs 15/72, 5/12 vs 9/11). A brute-force inversion is.
    ours = diff_ci(c1, n1, c2, n2, method="score", level=0.9)
    ref = _numeric_mn_limits(c1, n1, c2, n2, level=0.9)
    assert (ours.low, ours.high) == pytest.approx(ref, abs=1e-6)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # statsmodels' ratio/OR at a zero cell
@pytest.mark.parametrize("c1, n1, c2, n2", [p for p in PAIRS if 0 < p[0] + p[2] < p[1] + p[3]])
def test_score_test_matches_statsmodels(c1, n1, c2, n2):
    from statsmodels.stats.proportion import test_proportions_2indep

    for alt in ("two-sided", "larger", "smaller"):
        ref = test_proportions_2indep(c1, n1, c2, n2, value=0, method="score", compare="diff",
                                      alternative=alt, correction=True)
        res = compare_proportions(c1, n1, c2, n2, method="score", alternative=alt)
        assert res.statistic == pytest.approx(float(ref.statistic), rel=1e-9)
        assert res.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)


@pytest.mark.parametrize("c1, n1, c2, n2", PAIRS)
def test_score_interval_inverts_the_score_test(c1, n1, c2, n2):
    # The MN interval is {delta : |T(delta)| <= z}: at an interior limit |T| = z, and
    # the test rejects at 5 % exactly when the interval excludes 0.
    from helpers.stats.proportions import mn_statistic

    ci = diff_ci(c1, n1, c2, n2, method="score")
    z = st.norm.ppf(0.975)
    for lim in (ci.low, ci.high):
        if -1 < lim < 1:
            assert abs(mn_statistic(c1, n1, c2, n2, lim)) == pytest.approx(z, abs=1e-6)
    res = compare_proportions(c1, n1, c2, n2, method="score")
    assert (res.p_value < 0.05) == (ci.low > 0 or ci.high < 0)
    assert res.low == ci.low and res.high == ci.high


@pytest.mark.parametrize(
    "counts, nobs, scores",
    [([0, 1, 3, 6], [50] * 4, None), ([8, 10, 11, 22, 6], [61, 58, 111, 124, 135], [1, 2, 3, 4, 5]),
     ([34, 46, 40], [370, 435, 272], [2016, 2017, 2018]), ([5, 0, 9, 12], [40, 30, 44, 51], [0, 1, 3, 7])],
)
def test_trend_cross_checks(counts, nobs, scores):
    import statsmodels.api as sm
    from statsmodels.stats.contingency_tables import Table

    counts, nobs = np.asarray(counts), np.asarray(nobs)
    s = np.arange(len(counts), dtype=float) if scores is None else np.asarray(scores, dtype=float)
    res = trend_test(counts, nobs, scores=scores)
    big_n = nobs.sum()
    # statsmodels' linear-by-linear test uses the conditional variance: z * sqrt((N-1)/N)
    tab = np.column_stack([counts, nobs - counts])
    lbl = Table(tab, shift_zeros=False).test_ordinal_association(row_scores=s, col_scores=np.array([0.0, 1.0]))
    assert abs(lbl.zscore) == pytest.approx(abs(res.statistic) * math.sqrt((big_n - 1) / big_n), rel=1e-10)
    # the textbook CA statistic is the GLM score test of a linear term
    null = sm.GLM(tab, np.ones((len(counts), 1)), family=sm.families.Binomial()).fit()
    score = null.score_test(exog_extra=s[:, None])
    assert float(score.statistic[0]) == pytest.approx(res.statistic**2, rel=1e-8)
    # the slope is the n-weighted least-squares slope of p on the scores
    slope = np.polyfit(s, counts / nobs, 1, w=np.sqrt(nobs))[0]
    assert res.estimate == pytest.approx(slope, rel=1e-10)


def test_trend_two_groups_is_pearson_chi2():
    res = trend_test([12, 30], [80, 95])
    chi2 = st.chi2_contingency(np.array([[12, 68], [30, 65]]), correction=False)[0]
    assert res.statistic**2 == pytest.approx(chi2, rel=1e-12)


def test_trend_one_sided():
    two = trend_test([0, 1, 3, 6], [50] * 4)
    inc = trend_test([0, 1, 3, 6], [50] * 4, alternative="increasing")
    dec = trend_test([0, 1, 3, 6], [50] * 4, alternative="decreasing")
    assert inc.p_value == pytest.approx(two.p_value / 2, rel=1e-12)
    assert dec.p_value == pytest.approx(1 - two.p_value / 2, rel=1e-12)


def test_trend_no_variation():
    res = trend_test([0, 0, 0], [10, 20, 30])
    assert res.statistic == 0.0 and res.p_value == 1.0 and "note" in res.extra


def _two_wave_frame(cells, waves=(2016, 2019)):
    (a1, na1), (b1, nb1), (a2, na2), (b2, nb2) = cells
    return pd.DataFrame({
        "series": ["sophisticated", "ordinary", "sophisticated", "ordinary"],
        "wave": [waves[0], waves[0], waves[1], waves[1]],
        "count": [a1, b1, a2, b2],
        "nobs": [na1, nb1, na2, nb2],
    })


def test_rate_ci_matches_chi2_and_statsmodels():
    from statsmodels.stats.rates import confint_poisson

    ci = rate_ci(513, 269_370, per=500)
    assert ci.estimate == pytest.approx(513 / 269_370 * 500)
    low = st.chi2.ppf(0.025, 2 * 513) / 2 / 269_370 * 500
    high = st.chi2.ppf(0.975, 2 * 514) / 2 / 269_370 * 500
    assert (ci.low, ci.high) == pytest.approx((low, high), rel=1e-12)
    ref = confint_poisson(513, 269_370, method="exact-c", alpha=0.05)
    assert (ci.low, ci.high) == pytest.approx((ref[0] * 500, ref[1] * 500), rel=1e-9)
    assert ci.n == 269_370


def test_adjust_pvalues_cross_checks_and_nan():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.005])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), st.false_discovery_control(p, method="bh"), rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_by"), st.false_discovery_control(p, method="by"), rtol=1e-12)
    order = np.argsort(p)
    holm = np.empty_like(p)
    holm[order] = np.minimum(1, np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))))
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), holm, rtol=1e-12)
    with_nan = np.array([0.01, np.nan, 0.04, 0.03, np.nan, 0.2, 0.005])
    out = adjust_pvalues(with_nan)
    assert np.isnan(out[[1, 4]]).all()
    np.testing.assert_allclose(out[~np.isnan(with_nan)], adjust_pvalues(p), rtol=1e-12)
    assert np.isnan(adjust_pvalues([np.nan, np.nan])).all()


# ------------------------------------------------------------------------------
# Bands
# ------------------------------------------------------------------------------


def test_implied_counts():
    # "one fifth" = 18-22 % of 450: ceil(81.0) = 81, floor(99.0) = 99, value 20 % -> 90
    c = implied_counts(20, 18, 22, 450)
    assert (c.count, c.low, c.high, c.consistent, c.band, c.nearest) == (90, 81, 99, True, Band(81, 99), 90)
    # exact decimal arithmetic: 1.1 * 1000 / 100 is 11.000000000000002 in binary floats
    assert implied_counts(1.1, 1.1, 1.1, 1000).band == Band(11, 11)
    # rounding band of a printed 16.1 % on 450: [16.05, 16.15] % -> 72.2..72.7 holds no integer:
    # inconsistent, and the count to test at is the published value's rounded count 72.45 -> 72
    c = implied_counts(16.1, 16.05, 16.15, 450)
    assert (c.consistent, c.band, c.nearest) == (False, Band(72, 72), 72)
    # the count nearest the value, kept inside the band (what the generator plants)
    assert implied_counts(95, 90, 100, 272).nearest == 258
    assert implied_counts(0, -0.5, 0.5, 120).band == Band(0, 0)
    assert implied_counts(100, 99.5, 100.5, 10).band == Band(10, 10)
    with pytest.raises(StatisticsInputError, match="low=30"):
        implied_counts(25, 30, 20, 100)
    with pytest.raises(StatisticsInputError, match="base_n"):
        implied_counts(15, 10, 20, 0)
    with pytest.raises(StatisticsInputError, match="base_n"):
        implied_counts(15, 10, 20, 10.5)
    with pytest.raises(StatisticsInputError, match="value=nan"):
        implied_counts(float("nan"), 10, 20, 100)


def test_band_validation():
    with pytest.raises(StatisticsInputError, match="low=5"):
        Band(5, 3)
    with pytest.raises(StatisticsInputError, match="finite"):
        Band(float("nan"), 3)


def test_across_band_calls_every_combination():
    calls = []

    def fn(count1, nobs1, count2, nobs2):
        calls.append((count1, count2))
        return compare_proportions(count1, nobs1, count2, nobs2)

    res = across_band(fn, count1=Band(81, 99), nobs1=450, count2=Band(40, 50), nobs2=435)
    assert sorted(calls) == [(81, 40), (81, 50), (99, 40), (99, 50)]
    direct = [compare_proportions(c1, 450, c2, 435) for c1, c2 in calls]
    ps = [r.p_value for r in direct]
    assert res.p_value_min == min(ps) and res.p_value_max == max(ps)
    assert res.least_favourable().p_value == max(ps)   # 'different': the largest two-sided p
    assert res.low == min(r.low for r in direct) and res.high == max(r.high for r in direct)
    assert res.estimate_min == min(r.estimate for r in direct)
    assert res.estimate_max == max(r.estimate for r in direct)
    assert res.stable(0.05) == (all(p < 0.05 for p in ps) or all(p >= 0.05 for p in ps))
    assert res.stable(1e-12) is True
    mixed = across_band(compare_proportions, count1=Band(30, 60), nobs1=400, count2=40, nobs2=400)
    assert mixed.stable(0.05) is False
    # a degenerate band is called once; intervals have no p-values
    ivals = across_band(proportion_ci, count=Band(7, 7), nobs=20)
    assert len(ivals.results) == 1 and ivals.least_favourable() is None and ivals.p_value_min is None
    with pytest.raises(StatisticsInputError, match="p_value"):
        ivals.stable(0.05)


# ------------------------------------------------------------------------------
# Result types
# ------------------------------------------------------------------------------


def test_result_types_are_frozen_and_serialisable():
    ci = proportion_ci(3, 10)
    assert isinstance(ci, Interval)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ci.low = 0  # type: ignore[misc]
    d = ci.as_dict()
    assert set(d) == {"estimate", "low", "high", "method", "level", "n", "n_effective"}
    res = compare_proportions(30, 100, 20, 100)
    assert isinstance(res, TestResult)
    d = res.as_dict()
    for key in ("test", "statistic", "p_value", "estimate", "low", "high", "n", "scale", "alternative", "extra"):
        assert key in d
    assert "Miettinen-Nurminen" in res.test and res.extra["interval_method"] == "Miettinen-Nurminen score"


# ------------------------------------------------------------------------------
# Input validation: every wrong input raises StatisticsInputError naming the argument
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: proportion_ci(12, 10), r"count=12 is above its base nobs=10"),
        (lambda: proportion_ci(-1, 10), r"count=-1 is negative"),
        (lambda: proportion_ci(2.5, 10), r"count=2.5 is not an integer"),
        (lambda: proportion_ci(2, 0), r"nobs=0"),
        (lambda: proportion_ci(2, 10, level=1.5), r"level=1.5"),
        (lambda: proportion_ci(2, 10, level=0), r"level=0"),
        (lambda: proportion_ci(2, 10, method="wald"), r"method='wald'"),
        (lambda: proportion_ci(float("nan"), 10), r"count=nan"),
        (lambda: proportion_ci(True, 10), r"count=True"),
        (lambda: proportion_ci("3", 10), r"count='3'"),
        (lambda: compare_proportions(12, 10, 3, 10), r"count1=12 is above its base nobs1=10"),
        (lambda: compare_proportions(1, 10, 3, -10), r"nobs2=-10 is negative"),
        (lambda: compare_proportions(1, 10, 3, 10, method="wald"), r"method='wald'"),
        (lambda: compare_proportions(1, 10, 11, 10), r"count2=11 is above its base nobs2=10"),
        (lambda: compare_proportions(1, 10, 1, 10, alternative="greater"), r"alternative='greater'"),
        (lambda: compare_proportions(1, 10, 1, 10, method="fisher"), r"method='fisher'"),
        (lambda: trend_test([1, 2], [10, 10, 10]), r"counts has 2 groups but nobs has 3"),
        (lambda: trend_test([], []), r"counts is empty"),
        (lambda: trend_test([1, 12], [10, 10]), r"counts\[1\]=12 is above its base nobs\[1\]=10"),
        (lambda: trend_test([1, -2], [10, 10]), r"counts\[1\]=-2 is negative"),
        (lambda: trend_test([1, 2.5], [10, 10]), r"counts\[1\]=2.5 is not an integer"),
        (lambda: trend_test([1, 2], [10, 10], scores=[1, 2, 3]), r"scores has 3 values"),
        (lambda: trend_test([1, 2], [10, 10], scores=[1, 1]), r"scores are all equal"),
        (lambda: trend_test([1], [10]), r"at least two groups"),
        (lambda: trend_test([1, 2], [10, 10], alternative="larger"), r"alternative='larger'"),
        (lambda: rate_ci(-1, 10), r"events=-1 is negative"),
        (lambda: rate_ci(1, 0), r"exposure=0"),
        (lambda: rate_ci(1, 10, per=-5), r"per=-5"),
        (lambda: rate_ci(1, 10, method="wald"), r"method='wald'"),
        (lambda: adjust_pvalues([0.1, 1.2]), r"pvalues\[1\]=1.2 is outside"),
        (lambda: adjust_pvalues([]), r"pvalues is empty"),
        (lambda: adjust_pvalues([0.1], method="bonferroni"), r"method='bonferroni'"),
        (lambda: across_band(42), r"fn=42"),
    ],
)
def test_invalid_input_raises(call, match):
    with pytest.raises(StatisticsInputError, match=match) as info:
        call()
    assert isinstance(info.value, ValueError) and isinstance(info.value, ReportError)
