"""Chapter 03's trend figure never joins waves of different constructs, and marks reworded waves apart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from helpers.report.plots import COMPARABILITY_MARKS, comparability_key, wave_plot  # noqa: E402


def _frame(grades: dict[str, list[str]]) -> pd.DataFrame:
    waves = (2016, 2017, 2019)
    rows = [(series, wave, 0.1 + 0.1 * i, grade, 400)
            for series, per_wave in grades.items() for i, (wave, grade) in enumerate(zip(waves, per_wave, strict=True))]
    frame = pd.DataFrame(rows, columns=["theme", "wave", "estimate", "comparability", "n"])
    return frame.assign(low=frame.estimate - 0.02, high=frame.estimate + 0.02)


def _segments(fig) -> list[tuple[float, float]]:
    """The wave pairs joined by a line (lines with two points; markers are one-point lines)."""
    return sorted((round(line.get_xdata()[0]), round(line.get_xdata()[1]))
                  for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 2 and line.get_linestyle() == "-")


def test_a_different_construct_is_never_joined_and_each_grade_has_its_mark():
    frame = _frame({"a": ["different construct", "same question", "reworded"],
                    "b": ["same question", "same question", "different construct"]})
    fig = wave_plot(frame, series="theme", comparability="comparability")
    # a: 2016 is another construct, so only 2017-2019 is joined; b: 2019 is, so only 2016-2017.
    assert _segments(fig) == [(2016, 2017), (2017, 2019)]
    markers = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 1]
    by_wave = {(round(line.get_xdata()[0]), line.get_marker()): line for line in markers}
    assert (2016, COMPARABILITY_MARKS["different construct"][0]) in by_wave
    hollow = [line for line in markers if line.get_marker() == "o"
              and to_rgba(line.get_markerfacecolor()) == to_rgba("white")]
    assert len(hollow) == 1 and round(hollow[0].get_xdata()[0]) == 2019  # a's reworded 2019 wave


def test_without_grades_every_wave_is_joined_and_the_caption_key_names_every_mark():
    frame = _frame({"a": ["same question", "reworded", "different construct"]})
    fig = wave_plot(frame, series="theme")
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 3 and line.get_linestyle() == "-"]
    assert len(lines) == 1  # the plain figure still joins all three waves
    key = comparability_key()
    assert all(words in key for _, _, words in COMPARABILITY_MARKS.values()) and "never" in key
