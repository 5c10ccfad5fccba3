"""Simulation tier: size and power of the two latent-variable tests on random planted data.

Every replicate is a fresh random draw (helpers.stats.latent.planted: random class membership or
trait, independent Bernoulli answers), so the rejection rates carry Monte Carlo error;
sizes are checked against alpha + 2 Monte Carlo standard errors. Seeds are fixed, so a
run is reproducible. Each test stays under about three minutes on one core.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.stats.latent.gap_change import gap_change_test
from helpers.stats.latent.planted import ADVANCED, MAINSTREAM, planted_data
from helpers.stats.latent.two_groups import two_groups_test

ALPHA = 0.05
GAP_REPS = 100
POWER_REPS = 50
TWO_GROUPS_REPS = {"continuum": 100, "single_group": 60}


def limit(reps: int) -> float:
    return ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / reps)


def gap_p_values(scenario: str, reps: int, base_seed: int) -> np.ndarray:
    out = []
    for r in range(reps):
        data = planted_data(scenario, seed=base_seed + r)
        res = gap_change_test(data[ADVANCED + MAINSTREAM], data["wave"], advanced=ADVANCED, mainstream=MAINSTREAM,
                              n_starts=2, seed=r)
        out.append(res.p_value)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["stable", "growing_minority", "drift_down", "drift_up"])
def test_size_of_the_widening_lr_test(scenario):
    p = gap_p_values(scenario, GAP_REPS, base_seed=10_000)
    size = float(np.mean(p < ALPHA))
    print(f"\nwidening LR test, {scenario}: size {size:.3f} over {GAP_REPS} replicates (limit {limit(GAP_REPS):.3f})")
    assert size <= limit(GAP_REPS)


@pytest.mark.slow
def test_power_of_the_widening_lr_test():
    p = gap_p_values("widening", POWER_REPS, base_seed=20_000)
    power = float(np.mean(p < ALPHA))
    print(f"\nwidening LR test, widening (delta = 0.5 per wave): power {power:.3f} over {POWER_REPS} replicates")
    assert power >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["continuum", "single_group"])
def test_size_of_the_two_groups_test(scenario):
    reps = TWO_GROUPS_REPS[scenario]
    p = []
    for r in range(reps):
        data = planted_data(scenario, seed=30_000 + r)
        res = two_groups_test(data[ADVANCED + MAINSTREAM], advanced=ADVANCED, n_bootstrap=99, sequential_h=5,
                              n_share_bootstrap=19, n_init=10, seed=r)
        p.append(res.p_value)
    size = float(np.mean(np.array(p) < ALPHA))
    print(f"\ntwo-groups test, {scenario}: size {size:.3f} over {reps} replicates (limit {limit(reps):.3f})")
    assert size <= limit(reps)
