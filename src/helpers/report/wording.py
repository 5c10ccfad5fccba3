"""Published figures in words, for the paragraphs a chapter writes from its data.

A verbal figure is quoted as the report's words and the band it is read as ("one fifth, read as
18-22 %"), never as a number the report did not publish; an exact percentage as printed ("43 %").
Chapters display these sentences (``IPython.display.Markdown``) instead of typing numbers into
their markdown cells, so the prose always says what the data files say.
"""

from __future__ import annotations

import math
import re

from helpers.data.published import PublishedFigure

#: How a verbal figure's wording is recorded in its row's notes (data/README.md, "Verbal figures").
PUBLISHED_AS = re.compile(r'published as "([^"]+)"')
VERBAL_SHARE_UNITS = ("percent_verbal", "percent_lower_bound")


def band_words(low: float, high: float) -> str:
    """``18-22 %`` (an en dash between the ends of a band of percentages)."""
    return f"{low:g}\u2013{high:g} %"


def as_published(figure: PublishedFigure) -> str:
    """The figure as the report printed it, with the band a verbal figure is read as.

    ``"one fifth, read as 18–22 %"``, ``"43 %"``, ``"50–80 %"`` (a published range).
    """
    if figure.unit in VERBAL_SHARE_UNITS:
        match = PUBLISHED_AS.search(figure.notes)
        if not match:
            raise ValueError(f"the verbal figure {figure.where} has no 'published as \"...\"' in its notes")
        return f"{match.group(1)}, read as {band_words(figure.value_low, figure.value_high)}"
    if figure.unit == "percent_range":
        return band_words(figure.value_low, figure.value_high)
    if figure.unit == "percent":
        return f"{figure.value:g} %"
    return f"{figure.value:g}"


def share(value: float, *, digits: int = 1) -> str:
    """A share on the 0-1 scale as a percentage in words: ``0.4312`` -> ``43.1 %``."""
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.{digits}f} %"
