"""The verdict rule, the register's adjustment, disclosure control and the chapter writer."""

import math

import numpy as np
import pandas as pd
import pytest

from helpers.report.claims import CHAPTER_COLUMNS, adjust_register, verdict
from helpers.report.disclosure import suppress_small_counts


def violations(frame, count_columns, *, threshold: int) -> list[str]:
    """Every visible count below the threshold (what a disclosure check looks for)."""
    values = frame[count_columns]
    bad = values[(values > 0) & (values < threshold)].dropna()
    return [f"{count_columns}={v} in row {i}" for i, v in bad.items()]

@pytest.mark.parametrize(
    "p, estimate, direction, expected",
    [
        (0.01, 0.2, "greater", "supported"),
        (0.01, -0.2, "greater", "not supported"),  # significant, but the other way
        (0.2, 0.2, "greater", "not supported"),
        (0.01, -0.2, "less", "supported"),
        (0.01, 0.3, "different", "supported"),
        (0.05, 0.3, "different", "not supported"),  # p must be below alpha
        (math.nan, 0.3, "greater", "not testable"),
    ],
)

def test_verdict_rule(p, estimate, direction, expected):
    assert verdict(p, estimate, direction=direction, null_value=0.0, alpha=0.05) == expected


def test_verdict_uses_the_null_value():
    assert verdict(0.001, 0.6, direction="greater", null_value=0.5, alpha=0.05) == "supported"
    assert verdict(0.001, 0.4, direction="greater", null_value=0.5, alpha=0.05) == "not supported"


def test_register_adjusts_only_testable_claims_and_reapplies_the_rule():
    frame = pd.DataFrame({
        "claim_id": ["a", "b", "c", "d"],
        "test": ["z", "z", "", "z"],
        "p_value": [0.01, 0.04, np.nan, 0.03],
        "estimate": [1.0, 1.0, np.nan, 1.0],
        "direction": ["greater"] * 4,
        "null_value": [0.0] * 4,
    })
    out = adjust_register(frame, alpha=0.05)
    # BH on the three testable p-values: 0.01 -> 0.03, 0.03 -> 0.04, 0.04 -> 0.04
    assert out["p_adjusted"].round(6).tolist()[:2] == [0.03, 0.04]
    assert math.isnan(out["p_adjusted"][2])
    assert out["verdict"].tolist() == ["supported", "supported", "not testable", "supported"]
    strict = adjust_register(frame, alpha=0.035)
    assert strict["verdict"].tolist() == ["supported", "not supported", "not testable", "not supported"]


def test_primary_and_secondary_suppression():
    table = pd.DataFrame({"wave": [2016, 2016, 2016, 2017, 2017],
                          "cls": ["a", "b", "c", "a", "b"],
                          "count": [3, 40, 50, 60, 70],
                          "share": [0.03, 0.43, 0.54, 0.46, 0.54]})
    out = suppress_small_counts(table, "count", threshold=5, group_by=[["wave"]], derived_columns=["share"])
    hidden = out["count"].isna().tolist()
    # 3 is below 5; 40 goes too, or 3 = n - 40 - 50 would be recoverable from the wave total
    assert hidden == [True, True, False, False, False]
    assert out["share"].isna().tolist() == hidden
    assert violations(out, "count", threshold=5) == []
    assert violations(table, "count", threshold=5) == ["count=3 in row 0"]


def test_zero_counts_are_not_suppressed_and_large_tables_pass_unchanged():
    table = pd.DataFrame({"wave": [1, 1], "count": [0, 12]})
    out = suppress_small_counts(table, "count", threshold=5, group_by=[["wave"]])
    assert out["count"].tolist() == [0, 12]


def test_chapter_writer_records_claims_figures_and_tables(tmp_path):
    import matplotlib.pyplot as plt

    from helpers.report import Chapter
    from helpers.stats import compare_proportions

    chapter = Chapter("99-test", output_dir=str(tmp_path), alpha=0.05)
    result = compare_proportions(60, 100, 40, 100, method="score")
    chapter.claim("more_in_a", statement="A is higher than B", source="test", source_url="https://example.org",
                  data="published", result=result, direction="greater")
    chapter.untestable("groups", statement="two groups", source="test", source_url="https://example.org",
                       data="published", why="no microdata.", would_need="respondent-level answers.")
    written = pd.read_csv(tmp_path / "claims" / "99-test.csv")
    assert list(written.columns) == list(CHAPTER_COLUMNS)
    assert written.set_index("claim_id").loc["more_in_a", "verdict"] == "supported"
    assert written.set_index("claim_id").loc["groups", "verdict"] == "not testable"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    chapter.figure(fig, "line", caption="a line", source="test", data="synthetic")
    assert (tmp_path / "figures" / "99-test" / "line.png").exists()
    assert (tmp_path / "figures" / "99-test" / "line.svg").exists()
    assert "SYNTHETIC DATA" in (tmp_path / "figures" / "99-test" / "line.svg").read_text()
    with pytest.raises(ValueError, match="count_columns"):
        chapter.table(pd.DataFrame({"x": [1]}), "t", caption="c", data="synthetic")
    table = chapter.table(pd.DataFrame({"g": [1, 1], "count": [2, 30]}), "t", caption="c", data="synthetic",
                          count_columns=["count"], group_by=[["g"]])
    assert table["count"].isna().all()


def test_a_claim_judged_by_its_interval_needs_the_whole_interval_on_the_claimed_side():
    # "a small minority below 20 %": estimate 0.12 but the interval reaches 0.25
    common = dict(direction="less", null_value=0.2, alpha=0.05)
    assert verdict(0.001, 0.12, **common) == "supported"
    assert verdict(0.001, 0.12, judged_by="interval", ci_low=0.05, ci_high=0.25, **common) == "not supported"
    assert verdict(0.001, 0.12, judged_by="interval", ci_low=0.05, ci_high=0.19, **common) == "supported"
    assert verdict(0.2, 0.12, judged_by="interval", ci_low=0.05, ci_high=0.19, **common) == "not supported"
    greater = dict(direction="greater", null_value=0.5, alpha=0.05, judged_by="interval")
    assert verdict(0.001, 0.7, ci_low=0.45, ci_high=0.9, **greater) == "not supported"
    assert verdict(0.001, 0.7, ci_low=0.55, ci_high=0.9, **greater) == "supported"
    with pytest.raises(ValueError, match="judged_by"):
        verdict(0.001, 0.1, judged_by="bound", **common)


def test_a_claim_whose_interval_and_test_disagree_says_so_and_follows_the_test(tmp_path):
    from dataclasses import replace

    from helpers.report import Chapter
    from helpers.stats import one_proportion_test

    chapter = Chapter("99-test", output_dir=str(tmp_path), alpha=0.05)
    common = dict(source="test", source_url="https://example.org", data="published", direction="greater")
    # the exact binomial test (minimum-likelihood two-sided p) rejects 0.1 for 5 of 20 (p = 0.043),
    # while the Clopper-Pearson interval (0.087 to 0.49) still contains 0.1
    split = one_proportion_test(5, 20, 0.1, method="exact")
    assert split.p_value < 0.05 and split.low < 0.1 < split.high
    chapter.claim("split", statement="more than one in ten", result=split, null_value=0.1, **common)
    agreed = one_proportion_test(8, 20, 0.1, method="exact")
    chapter.claim("agreed", statement="more than one in ten", result=agreed, null_value=0.1, **common)
    other_level = replace(split, level=0.9)  # an interval at another level says nothing about a test at 0.05
    chapter.claim("other_level", statement="more than one in ten", result=other_level, null_value=0.1, **common)
    chapter.claim("by_interval", statement="more than one in ten", result=split, null_value=0.1,
                  judged_by="interval", **common)
    claims = pd.read_csv(tmp_path / "claims" / "99-test.csv").set_index("claim_id")
    notes = claims["note"].fillna("")
    assert "the 95% interval (0.08657 to 0.491) contains 0.1 while the test's p = 0.0432 rejects" in notes["split"]
    assert "the verdict follows the test" in notes["split"]
    assert claims.loc["split", "verdict"] == "supported"
    assert "disagree" not in notes["agreed"] and "disagree" not in notes["other_level"]
    assert "disagree" not in notes["by_interval"]  # judged by its interval: the interval is the verdict
