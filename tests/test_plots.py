"""Figure faults stay fixed: no stacked n labels, every reference line labelled, the forest plot's
legend outside the data, counts as integers with thousands separators."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from helpers.report.plots import (  # noqa: E402
    forest_plot,
    interval_plot,
    stacked_shares,
    statement_label,
    wave_plot,
)
from helpers.report.style import count_label  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_count_label_is_an_integer_with_thousands_separators():
    assert count_label(1527.0) == "n = 1,527" and count_label(269370) == "n = 269,370"
    assert count_label(12, prefix="") == "12"


def test_a_shared_n_is_printed_once_per_wave():
    rows = [(s, w, 0.2 + i * 0.1, n) for i, s in enumerate("abc") for w, n in ((2017, 435), (2019, 450))]
    rows.append(("a", 2016, 0.3, 370))
    frame = pd.DataFrame(rows, columns=["series", "wave", "estimate", "n"]).assign(low=lambda d: d.estimate - 0.05,
                                                                                   high=lambda d: d.estimate + 0.05)
    fig = wave_plot(frame, series="series")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["2016\nn = 370", "2017\nn = 435", "2019\nn = 450"]
    assert not [t for t in _texts(fig) if t.startswith("n")]  # no per-point labels left to stack


def test_different_ns_stay_beside_their_points_as_integers():
    frame = pd.DataFrame({"series": ["x", "y"], "wave": [2018, 2018], "estimate": [0.2, 0.7], "low": [0.1, 0.6],
                          "high": [0.3, 0.8], "n": [1527.0, 19.0]})
    assert sorted(_texts(wave_plot(frame, series="series"))) == ["n = 1,527", "n = 19"]


def test_forest_plot_labels_each_null_line_and_keeps_the_legend_off_the_data():
    claims = pd.DataFrame({
        "claim_id": ["a", "b", "c"], "statement": ["A", "B", "C"], "data": ["published"] * 3,
        "verdict": ["supported", "supported", "not supported"],
        "scale": ["proportion"] * 3, "estimate": [0.9, 0.1, 0.45], "ci_low": [0.85, 0.05, 0.4],
        "ci_high": [0.95, 0.15, 0.5], "null_value": [0.5, 0.2, 0.5]})
    fig = forest_plot(claims)
    ax = fig.axes[0]
    assert sorted(t for t in _texts(fig) if t.startswith("null")) == ["null 0.2", "null 0.5"]
    assert len([line for line in ax.get_lines() if line.get_linestyle() == ":" and len(line.get_xdata()) == 2]) >= 2
    legend = ax.get_legend()
    assert "null value the claim is tested against" in [t.get_text() for t in legend.get_texts()]
    fig.canvas.draw()
    box, frame = legend.get_window_extent(), ax.get_window_extent()
    assert box.y0 >= frame.y1 - 1  # above the panel, not over its points


def test_forest_plot_labels_claims_in_words_not_ids():
    statement = ("More than 90 % of officers have seen self-produced material in their investigations, "
                 "as the 2018 report says")
    claims = pd.DataFrame({
        "claim_id": ["self_produced_most_officers", "crypto_common"], "statement": [statement, "Few use crypto"],
        "data": ["published", "synthetic"], "verdict": ["supported", "not supported"], "scale": ["proportion"] * 2,
        "estimate": [0.9, 0.1], "ci_low": [0.85, 0.05], "ci_high": [0.95, 0.15], "null_value": [0.5, 0.2]})
    labels = [t.get_text() for t in forest_plot(claims).axes[0].get_yticklabels()]
    long = statement_label(statement, width=46, lines=2).split("\n")
    assert not any("_" in label for label in labels)
    assert labels[0].startswith("Few use crypto") and "SYNTHETIC" in labels[0]
    assert labels[1].startswith("More than 90 %") and "_" not in labels[1]
    assert len(long) == 2 and long[0].startswith("More than 90 %") and long[1].endswith("…")
    assert all(len(line) <= 48 for line in long)


def test_statement_labels_cut_at_a_word():
    assert statement_label("short claim") == "short claim"
    label = statement_label("one two three four five six seven eight nine ten", width=12, lines=2)
    assert label == "one two\nthree four …"


def test_every_reference_line_is_labelled():
    frame = pd.DataFrame({"label": ["x"], "estimate": [0.6], "low": [0.5], "high": [0.7], "n": [1234]})
    fig = interval_plot(frame, label="label", reference=0.5)
    assert "reference: 50 %" in _texts(fig) and "n = 1,234" in _texts(fig)


def test_stacked_bars_print_n_as_integers():
    shares = pd.DataFrame({"europe": [0.3, 0.4], "other": [0.7, 0.6]}, index=[2016, 2017])
    assert _texts(stacked_shares(shares, totals=[1527.0, 450])) == ["n = 1,527", "n = 450"]
