"""Simulation tier: the headline tests hold their size under every null that could fool them.

Data come from the project's generator in random-draw mode (random class membership or trait,
independent Bernoulli answers: a generator that plants exact counts could not make a size check
fail). A few replicates per scenario, chosen so that a test of the right size passes and a badly
oversized one fails: with 8 replicates, more than 2 rejections at alpha = 0.05 has probability
0.006 for a test of size 0.05 and 0.86 for one of size 0.5 (the old normal-trait null rejected
half the skewed continua). The costly scenarios (missing answers, where patterns do not
compress; three classes) have 4 replicates and allow 1 rejection: 0.014 at size 0.05, 0.69 at
size 0.5. Sizes to two decimals are the method-checks chapter's job (its stored study), not this
tier's.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data.codebook import load_codebook
from helpers.data.synthetic import generate
from helpers.stats.latent import gap_change_test, two_groups_test

ALPHA = 0.05
REPLICATES = 8
MAX_REJECTIONS = 2          # P(X > 2 | n = 8, p = 0.05) = 0.006; p = 0.5: 0.86
SMALL_REPLICATES = 4        # the costly scenarios (missing answers: patterns do not compress)
SMALL_MAX_REJECTIONS = 1    # P(X > 1 | n = 4, p = 0.05) = 0.014; p = 0.5: 0.69
POWER_REPLICATES = 8
MIN_POWER_REJECTIONS = 4    # P(X >= 4 | n = 8, p = 0.05) = 0.0004: far more often than by chance
TWO_GROUPS_OPTIONS = {"n_bootstrap": 99, "sequential_h": 5, "n_share_bootstrap": 19, "n_init": 10}
CODEBOOK = load_codebook()
ADVANCED, MAINSTREAM = CODEBOOK.items_tagged("advanced"), CODEBOOK.items_tagged("mainstream")


def sample(scenario: str, seed: int, **options):
    return generate(scenario, seed, draws="random", **options)


def widening_p(frame, seed: int) -> float:
    return gap_change_test(frame[ADVANCED + MAINSTREAM], frame["wave"], advanced=ADVANCED, mainstream=MAINSTREAM,
                           n_starts=2, seed=seed).p_value


#: For the size tests, which read only the LR's p: the three-class check at its fewest samples (its verdict
#: is not read there, and on a continuum it would otherwise draw all 99: most of the call's time).
LR_ONLY = {"n_three_bootstrap": 19}


def two_groups(frame, seed: int, **options):
    return two_groups_test(frame[ADVANCED + MAINSTREAM], advanced=ADVANCED, seed=seed,
                           **{**TWO_GROUPS_OPTIONS, **options})


@pytest.mark.slow
@pytest.mark.parametrize("scenario, options", [
    ("stable", {}), ("growing", {}), ("drift", {"drift_logit": 0.8}), ("drift", {"drift_logit": -0.8}),
    ("regional", {}),
])
def test_the_widening_test_holds_its_size(scenario, options):
    p = np.array([widening_p(sample(scenario, 500 + r, **options), r) for r in range(REPLICATES)])
    rejections = int((p < ALPHA).sum())
    print(f"\nwidening test, {scenario} {options}: {rejections} of {REPLICATES} rejected")
    assert rejections <= MAX_REJECTIONS


@pytest.mark.slow
def test_the_widening_test_holds_its_size_with_missing_answers():
    p = np.array([widening_p(sample("stable", 600 + r, n_per_wave=100, missing_answers=True), r)
                  for r in range(SMALL_REPLICATES)])
    print(f"\nwidening test, stable with missing answers: {(p < ALPHA).sum()} of {SMALL_REPLICATES} rejected")
    assert (p < ALPHA).sum() <= SMALL_MAX_REJECTIONS


@pytest.mark.slow
def test_the_widening_test_finds_a_planted_widening():
    p = np.array([widening_p(sample("widening", 900 + r), r) for r in range(POWER_REPLICATES)])
    print(f"\nwidening test, planted widening: {(p < ALPHA).sum()} of {POWER_REPLICATES} rejected")
    assert (p < ALPHA).sum() >= MIN_POWER_REJECTIONS


@pytest.mark.slow
@pytest.mark.parametrize("scenario, options", [
    ("single_group", {}), ("continuum", {}), ("skewed_continuum", {"trait_shape": 2.0}),
    ("skewed_continuum", {"trait_shape": 8.0}),
])
def test_the_two_groups_test_holds_its_size(scenario, options):
    rejections = sum(two_groups(sample(scenario, 700 + r, **options), r, **LR_ONLY).p_value < ALPHA
                     for r in range(REPLICATES))
    print(f"\ntwo-groups test, {scenario} {options}: {rejections} of {REPLICATES} rejected")
    assert rejections <= MAX_REJECTIONS


@pytest.mark.slow
def test_the_two_groups_test_holds_its_size_with_missing_answers():
    rejections = sum(two_groups(sample("continuum", 800 + r, n_per_wave=100, missing_answers=True), r,
                                **LR_ONLY).p_value < ALPHA for r in range(SMALL_REPLICATES))
    print(f"\ntwo-groups test, continuum with missing answers: {rejections} of {SMALL_REPLICATES} rejected")
    assert rejections <= SMALL_MAX_REJECTIONS


@pytest.mark.slow
def test_three_classes_are_not_called_two_groups():
    supported = [two_groups(sample("three_classes", 1000 + r), r).verdict(alpha=ALPHA) == "supported"
                 for r in range(SMALL_REPLICATES)]
    print(f"\ntwo-groups test, three classes: 'two groups' supported in {sum(supported)} of {SMALL_REPLICATES}")
    assert sum(supported) <= SMALL_MAX_REJECTIONS
