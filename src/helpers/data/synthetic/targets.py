"""Published targets of the synthetic generator: the figures each wave is calibrated to, the
survey sizes, and the country composition (with the documented assumptions)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from helpers.errors import ParameterError

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
    Calibration("crypto_frequency", 2018, "crypto_frequency", "common or very common", (4, 5),
                ("crypto_encountered", 1)),
    Calibration("crypto_frequency", 2018, "crypto_frequency", "uncommon or very uncommon", (1, 2),
                ("crypto_encountered", 1)),
    Calibration("workload_change", 2016, "workload_change", "more demanding", (3,)),
    Calibration("workload_change", 2016, "workload_change", "less demanding", (1,)),
)


#: looked-up figures per content of the figures frame (a generator call reads the same few
#: dozen figures many times, and every call reads the frame afresh)
_LOOKUPS: dict = {"frame": None, "digest": None, "values": {}}


def figures_digest(figures) -> str:
    """sha256 of the figures frame's content (remembered for the frame last seen)."""
    import pandas as pd

    if _LOOKUPS["frame"] is not figures:
        digest = hashlib.sha256(pd.util.hash_pandas_object(figures, index=True).to_numpy().tobytes()).hexdigest()
        if digest != _LOOKUPS["digest"]:
            _LOOKUPS.update(digest=digest, values={})
        _LOOKUPS["frame"] = figures
    return _LOOKUPS["digest"]


def figure_value(figures, qid, option, wave):
    """(value, low, high) of one published figure, memoised per content of ``figures``."""
    from helpers.data.published import figure

    figures_digest(figures)
    values = _LOOKUPS["values"]
    if (qid, option, wave) not in values:
        found = figure(qid, option, wave, frame=figures)
        values[(qid, option, wave)] = (found.value, found.value_low, found.value_high)
    return values[(qid, option, wave)]


def _published_size(figures, wave) -> int:
    hit = figures[(figures["question_id"] == "survey_size") & (figures["option"] == "respondents")
                  & (figures["wave"] == wave) & (figures["part"] == "law_enforcement")]
    if len(hit) != 1:
        raise ParameterError(f"no published survey size for wave {wave} in figures.csv")
    return int(hit["value"].iloc[0])


def largest_remainder(weights, total: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def wave_sizes(figures, waves, n_respondents) -> dict[int, int]:
    published = {w: _published_size(figures, w) for w in waves}
    if n_respondents is None:
        return published
    not_integer = isinstance(n_respondents, bool) or not isinstance(n_respondents, (int, np.integer))
    if not_integer or n_respondents < len(waves):
        raise ParameterError(f"n_respondents must be an integer of at least {len(waves)} (one per wave), "
                             f"not {n_respondents!r}")
    counts = largest_remainder([published[w] for w in waves], int(n_respondents))
    return dict(zip(waves, map(int, counts), strict=True))


def composition(figures, wave: int) -> dict[str, float]:
    """Country -> percent of respondents for ``wave`` (see helpers.data.synthetic's docstring for assumptions)."""
    def val(qid, option, w):
        return figure_value(figures, qid, option, w)[0]

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
        a, b = composition(figures, 2016), composition(figures, 2018)
        return {c: (a[c] + b[c]) / 2 for c in a}
    raise ParameterError(f"no composition rule for wave {wave}")

