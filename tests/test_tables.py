"""The table formatter's rules, one by one: each test fails when its rule is broken."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from helpers.report.tables import (
    NBSP,
    format_frame,
    format_number,
    format_p,
    format_percent,
    header_words,
    table_html,
)

TOO_MANY_DECIMALS = re.compile(r"\d\.\d{5,}")


@pytest.mark.parametrize(("p", "shown"), [
    (0.0004, f"<{NBSP}0.001"), (1e-12, f"<{NBSP}0.001"), (0.001, "0.0010"), (0.00161, "0.0016"),
    (0.0123456, "0.0123"), (0.04567, "0.0457"), (0.5, "0.500"), (1.0, "1.00"),
])
def test_p_values_three_significant_digits_at_most_four_decimals(p, shown):
    assert format_p(p) == shown


@pytest.mark.parametrize(("x", "shown"), [
    (12859.003560, "12,859"), (370.0, "370"), (2017, "2017"), (0.123456, "0.123"), (1.23456, "1.23"),
    (123.456, "123"), (-0.00123456, "-0.0012"), (0.00001234, "1.2e-05"), (45678.9, "45,679"),
])
def test_numbers_three_significant_digits_never_more_than_four_decimals(x, shown):
    assert format_number(x) == shown
    assert not TOO_MANY_DECIMALS.search(format_number(x))


def test_one_column_one_number_of_decimals():
    shown = format_frame(pd.DataFrame({"estimate": [0.25, 2.0, 0.125], "bic": [12859.003560, 12790.5, 13001.25]}))
    assert list(shown["estimate"]) == ["0.250", "2.000", "0.125"]
    assert list(shown["bic"]) == ["12,859", "12,790", "13,001"]
    tiny = format_frame(pd.DataFrame({"estimate": [0.5, 0.00001234]}))
    assert list(tiny["estimate"]) == ["0.500", "1.2e-05"]


def test_shares_as_percentages():
    assert format_percent(0.2345) == f"23.4{NBSP}%"
    shown = format_frame(pd.DataFrame({"share": [0.25, 0.5], "estimate": [0.25, 0.5]}))
    assert list(shown["share"]) == [f"25.0{NBSP}%", f"50.0{NBSP}%"]
    assert list(shown["estimate"]) == ["0.250", "0.500"]  # not named a share: not turned into one


def test_interval_ends_beside_a_share_are_percentages_too_and_booleans_read_yes_no():
    shown = format_frame(pd.DataFrame({"share": [0.0955], "low": [0.0337], "high": [0.242], "suppressed": [False]}))
    assert list(shown.iloc[0]) == [f"9.6{NBSP}%", f"3.4{NBSP}%", f"24.2{NBSP}%", "no"]
    alone = format_frame(pd.DataFrame({"estimate": [0.5], "low": [0.0337]}))
    assert list(alone["low"]) == ["0.0337"]


def test_a_column_named_share_outside_zero_one_is_not_a_percentage():
    shown = format_frame(pd.DataFrame({"share": [12.5, 30.0]}))
    assert list(shown["share"]) == ["12.5", "30.0"]


def test_counts_as_integers_and_empty_cells_blank():
    frame = pd.DataFrame({"n": [370.0, np.nan, 12.0], "note": ["a", None, pd.NA],
                          "p_value": [0.2, math.nan, 1e-5], "wave": [2017, 2018, 2019]})
    shown = format_frame(frame)
    assert list(shown["n"]) == ["370", "", "12"]
    assert list(shown["note"]) == ["a", "", ""]
    assert list(shown["p value"]) == ["0.200", "", f"<{NBSP}0.001"]
    assert list(shown["wave"]) == ["2017", "2018", "2019"]
    text = table_html(frame)
    assert "NaN" not in text and "None" not in text and "nan" not in text and "&lt;NA&gt;" not in text


def test_no_index_column_but_named_index_kept():
    plain = table_html(pd.DataFrame({"a": [1, 2]}, index=[0, 1]))
    assert plain.count("<th ") == 1
    named = format_frame(pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="class")))
    assert list(named.columns) == ["class", "a"] and list(named["class"]) == ["x", "y"]


def test_long_notes_are_kept_whole_and_may_wrap():
    note = "not testable: only 2 comparable waves (2017 and 2019), and the question was reworded in between"
    text = table_html(pd.DataFrame({"note": [note]}))
    assert note in text.replace("<wbr>", "")  # never cut with "…"
    assert "…" not in text
    assert "white-space:normal" in text  # cells wrap


def test_ids_break_only_at_underscores_and_headers_read_in_words():
    text = table_html(pd.DataFrame({"same_conclusion": ["self_produced_most_officers"]}))
    assert "self_<wbr>produced_<wbr>most_<wbr>officers" in text
    assert header_words("same_conclusion") == "same conclusion"
    assert ">same conclusion<" in text


def test_the_frame_itself_is_not_changed():
    frame = pd.DataFrame({"p_value": [0.0123456789], "n": [3.0]})
    format_frame(frame)
    assert frame["p_value"].iloc[0] == 0.0123456789 and frame["n"].dtype == float
