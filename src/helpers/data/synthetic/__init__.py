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
                               remainder); with ``n_per_wave`` every wave has exactly that many
                               (power studies); fixed in both kinds of draws
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
                               constant. ``widening_logit`` (method checks; default None =
                               the path above, unchanged) replaces the minority's path on the
                               ADVANCED items by a straight line on the logit scale:
                               logit p = logit(midpoint of start and end) + ``widening_logit`` *
                               (wave - 2017.5), i.e. that many logits per wave (the effect size
                               of the widening test's delta; PROFILES' path is about +0.44 per
                               wave). Allowed in any two-group class scenario (label says so);
                               trend mentions keep the scenario's path
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
scenario "skewed_continuum"    as continuum, but the trait is right-skewed: a gamma variable of
                               ``trait_shape`` (default 2, skewness 1.41; 8: skewness 0.71),
                               standardised to mean 0 and variance 1 (most officers low, a long
                               tail of sophisticated ones); the difficulties are solved under
                               that trait (generalised Gauss-Laguerre quadrature) so the
                               marginals equal the continuum's. Always random draws
scenario "three_classes"       three groups, not two: majority, a middle class (MIDDLE_SHARE
                               25 %, MIDDLE_PROFILE: halfway on the advanced items, e.g.
                               encryption 0.40, higher than both on messaging apps 0.90 and social
                               media 0.75) and the advanced class (10 %, stable profile); the
                               majority's calibrated probabilities solved with all three classes'
                               terms; ``latent_class`` 2 = the middle class. Always random draws
scenario "regional"            the stable groups, but the advanced class's share and every
                               probability depend on the respondent's region (REGION_PROFILES:
                               North America 7 %, advanced items -0.3 and other items +0.2 logit;
                               Europe 15 %, +0.4 and -0.3; other 10 %, no shift; both classes
                               shifted alike, so no region's gap changes), while the composition
                               follows the published one (USA 61 % in 2016, 46 % in 2019): the
                               pooled rates and class share move. Calibrated marginals then hold
                               only approximately. Always random draws
missing answers                ``missing_answers=True`` (random draws): each technology answer
                               (tags advanced, mainstream) blank independently with the wave's
                               share (MISSING_SHARE: 15 % in 2016 rising linearly to 30 % in
                               2019), and tech_usb_local_storage blank for everyone in 2016 (not
                               asked; MISSING_NOT_ASKED); drawn from its own stream
                               ``[seed, wave, 2]``, so the other answers are those without it
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

Where the code lives
--------------------
This module holds the public API (:func:`generate`, :func:`class_probabilities`,
:func:`continuum_parameters`) and re-exports the constants. ``scenarios`` has the scenarios'
defaults, the class profiles and the continuum's discriminations; ``targets`` the published
figures the waves are calibrated to, the survey sizes and the country composition;
``probabilities`` the class model and the continuum's 2PL parameters; ``draws`` one wave's rows,
exact or random.
"""

from __future__ import annotations

import numpy as np

from helpers.data.synthetic.draws import blank_answers, exact_wave, random_wave
from helpers.data.synthetic.probabilities import ClassPlan, binary_items, resolve_classes, solve_continuum
from helpers.data.synthetic.scenarios import (
    ADVANCED_ITEMS,
    CONTINUUM_DISCRIMINATION,
    CRYPTO_FREQUENCY_MINORITY_BONUS,
    DEFAULT_SCENARIO,
    DEFAULT_WAVES,
    DRAWS,
    FIRST_WAVE,
    LAST_WAVE,
    MIDDLE_PROFILE,
    MIDDLE_SHARE,
    MISSING_NOT_ASKED,
    MISSING_SHARE,
    PROFILES,
    RANDOM_ONLY,
    REGION_PROFILES,
    SCENARIOS,
    VERY_COMMON_SHARE,
    VERY_UNCOMMON_SHARE,
)
from helpers.data.synthetic.targets import (
    CALIBRATIONS,
    COUNTRY_REGION,
    EUROPE_REST,
    OTHER_MIX,
    Calibration,
    wave_sizes,
)
from helpers.errors import ParameterError

__all__ = [
    "ADVANCED_ITEMS", "CALIBRATIONS", "CONTINUUM_DISCRIMINATION", "COUNTRY_REGION", "CRYPTO_FREQUENCY_MINORITY_BONUS",
    "Calibration", "DEFAULT_SCENARIO", "DEFAULT_WAVES", "DRAWS", "EUROPE_REST", "FIRST_WAVE", "LAST_WAVE", "OTHER_MIX",
    "MIDDLE_PROFILE", "MIDDLE_SHARE", "MISSING_NOT_ASKED", "MISSING_SHARE", "PROFILES", "RANDOM_ONLY",
    "REGION_PROFILES", "SCENARIOS", "VERY_COMMON_SHARE", "VERY_UNCOMMON_SHARE",
    "class_probabilities", "continuum_parameters", "generate",
]


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------
def generate(scenario: str = DEFAULT_SCENARIO, seed: int = 2018, *, waves=DEFAULT_WAVES, n_groups: int | None = None,
             minority_share: float | tuple[float, float] | None = None, n_respondents: int | None = None,
             include_class: bool = False, draws: str = "exact", drift_logit: float | None = None,
             n_per_wave: int | None = None, widening_logit: float | None = None, trait_shape: float | None = None,
             missing_answers: bool = False):
    """Synthetic microdata (see the module docstring for everything planted and assumed).

    ``n_groups`` (1 or 2), ``minority_share`` (a share, or a pair (2016 share, 2019 share) that
    moves linearly across waves) and ``drift_logit`` (total logit shift of every advanced item in
    both classes from 2016 to 2019) override the scenario's defaults (:data:`SCENARIOS`); none
    applies to a continuum. ``n_per_wave``: exactly that many respondents in every wave (instead
    of ``n_respondents`` split in proportion to the published sizes). ``widening_logit``: the
    minority's advanced items move linearly on the logit scale by that much per wave (see the
    module docstring; an effect-size knob for power studies). ``trait_shape``: the gamma shape of
    "skewed_continuum"'s trait (default 2; larger = less skewed). ``missing_answers=True`` (random
    draws only) leaves technology answers blank at random (MISSING_SHARE, more in later waves) and
    one item unasked in one wave (MISSING_NOT_ASKED). ``draws="exact"`` plants quotas and
    published counts exactly; ``draws="random"`` draws class membership, country and every answer
    independently with the same expected values (:func:`class_probabilities`). The scenarios in
    RANDOM_ONLY always draw at random. ``include_class=True`` adds the latent class as a column
    ``latent_class`` (0 majority, 1 minority, 2 the middle class of "three_classes"; empty for a
    continuum, which adds its trait as ``latent_trait``) for method checks; drop them before
    validation.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook
    from helpers.data.published import load_figures

    _check_choices(scenario, seed, draws, widening_logit)
    cb = load_codebook()
    valid = cb.valid_waves()
    waves = tuple(sorted({int(w) for w in waves}))
    if not waves or not set(waves) <= set(valid):
        raise ParameterError(f"waves must be drawn from {valid}, got {list(waves)}")
    figures = load_figures()
    sizes = _wave_sizes(figures, waves, n_respondents, n_per_wave)
    used = "random" if scenario in RANDOM_ONLY else draws
    if missing_answers and used != "random":
        raise ParameterError("missing_answers needs random draws (draws='random')")
    calib_log: list[dict] = []
    if SCENARIOS[scenario]["model"] == "continuum":
        shape = _trait_shape(scenario, trait_shape, n_groups, minority_share, drift_logit, widening_logit)
        parts, overrides = _continuum_waves(seed, waves, sizes, cb, figures, shape, calib_log, include_class)
        classes = {"n_groups": None, "minority_share": None, "drift_logit": None}
        if shape != SCENARIOS[scenario].get("trait_shape"):
            overrides.append(f"trait gamma shape {shape:g}")
    else:
        if trait_shape is not None:
            raise ParameterError("trait_shape applies to the skewed_continuum scenario only")
        parts, overrides, classes = _class_waves(scenario, seed, waves, sizes, cb, figures, used, calib_log,
                                                 include_class, n_groups=n_groups, minority_share=minority_share,
                                                 drift_logit=drift_logit, widening_logit=widening_logit)
    if missing_answers:
        parts = [blank_answers(part, w, np.random.default_rng([int(seed), int(w), 2]), cb)
                 for part, w in zip(parts, waves, strict=True)]
        overrides.append(f"missing answers {MISSING_SHARE[0]:.0%}-{MISSING_SHARE[1]:.0%}")
    if used == "random":
        overrides.append("random draws")
    label = f"synthetic data (scenario '{scenario}', seed {int(seed)}) — not real survey answers"
    if overrides:
        label = label.replace(") —", f", {', '.join(overrides)}) —")

    frame = pd.concat(parts, ignore_index=True)
    source = f"helpers.data.synthetic.generate(scenario={scenario!r}, seed={int(seed)}" \
             + (", draws='random')" if used == "random" else ")")
    frame.attrs.update({"data_kind": "synthetic", "label": label, "scenario": scenario, "seed": int(seed),
                        "draws": used, **classes, "source": source, "calibration": calib_log})
    if widening_logit is not None:
        frame.attrs["widening_logit"] = float(widening_logit)
    if SCENARIOS[scenario].get("trait_shape") is not None:
        frame.attrs["trait_shape"] = shape
    if missing_answers:
        frame.attrs["missing_answers"] = {"share": list(MISSING_SHARE), "not_asked": list(MISSING_NOT_ASKED)}
    return frame


def _check_choices(scenario, seed, draws, widening_logit) -> None:
    if scenario not in SCENARIOS:
        raise ParameterError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ParameterError(f"seed must be an integer, not {seed!r}")
    if draws not in DRAWS:
        raise ParameterError(f"draws must be one of {', '.join(DRAWS)}, not {draws!r}")
    if widening_logit is not None and (isinstance(widening_logit, bool) or not isinstance(
            widening_logit, (int, float, np.integer, np.floating)) or not -5 <= float(widening_logit) <= 5):
        raise ParameterError(f"widening_logit must be a number between -5 and 5, not {widening_logit!r}")


def _wave_sizes(figures, waves, n_respondents, n_per_wave) -> dict[int, int]:
    if n_per_wave is None:
        return wave_sizes(figures, waves, n_respondents)
    if n_respondents is not None:
        raise ParameterError("give n_respondents or n_per_wave, not both")
    if isinstance(n_per_wave, bool) or not isinstance(n_per_wave, (int, np.integer)) or n_per_wave < 1:
        raise ParameterError(f"n_per_wave must be a positive integer, not {n_per_wave!r}")
    return {w: int(n_per_wave) for w in waves}


def _trait_shape(scenario, trait_shape, n_groups, minority_share, drift_logit, widening_logit) -> float | None:
    """The continuum's trait: None (normal) or the skewed trait's gamma shape, validated."""
    given = [name for name, v in (("n_groups", n_groups), ("minority_share", minority_share),
                                  ("drift_logit", drift_logit), ("widening_logit", widening_logit)) if v is not None]
    if given:
        raise ParameterError(f"{', '.join(given)} does not apply to the {scenario} scenario (no classes)")
    default = SCENARIOS[scenario].get("trait_shape")
    if trait_shape is None:
        return default
    if default is None:
        raise ParameterError("trait_shape applies to the skewed_continuum scenario only")
    if isinstance(trait_shape, bool) or not isinstance(trait_shape, (int, float, np.integer, np.floating)) \
            or not 0.5 <= float(trait_shape) <= 1000:
        raise ParameterError(f"trait_shape must be a number between 0.5 and 1000, not {trait_shape!r}")
    return float(trait_shape)


def _continuum_waves(seed, waves, sizes, cb, figures, shape, calib_log, include_class):
    params = solve_continuum(figures, waves, shape)
    parts = []
    for w in waves:
        rng = np.random.default_rng([int(seed), int(w), 1])
        parts.append(random_wave(w, sizes[w], rng, cb, figures, None, params, calib_log, include_class,
                                 trait_shape=shape))
    return parts, []


def _class_waves(scenario, seed, waves, sizes, cb, figures, used, calib_log, include_class, *, n_groups,
                 minority_share, drift_logit, widening_logit):
    groups, share, drift, overrides = resolve_classes(scenario, n_groups, minority_share, drift_logit)
    if widening_logit is not None:
        if groups != 2:
            raise ParameterError("widening_logit needs two groups (a minority whose gap can widen)")
        overrides.append(f"widening {float(widening_logit):+g} logit per wave")
    plan = ClassPlan(groups, share, SCENARIOS[scenario]["trajectory"], drift, figures, widening=widening_logit)
    parts = []
    for w in waves:
        if used == "exact":
            rng = np.random.default_rng([int(seed), int(w)])
            parts.append(exact_wave(w, sizes[w], rng, cb, figures, plan, calib_log, include_class))
        else:
            rng = np.random.default_rng([int(seed), int(w), 1])
            parts.append(random_wave(w, sizes[w], rng, cb, figures, plan, None, calib_log, include_class,
                                     regional=scenario == "regional"))
    return parts, overrides, {"n_groups": groups, "minority_share": share, "drift_logit": drift}


def class_probabilities(scenario: str = DEFAULT_SCENARIO, *, waves=DEFAULT_WAVES, n_groups: int | None = None,
                        minority_share: float | tuple[float, float] | None = None, drift_logit: float | None = None):
    """The expected values behind a class scenario: one row per (wave, latent_class) with the
    class's ``share`` of the wave and its probability of 1 for every binary answer asked in the
    wave (empty where not asked). ``draws="random"`` draws from exactly these; ``draws="exact"``
    plants counts rounded from them (calibrated items: the published count, split as
    documented). tech_cryptocurrency is the unconditional probability (where crypto_encountered
    is asked, it is drawn among those who met cryptocurrencies, see the module docstring).
    Class 2 is the middle class of "three_classes". For "regional" these are the values before
    the region-specific shifts and shares (REGION_PROFILES). For a continuum see
    :func:`continuum_parameters`.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook
    from helpers.data.published import load_figures

    if scenario not in SCENARIOS:
        raise ParameterError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    if SCENARIOS[scenario]["model"] != "classes":
        raise ParameterError(f"scenario {scenario!r} has no classes; see continuum_parameters()")
    cb, figures = load_codebook(), load_figures()
    groups, share, drift, _ = resolve_classes(scenario, n_groups, minority_share, drift_logit)
    plan = ClassPlan(groups, share, SCENARIOS[scenario]["trajectory"], drift, figures)
    rows = []
    for w in sorted({int(x) for x in waves}):
        expected = plan.expected(w, cb, [])
        shares = {0: 1 - plan.share(w) - plan.middle, 1: plan.share(w), 2: plan.middle}
        for c in {1: (0,), 2: (0, 1), 3: (0, 1, 2)}[plan.groups]:
            rows.append({"wave": w, "latent_class": c, "share": shares[c],
                         **{item: ps[{0: 1, 1: 0, 2: 2}[c]] for item, ps in expected.items()}})
    items = [c for c in cb.microdata_columns() if c in binary_items(cb)]
    return pd.DataFrame(rows).set_index(["wave", "latent_class"]).reindex(columns=["share", *items])


def continuum_parameters(waves=DEFAULT_WAVES, trait_shape: float | None = None):
    """The continuum scenario's 2PL parameters: one row per (item, wave asked) with
    ``discrimination``, ``difficulty`` (solved) and ``marginal`` (the expected rate); with
    ``trait_shape`` those of "skewed_continuum" (difficulties solved under its gamma trait)."""
    import pandas as pd

    from helpers.data.published import load_figures

    waves = tuple(sorted({int(w) for w in waves}))
    table = solve_continuum(load_figures(), waves, trait_shape)
    return pd.DataFrame([{"item": item, "wave": w, "discrimination": a, "difficulty": b, "marginal": m}
                         for (item, w), (a, b, m) in table.items()]).sort_values(["item", "wave"], ignore_index=True)
