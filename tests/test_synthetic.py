"""The synthetic generator: determinism, calibration to the published figures, planted structure."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from helpers.codebook import load_codebook
from helpers.errors import ParameterError
from helpers.microdata import validate_microdata
from helpers.published import counts_in_band, figure, load_figures
from helpers.synthetic import CALIBRATIONS, DEFAULT_SCENARIO, SCENARIOS, generate

CB = load_codebook()
ADVANCED = CB.items_tagged("advanced")
MAINSTREAM = CB.items_tagged("mainstream")


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    return generate()


def test_defaults():
    assert DEFAULT_SCENARIO == "widening"
    assert set(SCENARIOS) == {"widening", "stable", "single_group", "drift", "growing", "narrowing", "continuum"}
    assert SCENARIOS["widening"]["minority_share"] == 0.10 and SCENARIOS["single_group"]["n_groups"] == 1
    assert all(s["description"] for s in SCENARIOS.values())


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
        published = figure("survey_size", "respondents", w, frame=figs)["value"]
        assert len(part) == published
    assert default["respondent_id"].is_unique and default["respondent_id"].iloc[0] == "S2016-0001"
    assert default["respondent_id"].str.match(r"^S20(16|17|18|19)-\d{4,}$").all()
    assert default.attrs["data_kind"] == "synthetic" and "not real survey answers" in default.attrs["label"]
    scaled = generate(n_respondents=1000)
    assert len(scaled) == 1000
    shares = scaled["wave"].value_counts(normalize=True).sort_index()
    assert shares.loc[2019] == pytest.approx(450 / 1527, abs=0.001)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_generated_frames_pass_validation(scenario):
    frame = generate(scenario, 11)
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
        exact, lo, hi = counts_in_band(row["value"], row["value_low"], row["value_high"], n)
        where = f"{cal.column} {cal.wave} vs {cal.question_id}/{cal.option}: {count}/{n}"
        if lo <= hi:   # within the published band (rounding band, or the verbal band)
            assert lo <= count <= hi, where
        else:          # no whole count out of n lies in the band: the nearest one
            assert abs(count - row["value"] * n / 100) <= 0.5 + 1e-9, where
        if row["unit"] == "percent":   # exact figures: the nearest count in the band
            assert abs(count - row["value"] * n / 100) < 1, where


@pytest.mark.parametrize("scenario, seed, n", [("widening", 2018, None), ("stable", 1, None),
                                               ("single_group", 2, None), ("widening", 5, 20_000)])
def test_marginals_match_every_published_figure_they_are_calibrated_to(scenario, seed, n):
    _check_calibrations(generate(scenario, seed, n_respondents=n), load_figures())


def test_calibrations_cover_the_documented_items():
    covered = {(c.column, c.wave) for c in CALIBRATIONS}
    assert {("tech_p2p", 2016), ("tech_social_media", 2016), ("tech_self_produced", 2018), ("crypto_encountered", 2018),
            ("crypto_frequency", 2018), ("workload_change", 2016), ("trend_social_media", 2016),
            ("trend_social_media", 2017), ("trend_anonymisation", 2017), ("trend_anonymisation", 2019),
            ("trend_encryption", 2017), ("trend_encryption", 2019), ("trend_cloud", 2017), ("trend_cloud", 2019)} <= covered
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
              (2019, "respondent_region", "of which USA", default["country"] == "USA"),
              (2019, "respondent_region", "Europe", default["region"] == "europe")]
    for wave, qid, option, mask in checks:
        in_wave = default["wave"] == wave
        count, n = int((mask & in_wave).sum()), int(in_wave.sum())
        assert abs(count - figure(qid, option, wave, frame=figs)["value"] * n / 100) < 1, (wave, option)
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
