"""The two result types every statistics function returns: an estimate with its interval, and a test."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval.

    ``n`` is the number of observations behind the estimate; ``n_effective`` is
    set by weighted estimators (the design-based effective sample size).
    """

    estimate: float
    low: float
    high: float
    method: str
    level: float
    n: float
    n_effective: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for data frames and the claims register)."""
        return asdict(self)


@dataclass(frozen=True)
class TestResult:
    """A named test with its effect estimate and interval.

    ``test`` is a human-readable name, ``method`` the method key passed in,
    ``scale`` the unit of ``estimate``/``low``/``high``; ``extra`` holds anything
    else (per-wave gaps, the interval method, auxiliary statistics).
    """

    __test__ = False  # not a pytest test class, despite the name

    test: str
    method: str
    statistic: float
    p_value: float
    estimate: float
    low: float
    high: float
    level: float
    n: float
    scale: str
    alternative: str
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (``extra`` included as a nested dict)."""
        return asdict(self)
