"""Tests on published figures, done the same way in every chapter.

A published share becomes a count out of its assumed base (``helpers.published``); a verbal or
rounded figure becomes a band of counts, and every test runs at both ends of every band
(``helpers.stats.across_band``), so a claim can be judged at the end least favourable to it.
"""

from __future__ import annotations

from helpers.published import PublishedCount, published_count
from helpers.stats import Band, across_band, compare_proportions, one_proportion_test, proportion_ci


def count_band_of(figure: PublishedCount) -> Band:
    """The counts consistent with a published figure; its rounded count when none is (a base mismatch)."""
    if figure.consistent:
        return Band(figure.count_low, figure.count_high)
    return Band(figure.count, figure.count)


def lookup(question_id: str, option: str, wave: int, *, frame=None) -> PublishedCount:
    return published_count(question_id, option, wave, frame=frame)


def interval(figure: PublishedCount, *, method: str = "wilson", level: float = 0.95):
    """The figure's interval, widened over its band (the band's two ends' intervals, joined)."""
    return across_band(proportion_ci, count=count_band_of(figure), nobs=figure.base_n, method=method, level=level)


def compare(later: PublishedCount, earlier: PublishedCount, *, method: str = "score"):
    """later − earlier, at every combination of band ends (independent samples: different waves)."""
    return across_band(compare_proportions, count1=count_band_of(later), nobs1=later.base_n,
                       count2=count_band_of(earlier), nobs2=earlier.base_n, method=method)


def share_against(figure: PublishedCount, null: float, *, method: str = "exact"):
    """The figure's share against a fixed value (e.g. 0.5 for "most"), at both ends of its band."""
    return across_band(one_proportion_test, count=count_band_of(figure), nobs=figure.base_n, null=null,
                       method=method)


def figure_row(figure: PublishedCount, label: str, *, method: str = "wilson", **extra) -> dict:
    """One row for a chart or table: the published value, the interval over its band, and its n."""
    band = interval(figure, method=method)
    return {"label": label, "wave": figure.wave, "published": figure.value, "unit": figure.unit,
            "estimate": figure.value / 100, "low": band.low, "high": band.high, "n": figure.base_n,
            "count_low": count_band_of(figure).low, "count_high": count_band_of(figure).high,
            "interval": f"{method}, widened over the band", "source_url": figure.source_url, **extra}


def paired(first: PublishedCount, second: PublishedCount):
    """first − second for two items answered by the same respondents, known only by their margins."""
    if first.base_n != second.base_n:
        raise ValueError(f"paired items need one base: {first.question_id} has {first.base_n}, {second.question_id} {second.base_n}")
    return paired_bands(count_band_of(first), count_band_of(second), first.base_n)


def paired_bands(first: Band, second: Band, nobs: int):
    """Paired p1 − p2 from two count bands on one base, at every band end and both Frechet bounds.

    Runs the exact McNemar test (and Newcombe's paired interval) at every end of both count
    bands and, for each, at both Frechet bounds of the unpublished number who said yes to both.
    """
    from helpers.stats import BandResult, frechet_overlap, paired_compare

    results = []
    for count1 in first.ends():
        for count2 in second.ends():
            results += across_band(paired_compare, count1=count1, count2=count2, nobs=nobs,
                                   overlap=Band(*frechet_overlap(count1, count2, nobs))).results
    return BandResult(results)


def nested_count_band(outer: Band, inner_low_percent: float, inner_high_percent: float) -> Band:
    """Counts implied by a share of a share: ``round(outer × inner / 100)`` at every end of both bands.

    E.g. officers who met cryptocurrencies (outer) of whom "one fifth" (inner) call them common.
    """
    counts = [round(o * p / 100) for o in outer.ends() for p in (inner_low_percent, inner_high_percent)]
    return Band(min(counts), max(counts))


def trend(figures: list[PublishedCount], scores):
    """Cochran–Armitage trend over waves, at every combination of the figures' band ends."""
    import itertools

    from helpers.stats import BandResult, trend_test

    nobs = [f.base_n for f in figures]
    results = []
    for counts in itertools.product(*(count_band_of(f).ends() for f in figures)):
        call = {"counts": list(counts), "nobs": nobs, "scores": list(scores)}
        results.append((call, trend_test(**call)))
    return BandResult(results)
