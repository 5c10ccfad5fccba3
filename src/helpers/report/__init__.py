"""The report layer: what a chapter writes (figures, tables, claims) and how it is shown.

``chapter`` (:class:`Chapter`, the writer every notebook uses), ``claims`` (the verdict rule and
the register), ``evidence`` (tests on published figures, done alike in every chapter),
``plots``, ``style``, ``disclosure`` (small-cell suppression) and ``export`` (HTML pages).

``Chapter`` is imported on first use: the runner imports light modules of this layer
(``disclosure``) before any chapter runs, and should not pay for statsmodels and scipy then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpers.report.chapter import Chapter

__all__ = ["Chapter"]


def __getattr__(name: str):
    """``helpers.report.Chapter``, imported when first asked for."""
    if name == "Chapter":
        from helpers.report.chapter import Chapter

        return Chapter
    raise AttributeError(f"module 'helpers.report' has no attribute {name!r}")
