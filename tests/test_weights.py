"""Tests of helpers.stats.weights: post-stratification, raking, Kish n and weighted CIs.

The weighted interval is cross-checked against its closed forms and against svy
(an independent implementation that statistics.md reports as matching R's
survey package to 6 d.p.).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from helpers.errors import StatisticsInputError
from helpers.stats.weights import kish_effective_n, poststratify, rake, weighted_proportion_ci


@pytest.fixture
def sample():
    rng = np.random.default_rng(11)
    n = 400
    return pd.DataFrame({
        "region": rng.choice(["usa", "europe", "other"], size=n, p=[0.55, 0.3, 0.15]),
        "agency": rng.choice(["local", "national"], size=n, p=[0.7, 0.3]),
        "y": (rng.random(n) < 0.3).astype(int),
    }, index=pd.RangeIndex(100, 100 + n))


def test_poststratify_shares_and_totals(sample):
    shares = {"usa": 0.4, "europe": 0.4, "other": 0.2}
    w = poststratify(sample, "region", shares)
    assert isinstance(w, pd.Series) and w.index.equals(sample.index)
    assert w.sum() == pytest.approx(len(sample))
    got = w.groupby(sample["region"]).sum() / w.sum()
    for level, share in shares.items():
        assert got[level] == pytest.approx(share)
    # weights are constant within a cell: target / cell count
    counts = sample["region"].value_counts()
    assert w[sample["region"] == "usa"].iloc[0] == pytest.approx(0.4 * len(sample) / counts["usa"])
    totals = {"usa": 3000, "europe": 2500, "other": 1500}
    wt = poststratify(sample, "region", totals)
    assert wt.sum() == pytest.approx(7000)
    assert wt.groupby(sample["region"]).sum()["europe"] == pytest.approx(2500)


def test_poststratify_errors(sample):
    with pytest.raises(StatisticsInputError, match="level 'other' of column 'region' is in the data but missing"):
        poststratify(sample, "region", {"usa": 0.5, "europe": 0.5})
    with pytest.raises(StatisticsInputError, match="target level 'asia' of column 'region' has no respondents"):
        poststratify(sample, "region", {"usa": 0.4, "europe": 0.3, "other": 0.2, "asia": 0.1})
    with pytest.raises(StatisticsInputError, match="by='continent' is not a column"):
        poststratify(sample, "continent", {"usa": 1.0})
    with pytest.raises(StatisticsInputError, match=r"targets\['usa'\]=-1 is negative"):
        poststratify(sample, "region", {"usa": -1, "europe": 2, "other": 1})
    with pytest.raises(StatisticsInputError, match="frame is empty"):
        poststratify(sample.iloc[:0], "region", {"usa": 1.0})
    with pytest.raises(StatisticsInputError, match="missing values"):
        poststratify(sample.assign(region=sample["region"].where(sample.index != 100)), "region",
                     {"usa": 0.4, "europe": 0.4, "other": 0.2})


def test_rake_one_margin_equals_poststratify(sample):
    shares = {"usa": 0.35, "europe": 0.45, "other": 0.2}
    np.testing.assert_allclose(rake(sample, {"region": shares}), poststratify(sample, "region", shares), rtol=1e-12)


def test_rake_two_margins(sample):
    margins = {"region": {"usa": 0.4, "europe": 0.4, "other": 0.2}, "agency": {"local": 0.5, "national": 0.5}}
    w = rake(sample, margins, tol=1e-10)
    assert w.index.equals(sample.index)
    for column, targets in margins.items():
        got = w.groupby(sample[column]).sum() / len(sample)
        for level, share in targets.items():
            assert got[level] == pytest.approx(share, rel=1e-9)
    # raking with totals
    totals = {"region": {"usa": 400, "europe": 400, "other": 200}, "agency": {"local": 600, "national": 400}}
    wt = rake(sample, totals)
    assert wt.sum() == pytest.approx(1000)


def test_rake_errors(sample):
    with pytest.raises(StatisticsInputError, match="same total"):
        rake(sample, {"region": {"usa": 10, "europe": 10, "other": 10}, "agency": {"local": 5, "national": 5}})
    # a structural conflict: every 'other' respondent is 'national', but 'national' is asked
    # to be smaller than 'other' -> IPF cannot satisfy both margins
    conflict = sample.assign(agency=np.where(sample["region"] == "other", "national", "local"))
    with pytest.raises(StatisticsInputError, match=r"did not converge in max_iter=50 .* discrepancy"):
        rake(conflict, {"region": {"usa": 0.3, "europe": 0.3, "other": 0.4},
                        "agency": {"local": 0.8, "national": 0.2}}, max_iter=50)
    with pytest.raises(StatisticsInputError, match="max_iter=0"):
        rake(sample, {"region": {"usa": 0.4, "europe": 0.4, "other": 0.2}}, max_iter=0)
    with pytest.raises(StatisticsInputError, match="tol=2"):
        rake(sample, {"region": {"usa": 0.4, "europe": 0.4, "other": 0.2}}, tol=2)
    with pytest.raises(StatisticsInputError, match="level 'other' of column 'region'"):
        rake(sample, {"region": {"usa": 0.5, "europe": 0.5}})


def test_rake_is_vectorised_for_a_million_rows():
    rng = np.random.default_rng(3)
    n = 1_000_000
    frame = pd.DataFrame({
        "region": rng.choice(["usa", "europe", "other"], size=n, p=[0.5, 0.3, 0.2]),
        "agency": rng.choice(["local", "national"], size=n, p=[0.7, 0.3]),
    })
    start = time.perf_counter()
    w = rake(frame, {"region": {"usa": 0.4, "europe": 0.4, "other": 0.2}, "agency": {"local": 0.5, "national": 0.5}})
    elapsed = time.perf_counter() - start
    assert w.sum() == pytest.approx(n, rel=1e-8)
    assert elapsed < 20  # about 0.3 s on a 2-core machine; a Python loop over rows would take minutes


def test_kish_effective_n():
    assert kish_effective_n(np.ones(37)) == pytest.approx(37)
    assert kish_effective_n([1, 1, 2, 2]) == pytest.approx(36 / 10)  # (sum w)^2 / sum w^2
    # invariant to rescaling
    w = np.random.default_rng(2).uniform(0.2, 5, 300)
    assert kish_effective_n(w) == pytest.approx(kish_effective_n(w * 17.3))
    with pytest.raises(StatisticsInputError, match=r"weights\[1\]=-1 is negative"):
        kish_effective_n([1, -1.0])
    with pytest.raises(StatisticsInputError, match="weights is empty"):
        kish_effective_n([])


def _weighted_data(seed=5, n=250, p=0.3):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < p).astype(float)
    w = rng.lognormal(0, 0.6, n)
    return y, w


def test_weighted_ci_equal_weights_is_t_based_wald_logit():
    y, _ = _weighted_data()
    n = y.size
    ci = weighted_proportion_ci(y, np.full(n, 3.0), method="logit")
    p = y.mean()
    se = math.sqrt(p * (1 - p) / (n - 1))  # n/(n-1) * sum (y - p)^2 / n^2
    t = st.t.ppf(0.975, n - 1)
    eta = math.log(p / (1 - p))
    expit = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert ci.estimate == pytest.approx(p)
    assert ci.low == pytest.approx(expit(eta - t * se / (p * (1 - p))), rel=1e-12)
    assert ci.high == pytest.approx(expit(eta + t * se / (p * (1 - p))), rel=1e-12)
    assert ci.n == n and ci.n_effective == pytest.approx(n - 1)


def test_weighted_ci_beta_closed_form():
    y, w = _weighted_data(seed=8)
    ci = weighted_proportion_ci(y, w, method="beta", level=0.9)
    n = y.size
    p = np.sum(w * y) / w.sum()
    var = n / (n - 1) * np.sum(w**2 * (y - p) ** 2) / w.sum() ** 2
    neff = p * (1 - p) / var
    assert ci.n_effective == pytest.approx(neff)
    assert ci.low == pytest.approx(st.beta.ppf(0.05, neff * p, neff * (1 - p) + 1), rel=1e-12)
    assert ci.high == pytest.approx(st.beta.ppf(0.95, neff * p + 1, neff * (1 - p)), rel=1e-12)


@pytest.mark.parametrize("seed, n, p", [(1, 60, 0.2), (2, 250, 0.35), (3, 1000, 0.07)])
def test_weighted_ci_matches_svy(seed, n, p):
    pl = pytest.importorskip("polars")
    svy = pytest.importorskip("svy")
    y, w = _weighted_data(seed, n, p)
    sample = svy.Sample(pl.DataFrame({"y": y, "w": w}), svy.Design(wgt="w"))
    for ours_method, svy_method in (("logit", "logit"), ("beta", "korn-graubard")):
        est = sample.estimation.prop("y", ci_method=svy_method)
        row = [r for r in est.to_dicts() if r["y_level"] == 1.0][0]
        ci = weighted_proportion_ci(y, w, method=ours_method)
        assert ci.estimate == pytest.approx(row["est"], rel=1e-10)
        assert ci.low == pytest.approx(row["lci"], abs=1e-8)
        assert ci.high == pytest.approx(row["uci"], abs=1e-8)


def test_weighted_ci_boundary_uses_kish_n():
    w = np.array([1.0, 2.0, 3.0, 4.0])
    ci = weighted_proportion_ci(np.zeros(4), w)
    neff = w.sum() ** 2 / np.sum(w**2)
    assert ci.estimate == 0 and ci.low == 0
    assert ci.high == pytest.approx(st.beta.ppf(0.975, 1, neff))
    assert "boundary" in ci.method


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"values": [0, 1, 2], "weights": [1, 1, 1]}, r"values\[2\]=2 is not 0 or 1"),
        ({"values": [0, 1, np.nan], "weights": [1, 1, 1]}, r"values contains missing"),
        ({"values": [0, 1, 1], "weights": [1, 1]}, r"weights has 2 entries but values has 3"),
        ({"values": [0, 1, 1], "weights": [1, 0, 1]}, r"weights\[1\]=0 is not positive"),
        ({"values": [0, 1, 1], "weights": [1, 1, np.inf]}, r"weights contains missing or infinite"),
        ({"values": [], "weights": []}, r"values is empty"),
        ({"values": [1], "weights": [1]}, r"at least two"),
        ({"values": [0, 1], "weights": [1, 1], "method": "wilson"}, r"method='wilson'"),
        ({"values": [0, 1], "weights": [1, 1], "level": 1.0}, r"level=1.0"),
    ],
)
def test_weighted_ci_validation(kwargs, match):
    with pytest.raises(StatisticsInputError, match=match):
        weighted_proportion_ci(**kwargs)
