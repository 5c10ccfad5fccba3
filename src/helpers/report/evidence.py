"""Tests on published figures, done the same way in every chapter.

A published share becomes a count out of its assumed base (:class:`helpers.data.published.PublishedFigure`);
a verbal or rounded figure becomes a band of counts, and every test runs at both ends of every band
(:func:`helpers.stats.bands.across_band`), so a claim can be judged at the end least favourable to it.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from helpers.data.published import PublishedFigure
from helpers.stats.bands import Band, BandResult, across_band, nested_count_band
from helpers.stats.proportions import (
    compare_proportions,
    frechet_overlap,
    one_proportion_test,
    paired_compare,
    proportion_ci,
)
from helpers.stats.trends import trend_test


def named(band: BandResult, *figures: PublishedFigure) -> BandResult:
    """The band result with the published figures its counts came from (so a repeated test is known as one)."""
    return dataclasses.replace(band, figures=tuple(f.where for f in figures))


def interval(figure: PublishedFigure, *, method: str = "wilson", level: float = 0.95) -> BandResult:
    """The figure's interval, widened over its band (the band's two ends' intervals, joined)."""
    return across_band(proportion_ci, count=figure.count_band, nobs=figure.base_n, method=method, level=level)


def compare(later: PublishedFigure, earlier: PublishedFigure, *, method: str = "score") -> BandResult:
    """later − earlier, at every combination of band ends (independent samples: different waves)."""
    band = across_band(compare_proportions, count1=later.count_band, nobs1=later.base_n,
                       count2=earlier.count_band, nobs2=earlier.base_n, method=method)
    return named(band, later, earlier)


def share_against(figure: PublishedFigure, null: float, *, method: str = "exact") -> BandResult:
    """The figure's share against a fixed value (e.g. 0.5 for "most"), at both ends of its band."""
    return named(across_band(one_proportion_test, count=figure.count_band, nobs=figure.base_n, null=null,
                             method=method), figure)


def band_against(counts: Band, nobs: int, null: float, *, method: str = "exact") -> BandResult:
    """A share known as a band of counts (e.g. a complement) against a fixed value, at both ends."""
    return across_band(one_proportion_test, count=counts, nobs=nobs, null=null, method=method)


def figure_row(figure: PublishedFigure, label: str, *, method: str = "wilson", **extra) -> dict:
    """One row for a chart or table: the published value, the interval over its band, and its n."""
    band = interval(figure, method=method)
    return {"label": label, "wave": figure.wave, "published": figure.value, "unit": figure.unit,
            "estimate": figure.value / 100, "low": band.low, "high": band.high, "n": figure.base_n,
            "count_low": figure.count_band.low, "count_high": figure.count_band.high,
            "interval": f"{method}, widened over the band", "source_url": figure.source_url, **extra}


def band_row(counts: Band, nobs: int, label: str, *, method: str = "wilson", **extra) -> dict:
    """One row for a chart or table from a band of counts: its midpoint share and the interval over its ends."""
    band = across_band(proportion_ci, count=counts, nobs=nobs, method=method)
    return {"label": label, "estimate": (counts.low + counts.high) / 2 / nobs, "low": band.low, "high": band.high,
            "n": nobs, "count_low": counts.low, "count_high": counts.high,
            "interval": f"{method}, widened over the band", **extra}


def complement_band(figure: PublishedFigure) -> Band:
    """Counts of respondents who did NOT give a published answer (e.g. met cryptocurrencies: not "never")."""
    return Band(*sorted(figure.base_n - c for c in figure.count_band.ends()))


def ranked_between(above: PublishedFigure, below: PublishedFigure) -> Band:
    """Counts of an option published only by its rank, between the shares of its neighbours in the order.

    E.g. the darknet, ranked second of the 2016 distribution routes: at most the first (P2P),
    at least the third (social media). Both neighbours must share one base.
    """
    if above.base_n != below.base_n:
        raise ValueError(f"ranked neighbours need one base: {above.where} has {above.base_n}, "
                         f"{below.where} {below.base_n}")
    return Band(below.count_band.low, above.count_band.high)


def paired(first: PublishedFigure, second: PublishedFigure) -> BandResult:
    """first − second for two items answered by the same respondents, known only by their margins."""
    if first.base_n is None or first.base_n != second.base_n:
        raise ValueError(f"paired items need one base: {first.question_id} has {first.base_n}, "
                         f"{second.question_id} {second.base_n}")
    return named(paired_bands(first.count_band, second.count_band, first.base_n), first, second)


def paired_bands(first: Band, second: Band, nobs: int) -> BandResult:
    """Paired p1 − p2 from two count bands on one base, at every band end and both Frechet bounds.

    Runs the exact McNemar test (and Newcombe's paired interval) at every end of both count
    bands and, for each, at both Frechet bounds of the unpublished number who said yes to both.
    """
    results = []
    for count1 in first.ends():
        for count2 in second.ends():
            results += across_band(paired_compare, count1=count1, count2=count2, nobs=nobs,
                                   overlap=Band(*frechet_overlap(count1, count2, nobs))).results
    return BandResult(results, fn=paired_compare)


def share_of_share(outer_complement: PublishedFigure, inner: PublishedFigure):
    """Counts of all respondents implied by a share (``inner``) among those NOT in ``outer_complement``.

    E.g. officers who meet cryptocurrencies commonly: "one fifth" (inner) of those who met them,
    who are all but the "slightly more than two thirds" who never did (outer_complement). Every
    end of both bands is used; the base is ``outer_complement.base_n``. Returns the band of
    counts and a table with one row per combination of band ends.
    """
    import pandas as pd

    n = outer_complement.base_n
    outer = sorted({n - c for c in outer_complement.count_band.ends()})
    rows = [{"outer_count": o, "inner_share": p / 100, "count": round(o * p / 100),
             "share_of_all": round(o * p / 100) / n}
            for o in outer for p in (inner.value_low, inner.value_high)]
    return nested_count_band(Band(min(outer), max(outer)), inner.value_low, inner.value_high), pd.DataFrame(rows)


def trend(figures: list[PublishedFigure], scores) -> BandResult:
    """Cochran–Armitage trend over waves, at every combination of the figures' band ends."""
    nobs = [f.base_n for f in figures]
    results = []
    for counts in itertools.product(*(f.count_band.ends() for f in figures)):
        call: dict[str, Any] = {"counts": list(counts), "nobs": nobs, "scores": list(scores)}
        results.append((call, trend_test(**call)))
    return BandResult(results, fn=trend_test)


def wave_test_rows(comparisons: dict, *, alpha: float) -> list[dict]:
    """One row per testable cross-wave comparison (later − earlier) with its range over the band ends."""
    rows = []
    for name, comparison in comparisons.items():
        if not comparison.testable:
            continue
        band = compare(comparison.later.figure, comparison.earlier.figure)
        rows.append({"comparison": name, "waves": f"{comparison.later.wave} - {comparison.earlier.wave}",
                     "comparability": comparison.grade, "test": band.least_favourable().test,
                     "difference_low_end": band.estimate_min, "difference_high_end": band.estimate_max,
                     "ci_low": band.low, "ci_high": band.high, "p_min": band.p_value_min, "p_max": band.p_value_max,
                     "same_conclusion_across_band": band.stable(alpha)})
    return rows


# ---------------------------------------------------------------------------------------
# series over every wave the data carry (helpers.data.series): rows, trend tests, trend tables
# ---------------------------------------------------------------------------------------
def series_rows(points, label: str, *, method: str = "wilson", **extra) -> list[dict]:
    """One :func:`figure_row` per wave of a series, with the wave's comparability grade."""
    return [figure_row(p.figure, label, method=method, series=p.series, comparability=p.comparability, **extra)
            for p in points]


def series_trend_test(series_trend) -> BandResult:
    """Cochran–Armitage trend over a series' comparable waves (scores = the waves), at every band end.

    ``series_trend`` comes from :func:`helpers.data.series.series_trend`; raises ``ValueError``
    when it has fewer comparable waves than a trend test needs (``series_trend.why_not`` says why).
    """
    if not series_trend.testable:
        raise ValueError(f"series {series_trend.series!r}: no trend test: {series_trend.why_not}")
    figures = [p.figure for p in series_trend.comparable]
    return named(trend(figures, scores=[f.wave for f in figures]), *figures)


def trend_row(series_trend, band: BandResult | None, *, alpha: float, label: str = "") -> dict:
    """One row of a trend-tests table: the waves and their n (nobs), and the test over the band ends."""
    comparable = series_trend.comparable
    row = {"series": series_trend.series, "label": label or series_trend.series,
           "waves": ", ".join(str(p.wave) for p in comparable),
           "nobs": ", ".join(str(p.figure.base_n) for p in comparable),
           "n": sum(p.figure.base_n for p in comparable), "comparability": series_trend.grade,
           "left_out": ", ".join(str(p.wave) for p in series_trend.excluded)}
    if band is None:
        return {**row, "test": "", "slope_low_end": None, "slope_high_end": None, "ci_low": None, "ci_high": None,
                "p_min": None, "p_max": None, "same_conclusion_across_band": None,
                "note": f"not testable: {series_trend.why_not}"}
    return {**row, "test": band.least_favourable().test, "slope_low_end": band.estimate_min,
            "slope_high_end": band.estimate_max, "ci_low": band.low, "ci_high": band.high,
            "p_min": band.p_value_min, "p_max": band.p_value_max,
            "same_conclusion_across_band": band.stable(alpha), "note": series_trend.note}
