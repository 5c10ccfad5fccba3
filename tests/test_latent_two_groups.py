"""Two discrete groups against a continuous trait (helpers.stats.latent.two_groups)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.errors import StatisticsInputError
from helpers.stats.latent.planted import ADVANCED, MAINSTREAM, planted_data
from helpers.stats.latent.two_groups import two_groups_test
from helpers.stats.results import TestResult


def run(scenario, seed=1, **kw):
    data = planted_data(scenario, seed=seed)
    return two_groups_test(data[ADVANCED + MAINSTREAM], advanced=ADVANCED, **kw)


def test_quick_groups_scenario_is_supported_and_fields_are_complete():
    res = run("stable", n_bootstrap=99, n_share_bootstrap=49)
    assert res.statistic > 0 and res.exceedances == 0
    assert res.p_value == pytest.approx(1 / 100)  # the floor after B = 99 samples with no exceedance
    assert res.advanced_class_smaller
    assert res.low < res.estimate < res.high < 0.25
    assert res.verdict() == "supported"
    assert res.verdict(p_adjusted=0.2) == "not supported"
    assert isinstance(res, TestResult) and res.method == "lr_parametric_bootstrap_2pl"  # a register result as it is
    fields = res.claim_fields()
    assert fields["direction"] == "less" and fields["null_value"] == 0.25 and fields["result"] is res
    assert "small minority" in res.interpretation()
    assert res.extra["bootstrap_lr"].size == res.bootstrap_samples == 99


def test_continuum_stops_early_and_cannot_be_called_groups():
    res = run("continuum", n_bootstrap=499, n_share_bootstrap=19)
    assert res.statistic < 0
    assert res.stopped_early and res.exceedances == 10
    assert res.p_value == pytest.approx(10 / res.bootstrap_samples)
    assert res.verdict() == "not supported"
    assert "continuum" in res.interpretation() or "continuous trait" in res.interpretation()


def test_verdict_needs_a_small_advanced_minority():
    res = run("stable", n_bootstrap=99, n_share_bootstrap=49, small_minority=0.12)
    assert res.high >= 0.12
    assert res.verdict() == "not supported"
    assert "cannot be shown to be a small minority" in res.interpretation()


def test_deterministic_for_a_seed():
    a = run("continuum", n_bootstrap=49, n_share_bootstrap=19, seed=2)
    b = run("continuum", n_bootstrap=49, n_share_bootstrap=19, seed=2)
    assert a.p_value == b.p_value and a.low == b.low
    assert np.array_equal(a.extra["bootstrap_lr"], b.extra["bootstrap_lr"])


def test_bad_input_names_the_parameter():
    items = planted_data("stable", seed=1)[ADVANCED + MAINSTREAM]
    with pytest.raises(StatisticsInputError, match="advanced entry"):
        two_groups_test(items, advanced=["nope"])
    with pytest.raises(StatisticsInputError, match="advanced="):
        two_groups_test(items, advanced="tech_darknet")
    with pytest.raises(StatisticsInputError, match="advanced names every column"):
        two_groups_test(items[ADVANCED], advanced=ADVANCED)
    with pytest.raises(StatisticsInputError, match="small_minority"):
        two_groups_test(items, advanced=ADVANCED, small_minority=25)
    with pytest.raises(StatisticsInputError, match="n_bootstrap"):
        two_groups_test(items, advanced=ADVANCED, n_bootstrap=5)
    with pytest.raises(StatisticsInputError, match="level"):
        two_groups_test(items, advanced=ADVANCED, level=1.5)
    with pytest.raises(StatisticsInputError, match="sequential_h"):
        two_groups_test(items, advanced=ADVANCED, sequential_h=0)
    with pytest.raises(StatisticsInputError, match="at least 3 items"):
        two_groups_test(items[ADVANCED[:1] + MAINSTREAM[:1]], advanced=ADVANCED[:1])
