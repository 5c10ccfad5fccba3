"""Tests of helpers.stats.groups: latent class models compared by BIC, with the BLRT.

The 2-class fit is pinned to a published LEM run (Dayton's pleural thickening
data); the rest is cross-checked against StepMix fitted directly on the
uncompressed rows and against closed forms.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers.errors import StatisticsInputError
from helpers.stats.groups import fit_latent_classes

TABLE_COLUMNS = ["k", "loglik", "n_parameters", "bic", "aic", "entropy", "smallest_class", "blrt_p"]


def pleural_thickening() -> pd.DataFrame:
    """Dayton (1998) Latent Class Scaling Analysis, Table 3.2: three raters, 1692 films.

    Pattern counts as in the LEM input ``dat [1513 23 59 12 21 19 11 34]`` (A, B, C with
    C varying fastest; LEM level 2 = thickening seen = 1 here), from the UCLA ATS page
    "LEM Textbook Examples: Latent Class Scaling Analysis by C. Mitchell Dayton".
    """
    counts = [1513, 23, 59, 12, 21, 19, 11, 34]
    rows = [pattern for pattern, c in zip(itertools.product([0, 1], repeat=3), counts, strict=True) for _ in range(c)]
    return pd.DataFrame(rows, columns=["A", "B", "C"])


def planted(n=800, j=9, minority=0.2, seed=3, missing=0.0):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < minority
    p = np.where(z[:, None], np.linspace(0.55, 0.85, j), np.linspace(0.05, 0.3, j))
    x = (rng.random((n, j)) < p).astype(float)
    if missing:
        x[rng.random((n, j)) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"tech_{i}" for i in range(j)]), z


@pytest.fixture(scope="module")
def lem_fit():
    return fit_latent_classes(pleural_thickening(), k_range=[1, 2], blrt_repetitions=0)


def test_lem_reference(lem_fit):
    # LEM output for Model I (unconstrained, 2 classes) on the UCLA ATS page cited above:
    # Log-likelihood = -891.14280, Number of parameters = 7, BIC(log-likelihood) = 1834.3213,
    # AIC(log-likelihood) = 1796.2856, class sizes 0.9455 / 0.0545, P(A=2|X) 0.0100 / 0.7490,
    # P(B=2|X) 0.0354 / 0.6434, P(C=2|X) 0.0109 / 0.7650. LEM stopped at "Converge
    # criterion = 0.0000006663" after 122 iterations, so its 4th decimal of the
    # parameters can be one unit off (B: 0.64346 here); the log-likelihood is exact.
    row = lem_fit.table.set_index("k").loc[2]
    assert row["loglik"] == pytest.approx(-891.14280, abs=5e-5)
    assert row["n_parameters"] == 7
    assert row["bic"] == pytest.approx(1834.3213, abs=5e-4)
    assert row["aic"] == pytest.approx(1796.2856, abs=5e-4)
    assert lem_fit.chosen_k == 2
    np.testing.assert_allclose(lem_fit.class_sizes.to_numpy(), [0.9455, 0.0545], atol=5e-5)
    np.testing.assert_allclose(lem_fit.profiles.to_numpy(),
                               [[0.0100, 0.0354, 0.0109], [0.7490, 0.6434, 0.7650]], atol=1.5e-4)


def test_lem_model_is_saturated(lem_fit):
    # 7 parameters for 7 free cells: the ML solution reproduces the observed pattern shares
    # exactly, which checks the profiles and class sizes to many more digits than LEM prints.
    x = pleural_thickening()
    pi = lem_fit.class_sizes.to_numpy()
    theta = lem_fit.profiles.to_numpy()
    for pattern in itertools.product([0, 1], repeat=3):
        observed = np.mean((x.to_numpy() == pattern).all(axis=1))
        fitted = np.sum(pi * np.prod(np.where(np.array(pattern) == 1, theta, 1 - theta), axis=1))
        assert fitted == pytest.approx(observed, abs=2e-6)


def test_one_class_is_the_independence_model(lem_fit):
    x = pleural_thickening().to_numpy(dtype=float)
    p = x.mean(axis=0)
    n = x.shape[0]
    loglik = float(np.sum(x.sum(axis=0) * np.log(p) + (n - x.sum(axis=0)) * np.log1p(-p)))
    row = lem_fit.table.set_index("k").loc[1]
    assert row["loglik"] == pytest.approx(loglik, rel=1e-10)
    assert row["bic"] == pytest.approx(-2 * loglik + 3 * math.log(n), rel=1e-10)
    assert math.isnan(row["entropy"]) and row["smallest_class"] == 1.0 and math.isnan(row["blrt_p"])


def _stepmix_direct(x, k, measurement="binary", n_init=10):
    from stepmix.stepmix import StepMix

    model = StepMix(n_components=k, measurement=measurement, n_init=n_init, random_state=1,
                    verbose=0, progress_bar=0, max_iter=5000, abs_tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x)
    return model, model.score(x) * x.shape[0]


def test_matches_stepmix_on_uncompressed_rows(lem_fit):
    x = pleural_thickening().to_numpy(dtype=float)
    model, loglik = _stepmix_direct(x, 2)
    assert lem_fit.table.set_index("k").loc[2, "loglik"] == pytest.approx(loglik, abs=1e-4)
    assert lem_fit.table.set_index("k").loc[2, "bic"] == pytest.approx(model.bic(x), abs=1e-3)
    assert lem_fit.table.set_index("k").loc[2, "n_parameters"] == model.n_parameters
    rel_entropy = model.relative_entropy(x)
    assert lem_fit.table.set_index("k").loc[2, "entropy"] == pytest.approx(rel_entropy, abs=1e-4)


def test_nine_items_match_stepmix_and_structure():
    items, z = planted(n=700, seed=4)
    res = fit_latent_classes(items, k_range=[1, 2, 3], n_init=10, blrt_repetitions=0)
    assert list(res.table.columns) == TABLE_COLUMNS
    assert res.table["k"].tolist() == [1, 2, 3]
    x = items.to_numpy()
    for k in (1, 2):
        _, loglik = _stepmix_direct(x, k)
        assert res.table.set_index("k").loc[k, "loglik"] == pytest.approx(loglik, abs=1e-3)
    # the chosen model by the documented rule
    assert res.chosen_k == int(res.table.loc[res.table["bic"].idxmin(), "k"])
    assert "BIC" in res.selection_rule
    k = res.chosen_k
    assert res.posterior.shape == (len(items), k)
    np.testing.assert_allclose(res.posterior.sum(axis=1), 1.0, atol=1e-10)
    np.testing.assert_array_equal(res.assignments, res.posterior.argmax(axis=1))
    assert list(res.class_sizes.index) == list(range(k))
    assert np.all(np.diff(res.class_sizes.to_numpy()) <= 0)  # largest class first
    assert res.class_sizes.sum() == pytest.approx(1.0)
    assert list(res.profiles.columns) == list(items.columns) and list(res.profiles.index) == list(range(k))
    # labels are consistent with the ordering: the posterior mean of each class is its size
    np.testing.assert_allclose(res.posterior.mean(axis=0), res.class_sizes.to_numpy(), atol=1e-6)
    for _, row in res.table.iterrows():
        if row["k"] > 1:
            assert 0 <= row["entropy"] <= 1
        assert 0 < row["smallest_class"] <= 1


def test_deterministic_for_a_seed():
    items, _ = planted(n=400, seed=9)
    a = fit_latent_classes(items, k_range=[1, 2, 3], n_init=6, seed=5, blrt_repetitions=4)
    b = fit_latent_classes(items, k_range=[1, 2, 3], n_init=6, seed=5, blrt_repetitions=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    np.testing.assert_array_equal(a.assignments, b.assignments)


def test_weights_act_as_frequency_weights():
    items, _ = planted(n=300, seed=12)
    w = np.where(np.arange(len(items)) % 3 == 0, 2.0, 1.0)
    dup = pd.concat([items, items[w == 2]], ignore_index=True)
    weighted = fit_latent_classes(items, k_range=[2], n_init=8, blrt_repetitions=0, weights=w)
    duplicated = fit_latent_classes(dup, k_range=[2], n_init=8, blrt_repetitions=0)
    # weights are rescaled to sum to n, so the pseudo-log-likelihood is the duplicated
    # data's log-likelihood times n / sum(w)
    scale = len(items) / w.sum()
    assert weighted.table.loc[0, "loglik"] == pytest.approx(duplicated.table.loc[0, "loglik"] * scale, rel=1e-6)
    np.testing.assert_allclose(weighted.class_sizes, duplicated.class_sizes, atol=1e-5)
    np.testing.assert_allclose(weighted.profiles, duplicated.profiles, atol=1e-5)
    # constant weights change nothing
    const = fit_latent_classes(items, k_range=[2], n_init=8, blrt_repetitions=0, weights=np.full(len(items), 7.5))
    plain = fit_latent_classes(items, k_range=[2], n_init=8, blrt_repetitions=0)
    assert const.table.loc[0, "loglik"] == pytest.approx(plain.table.loc[0, "loglik"], rel=1e-10)


def test_missing_values_use_full_information_likelihood():
    items, _ = planted(n=500, seed=21, missing=0.1)
    res = fit_latent_classes(items, k_range=[1, 2], n_init=8, blrt_repetitions=0)
    assert res.settings["missing_values"]
    _, loglik = _stepmix_direct(items.to_numpy(), 2, measurement="binary_nan")
    assert res.table.set_index("k").loc[2, "loglik"] == pytest.approx(loglik, abs=1e-3)
    assert res.posterior.shape == (500, res.chosen_k)


def test_blrt():
    items, _ = planted(n=500, seed=31)
    res = fit_latent_classes(items, k_range=[1, 2, 3, 4], n_init=8, blrt_repetitions=9)
    t = res.table.set_index("k")
    assert res.chosen_k == 2
    assert math.isnan(t.loc[1, "blrt_p"])
    # LR for 2 vs 1 classes is far beyond anything simulated from a 1-class model:
    # p = (1 + 0) / (9 + 1), the smallest attainable value
    assert t.loc[2, "blrt_p"] == pytest.approx(0.1)
    assert res.blrt[2]["lr"] == pytest.approx(2 * (t.loc[2, "loglik"] - t.loc[1, "loglik"]))
    assert len(res.blrt[2]["bootstrap_lr"]) == 9 and res.blrt[2]["exceedances"] == 0
    # tested up to chosen_k + 1 only
    assert 0.1 <= t.loc[3, "blrt_p"] <= 1.0
    assert math.isnan(t.loc[4, "blrt_p"])
    p3 = (1 + res.blrt[3]["exceedances"]) / 10
    assert t.loc[3, "blrt_p"] == pytest.approx(p3)


@pytest.mark.parametrize(
    "items, kwargs, match",
    [
        (pd.DataFrame({"a": [0, 1, 2, 1], "b": [0, 1, 1, 0]}), {}, r"column 'a' of items is not binary: value 2"),
        (pd.DataFrame({"a": ["yes", "no"], "b": [0, 1]}), {}, r"column 'a' of items is not binary \(value 'yes'\)"),
        (pd.DataFrame({"a": [0, 1], "gone": [np.nan, np.nan]}), {}, r"column 'gone' of items is entirely missing"),
        (pd.DataFrame({"a": [0, np.nan, 1], "b": [1, np.nan, 0]}, index=[10, 11, 12]), {},
         r"row 11 of items has no answered item"),
        (pd.DataFrame(np.zeros((10, 9))), {"k_range": [1, 2]}, r"items has 10 rows, fewer than needed: K=2 has 19"),
        (pd.DataFrame(np.zeros((50, 3))), {"k_range": [1, 2, 3]}, r"K=3: 11 parameters for 3 binary items"),
        (pd.DataFrame(np.zeros((50, 9))), {"k_range": []}, r"k_range is empty"),
        (pd.DataFrame(np.zeros((50, 9))), {"k_range": [0, 1]}, r"k_range value=0"),
        (pd.DataFrame(np.zeros((50, 9))), {"k_range": 3}, r"k_range=3"),
        (pd.DataFrame(np.zeros((50, 9))), {"n_init": 0}, r"n_init=0"),
        (pd.DataFrame(np.zeros((50, 9))), {"seed": -1}, r"seed=-1"),
        (pd.DataFrame(np.zeros((50, 9))), {"blrt_repetitions": -5}, r"blrt_repetitions=-5"),
        (pd.DataFrame(np.zeros((50, 9))), {"weights": np.ones(49)}, r"weights has 49 entries but there are 50 rows"),
        (pd.DataFrame(np.zeros((50, 9))), {"weights": -np.ones(50)}, r"weights\[0\]=-1 is not positive"),
        ([[0, 1], [1, 0]], {}, r"items must be a pandas DataFrame"),
        (pd.DataFrame(), {}, r"items has no columns"),
    ],
)
def test_fit_validation(items, kwargs, match):
    with pytest.raises(StatisticsInputError, match=match):
        fit_latent_classes(items, **{"blrt_repetitions": 0, **kwargs})


@pytest.mark.slow
def test_scales_to_a_million_rows():
    rng = np.random.default_rng(1)
    n, j = 1_000_000, 9
    z = rng.random(n) < 0.15
    x = (rng.random((n, j)) < np.where(z[:, None], np.linspace(0.5, 0.8, j), np.linspace(0.05, 0.3, j)))
    items = pd.DataFrame(x.astype(np.int8), columns=[f"q{i}" for i in range(j)])
    start = time.perf_counter()
    res = fit_latent_classes(items, k_range=[2], blrt_repetitions=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 60  # about 1 s measured on a 2-core machine
    assert res.posterior.shape == (n, 2) and res.assignments.shape == (n,)
    # planted share 0.15; the binomial SE at n = 1e6 is 0.00036
    assert res.class_sizes[1] == pytest.approx(0.15, abs=0.005)
    assert math.isnan(res.table.loc[0, "blrt_p"])


def test_every_fitted_k_keeps_its_modal_assignments():
    """Chapters read the two-class model even when BIC prefers another k."""
    rng = np.random.default_rng(5)
    items = pd.DataFrame(rng.integers(0, 2, size=(300, 5)), columns=list("abcde"))
    result = fit_latent_classes(items, k_range=range(1, 4), n_init=3, seed=1, blrt_repetitions=0)
    for k, fit in result.fits.items():
        assert fit["assignments"].shape == (300,)
        assert set(np.unique(fit["assignments"])) <= set(range(k))
    np.testing.assert_array_equal(result.fits[result.chosen_k]["assignments"], result.assignments)
