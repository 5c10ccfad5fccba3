"""One wave's rows: exact draws (quotas and published counts) and random draws (independent
Bernoulli and categorical draws, for class scenarios and the continuum)."""

from __future__ import annotations

import numpy as np

from helpers.data.synthetic.probabilities import binary_items, draw_trait, expit, mixture_quantile
from helpers.data.synthetic.scenarios import (
    ADVANCED_ITEMS,
    CRYPTO_FREQUENCY_MINORITY_BONUS,
    FIRST_WAVE,
    LAST_WAVE,
    MISSING_NOT_ASKED,
    MISSING_SHARE,
    REGION_PROFILES,
    VERY_COMMON_SHARE,
    VERY_UNCOMMON_SHARE,
)
from helpers.data.synthetic.targets import CALIBRATIONS, COUNTRY_REGION, composition, figure_value, largest_remainder
from helpers.stats.bands import implied_counts


def _quota(rng, idx: np.ndarray, k: int) -> np.ndarray:
    k = int(min(max(k, 0), len(idx)))
    return idx[rng.permutation(len(idx))[:k]]


def _split(k: int, n_min: int, n_maj: int, p_min: float) -> tuple[int, int, bool]:
    """Split ``k`` ones between minority and majority; True if the split had to be clipped."""
    want = int(round(n_min * p_min))
    k_min = min(max(want, k - n_maj, 0), n_min, k)
    return k_min, k - k_min, k_min != want


class _ExactQuotas:
    """The quotas of one wave with exact draws: every count planted exactly, placed at random."""

    def __init__(self, w, n, rng, figures, plan, calib_log, cls):
        self.w, self.n, self.rng, self.figures, self.plan, self.log, self.cls = w, n, rng, figures, plan, calib_log, cls
        self.idx_min, self.idx_maj = np.flatnonzero(cls == 1), np.flatnonzero(cls == 0)
        self.cal_by: dict[str, list] = {}
        for cal in CALIBRATIONS:
            if cal.wave == w:
                self.cal_by.setdefault(cal.column, []).append(cal)

    def planted(self, cal, base_n):
        v, lo, hi = figure_value(self.figures, cal.question_id, cal.option, cal.wave)
        return implied_counts(v, lo, hi, base_n).nearest

    def binary(self, item):
        n, w, idx_min, idx_maj = self.n, self.w, self.idx_min, self.idx_maj
        out = np.zeros(n, dtype=np.int8)
        p_min = self.plan.p_min(item, w)
        p_maj = self.plan.p_maj(item, w)
        if item in self.cal_by:
            cal = self.cal_by[item][0]
            k = self.planted(cal, n)
            if cal.codes == (0,):  # the published figure is the share answering "no"
                k = n - k
            k_min, k_maj, clipped = _split(k, len(idx_min), len(idx_maj), p_min)
            self.log.append({"column": item, "wave": w, "n": n, "count": k if cal.codes != (0,) else n - k,
                             "codes": list(cal.codes), "minority_ones": k_min, "majority_ones": k_maj,
                             "solved_majority_p": round(k_maj / len(idx_maj), 4) if len(idx_maj) else None,
                             "clipped": clipped})
        else:
            k_min, k_maj = int(round(len(idx_min) * p_min)), int(round(len(idx_maj) * p_maj))
        out[_quota(self.rng, idx_min, k_min)] = 1
        out[_quota(self.rng, idx_maj, k_maj)] = 1
        return out

    def crypto_use(self, encountered):
        """Past-year use only where cryptocurrencies were ever met."""
        met = encountered == 1
        out = np.zeros(self.n, dtype=np.int8)
        p_min = self.plan.p_min("tech_cryptocurrency", self.w)
        for idx, p in ((self.idx_min, p_min), (self.idx_maj, self.plan.p_maj("tech_cryptocurrency", self.w))):
            out[_quota(self.rng, idx[met[idx]], int(round(len(idx) * p)))] = 1
        return out

    def crypto_frequency(self, encountered):
        rng = self.rng
        freq = np.full(self.n, -1, dtype=np.int8)
        if encountered is None:
            return freq
        met = np.flatnonzero(encountered == 1)
        m = len(met)
        cals = {c.codes: c for c in self.cal_by.get("crypto_frequency", [])}
        k_common = self.planted(cals[(4, 5)], m) if (4, 5) in cals else int(round(0.2 * m))
        k_unc = self.planted(cals[(1, 2)], m) if (1, 2) in cals else int(round(0.55 * m))
        k_unc = min(k_unc, m - k_common)
        score = rng.random(m) + CRYPTO_FREQUENCY_MINORITY_BONUS * (self.cls[met] == 1)
        order = met[np.argsort(-score, kind="stable")]
        common, unc = order[:k_common], order[m - k_unc:] if k_unc else order[:0]
        freq[met] = 3
        freq[common] = 4
        freq[_quota(rng, common, int(round(len(common) * VERY_COMMON_SHARE)))] = 5
        freq[unc] = 2
        freq[_quota(rng, unc, int(round(len(unc) * VERY_UNCOMMON_SHARE)))] = 1
        for codes, k in (((4, 5), k_common), ((1, 2), k_unc)):
            self.log.append({"column": "crypto_frequency", "wave": self.w, "n": m, "count": int(k),
                             "codes": list(codes), "among": "crypto_encountered = 1", "clipped": False})
        return freq

    def workload(self):
        n = self.n
        cals = {c.codes: c for c in self.cal_by.get("workload_change", [])}
        k_more = self.planted(cals[(3,)], n) if (3,) in cals else int(round(0.746 * n))
        k_less = self.planted(cals[(1,)], n) if (1,) in cals else int(round(0.011 * n))
        k_less = min(k_less, n - k_more)
        perm = self.rng.permutation(n)
        work = np.full(n, 2, dtype=np.int8)
        work[perm[:k_more]] = 3
        work[perm[k_more:k_more + k_less]] = 1
        for codes, k in (((3,), k_more), ((1,), k_less)):
            self.log.append({"column": "workload_change", "wave": self.w, "n": n, "count": int(k),
                             "codes": list(codes), "clipped": False})
        return work


def _exact_geography(w, n, rng, figures):
    """Country and region with exact counts, placed at random (regions first, then countries
    within each region, so both levels match the figures)."""
    import pandas as pd

    comp = composition(figures, w)
    regions = ("north_america", "europe", "other")
    in_region = {r: [c for c in comp if COUNTRY_REGION[c] == r] for r in regions}
    region_counts = largest_remainder([sum(comp[c] for c in in_region[r]) for r in regions], n)
    names, counts = [], []
    for r, k in zip(regions, region_counts, strict=True):
        weights = [comp[c] for c in in_region[r]]
        if sum(weights) <= 0:
            continue
        names += in_region[r]
        counts += list(largest_remainder(weights, int(k)))
    country = np.repeat(np.array(names, dtype=object), counts)[rng.permutation(n)]
    return country, pd.Series(country).map(COUNTRY_REGION).to_numpy()


def exact_wave(w, n, rng, cb, figures, plan, calib_log, include_class):
    """One wave with exact draws (quotas, published counts)."""
    ids = _ids(w, n)
    country, region = _exact_geography(w, n, rng, figures)
    n_min = int(round(plan.share(w) * n))   # latent classes: an exact quota
    cls = np.zeros(n, dtype=np.int8)
    cls[rng.permutation(n)[:n_min]] = 1
    quotas = _ExactQuotas(w, n, rng, figures, plan, calib_log, cls)

    cols: dict[str, np.ndarray | None] = {}
    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    special = {"workload_change", "crypto_frequency"} | ({"tech_cryptocurrency"} if crypto_link else set())
    for item in cb.microdata_columns():
        if item in ("respondent_id", "wave", "country", "region"):
            continue
        if not cb.question(item).asked_in(w):
            cols[item] = None
        elif item not in special:
            cols[item] = quotas.binary(item)
    if crypto_link:
        cols["tech_cryptocurrency"] = quotas.crypto_use(cols["crypto_encountered"])
    if cb.question("crypto_frequency").asked_in(w):
        cols["crypto_frequency"] = quotas.crypto_frequency(cols.get("crypto_encountered"))
    if cb.question("workload_change").asked_in(w):
        cols["workload_change"] = quotas.workload()

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


def _random_geography(w, n, rng, figures):
    """Each respondent's country an independent categorical draw with the published shares."""
    import pandas as pd

    comp = composition(figures, w)
    names = list(comp)
    cum = np.cumsum(np.array([comp[c] for c in names], dtype=float))
    pick = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(names) - 1)
    country = np.array(names, dtype=object)[pick]
    return country, pd.Series(country).map(COUNTRY_REGION).to_numpy()


class _ClassDraws:
    """Random class membership and each answer's probability in a class scenario. With
    ``region`` (scenario "regional") the advanced class's share and every probability depend on
    the respondent's region (REGION_PROFILES)."""

    def __init__(self, w, n, rng, cb, plan, calib_log, region=None):
        self.plan, self.w = plan, w
        self.share = plan.share(w)
        self.expected = plan.expected(w, cb, calib_log)
        self.region = region
        u = rng.random(n)
        if region is not None:
            cut = np.array([REGION_PROFILES[r][0] for r in region])
            self.cls = (u < cut).astype(np.int8)
        elif plan.groups == 3:
            self.cls = np.where(u < self.share, 1, np.where(u < self.share + plan.middle, 2, 0)).astype(np.int8)
        else:
            self.cls = (u < self.share).astype(np.int8)
        self.minority = self.cls == 1

    def prob(self, item):
        ps = self.expected[item]
        if self.plan.groups == 3:
            p = np.choose(self.cls, (ps[1], ps[0], ps[2]))
        else:
            p = np.where(self.minority, ps[0], ps[1])
        if self.region is None:
            return p
        which = 1 if item in ADVANCED_ITEMS else 2
        shift = np.array([REGION_PROFILES[r][which] for r in self.region])
        return expit(np.log(p / (1 - p)) + shift)

    def minority_among_met(self) -> float:
        """Share of the advanced class among those who met cryptocurrencies (expected)."""
        ps, s = self.expected["crypto_encountered"], self.share
        if self.plan.groups == 3:
            met = s * ps[0] + self.plan.middle * ps[2] + (1 - s - self.plan.middle) * ps[1]
        else:
            met = s * ps[0] + (1 - s) * ps[1]
        return s * ps[0] / met if met > 0 else 0.0


class _TraitDraws:
    """Random trait and 2PL answer probabilities in a continuum scenario."""

    def __init__(self, w, n, rng, params, calib_log, trait_shape=None):
        self.w, self.params = w, params
        self.theta = draw_trait(rng, n, trait_shape)
        self.minority = None
        for (item, wave), (a, b, m) in params.items():
            if wave == w and any(c.column == item and c.wave == w for c in CALIBRATIONS):
                calib_log.append({"column": item, "wave": w, "expected_share": m, "codes": [1],
                                  "discrimination": a, "difficulty": round(b, 4), "clipped": False})

    def prob(self, item):
        a, b, _ = self.params[(item, self.w)]
        return expit(a * (self.theta - b))


def _point(figures, w, column, codes, default):
    hit = [c for c in CALIBRATIONS if c.wave == w and c.column == column and c.codes == codes]
    return figure_value(figures, hit[0].question_id, hit[0].option, w)[0] / 100 if hit else default


def _random_crypto_frequency(rng, figures, w, latent, encountered, n):
    freq = np.full(n, -1, dtype=np.int8)
    if encountered is None:
        return freq
    met = np.flatnonzero(encountered == 1)
    p_common = _point(figures, w, "crypto_frequency", (4, 5), 0.20)
    p_unc = _point(figures, w, "crypto_frequency", (1, 2), 0.55)
    bonus, m = 0.0, 0.0
    if latent.minority is not None:   # minority officers rank higher, as in exact draws; same expected split
        bonus = CRYPTO_FREQUENCY_MINORITY_BONUS
        m = latent.minority_among_met()
    t_common = mixture_quantile(1 - p_common, m, bonus)
    t_unc = mixture_quantile(p_unc, m, bonus)
    score = rng.random(len(met)) + (bonus * latent.minority[met] if latent.minority is not None else 0.0)
    split = rng.random(len(met))
    f = np.full(len(met), 3, dtype=np.int8)
    f[score > t_common] = 4
    f[(score > t_common) & (split < VERY_COMMON_SHARE)] = 5
    f[score < t_unc] = 2
    f[(score < t_unc) & (split < VERY_UNCOMMON_SHARE)] = 1
    freq[met] = f
    return freq


def _random_workload(rng, figures, w, n):
    p_more = _point(figures, w, "workload_change", (3,), 0.746)
    p_less = _point(figures, w, "workload_change", (1,), 0.011)
    u = rng.random(n)
    work = np.full(n, 2, dtype=np.int8)
    work[u < p_more] = 3
    work[(u >= p_more) & (u < p_more + p_less)] = 1
    return work


def random_wave(w, n, rng, cb, figures, plan, params, calib_log, include_class, *, trait_shape=None,
                regional=False):
    """One wave with random draws: class scenarios (``plan``; ``regional``: region-specific shares
    and profiles) or a continuum (``params``; ``trait_shape``: the skewed trait's gamma shape)."""
    import pandas as pd

    ids = _ids(w, n)
    country, region = _random_geography(w, n, rng, figures)
    latent: _ClassDraws | _TraitDraws
    if plan is not None:
        latent = _ClassDraws(w, n, rng, cb, plan, calib_log, region if regional else None)
    else:
        latent = _TraitDraws(w, n, rng, params, calib_log, trait_shape)

    cols: dict[str, np.ndarray | None] = {}
    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    for item in binary_items(cb):
        if not cb.question(item).asked_in(w):
            cols[item] = None
        elif not (crypto_link and item == "tech_cryptocurrency"):
            cols[item] = (rng.random(n) < latent.prob(item)).astype(np.int8)

    if crypto_link:  # past-year use only where cryptocurrencies were ever met
        p_use, p_met = latent.prob("tech_cryptocurrency"), latent.prob("crypto_encountered")
        ratio = np.divide(p_use, p_met, out=np.zeros(n), where=p_met > 0)
        if (ratio > 1 + 1e-12).any():
            calib_log.append({"column": "tech_cryptocurrency", "wave": w, "clipped": True,
                              "note": "P(past-year use) > P(ever met) in a class; capped at P(ever met)"})
        use = (rng.random(n) < np.minimum(ratio, 1.0)) & (cols["crypto_encountered"] == 1)
        cols["tech_cryptocurrency"] = use.astype(np.int8)
    if cb.question("crypto_frequency").asked_in(w):
        cols["crypto_frequency"] = _random_crypto_frequency(rng, figures, w, latent, cols.get("crypto_encountered"),
                                                            n)
    if cb.question("workload_change").asked_in(w):
        cols["workload_change"] = _random_workload(rng, figures, w, n)

    frame = _assemble(w, n, ids, country, region, cols, cb)
    if include_class:
        if isinstance(latent, _ClassDraws):
            frame["latent_class"] = latent.cls
        else:
            frame["latent_class"] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int8), np.ones(n, dtype=bool))
            frame["latent_trait"] = latent.theta
    return frame


def blank_answers(frame, w, rng, cb):
    """Missing answers (``missing_answers``): every technology answer (codebook tags advanced and
    mainstream) of wave ``w`` left blank independently with the wave's MISSING_SHARE (linear from
    2016 to 2019), and MISSING_NOT_ASKED's item blank for everyone in its wave."""
    first, last = MISSING_SHARE
    share = first + (last - first) * (w - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
    not_asked_item, not_asked_wave = MISSING_NOT_ASKED
    for item in cb.items_tagged("advanced") + cb.items_tagged("mainstream"):
        blank = rng.random(len(frame)) < share
        if item == not_asked_item and w == not_asked_wave:
            blank[:] = True
        frame.loc[blank, item] = None
    return frame
