"""Synthetic respondent-level data in the codebook's microdata schema.

SYNTHETIC DATA ARE NOT SURVEY ANSWERS. They let the microdata chapters run, and show what
their methods can detect, before (or without) a real survey export. Every frame carries
``attrs["data_kind"] == "synthetic"`` and a label saying so; ``attrs`` also record
``scenario``, ``seed``, ``draws``, ``n_groups``, ``minority_share`` and ``drift_logit``.

``generate(scenario, seed, ..., draws=...)`` is deterministic for its arguments (numpy
``Generator`` seeded with ``[seed, wave]`` for exact draws and ``[seed, wave, 1]`` for random
draws, so a wave's rows do not depend on which other waves are generated) and fully vectorised
(1,000,000 rows in about a second).

Two kinds of draws
------------------
``draws="exact"`` (the default; the report's demonstration): class sizes, item counts and the
published figures are planted EXACTLY (quotas placed at random). Sampling variation is hidden:
a test on the true classes gives the same p on every seed, so size or power checks cannot fail.
``draws="random"`` (simulations, method checks): country, class membership (Bernoulli with the
class share) and every answer (Bernoulli with its class's probability) are independent draws;
no quotas, no exact counts. The probabilities are the same ones exact draws round to counts
(:func:`class_probabilities`), so every rate varies around its expected value. The scenario
"continuum" has no classes to plant exactly: it always draws at random (``attrs["draws"]``
says "random" even when ``draws="exact"`` was passed).

What is planted and what is assumed
-----------------------------------
=============================  ==================================================================
element                        rule
=============================  ==================================================================
respondents per wave           published survey totals read from figures.csv (survey_size /
                               respondents: 2016 370, 2017 435, 2018 272, 2019 450); with
                               ``n_respondents`` the total is split in proportion (largest
                               remainder); fixed in both kinds of draws
region and country             exact: exact counts from the published composition (figures.csv):
                               2016 USA 61.1 %, Europe 26 %; 2018 USA 54.4, Canada 2.9, UK 12.1,
                               Sweden 6.6, Norway 3.7 %, Europe 34.7 %; 2019 North America
                               50.4 % (USA 46.4 %), Europe 40 %. random: each respondent's
                               country an independent draw with these percentages.
                               ASSUMED: 2016 North America =
                               USA only (Canada not published); 2019 non-US North America =
                               Canada; 2017 (nothing published) = mean of 2016 and 2018; the
                               European split of 2016/2017/2019 follows 2018's (UK, Sweden,
                               Norway, rest of Europe spread evenly over EUROPE_REST); "other"
                               is spread over OTHER_MIX (Australia, New Zealand, Brazil, ...,
                               "international organisation")
latent classes                 ``n_groups`` = 2: a majority (mainstream items high, advanced
                               items low) and a minority of ``minority_share`` (default 10 %,
                               the same in every wave; a pair (2016, 2019) moves linearly, as in
                               "growing"; advanced items high). ``n_groups`` = 1: one class.
                               exact: round(share * n) minority members; random: Bernoulli(share)
                               per respondent. Classes are classes of officers' CASELOADS (what
                               an officer sees), drawn independently of region
item draws                     within a class, items are independent (local independence).
                               exact: each class gets an exact quota round(n_c * p_c) of 1s,
                               placed at random; random: Bernoulli(p_c) per answer
scenario "widening" (default)  minority's probabilities of the advanced items (and of the
                               anonymisation/encryption trend mentions) rise linearly from 2016
                               to 2019 (PROFILES: start -> end); majority flat; minority share
                               constant
scenario "stable"              as widening but every class profile is flat (the midpoint of
                               start and end) across waves
scenario "single_group"        one class with the majority profile: advanced items are
                               independent of mainstream items within a wave
scenario "narrowing"           mirror of widening: the minority's probabilities of the same
                               items fall linearly from PROFILES' end (2016) to start (2019);
                               majority flat; share constant
scenario "growing"             stable profiles; the minority's share grows linearly from 6 %
                               (2016) to 16 % (2019) (``minority_share=(0.06, 0.16)``); the
                               marginal rates of the advanced items rise with it
scenario "drift"               stable profiles, then every ADVANCED item in BOTH classes is
                               moved alike on the logit scale: logit p + ``drift_logit`` *
                               ((wave - 2016) / 3 - 1/2), i.e. a total of ``drift_logit``
                               (default +0.8; negative = down) from 2016 to 2019, centred on the
                               stable profile; the classes' log-odds gap is constant, the rates
                               move. ``drift_logit`` may be added to any class scenario (label
                               says so); 0 leaves it untouched. Trend mentions do not drift
scenario "continuum"           no classes: one trait theta ~ N(0, 1) per respondent, the same
                               distribution in every wave; every binary answer (technology
                               items, trend mentions, crypto_encountered) is a 2PL draw
                               P(1 | theta) = 1 / (1 + exp(-a (theta - b))), independent given
                               theta. Discriminations a (CONTINUUM_DISCRIMINATION): 1.5 for the
                               advanced items, crypto_encountered and the anonymisation/encryption
                               trends; 0.8 for the mainstream items and the social-media/cloud
                               trends. Difficulties b solved per (item, wave) so that the
                               marginal equals the "stable" scenario's expected marginal (the
                               published figure where one is calibrated), e.g. encryption
                               b = 1.28 (20 %), darknet 1.71 (13.2 %), cryptocurrency 2.16
                               (8.1 %), anonymisation 1.43 (17.3 %), P2P -3.05 (90 %), social
                               media 0.70 (37.9 %), messaging apps -0.37 (56.5 %), self-produced
                               -4.03 (95 %), USB -0.52 (59 %); see :func:`continuum_parameters`.
                               Always random draws; ``latent_class`` (include_class) is empty
                               and the trait is added as ``latent_trait``
calibrated marginals           where a wave has a published figure (CALIBRATIONS, read from
                               figures.csv). exact: the wave's count of that answer is EXACT:
                               the integer count inside the published band nearest value * N /
                               100 (if no integer count out of N lies in the band - e.g. 16.1 %
                               of 450 - the nearest count). The count is split between classes as
                               round(n_min * p_min) for the minority, the rest for the majority,
                               i.e. the majority's probability is solved from
                               marginal = pi * p_min + (1 - pi) * p_maj; when that needs a
                               share outside [0, 1] the split is clipped and the clipping is
                               recorded in ``frame.attrs["calibration"]``. random: the same
                               equation with the published point value gives the majority's
                               probability (clipped to [0, 1], the minority's then absorbing the
                               rest; recorded), so the marginal equals the figure in expectation
mainstream items               the majority probability solved in the one calibrated wave
                               (tech_p2p and tech_social_media 2016, tech_self_produced 2018)
                               is used in every wave (flat)
verbal figures                 calibrated to the point value of the documented band (e.g. one
                               fifth = 20 %, more than one third = 36.7 %, more than 90 = 95 %)
trend_social_media 2019        calibrated to "social media and online gaming" (14.3 %), the
                               only 2019 social-media trend figure
crypto_encountered 2018        "no" = slightly more than two thirds (67.7 %); minority p(yes)
                               0.9, majority solved
tech_cryptocurrency 2018       only officers with crypto_encountered = 1 can have it (past
                               year <= ever). exact: quota per class as elsewhere, capped by
                               them; random: drawn among them with P(use) / P(met) of the class
                               (capped at 1, recorded; continuum: of the officer's theta)
crypto_frequency 2018          asked if crypto_encountered = 1; common or very common = one
                               fifth (20 %), uncommon or very uncommon = more than half (55 %),
                               the rest "neither" (ASSUMED middle category). Minority officers
                               rank higher (score U(0, 1) + 0.5). exact: exact counts by rank;
                               random: fixed score thresholds giving these shares in expectation
                               (continuum: no score bonus). ASSUMED splits inside the pairs: one
                               third of "common or very common" very common, half of "uncommon
                               or very uncommon" very uncommon (random: Bernoulli)
workload_change 2016           more demanding 74.6 %, less demanding 1.1 %, the rest (24.3 %,
                               not published) unchanged; independent of class. exact: exact
                               counts; random: categorical draws
not asked                      columns are empty in waves the codebook says a question was not
                               asked (trend items 2018, crypto items outside 2018, ...)
respondent ids                 "S<wave>-<number>", e.g. S2016-0001 (S = synthetic)
=============================  ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.errors import ParameterError
from helpers.stats.bands import implied_counts

DEFAULT_SCENARIO = "widening"
DEFAULT_WAVES = (2016, 2017, 2018, 2019)
FIRST_WAVE, LAST_WAVE = 2016, 2019
#: ``draws``: "exact" plants quotas and published counts exactly (the demonstration);
#: "random" draws every class membership and answer independently (simulations, method checks).
DRAWS = ("exact", "random")

#: Scenario name -> documented defaults. ``model`` "classes" (latent classes, ``n_groups``,
#: ``minority_share`` - a number, or a pair (2016 share, 2019 share) moving linearly -,
#: ``trajectory`` of the minority profile, ``drift_logit``: total logit shift 2016 -> 2019 of
#: every advanced item in both classes) or "continuum" (one continuous trait, 2PL; always
#: random draws).
SCENARIOS: dict[str, dict] = {
    "widening": {
        "model": "classes", "n_groups": 2, "minority_share": 0.10, "trajectory": "rising", "drift_logit": 0.0,
        "description": "a small sophisticated minority (10 %) whose advanced-item probabilities rise "
                       "from 2016 to 2019; the majority is flat; the minority's share is constant",
    },
    "stable": {
        "model": "classes", "n_groups": 2, "minority_share": 0.10, "trajectory": "flat", "drift_logit": 0.0,
        "description": "the same two groups, with no change across waves (minority profile at the "
                       "midpoint of the widening path)",
    },
    "single_group": {
        "model": "classes", "n_groups": 1, "minority_share": 0.0, "trajectory": "flat", "drift_logit": 0.0,
        "description": "one group only: advanced items are independent of mainstream items within a wave",
    },
    "drift": {
        "model": "classes", "n_groups": 2, "minority_share": 0.10, "trajectory": "flat", "drift_logit": 0.8,
        "description": "the stable groups, but every advanced item moves alike in both groups: +0.8 on the "
                       "logit scale from 2016 to 2019 (linear in the wave; `drift_logit`, negative = down), "
                       "so the groups' log-odds gap is constant while the rates rise",
    },
    "growing": {
        "model": "classes", "n_groups": 2, "minority_share": (0.06, 0.16), "trajectory": "flat", "drift_logit": 0.0,
        "description": "the stable profiles, but the minority's share grows linearly from 6 % (2016) to "
                       "16 % (2019)",
    },
    "narrowing": {
        "model": "classes", "n_groups": 2, "minority_share": 0.10, "trajectory": "falling", "drift_logit": 0.0,
        "description": "mirror of widening: the minority's advanced-item probabilities fall from the 2019 "
                       "to the 2016 widening values; the majority is flat; the minority's share is constant",
    },
    "continuum": {
        "model": "continuum", "n_groups": None, "minority_share": None, "trajectory": "flat", "drift_logit": 0.0,
        "description": "no groups: one continuous trait (2PL item response model, trait N(0, 1) in every "
                       "wave) on which every technology item loads; always random draws",
    },
}

#: item -> (majority p, minority p in 2016, minority p in 2019). Majority values of items
#: with a published figure are replaced by the solved value (see the module docstring).
PROFILES: dict[str, tuple[float, float, float]] = {
    # advanced (tag "advanced")
    "tech_encryption": (0.15, 0.50, 0.80),
    "tech_darknet": (0.08, 0.45, 0.75),
    "tech_cryptocurrency": (0.04, 0.30, 0.60),
    "tech_anonymisation": (0.12, 0.50, 0.80),
    # mainstream (tag "mainstream")
    "tech_p2p": (0.90, 0.75, 0.75),
    "tech_social_media": (0.45, 0.40, 0.40),
    "tech_messaging_apps": (0.55, 0.70, 0.70),
    "tech_self_produced": (0.90, 0.85, 0.85),
    "tech_usb_local_storage": (0.60, 0.50, 0.50),
    # coded trend mentions (tag "trend"); every asked wave is calibrated
    "trend_social_media": (0.30, 0.30, 0.30),
    "trend_anonymisation": (0.12, 0.45, 0.55),
    "trend_encryption": (0.10, 0.40, 0.60),
    "trend_cloud": (0.20, 0.40, 0.40),
    # 2018 cryptocurrency block
    "crypto_encountered": (0.25, 0.90, 0.90),
}
#: the items a drift moves (the codebook's tag "advanced")
ADVANCED_ITEMS = ("tech_encryption", "tech_darknet", "tech_cryptocurrency", "tech_anonymisation")
#: items whose minority profile changes in widening / narrowing (start != end in PROFILES)
#: are exactly these and trend_anonymisation / trend_encryption.

#: continuum scenario: item -> discrimination of the 2PL model P(1 | theta) = 1 / (1 + exp(-a (theta - b))).
#: The difficulty b of each (item, wave) is solved so that the marginal rate (theta ~ N(0, 1))
#: equals the expected marginal of the "stable" scenario (10 % minority) - i.e. the published
#: figure wherever one is calibrated. tech_cryptocurrency and crypto_encountered share one
#: discrimination, so P(past-year use | theta) <= P(ever met | theta) for every theta.
CONTINUUM_DISCRIMINATION: dict[str, float] = {
    "tech_encryption": 1.5, "tech_darknet": 1.5, "tech_cryptocurrency": 1.5, "tech_anonymisation": 1.5,
    "crypto_encountered": 1.5, "trend_anonymisation": 1.5, "trend_encryption": 1.5,
    "tech_p2p": 0.8, "tech_social_media": 0.8, "tech_messaging_apps": 0.8, "tech_self_produced": 0.8,
    "tech_usb_local_storage": 0.8, "trend_social_media": 0.8, "trend_cloud": 0.8,
}
#: minority officers' head start when ranking crypto_frequency (score = U(0,1) + bonus)
CRYPTO_FREQUENCY_MINORITY_BONUS = 0.5
VERY_COMMON_SHARE = 1 / 3      # of "common or very common"
VERY_UNCOMMON_SHARE = 1 / 2    # of "uncommon or very uncommon"

EUROPE_REST = ("Germany", "Netherlands", "Denmark", "Finland", "France", "Ireland", "Italy", "Switzerland")
OTHER_MIX = {"Australia": 35, "New Zealand": 15, "Brazil": 15, "South Africa": 10, "Argentina": 5,
             "Taiwan": 5, "Thailand": 5, "international organisation": 10}
COUNTRY_REGION = {"USA": "north_america", "Canada": "north_america",
                  "United Kingdom": "europe", "Sweden": "europe", "Norway": "europe",
                  **{c: "europe" for c in EUROPE_REST}, **{c: "other" for c in OTHER_MIX}}


@dataclass(frozen=True)
class Calibration:
    """A published figure a column's marginal in one wave is drawn to match exactly:
    the share of respondents (or of those with ``among``) whose answer is in ``codes``."""

    column: str
    wave: int
    question_id: str
    option: str
    codes: tuple
    among: tuple | None = None   # (column, code): conditional base


CALIBRATIONS: tuple[Calibration, ...] = (
    Calibration("tech_p2p", 2016, "distribution_methods", "P2P/file sharing", (1,)),
    Calibration("tech_social_media", 2016, "distribution_methods", "social media", (1,)),
    Calibration("tech_self_produced", 2018, "self_produced_seen", "yes", (1,)),
    Calibration("trend_social_media", 2016, "trend_social_media",
                "self-produced material, grooming, sextortion, sharing via social media", (1,)),
    Calibration("trend_social_media", 2017, "trend_social_media", "social media, chatrooms and apps increasing", (1,)),
    Calibration("trend_social_media", 2019, "trend_social_media_gaming", "social media and online gaming", (1,)),
    Calibration("trend_anonymisation", 2017, "trend_anonymisation",
                "anonymisation technologies (TOR, VPN, proxies) increasing", (1,)),
    Calibration("trend_anonymisation", 2019, "trend_anonymisation", "TOR/darknet increase", (1,)),
    Calibration("trend_encryption", 2017, "trend_encryption", "encryption increasing", (1,)),
    Calibration("trend_encryption", 2019, "trend_encryption", "encryption increase", (1,)),
    Calibration("trend_cloud", 2017, "trend_cloud", "cloud storage increasing", (1,)),
    Calibration("trend_cloud", 2019, "trend_cloud", "cloud storage increase", (1,)),
    Calibration("crypto_encountered", 2018, "crypto_encountered", "no", (0,)),
    Calibration("crypto_frequency", 2018, "crypto_frequency", "common or very common", (4, 5), ("crypto_encountered", 1)),
    Calibration("crypto_frequency", 2018, "crypto_frequency", "uncommon or very uncommon", (1, 2), ("crypto_encountered", 1)),
    Calibration("workload_change", 2016, "workload_change", "more demanding", (3,)),
    Calibration("workload_change", 2016, "workload_change", "less demanding", (1,)),
)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def generate(scenario: str = DEFAULT_SCENARIO, seed: int = 2018, *, waves=DEFAULT_WAVES, n_groups: int | None = None,
             minority_share: float | tuple[float, float] | None = None, n_respondents: int | None = None,
             include_class: bool = False, draws: str = "exact", drift_logit: float | None = None):
    """Synthetic microdata (see the module docstring for everything planted and assumed).

    ``n_groups`` (1 or 2), ``minority_share`` (a share, or a pair (2016 share, 2019 share) that
    moves linearly across waves) and ``drift_logit`` (total logit shift of every advanced item in
    both classes from 2016 to 2019) override the scenario's defaults (:data:`SCENARIOS`); none
    applies to "continuum". ``draws="exact"`` plants quotas and published counts exactly;
    ``draws="random"`` draws class membership, country and every answer independently with the
    same expected values (:func:`class_probabilities`). "continuum" always draws at random.
    ``include_class=True`` adds the latent class as a column ``latent_class`` (0 majority,
    1 minority; empty for "continuum", which adds its trait as ``latent_trait``) for method
    checks; drop them before validation.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook
    from helpers.data.published import load_figures

    if scenario not in SCENARIOS:
        raise ParameterError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ParameterError(f"seed must be an integer, not {seed!r}")
    if draws not in DRAWS:
        raise ParameterError(f"draws must be one of {', '.join(DRAWS)}, not {draws!r}")
    cb = load_codebook()
    valid = cb.valid_waves()
    waves = tuple(sorted({int(w) for w in waves}))
    if not waves or not set(waves) <= set(valid):
        raise ParameterError(f"waves must be drawn from {valid}, got {list(waves)}")
    spec = SCENARIOS[scenario]
    figures = load_figures()
    sizes = _wave_sizes(figures, waves, n_respondents)
    label = f"synthetic data (scenario '{scenario}', seed {int(seed)}) — not real survey answers"
    overrides = []
    calib_log: list[dict] = []
    parts = []

    if spec["model"] == "continuum":
        given = [name for name, v in (("n_groups", n_groups), ("minority_share", minority_share),
                                      ("drift_logit", drift_logit)) if v is not None]
        if given:
            raise ParameterError(f"{', '.join(given)} does not apply to the continuum scenario (no classes)")
        used = "random"
        params = _continuum_parameters(figures, waves)
        for w in waves:
            rng = np.random.default_rng([int(seed), int(w), 1])
            parts.append(_wave_random(w, sizes[w], rng, cb, figures, None, params, calib_log, include_class))
        groups, share, drift = None, None, None
    else:
        groups, share, drift, overrides = _resolve_classes(scenario, n_groups, minority_share, drift_logit)
        used = draws
        plan = _Plan(groups, share, spec["trajectory"], drift, figures)
        for w in waves:
            if used == "exact":
                rng = np.random.default_rng([int(seed), int(w)])
                parts.append(_wave(w, sizes[w], rng, cb, figures, plan, calib_log, include_class))
            else:
                rng = np.random.default_rng([int(seed), int(w), 1])
                parts.append(_wave_random(w, sizes[w], rng, cb, figures, plan, None, calib_log, include_class))
    if used == "random":
        overrides.append("random draws")
    if overrides:
        label = label.replace(") —", f", {', '.join(overrides)}) —")

    frame = pd.concat(parts, ignore_index=True)
    source = f"helpers.data.synthetic.generate(scenario={scenario!r}, seed={int(seed)}" \
             + (", draws='random')" if used == "random" else ")")
    frame.attrs.update({"data_kind": "synthetic", "label": label, "scenario": scenario, "seed": int(seed),
                        "draws": used, "n_groups": groups, "minority_share": share, "drift_logit": drift,
                        "source": source, "calibration": calib_log})
    return frame


def class_probabilities(scenario: str = DEFAULT_SCENARIO, *, waves=DEFAULT_WAVES, n_groups: int | None = None,
                        minority_share: float | tuple[float, float] | None = None, drift_logit: float | None = None):
    """The expected values behind a class scenario: one row per (wave, latent_class) with the
    class's ``share`` of the wave and its probability of 1 for every binary answer asked in the
    wave (empty where not asked). ``draws="random"`` draws from exactly these; ``draws="exact"``
    plants counts rounded from them (calibrated items: the published count, split as
    documented). tech_cryptocurrency is the unconditional probability (where crypto_encountered
    is asked, it is drawn among those who met cryptocurrencies, see the module docstring).
    For "continuum" see :func:`continuum_parameters`.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook
    from helpers.data.published import load_figures

    if scenario not in SCENARIOS:
        raise ParameterError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    if SCENARIOS[scenario]["model"] != "classes":
        raise ParameterError(f"scenario {scenario!r} has no classes; see continuum_parameters()")
    cb, figures = load_codebook(), load_figures()
    groups, share, drift, _ = _resolve_classes(scenario, n_groups, minority_share, drift_logit)
    plan = _Plan(groups, share, SCENARIOS[scenario]["trajectory"], drift, figures)
    rows = []
    for w in sorted({int(x) for x in waves}):
        expected = plan.expected(w, cb, [])
        for c in ((0,) if plan.groups == 1 else (0, 1)):
            share = 1 - plan.share(w) if c == 0 else plan.share(w)
            rows.append({"wave": w, "latent_class": c, "share": share,
                         **{item: (pm if c == 1 else pj) for item, (pm, pj) in expected.items()}})
    items = [c for c in cb.microdata_columns() if c in _binary_items(cb)]
    return pd.DataFrame(rows).set_index(["wave", "latent_class"]).reindex(columns=["share", *items])


def continuum_parameters(waves=DEFAULT_WAVES):
    """The continuum scenario's 2PL parameters: one row per (item, wave asked) with
    ``discrimination``, ``difficulty`` (solved) and ``marginal`` (the expected rate)."""
    import pandas as pd

    from helpers.data.published import load_figures

    waves = tuple(sorted({int(w) for w in waves}))
    table = _continuum_parameters(load_figures(), waves)
    return pd.DataFrame([{"item": item, "wave": w, "discrimination": a, "difficulty": b, "marginal": m}
                         for (item, w), (a, b, m) in table.items()]).sort_values(["item", "wave"], ignore_index=True)


# ---------------------------------------------------------------------------------------
# internals
# ---------------------------------------------------------------------------------------
def _minority_p(item: str, wave: int, trajectory: str) -> float:
    _, start, end = PROFILES[item]
    if trajectory == "rising":
        return start + (end - start) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
    if trajectory == "falling":
        return end + (start - end) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
    return (start + end) / 2


def _expit(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def _check_share(share) -> float | tuple[float, float]:
    if isinstance(share, (tuple, list)):
        if len(share) != 2:
            raise ParameterError(f"minority_share must be a share or a pair (2016 share, 2019 share), not {share!r}")
        pair = tuple(float(_check_share(x)) for x in share)
        return pair[0] if pair[0] == pair[1] else pair
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)):
        raise ParameterError(f"minority_share must be a number, not {share!r}")
    share = float(share)
    if not 0 < share < 0.5:
        raise ParameterError(f"minority_share must lie strictly between 0 and 0.5, not {share}")
    return share


def _share_text(share) -> str:
    return f"{share[0]:g} to {share[1]:g}" if isinstance(share, tuple) else f"{share:g}"


def _resolve_classes(scenario, n_groups, minority_share, drift_logit):
    """(groups, share, drift, label overrides) of a class scenario, validated."""
    spec = SCENARIOS[scenario]
    groups = spec["n_groups"] if n_groups is None else n_groups
    if groups not in (1, 2):
        raise ParameterError(f"n_groups must be 1 or 2, not {groups!r}")
    if groups == 1:
        if minority_share not in (None, 0, 0.0):
            raise ParameterError(f"minority_share={minority_share} contradicts a single group (n_groups=1)")
        share = 0.0
    elif minority_share is not None:
        share = _check_share(minority_share)
    else:   # a one-group scenario asked for two groups: the documented default minority share
        share = _check_share(spec["minority_share"] or SCENARIOS["widening"]["minority_share"])
    drift = spec["drift_logit"] if drift_logit is None else drift_logit
    if isinstance(drift, bool) or not isinstance(drift, (int, float, np.integer, np.floating)) \
            or not -10 <= float(drift) <= 10:
        raise ParameterError(f"drift_logit must be a number between -10 and 10, not {drift!r}")
    drift = float(drift)
    overrides = []
    if n_groups is not None and n_groups != spec["n_groups"]:
        overrides.append(f"{groups} group(s)")
    if minority_share is not None:
        overrides.append(f"minority share {_share_text(share)}")
    if drift_logit is not None and drift != spec["drift_logit"]:
        overrides.append(f"drift {drift:+g} logit")
    return groups, share, drift, overrides


_NOT_BINARY = ("respondent_id", "wave", "country", "region", "crypto_frequency", "workload_change")


def _binary_items(cb) -> list[str]:
    return [c for c in cb.microdata_columns() if c not in _NOT_BINARY]


class _Plan:
    """The class model of one scenario: shares and class probabilities per wave."""

    def __init__(self, groups, share, trajectory, drift, figures):
        self.groups, self._share, self.trajectory, self.drift = groups, share, trajectory, drift
        self.figures = figures
        self.solved = _solved_majority(figures, self)

    def share(self, wave: int) -> float:
        if isinstance(self._share, tuple):
            a, b = self._share
            return a + (b - a) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
        return self._share

    def _drifted(self, item: str, wave: int, p: float) -> float:
        if self.drift == 0 or item not in ADVANCED_ITEMS:
            return p
        t = (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE) - 0.5
        return float(_expit(np.log(p / (1 - p)) + self.drift * t))

    def p_min(self, item: str, wave: int) -> float:
        return self._drifted(item, wave, _minority_p(item, wave, self.trajectory))

    def p_maj(self, item: str, wave: int) -> float:
        """The majority's probability where no published figure of this wave pins the marginal."""
        return self._drifted(item, wave, self.solved.get(item, PROFILES[item][0]))

    def expected(self, wave: int, cb, log: list) -> dict[str, tuple[float, float]]:
        """item -> (minority p, majority p) of every binary answer asked in ``wave``; where a
        published figure exists the majority's p is solved from marginal = pi p_min + (1 - pi)
        p_maj (clipped to [0, 1], the minority's p then absorbing the rest; logged)."""
        s = self.share(wave)
        cals = {c.column: c for c in CALIBRATIONS if c.wave == wave and c.column not in _NOT_BINARY}
        out = {}
        for item in _binary_items(cb):
            if not cb.question(item).asked_in(wave):
                continue
            p_min, p_maj = self.p_min(item, wave), self.p_maj(item, wave)
            if item in cals:
                cal = cals[item]
                v = _figure_value(self.figures, cal.question_id, cal.option, wave)[0] / 100
                v = 1 - v if cal.codes == (0,) else v
                p_maj = (v - s * p_min) / (1 - s)
                clipped = not 0 <= p_maj <= 1
                if clipped:
                    p_maj = min(max(p_maj, 0.0), 1.0)
                    p_min = min(max((v - (1 - s) * p_maj) / s, 0.0), 1.0)
                log.append({"column": item, "wave": wave, "expected_share": v, "codes": [1],
                            "minority_p": round(p_min, 4), "majority_p": round(p_maj, 4), "clipped": clipped})
            out[item] = (p_min, p_maj)
        return out


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(81)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _marginal_2pl(a: float, b: float) -> float:
    return float(np.sum(_GH_WEIGHTS * _expit(a * (_GH_NODES - b))))


def _continuum_parameters(figures, waves) -> dict[tuple[str, int], tuple[float, float, float]]:
    """(item, wave) -> (discrimination, difficulty, marginal): difficulty solved (bisection) so
    that the marginal under theta ~ N(0, 1) is the stable scenario's expected marginal."""
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    plan = _Plan(2, SCENARIOS["stable"]["minority_share"], "flat", 0.0, figures)
    out = {}
    for w in waves:
        s = plan.share(w)
        for item, (p_min, p_maj) in plan.expected(w, cb, []).items():
            target = s * p_min + (1 - s) * p_maj
            a = CONTINUUM_DISCRIMINATION[item]
            lo, hi = -30.0, 30.0
            for _ in range(80):   # the marginal falls as the difficulty rises
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if _marginal_2pl(a, mid) > target else (lo, mid)
            b = (lo + hi) / 2
            out[(item, w)] = (a, b, target)
    return out


def _mixture_quantile(q: float, m: float, bonus: float) -> float:
    """t with P(score <= t) = q, score = U(0, 1) + bonus with probability m."""
    lo, hi = 0.0, 1.0 + bonus
    for _ in range(60):
        t = (lo + hi) / 2
        cdf = (1 - m) * min(max(t, 0.0), 1.0) + m * min(max(t - bonus, 0.0), 1.0)
        lo, hi = (t, hi) if cdf < q else (lo, t)
    return (lo + hi) / 2


def _figure_value(figures, qid, option, wave):
    from helpers.data.published import figure

    found = figure(qid, option, wave, frame=figures)
    return found.value, found.value_low, found.value_high


def _published_size(figures, wave) -> int:
    hit = figures[(figures["question_id"] == "survey_size") & (figures["option"] == "respondents")
                  & (figures["wave"] == wave) & (figures["part"] == "law_enforcement")]
    if len(hit) != 1:
        raise ParameterError(f"no published survey size for wave {wave} in figures.csv")
    return int(hit["value"].iloc[0])


def _largest_remainder(weights, total: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _wave_sizes(figures, waves, n_respondents) -> dict[int, int]:
    published = {w: _published_size(figures, w) for w in waves}
    if n_respondents is None:
        return published
    if isinstance(n_respondents, bool) or not isinstance(n_respondents, (int, np.integer)) or n_respondents < len(waves):
        raise ParameterError(f"n_respondents must be an integer of at least {len(waves)} (one per wave), "
                             f"not {n_respondents!r}")
    counts = _largest_remainder([published[w] for w in waves], int(n_respondents))
    return dict(zip(waves, map(int, counts)))


def _composition(figures, wave: int) -> dict[str, float]:
    """Country -> percent of respondents for ``wave`` (see the docstring for assumptions)."""
    def val(qid, option, w):
        return _figure_value(figures, qid, option, w)[0]

    uk, se, no = (val("respondent_country", c, 2018) for c in ("United Kingdom", "Sweden", "Norway"))
    eu18 = val("respondent_region", "Europe", 2018)
    eu_split = {"United Kingdom": uk / eu18, "Sweden": se / eu18, "Norway": no / eu18,
                **{c: (eu18 - uk - se - no) / eu18 / len(EUROPE_REST) for c in EUROPE_REST}}

    def build(usa, canada, europe):
        other = 100.0 - usa - canada - europe
        comp = {"USA": usa, "Canada": canada}
        comp.update({c: europe * f for c, f in eu_split.items()})
        tot = sum(OTHER_MIX.values())
        comp.update({c: other * v / tot for c, v in OTHER_MIX.items()})
        return comp

    if wave == 2016:
        return build(val("respondent_region", "USA", 2016), 0.0, val("respondent_region", "Europe", 2016))
    if wave == 2018:
        comp = build(val("respondent_country", "USA", 2018), val("respondent_country", "Canada", 2018), eu18)
        return comp
    if wave == 2019:
        na, usa = val("respondent_region", "North America", 2019), val("respondent_region", "USA", 2019)
        return build(usa, na - usa, val("respondent_region", "Europe", 2019))
    if wave == 2017:
        a, b = _composition(figures, 2016), _composition(figures, 2018)
        return {c: (a[c] + b[c]) / 2 for c in a}
    raise ParameterError(f"no composition rule for wave {wave}")


def _solved_majority(figures, plan) -> dict[str, float]:
    """Majority probability of each mainstream item solved from its one published figure."""
    out = {}
    for cal in CALIBRATIONS:
        if not cal.column.startswith("tech_"):
            continue
        value = _figure_value(figures, cal.question_id, cal.option, cal.wave)[0] / 100
        share = plan.share(cal.wave)
        p_min = _minority_p(cal.column, cal.wave, plan.trajectory)
        p_maj = (value - share * p_min) / (1 - share)
        out[cal.column] = float(min(max(p_maj, 0.0), 1.0))
    return out


def _quota(rng, idx: np.ndarray, k: int) -> np.ndarray:
    k = int(min(max(k, 0), len(idx)))
    return idx[rng.permutation(len(idx))[:k]]


def _split(k: int, n_min: int, n_maj: int, p_min: float) -> tuple[int, int, bool]:
    """Split ``k`` ones between minority and majority; True if the split had to be clipped."""
    want = int(round(n_min * p_min))
    k_min = min(max(want, k - n_maj, 0), n_min, k)
    return k_min, k - k_min, k_min != want


def _wave(w, n, rng, cb, figures, plan, calib_log, include_class):
    """One wave with exact draws (quotas, published counts)."""
    import pandas as pd

    ids = _ids(w, n)

    # country / region: exact counts, random placement
    # (regions first, then countries within each region, so both levels match the figures)
    comp = _composition(figures, w)
    regions = ("north_america", "europe", "other")
    in_region = {r: [c for c in comp if COUNTRY_REGION[c] == r] for r in regions}
    region_counts = _largest_remainder([sum(comp[c] for c in in_region[r]) for r in regions], n)
    names, counts = [], []
    for r, k in zip(regions, region_counts):
        weights = [comp[c] for c in in_region[r]]
        if sum(weights) <= 0:
            continue
        names += in_region[r]
        counts += list(_largest_remainder(weights, int(k)))
    country = np.repeat(np.array(names, dtype=object), counts)[rng.permutation(n)]
    region = pd.Series(country).map(COUNTRY_REGION).to_numpy()

    # latent classes
    n_min = int(round(plan.share(w) * n))
    cls = np.zeros(n, dtype=np.int8)
    cls[rng.permutation(n)[:n_min]] = 1
    idx_min = np.flatnonzero(cls == 1)
    idx_maj = np.flatnonzero(cls == 0)

    cols: dict[str, np.ndarray] = {}
    cal_by = {}
    for cal in CALIBRATIONS:
        if cal.wave == w:
            cal_by.setdefault(cal.column, []).append(cal)

    def planted(cal, base_n):
        v, lo, hi = _figure_value(figures, cal.question_id, cal.option, cal.wave)
        return implied_counts(v, lo, hi, base_n).nearest

    def binary(item):
        out = np.zeros(n, dtype=np.int8)
        p_min = plan.p_min(item, w)
        p_maj = plan.p_maj(item, w)
        if item in cal_by:
            cal = cal_by[item][0]
            k = planted(cal, n)
            if cal.codes == (0,):  # the published figure is the share answering "no"
                k = n - k
            k_min, k_maj, clipped = _split(k, len(idx_min), len(idx_maj), p_min)
            calib_log.append({"column": item, "wave": w, "n": n, "count": k if cal.codes != (0,) else n - k,
                              "codes": list(cal.codes), "minority_ones": k_min, "majority_ones": k_maj,
                              "solved_majority_p": round(k_maj / len(idx_maj), 4) if len(idx_maj) else None,
                              "clipped": clipped})
        else:
            k_min, k_maj = int(round(len(idx_min) * p_min)), int(round(len(idx_maj) * p_maj))
        out[_quota(rng, idx_min, k_min)] = 1
        out[_quota(rng, idx_maj, k_maj)] = 1
        return out

    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    special = {"workload_change", "crypto_frequency"} | ({"tech_cryptocurrency"} if crypto_link else set())
    for item in cb.microdata_columns():
        q = cb.question(item)
        if item in ("respondent_id", "wave", "country", "region"):
            continue
        if not q.asked_in(w):
            cols[item] = None
        elif item not in special:
            cols[item] = binary(item)

    if crypto_link:  # past-year use only where cryptocurrencies were ever met
        met = cols["crypto_encountered"] == 1
        out = np.zeros(n, dtype=np.int8)
        p_min = plan.p_min("tech_cryptocurrency", w)
        for idx, p in ((idx_min, p_min), (idx_maj, plan.p_maj("tech_cryptocurrency", w))):
            out[_quota(rng, idx[met[idx]], int(round(len(idx) * p)))] = 1
        cols["tech_cryptocurrency"] = out

    if cb.question("crypto_frequency").asked_in(w):
        freq = np.full(n, -1, dtype=np.int8)
        if cols.get("crypto_encountered") is not None:
            met = np.flatnonzero(cols["crypto_encountered"] == 1)
            m = len(met)
            cals = {c.codes: c for c in cal_by.get("crypto_frequency", [])}
            k_common = planted(cals[(4, 5)], m) if (4, 5) in cals else int(round(0.2 * m))
            k_unc = planted(cals[(1, 2)], m) if (1, 2) in cals else int(round(0.55 * m))
            k_unc = min(k_unc, m - k_common)
            score = rng.random(m) + CRYPTO_FREQUENCY_MINORITY_BONUS * (cls[met] == 1)
            order = met[np.argsort(-score, kind="stable")]
            common, unc = order[:k_common], order[m - k_unc:] if k_unc else order[:0]
            freq[met] = 3
            freq[common] = 4
            freq[_quota(rng, common, int(round(len(common) * VERY_COMMON_SHARE)))] = 5
            freq[unc] = 2
            freq[_quota(rng, unc, int(round(len(unc) * VERY_UNCOMMON_SHARE)))] = 1
            for codes, k in (((4, 5), k_common), ((1, 2), k_unc)):
                calib_log.append({"column": "crypto_frequency", "wave": w, "n": m, "count": int(k), "codes": list(codes),
                                  "among": "crypto_encountered = 1", "clipped": False})
        cols["crypto_frequency"] = freq

    if cb.question("workload_change").asked_in(w):
        cals = {c.codes: c for c in cal_by.get("workload_change", [])}
        k_more = planted(cals[(3,)], n) if (3,) in cals else int(round(0.746 * n))
        k_less = planted(cals[(1,)], n) if (1,) in cals else int(round(0.011 * n))
        k_less = min(k_less, n - k_more)
        perm = rng.permutation(n)
        work = np.full(n, 2, dtype=np.int8)
        work[perm[:k_more]] = 3
        work[perm[k_more:k_more + k_less]] = 1
        cols["workload_change"] = work
        for codes, k in (((3,), k_more), ((1,), k_less)):
            calib_log.append({"column": "workload_change", "wave": w, "n": n, "count": int(k), "codes": list(codes),
                              "clipped": False})

    frame = _assemble(w, n, ids, country, region, cols, cb)
    if include_class:
        frame["latent_class"] = cls
    return frame


def _ids(w: int, n: int):
    import pandas as pd

    width = max(4, len(str(n)))
    ids = pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)
    return ("S" + str(w) + "-") + ids


def _assemble(w, n, ids, country, region, cols, cb):
    import pandas as pd

    data = {"respondent_id": ids.to_numpy(), "wave": np.full(n, w, dtype=np.int64),
            "country": country, "region": region}
    for item in cb.microdata_columns():
        if item in data:
            continue
        arr = cols.get(item)
        if arr is None:
            data[item] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int8), np.ones(n, dtype=bool))
        else:
            data[item] = pd.arrays.IntegerArray(np.where(arr < 0, 0, arr).astype(np.int8), arr < 0)
    frame = pd.DataFrame(data)
    for c in ("respondent_id", "country", "region"):
        frame[c] = frame[c].astype("str")
    return frame


def _wave_random(w, n, rng, cb, figures, plan, params, calib_log, include_class):
    """One wave with random draws: class scenarios (``plan``) or the continuum (``params``)."""
    import pandas as pd

    ids = _ids(w, n)
    comp = _composition(figures, w)   # country: independent categorical draws
    names = list(comp)
    cum = np.cumsum(np.array([comp[c] for c in names], dtype=float))
    pick = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(names) - 1)
    country = np.array(names, dtype=object)[pick]
    region = pd.Series(country).map(COUNTRY_REGION).to_numpy()

    if plan is not None:
        share = plan.share(w)
        cls = (rng.random(n) < share).astype(np.int8)
        minority = cls == 1
        expected = plan.expected(w, cb, calib_log)

        def prob(item):
            p_min, p_maj = expected[item]
            return np.where(minority, p_min, p_maj)
    else:
        theta = rng.standard_normal(n)
        for (item, wave), (a, b, m) in params.items():
            if wave == w and any(c.column == item and c.wave == w for c in CALIBRATIONS):
                calib_log.append({"column": item, "wave": w, "expected_share": m, "codes": [1],
                                  "discrimination": a, "difficulty": round(b, 4), "clipped": False})

        def prob(item):
            a, b, _ = params[(item, w)]
            return _expit(a * (theta - b))

    cal_by: dict[str, list] = {}
    for cal in CALIBRATIONS:
        if cal.wave == w:
            cal_by.setdefault(cal.column, []).append(cal)

    def point(column, codes, default):
        hit = [c for c in cal_by.get(column, []) if c.codes == codes]
        return _figure_value(figures, hit[0].question_id, hit[0].option, w)[0] / 100 if hit else default

    cols: dict[str, np.ndarray | None] = {}
    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    for item in _binary_items(cb):
        if not cb.question(item).asked_in(w):
            cols[item] = None
        elif not (crypto_link and item == "tech_cryptocurrency"):
            cols[item] = (rng.random(n) < prob(item)).astype(np.int8)

    if crypto_link:  # past-year use only where cryptocurrencies were ever met
        p_use, p_met = prob("tech_cryptocurrency"), prob("crypto_encountered")
        ratio = np.divide(p_use, p_met, out=np.zeros(n), where=p_met > 0)
        if (ratio > 1 + 1e-12).any():
            calib_log.append({"column": "tech_cryptocurrency", "wave": w, "clipped": True,
                              "note": "P(past-year use) > P(ever met) in a class; capped at P(ever met)"})
        use = (rng.random(n) < np.minimum(ratio, 1.0)) & (cols["crypto_encountered"] == 1)
        cols["tech_cryptocurrency"] = use.astype(np.int8)

    if cb.question("crypto_frequency").asked_in(w):
        freq = np.full(n, -1, dtype=np.int8)
        if cols.get("crypto_encountered") is not None:
            met = np.flatnonzero(cols["crypto_encountered"] == 1)
            p_common, p_unc = point("crypto_frequency", (4, 5), 0.20), point("crypto_frequency", (1, 2), 0.55)
            bonus, m = 0.0, 0.0
            if plan is not None:   # minority officers rank higher, as in exact draws; same expected split
                bonus = CRYPTO_FREQUENCY_MINORITY_BONUS
                pm, pj = expected["crypto_encountered"]
                m = share * pm / (share * pm + (1 - share) * pj) if share * pm + (1 - share) * pj > 0 else 0.0
            t_common = _mixture_quantile(1 - p_common, m, bonus)
            t_unc = _mixture_quantile(p_unc, m, bonus)
            score = rng.random(len(met)) + (bonus * minority[met] if plan is not None else 0.0)
            split = rng.random(len(met))
            f = np.full(len(met), 3, dtype=np.int8)
            f[score > t_common] = 4
            f[(score > t_common) & (split < VERY_COMMON_SHARE)] = 5
            f[score < t_unc] = 2
            f[(score < t_unc) & (split < VERY_UNCOMMON_SHARE)] = 1
            freq[met] = f
        cols["crypto_frequency"] = freq

    if cb.question("workload_change").asked_in(w):
        p_more, p_less = point("workload_change", (3,), 0.746), point("workload_change", (1,), 0.011)
        u = rng.random(n)
        work = np.full(n, 2, dtype=np.int8)
        work[u < p_more] = 3
        work[(u >= p_more) & (u < p_more + p_less)] = 1
        cols["workload_change"] = work

    frame = _assemble(w, n, ids, country, region, cols, cb)
    if include_class:
        if plan is not None:
            frame["latent_class"] = cls
        else:
            frame["latent_class"] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int8), np.ones(n, dtype=bool))
            frame["latent_trait"] = theta
    return frame
