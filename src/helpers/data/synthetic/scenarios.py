"""Scenarios of the synthetic generator: their documented defaults, the class profiles and the
continuum's discriminations (what :mod:`helpers.data.synthetic` plants; its docstring has the table)."""

from __future__ import annotations

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
    "skewed_continuum": {
        "model": "continuum", "n_groups": None, "minority_share": None, "trajectory": "flat", "drift_logit": 0.0,
        "trait_shape": 2.0,
        "description": "no groups: one continuous, right-skewed trait (a gamma variable of `trait_shape` 2, "
                       "standardised to mean 0 and variance 1: most officers low, a long tail of sophisticated "
                       "ones) with the continuum's 2PL items; always random draws",
    },
    "three_classes": {
        "model": "classes", "n_groups": 3, "minority_share": 0.10, "trajectory": "flat", "drift_logit": 0.0,
        "description": "three groups, not two: a majority, a middle class (25 %, app-savvy, halfway on the "
                       "advanced items) and a small advanced class (10 %); stable profiles; always random draws",
    },
    "regional": {
        "model": "classes", "n_groups": 2, "minority_share": 0.10, "trajectory": "flat", "drift_logit": 0.0,
        "description": "the stable groups with region-specific minority shares and profiles (REGION_PROFILES), "
                       "so the published change of composition (US share 61 % in 2016, 46 % in 2019) moves the "
                       "pooled rates while no region's gap changes; always random draws",
    },
}
#: scenarios that exist only as random draws (no exact quotas are defined for them)
RANDOM_ONLY = ("continuum", "skewed_continuum", "three_classes", "regional")

#: item -> (majority p, minority p in 2016, minority p in 2019). Majority values of items
#: with a published figure are replaced by the solved value (see helpers.data.synthetic's docstring).
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

#: three_classes: the middle class's share and its probabilities (between the majority and the
#: advanced class on the advanced items, higher than both on messaging apps and social media)
MIDDLE_SHARE = 0.25
MIDDLE_PROFILE: dict[str, float] = {
    "tech_encryption": 0.40, "tech_darknet": 0.28, "tech_cryptocurrency": 0.16, "tech_anonymisation": 0.38,
    "tech_p2p": 0.85, "tech_social_media": 0.75, "tech_messaging_apps": 0.90, "tech_self_produced": 0.90,
    "tech_usb_local_storage": 0.40, "trend_social_media": 0.45, "trend_anonymisation": 0.30,
    "trend_encryption": 0.25, "trend_cloud": 0.35, "crypto_encountered": 0.55,
}

#: regional: region -> (advanced class's share, logit shift of the advanced items, logit shift of
#: the other binary items); the shifts apply to both classes alike, so each region's gap is constant
REGION_PROFILES: dict[str, tuple[float, float, float]] = {
    "north_america": (0.07, -0.3, 0.2),
    "europe": (0.15, 0.4, -0.3),
    "other": (0.10, 0.0, 0.0),
}

#: missing_answers: share of technology answers left blank, 2016 -> 2019 (linear in the wave), and
#: the one technology item not asked in one wave
MISSING_SHARE = (0.15, 0.30)
MISSING_NOT_ASKED = ("tech_usb_local_storage", 2016)
