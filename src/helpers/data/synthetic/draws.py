"""One wave's rows: exact draws (quotas and published counts) and random draws (independent
Bernoulli and categorical draws, for class scenarios and the continuum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.data.synthetic.probabilities import binary_items, expit, mixture_quantile
from helpers.data.synthetic.scenarios import (
    CRYPTO_FREQUENCY_MINORITY_BONUS,
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


def exact_wave(w, n, rng, cb, figures, plan, calib_log, include_class):
    """One wave with exact draws (quotas, published counts)."""
    import pandas as pd

    ids = _ids(w, n)

    # country / region: exact counts, random placement
    # (regions first, then countries within each region, so both levels match the figures)
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
    region = pd.Series(country).map(COUNTRY_REGION).to_numpy()

    # latent classes
    n_min = int(round(plan.share(w) * n))
    cls = np.zeros(n, dtype=np.int8)
    cls[rng.permutation(n)[:n_min]] = 1
    idx_min = np.flatnonzero(cls == 1)
    idx_maj = np.flatnonzero(cls == 0)

    cols: dict[str, Any] = {}
    cal_by: dict = {}
    for cal in CALIBRATIONS:
        if cal.wave == w:
            cal_by.setdefault(cal.column, []).append(cal)

    def planted(cal, base_n):
        v, lo, hi = figure_value(figures, cal.question_id, cal.option, cal.wave)
        return implied_counts(v, lo, hi, base_n).nearest

    def binary(item):
        out = np.zeros(n, dtype=np.int8)
        p_min = plan.p_min(item, w)
        p_maj = plan.p_maj(item, w)
        if item in cal_by:
            cal = cal_by[item][0]
            k = planted(cal, n)
            if cal.codes == (0,):  # the published figure is the share answering "no"
                k = n - k
            k_min, k_maj, clipped = _split(k, len(idx_min), len(idx_maj), p_min)
            calib_log.append({"column": item, "wave": w, "n": n, "count": k if cal.codes != (0,) else n - k,
                              "codes": list(cal.codes), "minority_ones": k_min, "majority_ones": k_maj,
                              "solved_majority_p": round(k_maj / len(idx_maj), 4) if len(idx_maj) else None,
                              "clipped": clipped})
        else:
            k_min, k_maj = int(round(len(idx_min) * p_min)), int(round(len(idx_maj) * p_maj))
        out[_quota(rng, idx_min, k_min)] = 1
        out[_quota(rng, idx_maj, k_maj)] = 1
        return out

    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    special = {"workload_change", "crypto_frequency"} | ({"tech_cryptocurrency"} if crypto_link else set())
    for item in cb.microdata_columns():
        q = cb.question(item)
        if item in ("respondent_id", "wave", "country", "region"):
            continue
        if not q.asked_in(w):
            cols[item] = None
        elif item not in special:
            cols[item] = binary(item)

    if crypto_link:  # past-year use only where cryptocurrencies were ever met
        met = cols["crypto_encountered"] == 1
        out = np.zeros(n, dtype=np.int8)
        p_min = plan.p_min("tech_cryptocurrency", w)
        for idx, p in ((idx_min, p_min), (idx_maj, plan.p_maj("tech_cryptocurrency", w))):
            out[_quota(rng, idx[met[idx]], int(round(len(idx) * p)))] = 1
        cols["tech_cryptocurrency"] = out

    if cb.question("crypto_frequency").asked_in(w):
        freq = np.full(n, -1, dtype=np.int8)
        if cols.get("crypto_encountered") is not None:
            met = np.flatnonzero(cols["crypto_encountered"] == 1)
            m = len(met)
            cals = {c.codes: c for c in cal_by.get("crypto_frequency", [])}
            k_common = planted(cals[(4, 5)], m) if (4, 5) in cals else int(round(0.2 * m))
            k_unc = planted(cals[(1, 2)], m) if (1, 2) in cals else int(round(0.55 * m))
            k_unc = min(k_unc, m - k_common)
            score = rng.random(m) + CRYPTO_FREQUENCY_MINORITY_BONUS * (cls[met] == 1)
            order = met[np.argsort(-score, kind="stable")]
            common, unc = order[:k_common], order[m - k_unc:] if k_unc else order[:0]
            freq[met] = 3
            freq[common] = 4
            freq[_quota(rng, common, int(round(len(common) * VERY_COMMON_SHARE)))] = 5
            freq[unc] = 2
            freq[_quota(rng, unc, int(round(len(unc) * VERY_UNCOMMON_SHARE)))] = 1
            codes: tuple[int, ...]
            for codes, k in (((4, 5), k_common), ((1, 2), k_unc)):
                calib_log.append({"column": "crypto_frequency", "wave": w, "n": m, "count": int(k),
                                  "codes": list(codes), "among": "crypto_encountered = 1", "clipped": False})
        cols["crypto_frequency"] = freq

    if cb.question("workload_change").asked_in(w):
        cals = {c.codes: c for c in cal_by.get("workload_change", [])}
        k_more = planted(cals[(3,)], n) if (3,) in cals else int(round(0.746 * n))
        k_less = planted(cals[(1,)], n) if (1,) in cals else int(round(0.011 * n))
        k_less = min(k_less, n - k_more)
        perm = rng.permutation(n)
        work = np.full(n, 2, dtype=np.int8)
        work[perm[:k_more]] = 3
        work[perm[k_more:k_more + k_less]] = 1
        cols["workload_change"] = work
        for codes, k in (((3,), k_more), ((1,), k_less)):
            calib_log.append({"column": "workload_change", "wave": w, "n": n, "count": int(k), "codes": list(codes),
                              "clipped": False})

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


def random_wave(w, n, rng, cb, figures, plan, params, calib_log, include_class):
    """One wave with random draws: class scenarios (``plan``) or the continuum (``params``)."""
    import pandas as pd

    ids = _ids(w, n)
    comp = composition(figures, w)   # country: independent categorical draws
    names = list(comp)
    cum = np.cumsum(np.array([comp[c] for c in names], dtype=float))
    pick = np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(names) - 1)
    country = np.array(names, dtype=object)[pick]
    region = pd.Series(country).map(COUNTRY_REGION).to_numpy()

    if plan is not None:
        share = plan.share(w)
        cls = (rng.random(n) < share).astype(np.int8)
        minority = cls == 1
        expected = plan.expected(w, cb, calib_log)

        def prob(item):
            p_min, p_maj = expected[item]
            return np.where(minority, p_min, p_maj)
    else:
        theta = rng.standard_normal(n)
        for (item, wave), (a, b, m) in params.items():
            if wave == w and any(c.column == item and c.wave == w for c in CALIBRATIONS):
                calib_log.append({"column": item, "wave": w, "expected_share": m, "codes": [1],
                                  "discrimination": a, "difficulty": round(b, 4), "clipped": False})

        def prob(item):
            a, b, _ = params[(item, w)]
            return expit(a * (theta - b))

    cal_by: dict[str, list] = {}
    for cal in CALIBRATIONS:
        if cal.wave == w:
            cal_by.setdefault(cal.column, []).append(cal)

    def point(column, codes, default):
        hit = [c for c in cal_by.get(column, []) if c.codes == codes]
        return figure_value(figures, hit[0].question_id, hit[0].option, w)[0] / 100 if hit else default

    cols: dict[str, Any] = {}
    crypto_link = cb.question("crypto_encountered").asked_in(w) and cb.question("tech_cryptocurrency").asked_in(w)
    for item in binary_items(cb):
        if not cb.question(item).asked_in(w):
            cols[item] = None
        elif not (crypto_link and item == "tech_cryptocurrency"):
            cols[item] = (rng.random(n) < prob(item)).astype(np.int8)

    if crypto_link:  # past-year use only where cryptocurrencies were ever met
        p_use, p_met = prob("tech_cryptocurrency"), prob("crypto_encountered")
        ratio = np.divide(p_use, p_met, out=np.zeros(n), where=p_met > 0)
        if (ratio > 1 + 1e-12).any():
            calib_log.append({"column": "tech_cryptocurrency", "wave": w, "clipped": True,
                              "note": "P(past-year use) > P(ever met) in a class; capped at P(ever met)"})
        use = (rng.random(n) < np.minimum(ratio, 1.0)) & (cols["crypto_encountered"] == 1)
        cols["tech_cryptocurrency"] = use.astype(np.int8)

    if cb.question("crypto_frequency").asked_in(w):
        freq = np.full(n, -1, dtype=np.int8)
        if cols.get("crypto_encountered") is not None:
            met = np.flatnonzero(cols["crypto_encountered"] == 1)
            p_common, p_unc = point("crypto_frequency", (4, 5), 0.20), point("crypto_frequency", (1, 2), 0.55)
            bonus, m = 0.0, 0.0
            if plan is not None:   # minority officers rank higher, as in exact draws; same expected split
                bonus = CRYPTO_FREQUENCY_MINORITY_BONUS
                pm, pj = expected["crypto_encountered"]
                m = share * pm / (share * pm + (1 - share) * pj) if share * pm + (1 - share) * pj > 0 else 0.0
            t_common = mixture_quantile(1 - p_common, m, bonus)
            t_unc = mixture_quantile(p_unc, m, bonus)
            score = rng.random(len(met)) + (bonus * minority[met] if plan is not None else 0.0)
            split = rng.random(len(met))
            f = np.full(len(met), 3, dtype=np.int8)
            f[score > t_common] = 4
            f[(score > t_common) & (split < VERY_COMMON_SHARE)] = 5
            f[score < t_unc] = 2
            f[(score < t_unc) & (split < VERY_UNCOMMON_SHARE)] = 1
            freq[met] = f
        cols["crypto_frequency"] = freq

    if cb.question("workload_change").asked_in(w):
        p_more, p_less = point("workload_change", (3,), 0.746), point("workload_change", (1,), 0.011)
        u = rng.random(n)
        work = np.full(n, 2, dtype=np.int8)
        work[u < p_more] = 3
        work[(u >= p_more) & (u < p_more + p_less)] = 1
        cols["workload_change"] = work

    frame = _assemble(w, n, ids, country, region, cols, cb)
    if include_class:
        if plan is not None:
            frame["latent_class"] = cls
        else:
            frame["latent_class"] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int8), np.ones(n, dtype=bool))
            frame["latent_trait"] = theta
    return frame
