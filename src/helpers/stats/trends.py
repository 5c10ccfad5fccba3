"""Trends over ordered waves, a difference of differences, and two series diverging over waves.

References: Newcombe RG (2001) Estimating the difference between differences. Stat Med
20:2885-2893. Fagerland MW, Lydersen S, Laake P (2017) Statistical Analysis of Contingency
Tables, ch. 5 (Cochran-Armitage test and interval).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from helpers.errors import StatisticsInputError
from helpers.stats.checks import (
    ALTERNATIVES,
    as_int_array,
    check_choice,
    check_count_nobs,
    check_level,
    fmt,
    p_from_z,
    z_quantile,
)
from helpers.stats.proportions import newcombe_limits, wilson_limits
from helpers.stats.results import Interval, TestResult


def trend_test(counts, nobs, scores=None, alternative: str = "two-sided", level: float = 0.95) -> TestResult:
    """Cochran-Armitage test for a linear trend in proportions over ordered groups.

    Textbook variance: z = sum x_i (s_i - s_bar) / sqrt(p_bar (1 - p_bar) sum n_i (s_i - s_bar)^2),
    with s_bar weighted by n_i (this is the score test of the slope in a binomial
    GLM; statsmodels' ``test_ordinal_association`` reports z * sqrt((N-1)/N)).
    ``alternative``: ``"two-sided"`` (default), ``"increasing"`` or ``"decreasing"``.

    The estimate is the least-squares slope b = sum n_i (p_i - p_bar)(s_i - s_bar) /
    sum n_i (s_i - s_bar)^2: the change in proportion (0-1 scale) per unit of score
    (per year when the scores are years). Its interval is the Cochran-Armitage
    Wald interval with the unrestricted variance sum n_i (s_i - s_bar)^2 p_i (1 - p_i)
    / S^2 (Fagerland, Lydersen & Laake 2017, section 5.7). Default scores 0..k-1.
    """
    alternative = check_choice(alternative, "alternative", ("two-sided", "increasing", "decreasing"))
    level = check_level(level)
    x = as_int_array(counts, "counts")
    n = as_int_array(nobs, "nobs")
    if x.shape != n.shape:
        raise StatisticsInputError(f"counts has {x.size} groups but nobs has {n.size}")
    if x.size < 2:
        raise StatisticsInputError("counts needs at least two groups for a trend test")
    zero = np.flatnonzero(n == 0)
    if zero.size:
        raise StatisticsInputError(f"nobs[{zero[0]}]=0: every group needs at least one observation")
    above = np.flatnonzero(x > n)
    if above.size:
        i = above[0]
        raise StatisticsInputError(f"counts[{i}]={x[i]} is above its base nobs[{i}]={n[i]}")
    if scores is None:
        s = np.arange(x.size, dtype=float)
    else:
        try:
            s = np.asarray(scores, dtype=float)
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(f"scores must be numbers ({exc})") from None
        if s.shape != x.shape:
            raise StatisticsInputError(f"scores has {s.size} values but counts has {x.size} groups")
        if not np.all(np.isfinite(s)):
            raise StatisticsInputError("scores contains missing or infinite values")
    big_n = float(n.sum())
    s_bar = float(np.sum(n * s) / big_n)
    ds = s - s_bar
    saa = float(np.sum(n * ds**2))
    if saa <= 0:
        raise StatisticsInputError("scores are all equal: a trend needs at least two distinct scores")
    p = x / n
    p_bar = float(x.sum() / big_n)
    u = float(np.sum(x * ds))
    slope = u / saa
    if p_bar in (0.0, 1.0):
        z, pval = 0.0, 1.0
        note = "no variation in the outcome (all counts 0 or all equal to nobs): z set to 0, p to 1"
    else:
        z = u / math.sqrt(p_bar * (1.0 - p_bar) * saa)
        pval = p_from_z(z, alternative)
        note = None
    se = math.sqrt(float(np.sum(n * ds**2 * p * (1.0 - p)))) / saa
    zc = z_quantile(level)
    extra: dict[str, Any] = {
        "interval_method": "Cochran-Armitage Wald interval (unrestricted variance)",
        "se_slope": se,
        "scores": s.tolist(),
        "proportions": p.tolist(),
        "z_conditional": z * math.sqrt((big_n - 1.0) / big_n),
    }
    if note:
        extra["note"] = note
    return TestResult(
        "Cochran-Armitage trend test (textbook variance)", "cochran-armitage", float(z), pval, slope,
        slope - zc * se, slope + zc * se, level, int(big_n),
        "difference in proportion (0-1 scale) per unit of score", alternative, extra,
    )


# ----------------------------------------------------------------------------------
# Difference of differences (two waves, two groups)
# ----------------------------------------------------------------------------------


def diff_in_diff_ci(
    count_a1, nobs_a1, count_b1, nobs_b1, count_a2, nobs_a2, count_b2, nobs_b2, level: float = 0.95
) -> Interval:
    """Interval for (p_a1 - p_b1) - (p_a2 - p_b2) from four independent samples.

    Newcombe (2001) MOVER / square-and-add: the distances from each proportion to
    its Wilson limits are combined, so the interval respects the 0-1 bounds and
    reduces to method 10 for a single difference. A typical use: group a vs b in
    wave 1 and in wave 2, so the estimate is minus the change in the gap.
    """
    level = check_level(level)
    cells = [
        check_count_nobs(count_a1, nobs_a1, "count_a1", "nobs_a1"),
        check_count_nobs(count_b1, nobs_b1, "count_b1", "nobs_b1"),
        check_count_nobs(count_a2, nobs_a2, "count_a2", "nobs_a2"),
        check_count_nobs(count_b2, nobs_b2, "count_b2", "nobs_b2"),
    ]
    props = [c / n for c, n in cells]
    lims = [wilson_limits(c, n, level) for c, n in cells]
    signs = (1, -1, -1, 1)
    est = sum(sg * p for sg, p in zip(signs, props, strict=True))
    low_sq = high_sq = 0.0
    for sg, p, (lo, hi) in zip(signs, props, lims, strict=True):
        if sg > 0:
            low_sq += (p - lo) ** 2
            high_sq += (hi - p) ** 2
        else:
            low_sq += (hi - p) ** 2
            high_sq += (p - lo) ** 2
    total = sum(n for _, n in cells)
    return Interval(
        est, max(est - math.sqrt(low_sq), -2.0), min(est + math.sqrt(high_sq), 2.0),
        "Newcombe (2001) MOVER square-and-add of Wilson limits", level, total,
    )


# ----------------------------------------------------------------------------------
# Do two series diverge over waves?
# ----------------------------------------------------------------------------------


def _validate_gap_frame(frame, series, wave, count, nobs):
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise StatisticsInputError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    for arg, col in (("series", series), ("wave", wave), ("count", count), ("nobs", nobs)):
        if col not in frame.columns:
            raise StatisticsInputError(f"{arg}={col!r} is not a column of frame (columns: {list(frame.columns)})")
    if len(frame) == 0:
        raise StatisticsInputError("frame is empty")
    df = frame[[series, wave, count, nobs]].copy()
    if df[series].isna().any():
        raise StatisticsInputError(f"column {series!r} (series) has missing values")
    try:
        waves = df[wave].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise StatisticsInputError(f"column {wave!r} (wave) must be numeric, e.g. the year") from None
    if not np.all(np.isfinite(waves)):
        raise StatisticsInputError(f"column {wave!r} (wave) has missing or infinite values")
    x = as_int_array(df[count].to_numpy(), f"column {count!r}")
    n = as_int_array(df[nobs].to_numpy(), f"column {nobs!r}")
    for i in range(len(df)):
        if n[i] == 0:
            raise StatisticsInputError(f"column {nobs!r} is 0 in row {fmt(df.index[i])}")
        if x[i] > n[i]:
            raise StatisticsInputError(
                f"column {count!r}={x[i]} is above its base {nobs!r}={n[i]} in row {fmt(df.index[i])}"
            )
    if df.duplicated([series, wave]).any():
        dup = df.loc[df.duplicated([series, wave], keep=False), [series, wave]].iloc[0]
        raise StatisticsInputError(
            f"series {fmt(dup[series])} has more than one row for wave {fmt(dup[wave])}; aggregate first"
        )
    return df, waves, x, n


def _glm_fit(endog, exog, family, start_params=None):
    """Fit a binomial GLM; return (result, None) or (None, reason).

    statsmodels' PerfectSeparationWarning is ignored on purpose: with a
    two-column (successes, failures) endog it fires whenever the model reproduces
    the observed proportions, i.e. for every saturated model (two waves). Real
    separation is detected from the fit instead (fitted proportions within 1e-8 of
    0 or 1, non-finite estimates, no convergence).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import DomainWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", DomainWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = sm.GLM(endog, exog, family=family).fit(start_params=start_params, maxiter=200, tol=1e-12)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
            return None, f"the fit failed ({exc})"
    params = np.asarray(res.params, dtype=float)
    bse = np.asarray(res.bse, dtype=float)
    mu = np.asarray(res.mu, dtype=float)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(bse))):
        return None, "non-finite estimates or standard errors"
    if not np.all((mu > 1e-8) & (mu < 1 - 1e-8)):
        return None, (f"fitted proportions at or outside the bounds 0 and 1 (range {mu.min():.4g} to "
                      f"{mu.max():.4g}): separation or a boundary solution")
    if not getattr(res, "converged", True):
        return None, "IRLS did not converge"
    return res, None


def gap_trend_test(
    frame,
    *,
    series: str = "series",
    wave: str = "wave",
    count: str = "count",
    nobs: str = "nobs",
    focal=None,
    scale: str = "logit",
    level: float = 0.95,
    alternative: str = "two-sided",
) -> TestResult:
    """Do two series diverge over waves? Interaction test in a binomial GLM.

    Fits ``count + failures ~ C(series) * wave`` (wave numeric, e.g. the year,
    centred internally) to aggregate counts, with the logit link (``scale="logit"``:
    the estimate is the change per wave unit of the log odds ratio focal vs other;
    ``extra["odds_ratio_per_unit"]`` holds its exponent) or the identity link
    (``scale="identity"``: change per wave unit of the gap focal - other in
    proportions, 0-1 scale). The test is the Wald z test of the interaction; the
    likelihood-ratio test is in ``extra``. The same data can widen on one scale and
    narrow on the other, so state the scale with the claim.

    ``focal`` names the series whose gap is focal - other (default: the first in
    sorted order); exactly two series are required, each seen in at least two
    waves. ``alternative="larger"`` is the one-sided test that the gap focal - other
    grows with wave, ``"smaller"`` that it shrinks. With two waves the model is
    saturated and the interaction is the difference in differences on that scale
    divided by the distance between the waves. ``extra["gap_by_wave"]`` lists the
    per-wave gaps with Newcombe intervals. The binomial variance assumes
    independent respondents; ``extra["pearson_dispersion"]`` flags overdispersion.
    """
    scale = check_choice(scale, "scale", ("logit", "identity"))
    alternative = check_choice(alternative, "alternative", ALTERNATIVES)
    level = check_level(level)
    df, waves, x, n = _validate_gap_frame(frame, series, wave, count, nobs)
    labels = sorted(df[series].unique(), key=lambda v: (str(type(v)), v))
    if len(labels) != 2:
        raise StatisticsInputError(
            f"column {series!r} must name exactly two series, found {len(labels)}: {labels!r}"
        )
    if focal is None:
        focal = labels[0]
    elif focal not in labels:
        raise StatisticsInputError(f"focal={focal!r} is not one of the series {labels!r}")
    other = labels[1] if focal == labels[0] else labels[0]
    is_focal = (df[series] == focal).to_numpy()
    for lab, mask in ((focal, is_focal), (other, ~is_focal)):
        if np.unique(waves[mask]).size < 2:
            raise StatisticsInputError(
                f"series {lab!r} is observed in fewer than two waves; a change in the gap needs two"
            )
    import statsmodels.api as sm

    centre = float(np.mean(np.unique(waves)))
    wc = waves - centre
    g = is_focal.astype(float)
    exog = np.column_stack([np.ones_like(wc), g, wc, g * wc])
    endog = np.column_stack([x, n - x]).astype(float)
    if scale == "logit":
        for lab, mask in ((focal, is_focal), (other, ~is_focal)):
            if np.all(x[mask] == 0) or np.all(x[mask] == n[mask]):
                raise StatisticsInputError(
                    f"series {lab!r} has count 0 (or count = nobs) in every wave: the log odds ratio is "
                    "infinite and the logit-scale interaction is not estimable; use scale='identity' "
                    "or report gap_by_wave"
                )
        family = sm.families.Binomial()
        start = None
    else:
        family = sm.families.Binomial(link=sm.families.links.Identity())
        # Start from weighted least squares on the observed proportions.
        sw = np.sqrt(n.astype(float))
        start, *_ = np.linalg.lstsq(exog * sw[:, None], (x / n) * sw, rcond=None)
        mu0 = exog @ start
        if not np.all((mu0 > 0) & (mu0 < 1)):
            start = None
    res, problem = _glm_fit(endog, exog, family, start)
    if res is None:
        raise StatisticsInputError(
            f"the binomial GLM with scale={scale!r} could not be fitted to frame: {problem}. "
            + ("The identity link needs fitted proportions strictly inside (0, 1); "
               "use scale='logit', or diff_in_diff_ci for two waves." if scale == "identity" else
               "Check for series with (almost) all counts at 0 or at nobs.")
        )
    beta = float(res.params[3])
    se = float(res.bse[3])
    z = beta / se
    p = p_from_z(z, alternative)
    zc = z_quantile(level)
    low, high = beta - zc * se, beta + zc * se
    reduced, _ = _glm_fit(endog, exog[:, :3], family, None if start is None else start[:3])
    if reduced is not None:
        lr = max(0.0, 2.0 * float(res.llf - reduced.llf))
        lr_p = float(stats.chi2.sf(lr, 1))
    else:
        lr, lr_p = float("nan"), float("nan")
    gap_rows = []
    for w in np.unique(waves):
        fi = np.flatnonzero(is_focal & (waves == w))
        oi = np.flatnonzero(~is_focal & (waves == w))
        if fi.size == 0 or oi.size == 0:
            continue
        cf, nf, co, no = int(x[fi[0]]), int(n[fi[0]]), int(x[oi[0]]), int(n[oi[0]])
        lo_g, hi_g = newcombe_limits(cf, nf, co, no, level)
        w_out = int(w) if float(w).is_integer() else float(w)
        gap_rows.append({
            "wave": w_out, "count_focal": cf, "nobs_focal": nf, "count_other": co, "nobs_other": no,
            "p_focal": cf / nf, "p_other": co / no, "gap": cf / nf - co / no, "low": lo_g, "high": hi_g,
            "interval_method": "Newcombe hybrid score (method 10)",
        })
    df_resid = float(res.df_resid)
    pearson = float(res.pearson_chi2)
    extra: dict[str, Any] = {
        "focal": focal,
        "other": other,
        "link": scale,
        "interval_method": "Wald",
        "wave_centre": centre,
        "lr_statistic": lr,
        "lr_p_value_two_sided": lr_p,
        "deviance": float(res.deviance),
        "pearson_chi2": pearson,
        "df_resid": df_resid,
        "pearson_dispersion": pearson / df_resid if df_resid > 0 else float("nan"),
        "gap_by_wave": gap_rows,
    }
    if scale == "logit":
        extra["odds_ratio_per_unit"] = math.exp(beta)
        extra["odds_ratio_per_unit_low"] = math.exp(low)
        extra["odds_ratio_per_unit_high"] = math.exp(high)
        unit = "log odds ratio (focal vs other) per wave unit"
        name = "Wald test of the series x wave interaction, binomial GLM (logit link)"
    else:
        unit = "difference in proportions (0-1 scale, focal - other) per wave unit"
        name = "Wald test of the series x wave interaction, binomial GLM (identity link)"
    return TestResult(name, scale, z, p, beta, low, high, level, int(n.sum()), unit, alternative, extra)
