"""Shared helpers for the NetClean Reports re-analysis.

Importing ``helpers`` is cheap on purpose: heavy libraries (pandas, statsmodels,
papermill, stepmix) are imported by the modules that need them, so the runner's
no-op rebuild and ``python -m helpers list`` stay fast.
"""

__version__ = "0.1.0"
