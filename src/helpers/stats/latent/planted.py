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
* ``drift_up_points``: two classes; every advanced item's probability rises by 5 percentage
  points a wave in both classes (the percentage-point gap is flat, the log-odds gap narrows).
* ``single_group``: one class, independent items (no association at all).
* ``continuum``: one normal trait, 2PL items (discriminations 1.2-2.0), no groups.
* ``skewed_continuum`` / ``mildly_skewed_continuum``: one right-skewed trait (standardised
  gamma, shape 2 / shape 8: skewness 1.41 / 0.71), the same 2PL items, no groups - the most
  plausible alternative to discrete groups.
* ``regional_groups``: two well-separated classes whose profiles and shares differ by
  region (a ``region`` column; the US share of respondents falls 61 % -> 46 % over the waves).
* ``three_classes``: a majority, a middle class and a small advanced class (not two groups).

``missing=(first, last)`` blanks answers at random, at a rate rising linearly from ``first``
in the first wave to ``last`` in the last; ``absent=(item, wave)`` leaves one item unasked in
one wave (as real exports have).
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import special

from helpers.errors import StatisticsInputError

__all__ = ["ADVANCED", "MAINSTREAM", "SCENARIOS", "ONE_GROUP", "planted_data", "DELTA", "DRIFT", "MINORITY_SHARE"]

ADVANCED = ["tech_encryption", "tech_darknet", "tech_cryptocurrency", "tech_anonymisation"]
MAINSTREAM = ["tech_p2p", "tech_social_media", "tech_messaging_apps", "tech_self_produced", "tech_usb_local_storage"]

#: Logits of the majority (class 0) and the advanced minority (class 1), advanced then mainstream items.
MAJORITY = np.array([-2.2, -2.6, -3.0, -2.4, 0.0, 1.2, 0.8, 0.4, 0.2])
MINORITY = np.array([1.0, 0.8, 0.2, 0.6, 1.8, -0.2, 2.2, -0.6, 1.8])
MINORITY_SHARE = 0.15
GROWING_SHARES = (0.08, 0.13, 0.18, 0.23)
DELTA = 0.5
DRIFT = 0.5
#: drift_up_points: percentage points per wave added to every advanced item's probability in both classes.
POINTS_DRIFT = 0.05
#: 2PL continuum: discriminations and difficulties (advanced items rare, mainstream common).
CONTINUUM_A = np.array([1.8, 2.0, 1.6, 1.7, 1.2, 1.4, 1.5, 1.3, 1.2])
CONTINUUM_B = np.array([1.3, 1.5, 1.8, 1.4, -0.3, -0.9, -0.6, 0.2, -0.1])
#: Gamma shapes of the skewed continua.
SKEW_SHAPES = {"skewed_continuum": 2.0, "mildly_skewed_continuum": 8.0}
#: Regional groups: the US majority and minority profiles (logits), elsewhere shifted; US share per wave.
US_SHARES = (0.61, 0.56, 0.51, 0.46)
REGION_SHIFT = np.array([0.4, 0.3, 0.5, 0.3, -0.4, 0.3, -0.3, 0.4, -0.2])
REGION_MINORITY_SHARES = {"United States": 0.12, "elsewhere": 0.18}
#: Three classes: majority (0.70), a middle class (0.20) between them, the advanced minority (0.10).
THREE_SHARES = np.array([0.70, 0.20, 0.10])
MIDDLE = np.array([-0.4, -0.8, -1.4, -0.6, 1.6, 2.2, 2.4, 1.6, 1.6])
#: Single group: independent items at about the marginal rates of the two-class scenarios.
SINGLE_RATES = np.array([0.20, 0.15, 0.10, 0.14, 0.58, 0.68, 0.72, 0.55, 0.60])

SCENARIOS = {
    "widening": "two classes; the minority's advanced items rise by 0.5 logit per wave",
    "stable": "two classes; fixed profiles and shares",
    "growing_minority": "two classes; fixed profiles; minority share 0.08 -> 0.23",
    "narrowing": "two classes; the minority's advanced items fall by 0.5 logit per wave",
    "drift_down": "two classes; all advanced items fall by 0.5 logit per wave in both classes",
    "drift_up": "two classes; all advanced items rise by 0.5 logit per wave in both classes",
    "drift_up_points": "two classes; every advanced item rises by 5 percentage points a wave in both classes",
    "single_group": "one class; independent items",
    "continuum": "one normal trait, 2PL items; no groups",
    "skewed_continuum": "one right-skewed trait (gamma, shape 2), 2PL items; no groups",
    "mildly_skewed_continuum": "one mildly skewed trait (gamma, shape 8), 2PL items; no groups",
    "regional_groups": "two well-separated classes, profiles and shares differ by region; US share 61 % -> 46 %",
    "three_classes": "three classes: majority, a middle class, a small advanced class",
}
ONE_GROUP = ("single_group", "continuum", "skewed_continuum", "mildly_skewed_continuum")


def _regional(rng, n, per_wave):
    """Region per row (US share falling over the waves) and two-class logits that differ by region."""
    us = rng.random(n) < np.repeat(np.array(US_SHARES[: per_wave.size]), per_wave)
    share = np.where(us, REGION_MINORITY_SHARES["United States"], REGION_MINORITY_SHARES["elsewhere"])
    classes = (rng.random(n) < share).astype(int)
    logit = np.where(classes[:, None] == 1, MINORITY[None, :], MAJORITY[None, :]) + np.where(
        us[:, None], 0.0, REGION_SHIFT[None, :])
    return classes, logit, np.where(us, "United States", "elsewhere")


def _blank(x, wave_pos, rng, missing, absent, names, wave_values):
    """Blank answers at a rate rising over the waves, and one item in one wave."""
    if missing is not None:
        first, last = (float(v) for v in missing)
        if not (0 <= first < 1 and 0 <= last < 1):
            raise StatisticsInputError(f"missing={missing!r} must be two rates in [0, 1)")
        span = max(wave_values.size - 1, 1)
        rate = first + (last - first) * wave_pos / span
        x[rng.random(x.shape) < rate[:, None]] = np.nan
    if absent is not None:
        item, wave = absent
        if item not in names or wave not in wave_values:
            raise StatisticsInputError(f"absent={absent!r} must name an item and one of the waves")
        x[wave_values[wave_pos] == wave, names.index(item)] = np.nan
    empty = np.isnan(x).all(axis=1)
    x[empty, 0] = (rng.random(int(empty.sum())) < 0.5).astype(float)  # nobody answers nothing
    return x


def _probabilities(scenario, rng, n, per_wave, t, adv):
    """Answer probabilities (n, J), drawn classes (or None), minority shares per wave, regions."""
    delta = {"widening": DELTA, "narrowing": -DELTA}.get(scenario, 0.0)
    drift = {"drift_down": -DRIFT, "drift_up": DRIFT}.get(scenario, 0.0)
    if scenario == "single_group":
        return np.broadcast_to(SINGLE_RATES, (n, SINGLE_RATES.size)), None, None, None
    if scenario in ("continuum", *SKEW_SHAPES):
        shape = SKEW_SHAPES.get(scenario)
        theta = rng.standard_normal(n) if shape is None else (rng.gamma(shape, size=n) - shape) / np.sqrt(shape)
        return special.expit(CONTINUUM_A[None, :] * (theta[:, None] - CONTINUUM_B[None, :])), None, None, None
    if scenario == "regional_groups":
        classes, logit, region = _regional(rng, n, per_wave)
        return special.expit(logit), classes, None, region
    if scenario == "three_classes":
        classes = rng.choice(3, size=n, p=THREE_SHARES)
        logit = np.stack([MAJORITY, MIDDLE, MINORITY])[classes]
        return special.expit(logit), classes, None, None
    shares = np.array(GROWING_SHARES if scenario == "growing_minority" else [MINORITY_SHARE] * per_wave.size)
    if shares.size != per_wave.size:
        raise StatisticsInputError(f"scenario {scenario!r} is defined for {len(GROWING_SHARES)} waves")
    classes = (rng.random(n) < np.repeat(shares, per_wave)).astype(int)
    logit = np.where(classes[:, None] == 1, MINORITY[None, :], MAJORITY[None, :])
    logit = logit + (delta * classes[:, None] + drift) * t[:, None] * adv[None, :]
    prob = special.expit(logit)
    if scenario == "drift_up_points":
        prob = np.clip(prob + POINTS_DRIFT * t[:, None] * adv[None, :], 0.01, 0.99)
    return prob, classes, shares, None


def planted_data(scenario: str, *, n: int = 1400, waves=(2016, 2017, 2018, 2019), seed: int = 0,
                 missing=None, absent=None) -> pd.DataFrame:
    """A random planted data set: item columns (ADVANCED + MAINSTREAM) and ``wave`` (and ``region``).

    ``frame.attrs`` holds the truth: ``scenario``, ``classes`` (drawn class per row,
    1 = advanced minority, 2 = the advanced class of ``three_classes``; None for the
    one-group scenarios), ``shares`` (minority share per wave), ``delta`` (planted change of
    the log-odds gap per wave on the advanced items), ``drift`` (common change per wave),
    ``groups`` (the number of discrete groups: 0 for a continuum or a single group).
    ``missing`` / ``absent``: see the module docstring.
    """
    if scenario not in SCENARIOS:
        raise StatisticsInputError(f"scenario={scenario!r} is not one of {', '.join(map(repr, SCENARIOS))}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise StatisticsInputError(f"n={n!r} must be an integer >= 2")
    wave_values = np.asarray(list(waves), dtype=float)
    if wave_values.size < 1 or np.unique(wave_values).size != wave_values.size or n < wave_values.size:
        raise StatisticsInputError(f"waves={waves!r} must be distinct values, at most n of them")
    rng = np.random.default_rng(seed)
    per_wave = np.full(wave_values.size, n // wave_values.size)
    per_wave[: n % wave_values.size] += 1
    wave_pos = np.repeat(np.arange(wave_values.size), per_wave)
    t = wave_values[wave_pos] - wave_values.mean()
    adv = np.r_[np.ones(len(ADVANCED)), np.zeros(len(MAINSTREAM))]
    prob, classes, shares, region = _probabilities(scenario, rng, n, per_wave, t, adv)
    x = (rng.random(prob.shape) < prob).astype(float)
    names = ADVANCED + MAINSTREAM
    if missing is not None or absent is not None:
        x = _blank(x, wave_pos, rng, missing, absent, names, wave_values)
    frame = pd.DataFrame(x, columns=names)
    wave = wave_values[wave_pos]
    frame["wave"] = wave.astype(int) if np.all(wave == np.round(wave)) else wave
    if region is not None:
        frame["region"] = region
    groups = 0 if scenario in ONE_GROUP else (3 if scenario == "three_classes" else 2)
    frame.attrs.update({"scenario": scenario, "classes": classes, "shares": shares,
                        "delta": {"widening": DELTA, "narrowing": -DELTA}.get(scenario, 0.0),
                        "drift": {"drift_down": -DRIFT, "drift_up": DRIFT}.get(scenario, 0.0),
                        "groups": groups, "seed": seed})
    return frame
