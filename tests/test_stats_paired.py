"""One proportion against a fixed value, and paired items known only by their margins."""

import pytest
from scipy import stats as sps

from helpers.errors import StatisticsInputError
from helpers.stats import Band, across_band, frechet_overlap, one_proportion_test, paired_compare, proportion_ci


def test_paired_interval_matches_published_reference():
    # Fagerland, Lydersen & Laake (2017), ch. 8: the table [[59, 6], [16, 80]];
    # contingencytables' test-ch8.R pins the Newcombe square-and-add interval
    # "estimate = -0.0621 (95% CI -0.1186 to -0.0046)".
    result = paired_compare(59 + 6, 59 + 16, 161, overlap=59)
    assert round(result.estimate, 4) == -0.0621
    assert round(result.low, 4) == -0.1186
    assert round(result.high, 4) == -0.0046


def test_mcnemar_exact_agrees_with_a_binomial_test_of_the_discordant_pairs():
    result = paired_compare(65, 75, 161, overlap=59)
    assert result.p_value == pytest.approx(sps.binomtest(6, 22, 0.5).pvalue)
    assert result.extra["only_first"] == 6 and result.extra["only_second"] == 16


def test_frechet_bounds_bracket_every_possible_table():
    assert frechet_overlap(200, 150, 272) == (78, 150)
    assert frechet_overlap(20, 30, 272) == (0, 20)
    band = across_band(paired_compare, count1=200, count2=150, nobs=272, overlap=Band(*frechet_overlap(200, 150, 272)))
    middle = paired_compare(200, 150, 272, overlap=110)
    assert band.p_value_min <= middle.p_value <= band.p_value_max
    with pytest.raises(StatisticsInputError, match="overlap=10 is impossible"):
        paired_compare(200, 150, 272, overlap=10)


def test_one_proportion_exact_matches_scipy_and_clopper_pearson():
    result = one_proportion_test(245, 272, 0.5, method="exact")
    assert result.p_value == pytest.approx(sps.binomtest(245, 272, 0.5).pvalue)
    exact = proportion_ci(245, 272, method="exact")
    assert (result.low, result.high) == pytest.approx((exact.low, exact.high))


def test_one_proportion_score_test_agrees_with_its_wilson_interval():
    # The Wilson interval is the inversion of the score test: p0 on its edge gives p = 0.05.
    ci = proportion_ci(30, 100, method="wilson")
    at_edge = one_proportion_test(30, 100, ci.high, method="score")
    assert at_edge.p_value == pytest.approx(0.05, abs=1e-9)


@pytest.mark.parametrize("kwargs, word", [
    ({"count": 5, "nobs": 10, "null": 1.2}, "null"),
    ({"count": 11, "nobs": 10, "null": 0.5}, "count"),
    ({"count": 5, "nobs": 10, "null": 0.5, "method": "wald"}, "method"),
])
def test_one_proportion_rejects_bad_input(kwargs, word):
    with pytest.raises(StatisticsInputError, match=word):
        one_proportion_test(**kwargs)
