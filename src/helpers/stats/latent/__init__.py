"""Latent variable models for the two headline claims of the 2018 report.

* :func:`fit_trait_model` (``trait``): one continuous trait, the one-factor 2PL, marginal
  ML with Gauss-Hermite quadrature on unique response patterns.
* :func:`fit_class_model` (``classes``): K discrete classes (the pattern EM of
  :mod:`helpers.stats.groups`), model-based class shares.
* :func:`two_groups_test` (``two_groups``): "offenders form two groups" = two discrete
  classes fit better than a continuous trait (LR calibrated by a parametric bootstrap
  under the 2PL, Besag-Clifford stopping) AND the advanced class is a small minority.
* :func:`gap_change_test` (``gap_change``): "the gap is widening" = the class x wave
  slope delta on the advanced items inside one two-class model with shares free per wave
  and item x wave effects (LR test, 1 df; logit scale).
* :mod:`helpers.stats.latent.planted`: random planted data sets (independent of the project's
  synthetic generator) for method checks.

Only numpy, scipy, pandas, statsmodels, helpers.errors, helpers.stats and helpers.stats.groups
are imported: the statistics layer and nothing above it.
"""

from helpers.stats.latent.classes import ClassModelResult, fit_class_model
from helpers.stats.latent.gap_change import GapChangeResult, gap_change_test
from helpers.stats.latent.trait import TraitModelResult, fit_trait_model
from helpers.stats.latent.two_groups import TwoGroupsResult, compare_models, two_groups_test

__all__ = [
    "ClassModelResult", "fit_class_model", "GapChangeResult", "gap_change_test",
    "TraitModelResult", "fit_trait_model", "TwoGroupsResult", "two_groups_test", "compare_models",
]
