"""Widening gap inside one latent class model (helpers.stats.latent.gap_change)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers.errors import StatisticsInputError
from helpers.stats.latent import gap_change as gc
from helpers.stats.latent.gap_change import gap_change_test
from helpers.stats.latent.planted import ADVANCED, DELTA, MAINSTREAM, planted_data
from helpers.stats.results import TestResult


def run(scenario, seed=1, **kw):
    data = planted_data(scenario, seed=seed)
    return gap_change_test(data[ADVANCED + MAINSTREAM], data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM, **kw)


def test_collapsed_m_step_equals_row_level_weighted_glm():
    data = planted_data("widening", seed=2)
    x = data[ADVANCED + MAINSTREAM].to_numpy(float)
    values, idx = np.unique(data["wave"], return_inverse=True)
    d = gc.GapData(x, idx, values - values.mean(), np.array([True] * 4 + [False] * 5), with_delta=True)
    post1 = np.random.default_rng(0).uniform(size=d.freq.size)
    coef, _ = gc.m_step(d, post1)
    # row level: one row per pattern x wave x class x item, frequency weight = count x posterior
    rows_x, rows_y, rows_w = [], [], []
    for r in range(d.freq.size):
        for c, w_c in ((0, 1 - post1[r]), (1, post1[r])):
            for j in range(d.j):
                rows_x.append(d.design[j, d.wv[r], c])
                rows_y.append(d.u[r, j])
                rows_w.append(d.freq[r] * w_c)
    fit = sm.GLM(np.array(rows_y), np.array(rows_x), family=sm.families.Binomial(),
                 freq_weights=np.array(rows_w)).fit(method="IRLS")
    assert coef == pytest.approx(np.asarray(fit.params), abs=1e-6)


def test_row_scores_sum_to_the_analytic_score_and_match_finite_differences():
    data = planted_data("regional_groups", seed=3, n=600)
    x = data[ADVANCED + MAINSTREAM].to_numpy(float)
    values, idx = np.unique(data["wave"], return_inverse=True)
    d = gc.GapData(x, idx, values - values.mean(), np.array([True] * 4 + [False] * 5), with_delta=True)
    rng = np.random.default_rng(5)
    coef, lam = rng.normal(0, 0.5, d.k), rng.normal(-1.5, 0.3, d.w_count)
    ll, score = gc.loglik_and_score(d, coef, lam)
    rows = gc.row_scores(d, coef, lam)
    assert rows.shape == (d.freq.size, d.k + d.w_count)
    assert d.freq @ rows == pytest.approx(score, rel=1e-9, abs=1e-8)
    v, step = np.r_[coef, lam], 1e-6
    numeric = [(gc.loglik_and_score(d, (v + e)[:d.k], (v + e)[d.k:])[0]
                - gc.loglik_and_score(d, (v - e)[:d.k], (v - e)[d.k:])[0]) / (2 * step)
               for e in np.eye(v.size) * step]
    np.testing.assert_allclose(score, numeric, rtol=1e-5, atol=1e-4)


def test_lr_is_scaled_by_the_robust_variance_ratio_never_below_one():
    res = run("regional_groups", seed=8)
    extra = res.extra
    assert extra["scaling"] > 1.1  # this draw: regions make the answers dependent within a class
    assert res.statistic == pytest.approx(extra["lr_model"] / extra["scaling"], rel=1e-12)
    assert res.extra["se"] == pytest.approx(extra["se_model"] * np.sqrt(extra["scaling"]), rel=1e-9)
    assert "scaled LR" in res.test
    assert run("stable", seed=4).extra["scaling"] == 1.0  # a ratio below 1 is never used


def test_widening_is_supported_with_delta_near_the_planted_value():
    res = run("widening")
    assert res.verdict() == "supported"
    assert res.low < DELTA < res.high
    assert res.p_value < 0.001
    gaps = res.gaps
    assert list(gaps["wave"]) == [2016, 2017, 2018, 2019]
    assert gaps["gap_logit"].is_monotonic_increasing
    assert np.diff(gaps["gap_logit"]).mean() == pytest.approx(res.estimate)
    assert (gaps["low"] < gaps["gap_logit"]).all() and (gaps["gap_logit"] < gaps["high"]).all()
    assert (gaps["low_pp"] < gaps["gap_pp"]).all() and (gaps["gap_pp"] < gaps["high_pp"]).all()
    assert res.shares["share"].between(0.05, 0.3).all()
    assert res.loglik >= res.loglik_null
    assert "logit" in res.scale
    assert res.claim_fields()["direction"] == "greater"
    assert isinstance(res, TestResult) and res.alternative == "two-sided"  # a register result as it is
    assert "widens" in res.interpretation()


@pytest.mark.parametrize("scenario", ["stable", "growing_minority", "drift_down", "drift_up", "narrowing"])
def test_planted_scenarios_give_the_planted_verdict(scenario):
    res = run(scenario, seed=7)
    assert res.verdict() == "not supported"
    if scenario == "narrowing":
        assert res.high < 0 and res.p_value < 0.05
        assert "NARROWS" in res.interpretation()
    else:
        assert res.low < 0 < res.high or res.p_value >= 0.05
    if scenario == "growing_minority":
        assert res.shares["share"].iloc[-1] > res.shares["share"].iloc[0]


def test_bad_input_names_the_parameter():
    data = planted_data("stable", seed=1)
    items = data[ADVANCED + MAINSTREAM]
    with pytest.raises(StatisticsInputError, match="waves has"):
        gap_change_test(items, data["wave"][:10], advanced=ADVANCED, mainstream=MAINSTREAM)
    with pytest.raises(StatisticsInputError, match="two distinct waves"):
        gap_change_test(items, np.full(len(items), 2018), advanced=ADVANCED, mainstream=MAINSTREAM)
    with pytest.raises(StatisticsInputError, match="advanced entry"):
        gap_change_test(items, data["wave"], advanced=["nope"], mainstream=MAINSTREAM)
    with pytest.raises(StatisticsInputError, match="both advanced and mainstream"):
        gap_change_test(items, data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM + ADVANCED[:1])
    with pytest.raises(StatisticsInputError, match="mainstream"):
        gap_change_test(items, data["wave"], advanced=ADVANCED, mainstream="tech_p2p")
    with pytest.raises(StatisticsInputError, match="level"):
        gap_change_test(items, data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM, level=95)
    with pytest.raises(StatisticsInputError, match="missing or infinite"):
        gap_change_test(items, data["wave"].where(data.index > 0), advanced=ADVANCED, mainstream=MAINSTREAM)
    with pytest.raises(StatisticsInputError, match="items must be"):
        gap_change_test(items.to_numpy(), data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM)
    bad = items.copy()
    bad.iloc[0, 0] = 3
    with pytest.raises(StatisticsInputError, match="tech_encryption"):
        gap_change_test(bad, data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM)


def test_missing_answers_are_marginalised():
    data = planted_data("widening", seed=3)
    items = data[ADVANCED + MAINSTREAM].astype(float)
    items.iloc[::9, 1] = np.nan
    res = gap_change_test(items, data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM)
    assert np.isfinite(res.estimate) and res.estimate > 0
    assert isinstance(res.items, pd.DataFrame) and len(res.items) == 9


def test_the_reading_says_when_log_odds_and_percentage_points_disagree():
    """+5 points a wave on every advanced item in both classes: a flat point gap, a narrowing log-odds gap."""
    res = run("drift_up_points", seed=0)
    pp = res.extra["gap_pp_change"]
    assert pp["low"] < 0 < pp["high"]  # flat in percentage points
    assert res.p_value < 0.05 and res.estimate < 0  # narrowing in log-odds
    reading = res.scale_reading(alpha=0.05)
    assert reading.startswith("narrowing in log-odds, flat in percentage points")
    assert reading in res.interpretation() and reading in res.claim_fields()["note"]
    # where both scales agree nothing is added
    same = run("widening")
    assert same.scale_reading() == "" and same.claim_fields()["note"] == same.note
