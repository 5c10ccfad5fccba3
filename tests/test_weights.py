"""Tests of helpers.stats.weights: post-stratification and the Kish effective n."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.errors import StatisticsInputError
from helpers.stats.weights import kish_effective_n, poststratify


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


