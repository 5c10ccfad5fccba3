"""Two-class model on patterns and the planted-data simulator (helpers.stats.latent.classes / planted)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.errors import StatisticsInputError
from helpers.stats.latent.classes import fit_class_model
from helpers.stats.latent.planted import ADVANCED, MAINSTREAM, MINORITY_SHARE, SCENARIOS, planted_data


def test_two_classes_recover_planted_share_and_profiles():
    data = planted_data("stable", seed=3)
    fit = fit_class_model(data[ADVANCED + MAINSTREAM], k=2, seed=1)
    truth = data.attrs["classes"].mean()
    assert fit.shares.iloc[1] == pytest.approx(truth, abs=0.03)
    assert fit.profiles.loc[1, ADVANCED].mean() > fit.profiles.loc[0, ADVANCED].mean() + 0.3
    assert fit.n_parameters == 19
    assert fit.posterior.shape == (len(data), 2)
    assert fit.bic == pytest.approx(-2 * fit.loglik + 19 * np.log(len(data)))
    sim = fit.simulate(1000, rng=2)
    assert sim.shape == (1000, 9) and sim.attrs["classes"].shape == (1000,)


def test_class_model_is_deterministic_for_a_seed():
    data = planted_data("continuum", seed=1)[ADVANCED + MAINSTREAM]
    a, b = fit_class_model(data, seed=4), fit_class_model(data, seed=4)
    assert a.loglik == b.loglik


def test_class_model_bad_input():
    data = planted_data("stable", seed=3)[ADVANCED + MAINSTREAM]
    with pytest.raises(StatisticsInputError, match="k="):
        fit_class_model(data, k=0)
    with pytest.raises(StatisticsInputError, match="not identified"):
        fit_class_model(data.iloc[:, :3], k=3)
    with pytest.raises(StatisticsInputError, match="n_init"):
        fit_class_model(data, n_init=0)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_planted_scenarios_are_random_draws_with_documented_truth(scenario):
    a = planted_data(scenario, seed=1)
    b = planted_data(scenario, seed=2)
    assert list(a.columns) == ADVANCED + MAINSTREAM + ["wave"] + (["region"] if scenario == "regional_groups" else [])
    assert a["wave"].value_counts().tolist() == [350] * 4
    assert not a.equals(b)  # random, not exact counts
    if a.attrs["groups"]:
        share = np.mean(a.attrs["classes"] == a.attrs["classes"].max())  # the advanced class
        assert 0.05 < share < 0.3
        assert a.attrs["shares"] is None or a.attrs["shares"].shape == (4,)
    else:
        assert a.attrs["classes"] is None


def test_planted_missing_answers_rise_by_wave_and_one_item_is_absent():
    data = planted_data("stable", seed=3, missing=(0.15, 0.30), absent=("tech_darknet", 2016))
    rate = data[ADVANCED + MAINSTREAM].isna().groupby(data["wave"]).mean()
    assert rate.loc[2016, "tech_darknet"] == 1.0
    overall = rate.drop(columns="tech_darknet").mean(axis=1)
    assert overall[2016] == pytest.approx(0.15, abs=0.03) and overall[2019] == pytest.approx(0.30, abs=0.03)
    assert not data[ADVANCED + MAINSTREAM].isna().all(axis=1).any()


def test_planted_regional_groups_shift_the_us_share():
    data = planted_data("regional_groups", seed=4, n=8000)
    us = (data["region"] == "United States").groupby(data["wave"]).mean()
    assert us[2016] == pytest.approx(0.61, abs=0.03) and us[2019] == pytest.approx(0.46, abs=0.03)


def test_planted_drift_moves_both_classes():
    data = planted_data("drift_down", seed=0, n=16000)
    cls = data.attrs["classes"]
    first, last = data["wave"] == 2016, data["wave"] == 2019
    for c in (0, 1):
        early = data.loc[first & (cls == c), ADVANCED].mean().mean()
        late = data.loc[last & (cls == c), ADVANCED].mean().mean()
        assert late < early
    assert MINORITY_SHARE == 0.15


def test_planted_bad_input():
    with pytest.raises(StatisticsInputError, match="scenario"):
        planted_data("nonsense")
    with pytest.raises(StatisticsInputError, match="n="):
        planted_data("stable", n=1)
    with pytest.raises(StatisticsInputError, match="waves"):
        planted_data("stable", waves=(2016, 2016))
