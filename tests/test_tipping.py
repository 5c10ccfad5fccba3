"""The tipping base: constructed cases whose answer is known, found independently by scipy."""

import math

import pandas as pd
import pytest
from scipy.stats import binomtest

from helpers.report import Chapter
from helpers.report.claims import gather_register, verdict_counts
from helpers.report.tipping import scaled_call, smallest_holding, tipping_note
from helpers.stats.bands import Band, across_band
from helpers.stats.proportions import one_proportion_test


def half_up(x: float) -> int:
    return math.floor(x + 0.5)


def holding_bases(share_count: int, base: int, threshold: float) -> list[bool]:
    """Whether the exact test of the share against 1/2 is below ``threshold`` at each base 1..base (scipy)."""
    return [binomtest(half_up(share_count * n / base), n, 0.5).pvalue < threshold for n in range(1, base + 1)]


def check_boundary(found: int, share_count: int, base: int, threshold: float) -> None:
    """The bisection's base holds and the one below does not, inside the zone where rounding makes p step."""
    holding = holding_bases(share_count, base, threshold)
    assert holding[found - 1] and not holding[found - 2]
    first_holding = holding.index(True) + 1
    last_failing = max(n for n in range(1, base + 1) if not holding[n - 1])
    assert first_holding <= found <= last_failing + 1
    assert last_failing + 1 - first_holding < 0.1 * base  # the zone is narrow


def record(tmp_path, claims):
    chapter = Chapter("99-tipping", output_dir=str(tmp_path), alpha=0.05)
    for claim_id, count, base in claims:
        result = across_band(one_proportion_test, count=Band(count, count), nobs=base, null=0.5, method="exact")
        chapter.claim(claim_id, statement="a majority", source="constructed", source_url="https://example.org",
                      data="published", result=result, direction="greater", null_value=0.5)
    return gather_register(chapter.layout, alpha=0.05).set_index("claim_id")


def test_alone_the_tipping_base_is_the_smallest_base_where_the_exact_test_rejects(tmp_path):
    register = record(tmp_path, [("sixty_percent", 240, 400)])
    found = round(register.loc["sixty_percent", "tipping_base"] * 400)
    check_boundary(found, 240, 400, 0.05)
    assert f"n = {found} of 400" in register.loc["sixty_percent", "tipping_note"]


def test_under_bh_the_other_claims_are_held_and_a_null_neighbour_halves_the_threshold(tmp_path):
    # m = 2 and the other claim's p is 1: this claim's adjusted p is 2p, so it holds where p < alpha / 2
    register = record(tmp_path, [("sixty_percent", 240, 400), ("exactly_half", 200, 400)])
    found = round(register.loc["sixty_percent", "tipping_base"] * 400)
    check_boundary(found, 240, 400, 0.025)
    alone = record(tmp_path / "alone", [("sixty_percent", 240, 400)])
    assert found > round(alone.loc["sixty_percent", "tipping_base"] * 400)
    assert register.loc["exactly_half", "verdict"] == "not supported"
    assert register.loc["exactly_half", "tipping_base"] == pytest.approx(1 / 400)  # holds at every base


def test_a_verdict_that_flips_just_below_the_full_base_is_marked_fragile(tmp_path):
    base = 400
    count = next(c for c in range(200, 260) if binomtest(c, base, 0.5).pvalue < 0.05)  # barely significant
    register = record(tmp_path, [("barely", count, base)])
    assert register.loc["barely", "verdict"] == "supported"
    assert register.loc["barely", "tipping_base"] > 0.9
    assert register.loc["barely", "tipping_note"].startswith("fragile")


def test_untestable_and_microdata_claims_get_no_tipping_base(tmp_path):
    chapter = Chapter("99-tipping", output_dir=str(tmp_path), alpha=0.05)
    chapter.untestable("groups", statement="two groups", source="constructed", source_url="https://example.org",
                       data="published", why="no microdata.", would_need="respondent-level answers.")
    result = one_proportion_test(70, 100, null=0.5, method="exact")
    chapter.claim("demo", statement="a majority", source="constructed", source_url="https://example.org",
                  data="synthetic", result=result, direction="greater", null_value=0.5,
                  data_source="synthetic data (scenario widening, seed 1)")
    register = gather_register(chapter.layout, alpha=0.05).set_index("claim_id")
    assert register["tipping_base"].isna().all()
    assert register.loc["demo", "section"] == "demonstration"
    assert register.loc["groups", "section"] == "finding"
    assert register.loc["demo", "data_source"] == "synthetic data (scenario widening, seed 1)"
    counts = verdict_counts(register.reset_index())
    assert counts.iloc[-1]["total"] == 1  # the demonstration is not counted
    assert counts.iloc[-1]["not testable"] == 1


def test_bisection_finds_the_step_of_a_step_function():
    assert smallest_holding(lambda n: n >= 137, 450) == 137
    assert smallest_holding(lambda n: True, 450) == 1
    assert smallest_holding(lambda n: False, 450) is None
    calls = []
    smallest_holding(lambda n: calls.append(n) or n >= 300, 450)
    assert len(calls) <= 12  # bisection, not a scan


def test_scaling_keeps_each_share_and_the_overlap_within_its_frechet_bounds():
    call = {"count1": 245, "count2": 90, "nobs": 272, "overlap": 63, "level": 0.95}
    half = scaled_call(call, 136, 272)
    assert (half["count1"], half["count2"], half["nobs"], half["level"]) == (123, 45, 136, 0.95)
    assert max(0, 123 + 45 - 136) <= half["overlap"] <= 45
    two = scaled_call({"count1": 48, "nobs1": 435, "count2": 90, "nobs2": 450}, 225, 450)
    assert (two["nobs1"], two["nobs2"], two["count1"], two["count2"]) == (218, 225, 24, 45)


def test_the_note_says_how_far_the_verdict_holds():
    assert tipping_note("supported", 158, 450) == "supported: holds down to 35 % answering (n = 158 of 450)"
    assert tipping_note("supported", 430, 450).startswith("fragile: supported only down to 96 %")
    assert "every base" in tipping_note("not supported", 1, 450)


def test_claim_kinds_are_checked_and_written(tmp_path):
    chapter = Chapter("99-tipping", output_dir=str(tmp_path), alpha=0.05)
    result = one_proportion_test(70, 100, null=0.5, method="exact")
    common = dict(statement="s", source="constructed", source_url="https://example.org", data="published",
                  result=result, direction="greater", null_value=0.5)
    chapter.claim("a", **common)
    chapter.claim("b", **common, kind="contrast built here")
    with pytest.raises(ValueError, match="kind must be one of"):
        chapter.claim("c", **common, kind="contrast")
    written = pd.read_csv(tmp_path / "claims" / "99-tipping.csv")
    assert written["claim_kind"].tolist() == ["report claim", "contrast built here"]


def test_a_claims_file_with_an_unknown_kind_stops_the_register(tmp_path):
    chapter = Chapter("99-tipping", output_dir=str(tmp_path), alpha=0.05)
    chapter.untestable("groups", statement="two groups", source="constructed", source_url="https://example.org",
                       data="published", why="no microdata.", would_need="respondent-level answers.")
    path = tmp_path / "claims" / "99-tipping.csv"
    path.write_text(path.read_text().replace("report claim", "a hunch"))
    with pytest.raises(ValueError, match="claim_kind must be one of.*'a hunch' \\(groups\\)"):
        gather_register(chapter.layout, alpha=0.05)


def test_a_test_of_the_same_figures_counts_once_in_bh_and_same_numbers_of_other_figures_do_not(tmp_path):
    from helpers.data.published import figure
    from helpers.report import evidence

    chapter = Chapter("99-tipping", output_dir=str(tmp_path), alpha=0.05)
    common = dict(source="constructed", source_url="https://example.org", data="published", direction="greater",
                  null_value=0.5)
    p2p = figure("distribution_methods", "P2P/file sharing", 2016)
    capacity, future = figure("covid_capacity", "affected", 2020), figure("covid_future_consequences", "yes", 2020)
    assert (capacity.value_low, capacity.value_high) == (future.value_low, future.value_high)
    chapter.claim("p2p_report", statement="s", result=evidence.share_against(p2p, 0.5), **common)
    chapter.claim("p2p_foreword", statement="s", result=evidence.share_against(p2p, 0.5), **common)
    chapter.claim("capacity", statement="s", result=evidence.share_against(capacity, 0.5), **common)
    chapter.claim("future", statement="s", result=evidence.share_against(future, 0.5), **common)
    register = gather_register(chapter.layout, alpha=0.05).set_index("claim_id")
    # three distinct tests: BH multiplies the smallest p by 3, not 4
    assert register.loc["p2p_report", "p_adjusted"] == pytest.approx(3 * register.loc["p2p_report", "p_value"])
    assert register.loc["p2p_foreword", "p_adjusted"] == register.loc["p2p_report", "p_adjusted"]
    assert "the same test of the same figures as p2p_report" in register.loc["p2p_foreword", "note"]
    assert "counted once" not in register.loc["future", "note"]
