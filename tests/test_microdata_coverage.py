"""An analysis item nobody answered in one wave (a question dropped from one year's questionnaire)
is read as missing answers and reported; one the file leaves out, or nobody answered at all, stops
the run before any kernel starts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_chapter_on_microdata

from helpers.data.microdata import read_microdata
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata
from helpers.errors import MicrodataError

ALL_WAVES = [2016, 2017, 2018, 2019]


@pytest.fixture(scope="module")
def frame():
    return generate("widening", seed=3, n_respondents=400)


def written(frame, path, blank_waves=(), column="tech_darknet", drop=False):
    """``frame`` as a CSV export with ``column`` blank in ``blank_waves`` (``drop``: without the column)."""
    out = frame.copy()
    out.loc[out["wave"].isin(blank_waves), column] = np.nan
    write_microdata(out, path)
    if drop:  # write_microdata writes every schema column: cut this one from the text
        rows = [line.split(",") for line in path.read_text().splitlines()]
        at = rows[0].index(column)
        path.write_text("\n".join(",".join(r[:at] + r[at + 1:]) for r in rows) + "\n")
    return path


def test_a_complete_file_reports_nothing(frame, tmp_path):
    assert read_microdata(written(frame, tmp_path / "all.csv"), waves=ALL_WAVES).attrs["unanswered_in_wave"] == {}


def test_an_item_unanswered_in_one_wave_is_read_as_missing_and_reported(frame, tmp_path):
    path = written(frame, tmp_path / "dropped.csv", blank_waves=[2016])
    loaded = read_microdata(path, waves=ALL_WAVES)
    assert loaded.attrs["unanswered_in_wave"] == {"tech_darknet": [2016]}
    assert loaded.loc[loaded["wave"] == 2016, "tech_darknet"].isna().all()
    assert loaded.loc[loaded["wave"] == 2017, "tech_darknet"].notna().any()


def test_an_item_nobody_answered_in_any_needed_wave_stops(frame, tmp_path):
    path = written(frame, tmp_path / "dropped.csv", blank_waves=[2016])
    with pytest.raises(MicrodataError, match=r"(?s)dropped\.csv.*column 'tech_darknet': no respondent of wave\(s\) "
                                             r"2016 answered it"):
        read_microdata(path, waves=[2016])
    empty = written(frame, tmp_path / "empty.csv", blank_waves=ALL_WAVES)
    with pytest.raises(MicrodataError, match=r"column 'tech_darknet': no respondent of wave\(s\) 2016, 2017, 2018, "
                                             r"2019 answered it"):
        read_microdata(empty, waves=ALL_WAVES)


def test_an_item_left_out_of_the_file_stops(frame, tmp_path):
    path = written(frame, tmp_path / "short.csv", drop=True)
    with pytest.raises(MicrodataError, match=r"column 'tech_darknet' is not in the file, but the analyses use it"):
        read_microdata(path, waves=ALL_WAVES)


def test_the_runner_says_so_and_records_it(frame, tmp_path, chapters_dir):
    path = written(frame, tmp_path / "dropped.csv", blank_waves=[2016])
    result, out = run_chapter_on_microdata(tmp_path, chapters_dir, path, waves=str(ALL_WAVES))
    assert result.returncode == 0, result.stderr
    assert "dropped.csv: nobody answered tech_darknet in 2016" in result.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["input_file_checks"] == {str(path.resolve()): {"unanswered_in_wave": {"tech_darknet": [2016]}}}
