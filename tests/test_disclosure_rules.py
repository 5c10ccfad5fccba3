"""The disclosure rules one at a time: pooling small regions, rounding shares, what the stage reads as a leak."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.report.disclosure import pool_small_groups, share_decimals
from helpers.report.disclosure_audit import find_leaks, published_numbers


def _frame(cells: dict[tuple[int, str], int]) -> pd.DataFrame:
    rows = [{"wave": w, "region": r, "country": f"C{r}"} for (w, r), n in cells.items() for _ in range(n)]
    return pd.DataFrame(rows)


def test_a_region_small_in_one_wave_is_pooled_with_the_smallest_other():
    frame = _frame({(2017, "europe"): 40, (2017, "other"): 2, (2017, "north_america"): 60,
                    (2018, "europe"): 30, (2018, "north_america"): 50, (2018, "other"): 9})
    pooled, merged = pool_small_groups(frame, "region", threshold=5)
    assert merged == {"europe": "europe + other", "other": "europe + other"}
    counts = pooled.groupby(["wave", "region"]).size()
    assert counts[(2017, "europe + other")] == 42 and counts[(2018, "north_america")] == 50
    assert not ((counts > 0) & (counts < 5)).any()


def test_nothing_is_pooled_when_every_cell_reaches_the_threshold():
    frame = _frame({(2017, "europe"): 5, (2017, "other"): 7})
    pooled, merged = pool_small_groups(frame, "region", threshold=5)
    assert merged == {} and pooled["region"].tolist() == frame["region"].tolist()


@pytest.mark.parametrize("base, threshold, decimals", [(1527, 5, 2), (450, 5, 1), (40, 5, 0), (100000, 10, 4)])
def test_share_decimals_hide_a_count_to_within_the_threshold(base, threshold, decimals):
    assert share_decimals(base, threshold) == decimals
    assert 0.5 * 10.0 ** -decimals * base >= threshold / 2      # share x base uncertain by >= threshold
    assert 0.5 * 10.0 ** -(decimals + 1) * base < threshold / 2  # one more decimal would not be


def _published(tmp_path, text: str):
    (tmp_path / "notebooks").mkdir()
    cell = {"cell_type": "code", "execution_count": 3, "source": "", "outputs": [{"output_type": "stream",
                                                                                   "text": text}]}
    (tmp_path / "notebooks" / "00-x.ipynb").write_text(json.dumps({"cells": [cell]}))
    return published_numbers(tmp_path)


def test_a_printed_share_that_pins_a_cell_is_found_also_as_a_percentage(tmp_path):
    frame = _frame({(2017, "europe"): 300, (2017, "other"): 3, (2018, "europe"): 300})
    leaks = find_leaks(frame, _published(tmp_path, "other: 0.004975 of all, or 0.4975 %"), threshold=5)
    assert any("0.004975 is the share of all respondents (n = 603)" in leak and "cell 0 (In [3])" in leak
               for leak in leaks), leaks
    assert any("(as a percentage)" in leak for leak in leaks), leaks


def test_coarse_numbers_and_version_strings_are_not_read_as_leaks(tmp_path):
    frame = _frame({(2017, "europe"): 300, (2017, "other"): 3, (2018, "europe"): 300})
    text = "share 0.005 (two digits), seaborn 0.13.2, p = 0.0050, n = 3, 0.004 98 is not 3/603"
    assert find_leaks(frame, _published(tmp_path, text), threshold=5) == []


def test_the_share_of_the_rest_gives_the_cell_away_too(tmp_path):
    frame = _frame({(2017, "europe"): 300, (2017, "other"): 3, (2018, "europe"): 300})
    leaks = find_leaks(frame, _published(tmp_path, "everyone else: 0.995025"), threshold=5)
    assert any("share of the rest of all respondents (n = 603)" in leak for leak in leaks), leaks
