"""The synthetic generator: determinism, calibration to the published figures, planted structure."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import pytest

from helpers.data.codebook import load_codebook
from helpers.data.microdata import validate_microdata
from helpers.data.published import figure, load_figures
from helpers.data.synthetic import (
    ADVANCED_ITEMS,
    CALIBRATIONS,
    DEFAULT_SCENARIO,
    SCENARIOS,
    class_probabilities,
    continuum_parameters,
    generate,
)
from helpers.errors import ParameterError
from helpers.stats.bands import implied_counts

CB = load_codebook()
ADVANCED = CB.items_tagged("advanced")
MAINSTREAM = CB.items_tagged("mainstream")


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    return generate()


def test_defaults():
    assert DEFAULT_SCENARIO == "widening"
    assert set(SCENARIOS) == {"widening", "stable", "single_group", "drift", "growing", "narrowing", "continuum",
                              "skewed_continuum", "three_classes", "regional"}
    assert SCENARIOS["widening"]["minority_share"] == 0.10 and SCENARIOS["single_group"]["n_groups"] == 1
    assert all(s["description"] for s in SCENARIOS.values())


def test_exact_default_output_is_unchanged(default):
    # the report's demonstration (and claims.csv) rest on these bytes: widening, seed 2018, exact quotas
    digest = hashlib.sha256(default.to_csv(index=False).encode()).hexdigest()
    assert digest == "00deba7cf12bfe672719cfb72b2125e90119df32e5aa629f60ea3c763b902876"
    assert default.attrs["draws"] == "exact" and default.attrs["scenario"] == "widening"
    assert default.attrs["seed"] == 2018
    assert default.attrs["label"] == "synthetic data (scenario 'widening', seed 2018) — not real survey answers"
    assert default.attrs["source"] == "helpers.data.synthetic.generate(scenario='widening', seed=2018)"
    pd.testing.assert_frame_equal(default, generate(draws="exact"))


def test_deterministic_per_seed(default):
    pd.testing.assert_frame_equal(default, generate("widening", 2018))
    other = generate("widening", 2019)
    assert not default.drop(columns="respondent_id").equals(other.drop(columns="respondent_id"))


def test_a_wave_does_not_depend_on_the_other_waves(default):
    alone = generate(waves=(2018,))
    pd.testing.assert_frame_equal(alone, default[default["wave"] == 2018].reset_index(drop=True))


def test_sizes_ids_and_labels(default):
    figs = load_figures()
    for w, part in default.groupby("wave"):
        published = figure("survey_size", "respondents", w, frame=figs).value
        assert len(part) == published
    assert default["respondent_id"].is_unique and default["respondent_id"].iloc[0] == "S2016-0001"
    assert default["respondent_id"].str.match(r"^S20(16|17|18|19)-\d{4,}$").all()
    assert default.attrs["data_kind"] == "synthetic" and "not real survey answers" in default.attrs["label"]
    scaled = generate(n_respondents=1000)
    assert len(scaled) == 1000
    shares = scaled["wave"].value_counts(normalize=True).sort_index()
    assert shares.loc[2019] == pytest.approx(450 / 1527, abs=0.001)


@pytest.mark.parametrize("draws", ["exact", "random"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_generated_frames_pass_validation(scenario, draws):
    frame = generate(scenario, 11, draws=draws)
    out = validate_microdata(frame, source="synthetic")
    assert len(out) == len(frame)


def _check_calibrations(frame, figs):
    for cal in CALIBRATIONS:
        row = figure(cal.question_id, cal.option, cal.wave, frame=figs)
        part = frame[frame["wave"] == cal.wave]
        if cal.among:
            part = part[part[cal.among[0]] == cal.among[1]]
        n = len(part)
        count = int(part[cal.column].isin(list(cal.codes)).sum())
        implied = implied_counts(row.value, row.value_low, row.value_high, n)
        lo, hi = implied.low, implied.high
        where = f"{cal.column} {cal.wave} vs {cal.question_id}/{cal.option}: {count}/{n}"
        if lo <= hi:   # within the published band (rounding band, or the verbal band)
            assert lo <= count <= hi, where
        else:          # no whole count out of n lies in the band: the nearest one
            assert abs(count - row.value * n / 100) <= 0.5 + 1e-9, where
        if row.unit == "percent":   # exact figures: the nearest count in the band
            assert abs(count - row.value * n / 100) < 1, where


@pytest.mark.parametrize("scenario, seed, n", [("widening", 2018, None), ("stable", 1, None),
                                               ("single_group", 2, None), ("widening", 5, 20_000),
                                               ("drift", 3, None), ("growing", 4, None), ("narrowing", 5, None)])
def test_marginals_match_every_published_figure_they_are_calibrated_to(scenario, seed, n):
    _check_calibrations(generate(scenario, seed, n_respondents=n), load_figures())


def test_calibrations_cover_the_documented_items():
    covered = {(c.column, c.wave) for c in CALIBRATIONS}
    assert {("tech_p2p", 2016), ("tech_social_media", 2016), ("tech_self_produced", 2018), ("crypto_encountered", 2018),
            ("crypto_frequency", 2018), ("workload_change", 2016), ("trend_social_media", 2016),
            ("trend_social_media", 2017), ("trend_anonymisation", 2017), ("trend_anonymisation", 2019),
            ("trend_encryption", 2017), ("trend_encryption", 2019), ("trend_cloud", 2017),
            ("trend_cloud", 2019)} <= covered
    for cal in CALIBRATIONS:
        assert CB.question(cal.column).asked_in(cal.wave)


def test_composition_follows_the_published_shares(default):
    figs = load_figures()
    checks = [(2016, "respondent_region", "USA", default["country"] == "USA"),
              (2016, "respondent_region", "Europe", default["region"] == "europe"),
              (2018, "respondent_country", "USA", default["country"] == "USA"),
              (2018, "respondent_country", "United Kingdom", default["country"] == "United Kingdom"),
              (2018, "respondent_country", "Canada", default["country"] == "Canada"),
              (2018, "respondent_region", "Europe", default["region"] == "europe"),
              (2019, "respondent_region", "North America", default["region"] == "north_america"),
              (2019, "respondent_region", "USA", default["country"] == "USA"),
              (2019, "respondent_region", "Europe", default["region"] == "europe")]
    for wave, qid, option, mask in checks:
        in_wave = default["wave"] == wave
        count, n = int((mask & in_wave).sum()), int(in_wave.sum())
        assert abs(count - figure(qid, option, wave, frame=figs).value * n / 100) < 1, (wave, option)
    assert set(default["region"]) == {"north_america", "europe", "other"}


def test_questions_not_asked_are_empty_and_skip_rules_hold(default):
    for col in CB.microdata_columns()[4:]:
        q = CB.question(col)
        asked = default["wave"].isin(q.waves)
        assert default.loc[~asked, col].isna().all(), col
        assert default.loc[asked, col].notna().all() or col == "crypto_frequency", col
    y18 = default[default["wave"] == 2018]
    assert (y18["crypto_frequency"].notna() == (y18["crypto_encountered"] == 1)).all()
    assert (y18["tech_cryptocurrency"] <= y18["crypto_encountered"]).all()


# --------------------------------------------------------------------------------------
# the scenarios plant what they say
# --------------------------------------------------------------------------------------
def _rates(frame, items):
    return frame.groupby(["wave", "latent_class"])[items].mean()


def test_single_group_has_one_class_and_independent_item_groups():
    frame = generate("single_group", 3, n_respondents=40_000, include_class=True)
    assert (frame["latent_class"] == 0).all()
    for _, part in frame.groupby("wave"):
        adv = part[ADVANCED].astype(float).sum(axis=1)
        main = part[MAINSTREAM].astype(float).sum(axis=1)
        assert abs(np.corrcoef(adv, main)[0, 1]) < 0.05
        corr = part[ADVANCED].astype(float).corr().to_numpy()
        assert np.abs(corr[np.triu_indices(len(ADVANCED), 1)]).max() < 0.05


def test_widening_minority_rises_majority_flat():
    frame = generate("widening", 4, n_respondents=40_000, include_class=True)
    share = frame.groupby("wave")["latent_class"].mean()
    assert np.allclose(share, 0.10, atol=0.002)
    rates = _rates(frame, ADVANCED)
    for item in ADVANCED:
        minority = rates[item].xs(1, level="latent_class")
        majority = rates[item].xs(0, level="latent_class")
        assert (np.diff(minority.to_numpy()) > 0.05).all(), item            # rises every wave
        assert minority.iloc[-1] - minority.iloc[0] > 0.25, item
        assert majority.max() - majority.min() < 0.02, item                 # flat
        assert (minority > majority + 0.2).all(), item
    for _, part in frame.groupby("wave"):   # the classes make advanced items co-occur (single_group: ~0)
        corr = part[ADVANCED].astype(float).corr().to_numpy()
        assert corr[np.triu_indices(len(ADVANCED), 1)].min() > 0.04


def test_stable_profiles_do_not_change():
    frame = generate("stable", 4, n_respondents=40_000, include_class=True)
    rates = _rates(frame, ADVANCED)
    for item in ADVANCED:
        for cls in (0, 1):
            series = rates[item].xs(cls, level="latent_class")
            assert series.max() - series.min() < 0.02, (item, cls)


def test_overrides():
    one = generate("widening", 1, n_groups=1, include_class=True)
    assert (one["latent_class"] == 0).all() and "1 group(s)" in one.attrs["label"]
    more = generate("widening", 1, minority_share=0.25, include_class=True)
    assert more.groupby("wave")["latent_class"].mean().round(2).eq(0.25).all()
    _check_calibrations(more, load_figures())
    two = generate("single_group", 1, n_groups=2, include_class=True)
    assert two["latent_class"].mean() == pytest.approx(0.10, abs=0.01)


@pytest.mark.parametrize("kwargs, message", [
    ({"scenario": "wide"}, "unknown scenario 'wide'"),
    ({"n_groups": 3}, "n_groups must be 1 or 2"),
    ({"minority_share": 0.7}, "minority_share must lie strictly between 0 and 0.5"),
    ({"n_groups": 1, "minority_share": 0.2}, "contradicts a single group"),
    ({"waves": (2015, 2016)}, "waves must be drawn from"),
    ({"n_respondents": 2}, "n_respondents must be an integer of at least 4"),
    ({"seed": "x"}, "seed must be an integer"),
    ({"draws": "quota"}, "draws must be one of exact, random"),
    ({"drift_logit": 20}, "drift_logit must be a number between -10 and 10"),
    ({"minority_share": (0.1, 0.6)}, "minority_share must lie strictly between 0 and 0.5"),
    ({"minority_share": (0.1, 0.2, 0.3)}, "a pair"),
    ({"scenario": "continuum", "minority_share": 0.2}, "does not apply to the continuum scenario"),
    ({"scenario": "continuum", "drift_logit": 0.5}, "does not apply to the continuum scenario"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        generate(**kwargs)


def test_clipping_is_recorded():
    frame = generate("widening", 1, minority_share=0.45)
    log = pd.DataFrame(frame.attrs["calibration"])
    assert {"column", "wave", "count", "clipped"} <= set(log.columns)
    assert log["clipped"].any()          # e.g. trend_encryption 2017 (11 %) < 0.45 x 0.43
    _check_calibrations(frame, load_figures())


def test_one_million_rows_in_seconds():
    start = time.perf_counter()
    frame = generate(n_respondents=1_000_000)
    assert len(frame) == 1_000_000
    assert time.perf_counter() - start < 30   # ~1.5 s; a loop over rows would take minutes


def test_one_million_random_rows_in_seconds():
    for scenario in ("widening", "continuum"):
        start = time.perf_counter()
        frame = generate(scenario, n_respondents=1_000_000, draws="random")
        assert len(frame) == 1_000_000
        assert time.perf_counter() - start < 30   # ~1 s


# --------------------------------------------------------------------------------------
# random draws: sampling variation around the expected values
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_random_draws_are_deterministic_per_seed_and_differ_across_seeds(scenario):
    a = generate(scenario, 7, draws="random", include_class=True)
    pd.testing.assert_frame_equal(a, generate(scenario, 7, draws="random", include_class=True))
    b = generate(scenario, 8, draws="random", include_class=True)
    assert not a.drop(columns="respondent_id").equals(b.drop(columns="respondent_id"))
    assert a.attrs["data_kind"] == "synthetic" and "not real survey answers" in a.attrs["label"]
    assert a.attrs["draws"] == "random" and a.attrs["scenario"] == scenario and a.attrs["seed"] == 7
    assert "random draws" in a.attrs["label"] and "draws='random'" in a.attrs["source"]
    alone = generate(scenario, 7, draws="random", waves=(2019,), include_class=True)   # waves do not interact
    pd.testing.assert_frame_equal(alone, a[a["wave"] == 2019].reset_index(drop=True))


def test_exact_and_random_draws_differ_and_continuum_is_always_random():
    assert not generate("stable", 1).equals(generate("stable", 1, draws="random"))
    pd.testing.assert_frame_equal(generate("continuum", 1), generate("continuum", 1, draws="random"))
    assert generate("continuum", 1).attrs["draws"] == "random"


def test_random_class_shares_and_item_rates_vary_around_their_expected_values():
    """Across 50 seeds at the published size the mean is within Monte Carlo error of the target
    and the spread is binomial - exact quotas would give a spread of (almost) zero."""
    exp = class_probabilities("widening", waves=(2019,)).loc[2019]
    share = exp.loc[1, "share"]
    target_rate = share * exp.loc[1, "tech_encryption"] + (1 - share) * exp.loc[0, "tech_encryption"]
    target_trend = 0.20   # trend_encryption 2019, published "one fifth"
    rows = []
    for seed in range(50):
        f = generate("widening", seed, waves=(2019,), draws="random", include_class=True)
        rows.append((f["latent_class"].mean(), f["tech_encryption"].astype(float).mean(),
                     f["trend_encryption"].astype(float).mean(),
                     f.loc[f["latent_class"] == 1, "tech_encryption"].astype(float).mean()))
    obs = np.array(rows)
    n = 450
    for j, (target, base) in enumerate([(share, n), (target_rate, n), (target_trend, n),
                                        (exp.loc[1, "tech_encryption"], share * n)]):
        binomial_sd = np.sqrt(target * (1 - target) / base)
        mean, sd = obs[:, j].mean(), obs[:, j].std(ddof=1)
        assert abs(mean - target) < 4 * binomial_sd / np.sqrt(50), (j, mean, target)
        assert 0.6 * binomial_sd < sd < 1.6 * binomial_sd, (j, sd, binomial_sd)


def test_exact_draws_hide_that_variation():   # what the random mode is for
    shares = [generate("widening", seed, waves=(2019,), include_class=True)["latent_class"].mean() for seed in range(5)]
    assert np.ptp(shares) == 0


def test_random_marginals_match_the_published_figures_in_expectation():
    frame = generate("widening", 21, n_respondents=400_000, draws="random")
    figs = load_figures()
    for cal in CALIBRATIONS:
        part = frame[frame["wave"] == cal.wave]
        if cal.among:
            part = part[part[cal.among[0]] == cal.among[1]]
        p = figure(cal.question_id, cal.option, cal.wave, frame=figs).value / 100
        got = part[cal.column].isin(list(cal.codes)).mean()
        assert abs(got - p) < 5 * np.sqrt(p * (1 - p) / len(part)), (cal.column, cal.wave, cal.option, got, p)
    y18 = frame[frame["wave"] == 2018]
    assert (y18["crypto_frequency"].notna() == (y18["crypto_encountered"] == 1)).all()
    assert (y18["tech_cryptocurrency"] <= y18["crypto_encountered"]).all()
    usa = (y18["country"] == "USA").mean()
    assert abs(usa - figure("respondent_country", "USA", 2018, frame=figs).value / 100) < 0.01


def test_random_class_rates_match_class_probabilities():
    frame = generate("widening", 22, n_respondents=400_000, draws="random", include_class=True)
    exp = class_probabilities("widening")
    items = [c for c in exp.columns if c not in ("share", "tech_cryptocurrency")]
    obs = frame.groupby(["wave", "latent_class"])[items].mean().astype(float)
    assert np.nanmax(np.abs(obs.to_numpy() - exp[items].to_numpy())) < 0.015
    share = frame.groupby("wave")["latent_class"].mean()
    assert np.allclose(share, 0.10, atol=0.003)


# --------------------------------------------------------------------------------------
# the new scenarios plant what they say
# --------------------------------------------------------------------------------------
def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def test_advanced_items_are_the_codebook_tag():
    assert set(ADVANCED_ITEMS) == set(ADVANCED)


@pytest.mark.parametrize("drift", [0.8, -0.8])
def test_drift_moves_both_classes_alike_on_the_logit_scale(drift):
    exp = class_probabilities("drift", drift_logit=None if drift == 0.8 else drift)
    for item in ADVANCED:
        gap = _logit(exp[item].xs(1, level="latent_class")) - _logit(exp[item].xs(0, level="latent_class"))
        assert np.ptp(gap) < 1e-9, item                                     # constant gap, by construction
        for cls in (0, 1):
            lg = _logit(exp[item].xs(cls, level="latent_class"))
            assert lg[-1] - lg[0] == pytest.approx(drift), (item, cls)
    frame = generate("drift", 5, n_respondents=400_000, draws="random", include_class=True,
                     drift_logit=None if drift == 0.8 else drift)
    rates = _rates(frame, ADVANCED).astype(float)
    for item in ADVANCED:
        minority = rates[item].xs(1, level="latent_class").to_numpy()
        majority = rates[item].xs(0, level="latent_class").to_numpy()
        gap = _logit(minority) - _logit(majority)
        assert np.ptp(gap) < 0.15, (item, gap)                               # constant in expectation
        for series in (minority, majority):                                   # while the rates move
            assert (np.sign(np.diff(series)) == np.sign(drift)).all(), item
            assert _logit(series[-1]) - _logit(series[0]) == pytest.approx(drift, abs=0.15), item
        marginal = frame.groupby("wave")[item].mean().astype(float).to_numpy()
        assert (np.sign(np.diff(marginal)) == np.sign(drift)).all(), item


def test_drift_can_be_added_to_another_scenario_and_is_labelled():
    frame = generate("widening", 1, drift_logit=-0.5)
    assert frame.attrs["drift_logit"] == -0.5 and "drift -0.5 logit" in frame.attrs["label"]
    assert generate("drift", 1).attrs["drift_logit"] == 0.8


def test_growing_minority_share_grows_and_profiles_stay_fixed():
    exp = class_probabilities("growing")
    share = exp["share"].xs(1, level="latent_class")
    assert share.loc[2016] == pytest.approx(0.06) and share.loc[2019] == pytest.approx(0.16)
    stable = class_probabilities("stable")
    for item in ADVANCED:   # the same profiles as stable, flat
        assert np.allclose(exp[item], stable[item])
    frame = generate("growing", 6, n_respondents=400_000, draws="random", include_class=True)
    observed = frame.groupby("wave")["latent_class"].mean().to_numpy()
    assert (np.diff(observed) > 0.02).all() and np.allclose(observed, share.to_numpy(), atol=0.003)
    rates = _rates(frame, ADVANCED).astype(float)
    for item in ADVANCED:
        for cls in (0, 1):
            assert np.ptp(rates[item].xs(cls, level="latent_class")) < 0.03, (item, cls)
        marginal = frame.groupby("wave")[item].mean().astype(float).to_numpy()
        assert marginal[-1] - marginal[0] > 0.02, item                       # the marginal rises with the share
    exact = generate("growing", 6, n_respondents=40_000, include_class=True)
    assert np.allclose(exact.groupby("wave")["latent_class"].mean(), share.to_numpy(), atol=1e-3)


def test_narrowing_minority_falls_majority_flat():
    exp, wide = class_probabilities("narrowing"), class_probabilities("widening")
    for item in ADVANCED:
        assert exp[item].loc[(2016, 1)] == pytest.approx(wide[item].loc[(2019, 1)])   # the mirror of widening
        assert exp[item].loc[(2019, 1)] == pytest.approx(wide[item].loc[(2016, 1)])
    frame = generate("narrowing", 7, n_respondents=40_000, draws="random", include_class=True)
    rates = _rates(frame, ADVANCED).astype(float)
    for item in ADVANCED:
        minority = rates[item].xs(1, level="latent_class")
        majority = rates[item].xs(0, level="latent_class")
        assert minority.iloc[0] - minority.iloc[-1] > 0.2, item
        assert (np.diff(minority.to_numpy()) < 0).all(), item
        assert np.ptp(majority) < 0.03, item


def test_continuum_items_are_associated_through_one_trait_without_classes():
    frame = generate("continuum", 8, n_respondents=400_000, include_class=True)
    assert frame["latent_class"].isna().all() and "latent_trait" in frame.columns
    theta = frame["latent_trait"]
    assert abs(theta.mean()) < 0.01 and abs(theta.std() - 1) < 0.01
    assert np.ptp(frame.groupby("wave")["latent_trait"].mean()) < 0.02     # the same trait in every wave
    items = ADVANCED + MAINSTREAM
    x = frame[items].astype(float)
    corr = x.corr().to_numpy()[np.triu_indices(len(items), 1)]
    assert corr.min() > 0.01                                                  # every pair associated
    adv = x[ADVANCED].corr().to_numpy()[np.triu_indices(len(ADVANCED), 1)]
    assert adv.min() > 0.1
    # local independence: given the trait (a narrow bin) the association is gone
    in_bin = x[(theta > 0.9) & (theta < 1.1)]
    local = in_bin[ADVANCED].corr().to_numpy()[np.triu_indices(len(ADVANCED), 1)]
    assert np.abs(local).max() < 0.03
    # marginal rates: those of the stable scenario (published where calibrated), flat for the tech items
    params = continuum_parameters()
    rates = frame.groupby("wave")[items].mean().astype(float)
    for _, row in params[params["item"].isin(items)].iterrows():
        assert abs(rates.loc[row["wave"], row["item"]] - row["marginal"]) < 0.006, row.to_dict()
    stable = class_probabilities("stable")
    for item in items:
        for w in (2016, 2019):
            p = stable.loc[w]
            target = p.loc[1, "share"] * p.loc[1, item] + p.loc[0, "share"] * p.loc[0, item]
            assert params.set_index(["item", "wave"]).loc[(item, w), "marginal"] == pytest.approx(target)
    y18 = frame[frame["wave"] == 2018]
    assert (y18["tech_cryptocurrency"] <= y18["crypto_encountered"]).all()


def test_continuum_difficulties_are_the_documented_ones():
    params = continuum_parameters(waves=(2016,)).set_index("item")
    documented = {"tech_encryption": 1.28, "tech_darknet": 1.71, "tech_cryptocurrency": 2.16,
                  "tech_anonymisation": 1.43,
                  "tech_p2p": -3.05, "tech_social_media": 0.70, "tech_messaging_apps": -0.37,
                  "tech_self_produced": -4.03, "tech_usb_local_storage": -0.52}
    for item, b in documented.items():
        assert params.loc[item, "difficulty"] == pytest.approx(b, abs=0.005), item
        assert params.loc[item, "discrimination"] == (1.5 if item in ADVANCED else 0.8), item


# ---------------------------------------------------------------------------------------
# the method checks' scenarios: skewed continua, three classes, regional profiles, missing answers
# ---------------------------------------------------------------------------------------
def _skewness(x) -> float:
    x = np.asarray(x, dtype=float)
    return float(((x - x.mean()) ** 3).mean() / x.std() ** 3)


@pytest.mark.parametrize("shape, skew", [(2.0, 2 / np.sqrt(2)), (8.0, 2 / np.sqrt(8))])
def test_a_skewed_continuum_has_a_standardised_gamma_trait_and_the_continuums_marginals(shape, skew):
    frame = generate("skewed_continuum", 4, include_class=True, n_per_wave=20000, trait_shape=shape)
    theta = frame["latent_trait"]
    assert abs(theta.mean()) < 0.02 and theta.std() == pytest.approx(1.0, abs=0.02)
    assert _skewness(theta) == pytest.approx(skew, abs=0.1)      # right-skewed; normal would be 0
    assert frame["latent_class"].isna().all() and frame.attrs["draws"] == "random"
    expected = continuum_parameters(trait_shape=shape).set_index(["item", "wave"])["marginal"]
    for (item, wave), value in expected.items():
        rate = frame.loc[frame["wave"] == wave, item].astype(float).mean()
        assert rate == pytest.approx(value, abs=4 * np.sqrt(value * (1 - value) / 20000) + 1e-3), (item, wave)
    # the skewed trait's difficulties differ from the normal one's (same marginals, other density)
    normal = continuum_parameters().set_index(["item", "wave"])["difficulty"]
    assert not np.allclose(continuum_parameters(trait_shape=shape).set_index(["item", "wave"])["difficulty"], normal)
    assert ("trait gamma shape 8" in frame.attrs["label"]) == (shape == 8.0)


def test_three_classes_plant_a_middle_class_with_its_own_profile():
    frame = generate("three_classes", 2, include_class=True, n_per_wave=20000)
    shares = frame["latent_class"].value_counts(normalize=True)
    assert shares[0] == pytest.approx(0.65, abs=0.01) and shares[2] == pytest.approx(0.25, abs=0.01)
    assert shares[1] == pytest.approx(0.10, abs=0.01)
    expected = class_probabilities("three_classes")
    assert set(expected.index.get_level_values("latent_class")) == {0, 1, 2}
    for (wave, cls), row in expected.iterrows():
        part = frame[(frame["wave"] == wave) & (frame["latent_class"] == cls)]
        for item in ("tech_encryption", "tech_messaging_apps", "tech_p2p"):
            assert part[item].astype(float).mean() == pytest.approx(row[item], abs=0.03), (wave, cls, item)
    enc = expected.xs(2018, level="wave")["tech_encryption"]
    assert enc[0] < enc[2] < enc[1]                      # the middle class lies between on the advanced items
    assert not expected.drop(columns="share").isna().all(axis=None)
    assert (expected.drop(columns="share").fillna(0.5).to_numpy() < 0.999).all()   # no class pinned at 1


def test_regional_profiles_differ_by_region_under_the_published_composition():
    from helpers.data.synthetic import REGION_PROFILES

    frame = generate("regional", 5, include_class=True, n_per_wave=20000)
    by_region = frame.groupby("region")["latent_class"].mean()
    for region, (share, _, _) in REGION_PROFILES.items():
        assert by_region[region] == pytest.approx(share, abs=0.01), region
    us = frame.groupby("wave")["country"].apply(lambda c: (c == "USA").mean())
    assert us[2016] == pytest.approx(0.611, abs=0.01) and us[2019] == pytest.approx(0.464, abs=0.01)
    # within a class, Europe's advanced items sit higher and its mainstream items lower than North America's
    majority = frame[frame["latent_class"] == 0]
    rates = majority[["tech_encryption", "tech_usb_local_storage"]].astype(float).groupby(majority["region"]).mean()
    assert rates.loc["europe", "tech_encryption"] > rates.loc["north_america", "tech_encryption"] + 0.03
    assert rates.loc["europe", "tech_usb_local_storage"] < rates.loc["north_america", "tech_usb_local_storage"] - 0.03
    assert frame.attrs["draws"] == "random"


def test_missing_answers_grow_by_wave_leave_one_item_unasked_and_nothing_else_changes():
    plain = generate("stable", 6, draws="random", n_per_wave=20000)
    gaps = generate("stable", 6, draws="random", n_per_wave=20000, missing_answers=True)
    tech = ADVANCED + MAINSTREAM
    share = gaps[tech].isna().groupby(gaps["wave"]).mean()
    observed = share.drop(columns="tech_usb_local_storage").mean(axis=1)
    assert observed[2016] == pytest.approx(0.15, abs=0.01) and observed[2019] == pytest.approx(0.30, abs=0.01)
    assert observed.is_monotonic_increasing
    assert share.loc[2016, "tech_usb_local_storage"] == 1.0 and share.loc[2017, "tech_usb_local_storage"] < 0.3
    answered = gaps[tech].notna()
    assert (gaps[tech][answered] == plain[tech][answered]).all(axis=None)    # the same answers, some blanked
    other = [c for c in plain.columns if c not in tech]
    pd.testing.assert_frame_equal(gaps[other], plain[other])
    assert "missing answers 15%-30%" in gaps.attrs["label"]
    validate_microdata(gaps.head(2000))    # a blank answer is valid in the schema


@pytest.mark.parametrize("kwargs, message", [
    ({"scenario": "stable", "trait_shape": 2}, "trait_shape applies to the skewed_continuum scenario only"),
    ({"scenario": "continuum", "trait_shape": 2}, "trait_shape applies to the skewed_continuum scenario only"),
    ({"scenario": "skewed_continuum", "trait_shape": 0.1}, "trait_shape must be a number between"),
    ({"scenario": "skewed_continuum", "minority_share": 0.2}, "does not apply to the skewed_continuum"),
    ({"scenario": "stable", "missing_answers": True}, "missing_answers needs random draws"),
])
def test_bad_parameters_of_the_new_scenarios(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        generate(**kwargs)
