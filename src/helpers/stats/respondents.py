"""Two groups of respondents diverging over waves, from respondent-level answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    ALTERNATIVES,
    check_choice,
    check_level,
    p_from_z,
    z_quantile,
)
from helpers.stats.results import TestResult


def _respondent_frame(items, groups, waves, name: str = "items"):
    import pandas as pd

    if not isinstance(items, pd.DataFrame) or items.shape[1] == 0 or items.shape[0] == 0:
        raise StatisticsInputError(f"{name} must be a non-empty DataFrame of 0/1 columns")
    values = items.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(values) & (values != 0) & (values != 1)
    if bad.any():
        column = items.columns[np.where(bad.any(axis=0))[0][0]]
        raise StatisticsInputError(f"column {column!r} of {name} is not 0/1")
    groups, waves = np.asarray(groups), np.asarray(waves, dtype=float)
    if len(groups) != len(items) or len(waves) != len(items):
        raise StatisticsInputError(
            f"groups ({len(groups)}) and waves ({len(waves)}) must have one entry per row of {name} ({len(items)})"
        )
    return pd.DataFrame({"group": groups, "wave": waves, "endorsed": np.nansum(values, axis=1),
                         "answered": (~np.isnan(values)).sum(axis=1)})


def item_rate_by_group_and_wave(items, groups, waves, level: float = 0.95):
    """Mean share of ``items`` endorsed per respondent, by group and wave, with a respondent-level interval.

    The respondent is the unit (items of one respondent are correlated), so the interval is
    the normal interval of the mean of respondents' own shares (t quantile, n − 1 df).
    """
    level = check_level(level)
    frame = _respondent_frame(items, groups, waves)
    frame = frame[frame["answered"] > 0].assign(rate=lambda f: f["endorsed"] / f["answered"])
    summary = frame.groupby(["group", "wave"], sort=True)["rate"].agg(["count", "mean", "std"]).reset_index()
    t = stats.t.ppf(0.5 + level / 2, np.maximum(summary["count"] - 1, 1))
    half = t * summary["std"].fillna(0) / np.sqrt(summary["count"])
    bounded = summary.assign(low=(summary["mean"] - half).clip(0, 1), high=(summary["mean"] + half).clip(0, 1))
    renamed = bounded.rename(columns={"group": "series", "count": "n", "mean": "estimate"})
    return renamed[["series", "wave", "n", "estimate", "low", "high"]]


def respondent_gap_trend_test(items, groups, waves, *, focal, scale: str = "logit", level: float = 0.95,
                              alternative: str = "two-sided") -> TestResult:
    """Does the gap between two groups on a set of binary items change over waves? (respondent-level)

    Binomial GLM of each respondent's endorsed items out of answered items (``items`` rows are
    respondents) on group × wave (wave centred), with heteroscedasticity-robust (HC1) standard
    errors: each row is one respondent, so this is the cluster-robust sandwich for items nested
    in respondents and does not treat one person's answers as independent. ``scale="logit"``:
    the estimate is the change per wave unit of the log odds ratio focal vs other;
    ``"identity"``: the change per wave unit of the gap in proportions (0-1 scale).
    ``alternative="larger"`` tests that the gap focal − other grows.
    """
    import statsmodels.api as sm

    scale = check_choice(scale, "scale", ("logit", "identity"))
    alternative = check_choice(alternative, "alternative", ALTERNATIVES)
    level = check_level(level)
    frame = _respondent_frame(items, groups, waves)
    frame = frame[frame["answered"] > 0]
    labels = list(dict.fromkeys(sorted(frame["group"].unique(), key=str)))
    if len(labels) != 2:
        raise StatisticsInputError(f"groups must hold exactly two groups, found {len(labels)}: {labels}")
    if focal not in labels:
        raise StatisticsInputError(f"focal={focal!r} is not one of the groups {labels}")
    if frame["wave"].nunique() < 2:
        raise StatisticsInputError("waves must hold at least two distinct waves")
    centre = float(frame["wave"].mean())
    is_focal = (frame["group"] == focal).to_numpy(dtype=float)
    wave_c = frame["wave"].to_numpy() - centre
    exog = np.column_stack([np.ones(len(frame)), is_focal, wave_c, is_focal * wave_c])
    endog = np.column_stack([frame["endorsed"], frame["answered"] - frame["endorsed"]])
    link = sm.families.links.Logit() if scale == "logit" else sm.families.links.Identity()
    model = sm.GLM(endog, exog, family=sm.families.Binomial(link=link))
    start = None
    if scale == "identity":
        start = np.linalg.lstsq(exog, frame["endorsed"] / frame["answered"], rcond=None)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = model.fit(start_params=start, cov_type="HC1", maxiter=200)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            raise StatisticsInputError(
                f"the {scale}-scale model could not be fitted ({exc}); try scale='logit'"
            ) from None
    estimate, se = float(fit.params[3]), float(fit.bse[3])
    if not math.isfinite(se) or se <= 0:
        raise StatisticsInputError("the interaction is not estimable (a group or wave has no variation)")
    z = estimate / se
    half = z_quantile(level) * se
    unit = "log odds ratio per wave unit" if scale == "logit" else "difference in proportions (0-1 scale) per wave unit"
    extra = {"focal": focal, "other": [g for g in labels if g != focal][0], "wave_centre": centre,
             "cov_type": "HC1 (respondent-level sandwich)", "respondents": int(len(frame))}
    if scale == "logit":
        extra["odds_ratio_per_unit"] = math.exp(estimate)
    return TestResult(f"binomial GLM group x wave interaction ({scale} link, respondent-robust Wald z)",
                      f"respondent_glm_{scale}", z, p_from_z(z, alternative), estimate, estimate - half,
                      estimate + half, level, int(len(frame)), unit, alternative, extra)
