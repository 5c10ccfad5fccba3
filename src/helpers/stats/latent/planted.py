"""Planted respondent-level data for method checks, made APART from the project's generator.

Every data set is a random draw: class membership (or a normal trait) is drawn per
respondent and every answer is an independent Bernoulli draw given it, so sizes and
powers measured on these data include sampling variation (a generator that plants
exact counts cannot make a size check fail). Respondents are split evenly over the
waves (the survey fixes the number per wave).

Items carry the codebook names: four ``advanced`` (encryption, darknet,
cryptocurrency, anonymisation) and five ``mainstream`` items. All effects are on the
logit scale; t = wave - mean(wave) (waves in years, so t = -1.5 .. 1.5 for 2016-2019).

Scenarios (``SCENARIOS`` holds the one-line descriptions):

* ``widening``: two classes (advanced minority share 0.15); the minority's advanced
  items rise by DELTA = 0.5 logit per wave (gap grows by 1.5 logits over 4 waves).
* ``stable``: two classes, fixed profiles and share.
* ``growing_minority``: two classes, fixed profiles; the minority's share grows
  0.08, 0.13, 0.18, 0.23 over the waves (not a widening gap).
* ``narrowing``: as widening with DELTA = -0.5.
* ``drift_down`` / ``drift_up``: two classes; all advanced items move by -0.5 / +0.5
  logit per wave in BOTH classes (question wording or sample change; the log-odds
  gap is constant).
* ``single_group``: one class, independent items (no association at all).
* ``continuum``: one normal trait, 2PL items (discriminations 1.2-2.0), no groups.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import special

from helpers.errors import StatisticsInputError

__all__ = ["ADVANCED", "MAINSTREAM", "SCENARIOS", "planted_data", "DELTA", "DRIFT", "MINORITY_SHARE"]

ADVANCED = ["tech_encryption", "tech_darknet", "tech_cryptocurrency", "tech_anonymisation"]
MAINSTREAM = ["tech_p2p", "tech_social_media", "tech_messaging_apps", "tech_self_produced", "tech_usb_local_storage"]

#: Logits of the majority (class 0) and the advanced minority (class 1), advanced then mainstream items.
MAJORITY = np.array([-2.2, -2.6, -3.0, -2.4, 0.0, 1.2, 0.8, 0.4, 0.2])
MINORITY = np.array([1.0, 0.8, 0.2, 0.6, 1.8, -0.2, 2.2, -0.6, 1.8])
MINORITY_SHARE = 0.15
GROWING_SHARES = (0.08, 0.13, 0.18, 0.23)
DELTA = 0.5
DRIFT = 0.5
#: 2PL continuum: discriminations and difficulties (advanced items rare, mainstream common).
CONTINUUM_A = np.array([1.8, 2.0, 1.6, 1.7, 1.2, 1.4, 1.5, 1.3, 1.2])
CONTINUUM_B = np.array([1.3, 1.5, 1.8, 1.4, -0.3, -0.9, -0.6, 0.2, -0.1])
#: Single group: independent items at about the marginal rates of the two-class scenarios.
SINGLE_RATES = np.array([0.20, 0.15, 0.10, 0.14, 0.58, 0.68, 0.72, 0.55, 0.60])

SCENARIOS = {
    "widening": "two classes; the minority's advanced items rise by 0.5 logit per wave",
    "stable": "two classes; fixed profiles and shares",
    "growing_minority": "two classes; fixed profiles; minority share 0.08 -> 0.23",
    "narrowing": "two classes; the minority's advanced items fall by 0.5 logit per wave",
    "drift_down": "two classes; all advanced items fall by 0.5 logit per wave in both classes",
    "drift_up": "two classes; all advanced items rise by 0.5 logit per wave in both classes",
    "single_group": "one class; independent items",
    "continuum": "one normal trait, 2PL items; no groups",
}


def planted_data(scenario: str, *, n: int = 1400, waves=(2016, 2017, 2018, 2019), seed: int = 0) -> pd.DataFrame:
    """A random planted data set: item columns (ADVANCED + MAINSTREAM) and ``wave``.

    ``frame.attrs`` holds the truth: ``scenario``, ``classes`` (drawn class per row,
    1 = advanced minority; None for the one-group scenarios), ``shares`` (minority share
    per wave), ``delta`` (planted change of the log-odds gap per wave on the advanced
    items), ``drift`` (common change per wave), ``groups`` (whether discrete groups exist).
    """
    if scenario not in SCENARIOS:
        raise StatisticsInputError(f"scenario={scenario!r} is not one of {', '.join(map(repr, SCENARIOS))}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise StatisticsInputError(f"n={n!r} must be an integer >= 2")
    wave_values = np.asarray(list(waves), dtype=float)
    if wave_values.size < 1 or np.unique(wave_values).size != wave_values.size or n < wave_values.size:
        raise StatisticsInputError(f"waves={waves!r} must be distinct values, at most n of them")
    rng = np.random.default_rng(seed)
    w_count = wave_values.size
    per_wave = np.full(w_count, n // w_count)
    per_wave[: n % w_count] += 1
    wave = np.repeat(wave_values, per_wave)
    t = wave - wave_values.mean()
    j_adv = len(ADVANCED)
    adv = np.r_[np.ones(j_adv), np.zeros(len(MAINSTREAM))]
    delta = {"widening": DELTA, "narrowing": -DELTA}.get(scenario, 0.0)
    drift = {"drift_down": -DRIFT, "drift_up": DRIFT}.get(scenario, 0.0)
    classes = None
    shares = None
    if scenario == "single_group":
        prob = np.broadcast_to(SINGLE_RATES, (n, SINGLE_RATES.size))
    elif scenario == "continuum":
        theta = rng.standard_normal(n)
        prob = special.expit(CONTINUUM_A[None, :] * (theta[:, None] - CONTINUUM_B[None, :]))
    else:
        shares = np.array(GROWING_SHARES if scenario == "growing_minority" else [MINORITY_SHARE] * w_count)
        if shares.size != w_count:
            raise StatisticsInputError(f"scenario {scenario!r} is defined for {len(GROWING_SHARES)} waves")
        share_row = np.repeat(shares, per_wave)
        classes = (rng.random(n) < share_row).astype(int)
        logit = np.where(classes[:, None] == 1, MINORITY[None, :], MAJORITY[None, :])
        logit = logit + (delta * classes[:, None] + drift) * t[:, None] * adv[None, :]
        prob = special.expit(logit)
    x = (rng.random(prob.shape) < prob).astype(float)
    frame = pd.DataFrame(x, columns=ADVANCED + MAINSTREAM)
    frame["wave"] = wave.astype(int) if np.all(wave == np.round(wave)) else wave
    frame.attrs.update({"scenario": scenario, "classes": classes, "shares": shares, "delta": delta, "drift": drift,
                        "groups": scenario not in ("single_group", "continuum"), "seed": seed})
    return frame
