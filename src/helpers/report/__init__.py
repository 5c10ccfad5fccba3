"""The report layer: what a chapter writes (figures, tables, claims) and how it is shown.

``chapter`` (:class:`Chapter`, the writer every notebook uses), ``claims`` (the verdict rule and
the register), ``evidence`` (tests on published figures, done alike in every chapter),
``plots``, ``style``, ``disclosure`` (small-cell suppression) and ``export`` (HTML pages).
"""

from helpers.report.chapter import Chapter

__all__ = ["Chapter"]
