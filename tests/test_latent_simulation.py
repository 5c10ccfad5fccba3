"""Simulation tier: the headline tests hold their size under every null that could fool them.

Data come from the project's generator in random-draw mode (random class membership or trait,
independent Bernoulli answers: a generator that plants exact counts could not make a size check
fail). With 20 replicates per null, more than 4 rejections at alpha = 0.05 has probability 0.016
for a test of the right size, so a badly oversized test (the old modal-class widening test
rejected about 40 % under drift) fails here. Sizes to two decimals are the method-checks
chapter's job, not this tier's.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data.codebook import load_codebook
from helpers.data.synthetic import generate
from helpers.stats.latent import gap_change_test, two_groups_test

ALPHA = 0.05
REPLICATES = 20
MAX_REJECTIONS = 4          # P(X > 4 | n = 20, p = 0.05) = 0.016
POWER_REPLICATES = 10
MIN_POWER_REJECTIONS = 4    # P(X >= 4 | n = 10, p = 0.05) = 0.001: far more often than by chance
CODEBOOK = load_codebook()
ADVANCED, MAINSTREAM = CODEBOOK.items_tagged("advanced"), CODEBOOK.items_tagged("mainstream")


def sample(scenario: str, seed: int, **options):
    return generate(scenario, seed, draws="random", **options)


def widening_p(frame, seed: int) -> float:
    return gap_change_test(frame[ADVANCED + MAINSTREAM], frame["wave"], advanced=ADVANCED, mainstream=MAINSTREAM,
                           n_starts=2, seed=seed).p_value


@pytest.mark.slow
@pytest.mark.parametrize("scenario, options", [
    ("stable", {}), ("growing", {}), ("drift", {"drift_logit": 0.8}), ("drift", {"drift_logit": -0.8}),
])
def test_the_widening_test_holds_its_size(scenario, options):
    p = np.array([widening_p(sample(scenario, 500 + r, **options), r) for r in range(REPLICATES)])
    rejections = int((p < ALPHA).sum())
    print(f"\nwidening test, {scenario} {options}: {rejections} of {REPLICATES} rejected")
    assert rejections <= MAX_REJECTIONS


@pytest.mark.slow
def test_the_widening_test_finds_a_planted_widening():
    p = np.array([widening_p(sample("widening", 900 + r), r) for r in range(POWER_REPLICATES)])
    print(f"\nwidening test, planted widening: {(p < ALPHA).sum()} of {POWER_REPLICATES} rejected")
    assert (p < ALPHA).sum() >= MIN_POWER_REJECTIONS


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["single_group", "continuum"])
def test_the_two_groups_test_holds_its_size(scenario):
    rejections = 0
    for r in range(REPLICATES):
        frame = sample(scenario, 700 + r)
        result = two_groups_test(frame[ADVANCED + MAINSTREAM], advanced=ADVANCED, n_bootstrap=99, sequential_h=5,
                                 n_share_bootstrap=19, n_init=10, seed=r)
        rejections += result.p_value < ALPHA
    print(f"\ntwo-groups test, {scenario}: {rejections} of {REPLICATES} rejected")
    assert rejections <= MAX_REJECTIONS
