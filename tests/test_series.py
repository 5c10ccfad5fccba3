"""Series across waves and the one comparability rule."""

from __future__ import annotations

import pytest

from helpers import paths
from helpers.data.series import GRADES, comparison, load_series, series_points
from helpers.errors import InputDataError
from helpers.report import Chapter
from helpers.stats import one_proportion_test


def test_every_series_row_points_to_a_published_figure_with_a_base():
    table = load_series()
    assert set(table["comparability"]) <= set(GRADES)
    for name in table["series"].unique():
        points = series_points(name, table=table)
        assert [p.wave for p in points] == sorted(p.wave for p in points)
        assert all(p.figure.base_n for p in points)


def test_two_waves_compare_at_the_worse_grade():
    bundle = comparison("social_media_trend", 2017, 2016)
    assert (bundle.grade, bundle.testable) == ("different construct", False)
    assert "2016:" in bundle.note
    reworded = comparison("encryption_trend", 2019, 2017)
    assert (reworded.grade, reworded.testable) == ("reworded", True) and reworded.note.startswith("reworded (2019:")
    same = comparison("us_share", 2018, 2016)
    assert (same.grade, same.note) == ("same question", "")


@pytest.mark.parametrize("row, message", [
    ("us_share,2018,respondent_region,Canada,same question,x", "line 3, columns 'question_id' and 'option'"),
    ("us_share,2016,respondent_region,USA,same question,again", "('us_share', 2016) repeats line 2"),
    ("us_share,2020,respondent_region,USA,similar,x", "column 'comparability': 'similar'"),
    ("us_share,twenty,respondent_region,USA,same question,x", "line 3, column 'wave': 'twenty'"),
    ("crypto,2018,crypto_frequency,common or very common,same question,x", "has no base_n"),
])
def test_a_bad_series_row_names_the_line_and_column(tmp_path, row, message):
    path = tmp_path / "series.csv"
    header = paths.SERIES_TABLE.read_text(encoding="utf-8").splitlines()[:2]
    path.write_text("\n".join([*header, row]) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="series.csv") as err:
        load_series(path)
    assert message in str(err.value)


def test_an_unknown_series_or_wave_is_named():
    with pytest.raises(InputDataError, match="no series 'nope'"):
        series_points("nope")
    with pytest.raises(InputDataError, match="has no wave 2030"):
        comparison("us_share", 2030, 2016)


def test_a_different_construct_is_recorded_not_testable_and_a_reworded_one_is_tested(tmp_path):
    chapter = Chapter("03-technology-trends", output_dir=str(tmp_path))
    untested = chapter.wave_claim("x", statement="s", source="src", direction="greater",
                                  comparison=comparison("social_media_trend", 2017, 2016))
    assert untested.verdict == "not testable" and "different construct" in untested.note
    tested = chapter.wave_claim("y", statement="s", source="src", direction="greater",
                                comparison=comparison("cloud_trend", 2019, 2017))
    assert tested.test and "reworded" in tested.note and tested.verdict == "supported"


def test_a_one_sided_result_is_refused(tmp_path):
    chapter = Chapter("01-self-produced-material", output_dir=str(tmp_path))
    one_sided = one_proportion_test(60, 100, 0.5, method="exact", alternative="larger")
    with pytest.raises(ValueError, match="two-sided"):
        chapter.claim("z", statement="s", source="src", source_url="u", data="published", result=one_sided,
                      direction="greater", null_value=0.5)


def test_live_streaming_2017_and_2019_are_different_constructs_and_never_tested_as_a_rise():
    points = series_points("livestream_trend")
    assert [(p.wave, p.comparability) for p in points] == [(2017, "same question"), (2019, "different construct")]
    assert points[0].figure.unit == "percent_verbal" and points[1].figure.value == 56
    rise = comparison("livestream_trend", 2019, 2017)
    assert not rise.testable and "closed question" in rise.note
