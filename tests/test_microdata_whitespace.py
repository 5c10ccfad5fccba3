"""Spaces around a value in user microdata ('Europe ') are trimmed explicitly: counted per column,
printed by the runner and recorded in run.json, never dropped silently."""

from __future__ import annotations

import json

import pytest
from conftest import run_chapter_on_microdata

from helpers.data.microdata import load_microdata, read_microdata
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "export.csv"
    write_microdata(generate("widening", seed=3, n_respondents=300), path)
    return path


def pad(source, target, column: str, lines: list[int], text=lambda v: v + " "):
    rows = source.read_text().splitlines()
    header = rows[0].split(",")
    for line in lines:
        cells = rows[line - 1].split(",")
        cells[header.index(column)] = text(cells[header.index(column)])
        rows[line - 1] = ",".join(cells)
    target.write_text("\n".join(rows) + "\n")
    return target


def test_a_clean_file_trims_nothing(clean_csv):
    assert read_microdata(clean_csv).attrs["whitespace_trimmed"] == {}


def test_padded_labels_are_trimmed_and_counted(clean_csv, tmp_path):
    padded = pad(clean_csv, tmp_path / "padded.csv", "region", [2, 3, 10], text=lambda v: f" {v}  ")
    frame = read_microdata(padded)
    assert frame.attrs["whitespace_trimmed"] == {"region": 3}
    assert frame["region"].equals(read_microdata(clean_csv)["region"])  # same values once trimmed
    assert load_microdata(padded).attrs["whitespace_trimmed"] == {"region": 3}  # what a chapter sees


def test_padded_answer_labels_and_column_names_are_counted(clean_csv, tmp_path):
    padded = pad(clean_csv, tmp_path / "padded.csv", "tech_p2p", [4, 5], text=lambda v: v + "\t")
    rows = padded.read_text().splitlines()
    rows[0] = rows[0].replace("country", " country")
    padded.write_text("\n".join(rows) + "\n")
    assert read_microdata(padded).attrs["whitespace_trimmed"] == {"(column names)": 1, "tech_p2p": 2}


def test_a_padded_value_is_still_checked(clean_csv, tmp_path):
    from helpers.errors import MicrodataError

    bad = pad(clean_csv, tmp_path / "bad.csv", "region", [6], text=lambda v: "Atlantis ")
    with pytest.raises(MicrodataError, match=r"(?s)bad\.csv.*line 6, column .region."):
        read_microdata(bad)


def test_the_runner_says_so_and_records_it(clean_csv, tmp_path, chapters_dir):
    padded = pad(clean_csv, tmp_path / "padded.csv", "region", [2, 3])
    result, out = run_chapter_on_microdata(tmp_path, chapters_dir, padded)
    assert result.returncode == 0, result.stderr
    assert "padded.csv: spaces around 2 value(s) trimmed (region: 2)" in result.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["input_file_checks"] == {str(padded.resolve()): {"whitespace_trimmed": {"region": 2}}}
