"""Statistics for the claims register: intervals, named tests, bands, weights and latent groups.

Every function returns a small frozen result (:class:`Interval` or :class:`TestResult`) that
carries what a claim needs: the estimate, its interval, the name of the test, the statistic,
the p-value, the number of observations and the scale of the estimate. Proportions are on the
0-1 scale; intervals are two-sided at ``level``; statsmodels is always called with ``method=``.

=====================  =====================================================================
module                 what it holds
=====================  =====================================================================
``results``            :class:`Interval`, :class:`TestResult`
``checks``             input checks shared by the modules (each names the argument at fault)
``proportions``        one proportion, two independent proportions, two paired answers
``trends``             trend over waves (Cochran-Armitage)
``rates``              Poisson rates
``multiplicity``       adjusted p-values for a family of claims
``bands``              verbal and rounded figures, implied counts, tests at every band end
``weights``            post-stratification, Kish effective n
``design``             the region weighting of the microdata chapters
``groups``             latent class models of respondents (pattern EM, BIC, BLRT)
``latent``             the headline tests: groups against a continuum, a widening gap
=====================  =====================================================================

The statistics layer imports nothing from the data, report or pipeline layers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers and the import graph; at run time each name loads on first use
    from helpers.stats.bands import Band, BandResult, ImpliedCounts, across_band, implied_counts, nested_count_band
    from helpers.stats.multiplicity import adjust_pvalues
    from helpers.stats.proportions import (
        compare_proportions,
        frechet_overlap,
        one_proportion_test,
        paired_compare,
        proportion_ci,
    )
    from helpers.stats.rates import rate_ci
    from helpers.stats.results import Interval, TestResult
    from helpers.stats.trends import trend_test

#: public name -> the module that defines it. Loaded lazily (PEP 562): importing one light module,
#: such as helpers.stats.bands for the published figures, does not load statsmodels and scipy.stats.
_HOMES = {
    "Interval": "results", "TestResult": "results",
    "Band": "bands", "BandResult": "bands", "ImpliedCounts": "bands", "across_band": "bands",
    "implied_counts": "bands", "nested_count_band": "bands",
    "proportion_ci": "proportions", "compare_proportions": "proportions", "one_proportion_test": "proportions",
    "frechet_overlap": "proportions", "paired_compare": "proportions",
    "trend_test": "trends", "rate_ci": "rates", "adjust_pvalues": "multiplicity",
}

__all__ = [
    "Interval", "TestResult", "Band", "BandResult", "ImpliedCounts", "proportion_ci", "compare_proportions",
    "one_proportion_test", "frechet_overlap", "paired_compare", "trend_test", "rate_ci", "adjust_pvalues",
    "across_band", "implied_counts", "nested_count_band",
]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'helpers.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"helpers.stats.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
