"""The end of a band a claim is judged at: the least favourable end in the claimed direction."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.errors import StatisticsInputError
from helpers.report.claims import verdict
from helpers.stats import Band, across_band, compare_proportions


def test_the_issue_example_judges_the_end_on_the_wrong_side():
    # a band of 35-64 of 100 against 50 of 100: -0.150 at one end, +0.140 at the other
    band = across_band(compare_proportions, count1=Band(35, 64), nobs1=100, count2=50, nobs2=100, method="score")
    ends = sorted((r.estimate, r.p_value) for _, r in band.results)
    assert ends[0][0] == pytest.approx(-0.15) and ends[1][0] == pytest.approx(0.14)
    assert ends[0][1] < 0.05 and ends[1][1] < 0.05          # both ends significant, on opposite sides
    # the largest two-sided p is the +0.140 end, favourable to "greater": it must not be the one judged
    assert max(ends, key=lambda e: e[1])[0] == pytest.approx(0.14)
    worst_greater = band.least_favourable("greater", 0.0)
    assert worst_greater.estimate == pytest.approx(-0.15)
    assert verdict(worst_greater.p_value, worst_greater.estimate, direction="greater", null_value=0.0,
                   alpha=0.05) == "not supported"
    assert band.least_favourable("less", 0.0).estimate == pytest.approx(0.14)


def test_unknown_direction_is_refused():
    band = across_band(compare_proportions, count1=Band(35, 64), nobs1=100, count2=50, nobs2=100)
    with pytest.raises(StatisticsInputError, match="direction='up'"):
        band.least_favourable("up")


@settings(max_examples=150, deadline=None)
@given(low=st.integers(0, 200), width=st.integers(0, 200), other=st.integers(0, 200),
       direction=st.sampled_from(["greater", "less"]), alpha=st.sampled_from([0.05, 0.5, 0.999]))
def test_an_end_on_the_wrong_side_never_yields_supported(low, width, other, direction, alpha):
    high = min(200, low + width)
    band = across_band(compare_proportions, count1=Band(low, high), nobs1=200, count2=other, nobs2=200,
                       method="score")
    judged = band.least_favourable(direction, 0.0)
    result = verdict(judged.p_value, judged.estimate, direction=direction, null_value=0.0, alpha=alpha)
    ends = [r.estimate for _, r in band.results]
    wrong_side = any((e <= 0) if direction == "greater" else (e >= 0) for e in ends)
    if wrong_side:
        assert result != "supported"
    # and supported at the judged end means supported at every end
    if result == "supported":
        for _, r in band.results:
            assert verdict(r.p_value, r.estimate, direction=direction, null_value=0.0, alpha=alpha) == "supported"
    assert not math.isnan(judged.p_value)
