"""The 2PL with a skew-normal latent density (helpers.stats.latent.trait_density): gradient, fits, simulation."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.errors import StatisticsInputError
from helpers.stats.latent import trait_density as td
from helpers.stats.latent.engine import bootstrap_patterns, validate_items, weighted_patterns
from helpers.stats.latent.planted import ADVANCED, MAINSTREAM, planted_data
from helpers.stats.latent.trait import fit_trait_best


@pytest.fixture(scope="module")
def skewed():
    data = planted_data("skewed_continuum", seed=11, n=1000)
    x, _ = validate_items(data[ADVANCED + MAINSTREAM])
    _, _, freq, u, m = weighted_patterns(x, None)
    normal, ll_normal, _ = fit_trait_best(u, m, freq, 21, np.random.default_rng(0), 3)
    density = td.LatentDensity("skew-normal")
    return u, m, freq, normal, ll_normal, density, td.fit_density_trait_best(u, m, freq, density, normal)


def test_analytic_gradient_matches_finite_differences(skewed):
    u, m, freq, normal, _, density, _ = skewed
    params = np.r_[normal, 1.7]
    f, g = td.density_negloglik_and_grad(params, u, m, freq, density)
    step = 1e-6
    numeric = [(td.density_negloglik_and_grad(params + e, u, m, freq, density)[0]
                - td.density_negloglik_and_grad(params - e, u, m, freq, density)[0]) / (2 * step)
               for e in np.eye(params.size) * step]
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-4)


def test_skewed_trait_is_found_and_fits_better_than_the_normal(skewed):
    *_, ll_normal, density, (params, ll, converged) = skewed
    assert converged
    assert ll > ll_normal + 5  # a gamma(2) trait: the skew-normal fits clearly better
    weights = td.density_weights(density, params[-1:])
    mean = weights @ density.nodes
    skewness = weights @ ((density.nodes - mean) / np.sqrt(weights @ (density.nodes - mean) ** 2)) ** 3
    assert skewness > 0.5  # right-skewed, as planted
    assert params[:9].sum() > 0  # oriented


def test_batched_refits_agree_with_single_fits_in_both_layouts(skewed):
    _, _, _, _, _, density, (params, _, _) = skewed
    rng = np.random.default_rng(3)
    sims = [td.simulate_density_trait(params, density, 600, rng) for _ in range(6)]
    for s in sims:
        s[rng.random(s.shape) < 0.25] = np.nan  # missing answers: patterns no longer overlap
    u, m, freq = bootstrap_patterns(sims)
    assert u.ndim == 3  # each data set keeps its own patterns
    _, ll_batch = td.fit_density_trait_batch(u, m, freq, density, params)
    for r in range(3):
        _, ll_single, _ = td.fit_density_trait(u[r], m[r], freq[r], density, params)
        assert ll_batch[r] == pytest.approx(ll_single, abs=0.05)


def test_unknown_density_is_named():
    with pytest.raises(StatisticsInputError, match="density='bimodal'"):
        td.LatentDensity("bimodal")
