"""Latent variable models for the two headline claims of the 2018 report.

* :func:`fit_trait_model` (``trait``): one continuous trait, the one-factor 2PL, marginal
  ML with Gauss-Hermite quadrature on unique response patterns.
* :func:`fit_class_model` (``classes``): K discrete classes, model-based class shares.
* :mod:`helpers.stats.latent.engine`: the one latent-class engine (response patterns,
  batched EM, simulation, posteriors, the bootstrap LR of K + 1 against K classes) that
  every latent class fit of the project runs on.
* :func:`two_groups_test` (``two_groups``): "offenders form two groups" = two discrete
  classes fit better than a continuous trait (LR calibrated by a parametric bootstrap
  under the 2PL, Besag-Clifford stopping) AND the advanced class is a small minority.
* :func:`gap_change_test` (``gap_change``): "the gap is widening" = the class x wave
  slope delta on the advanced items inside one two-class model with shares free per wave
  and item x wave effects (LR test, 1 df; logit scale).
* :mod:`helpers.stats.latent.planted`: random planted data sets (independent of the project's
  synthetic generator) for method checks.
"""

from helpers.stats.latent.classes import ClassModelResult, fit_class_model
from helpers.stats.latent.gap_change import GapChangeResult, gap_change_test
from helpers.stats.latent.trait import TraitModelResult, fit_trait_model
from helpers.stats.latent.two_groups import TwoGroupsResult, compare_models, two_groups_test

__all__ = [
    "ClassModelResult", "fit_class_model", "GapChangeResult", "gap_change_test",
    "TraitModelResult", "fit_trait_model", "TwoGroupsResult", "two_groups_test", "compare_models",
]
