"""The runner learns which parameters are input files from their declared type, not their name."""

from __future__ import annotations

import json

import pytest
from conftest import chapter_specs, run_driver, write_notebook

from helpers.parameters import ParameterSpec, resolve_parameters
from helpers.pipeline.parameters import input_files

PARAMETERS = ('from helpers.data import MicrodataFile\n\n'
              'alpha: float = 0.05  # significance level\n'
              'answers: MicrodataFile = "synthetic"  # respondent-level data\n'
              'output_dir: str = ""  # where outputs go')


def test_input_files_come_from_the_declared_type(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("x\n")
    declared = {"a": {"answers": ParameterSpec("answers", "MicrodataFile", "synthetic", ""),
                      "label": ParameterSpec("label", "str", str(export), "")}}
    resolved = resolve_parameters(declared, {"answers": str(export)})
    assert input_files(declared, resolved) == {str(export.resolve()): "MicrodataFile"}
    assert input_files(declared, resolve_parameters(declared, {})) == {}


def test_a_bad_file_under_any_parameter_name_stops_the_run_and_names_it(tmp_path, chapters_dir):
    write_notebook(chapters_dir / "00-a.ipynb", "print(answers)", parameters=PARAMETERS)
    specs = chapter_specs(chapters_dir, ["00-a"])
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id;wave\nS1;2016\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_driver(tmp_path, specs, "run", "-p", "answers", str(bad), "--output-dir", str(out))
    assert done.returncode == 2, done.stderr
    assert "bad.csv" in done.stderr and "semicolon" in done.stderr
    assert not (out / "run.json").exists()
    missing = run_driver(tmp_path, specs, "run", "-p", "answers", str(tmp_path / "nope.csv"), "--output-dir", str(out))
    assert missing.returncode == 2 and "'answers'" in missing.stderr and "nope.csv" in missing.stderr


@pytest.mark.report
def test_a_good_file_is_hashed_into_the_run_record(tmp_path, chapters_dir):
    from helpers.data.synthetic import generate
    from helpers.data.writing import write_microdata

    write_notebook(chapters_dir / "00-a.ipynb", "print(answers)", parameters=PARAMETERS)
    specs = chapter_specs(chapters_dir, ["00-a"])
    export = write_microdata(generate("stable", 3, n_respondents=200), tmp_path / "export.csv")
    out = tmp_path / "out"
    done = run_driver(tmp_path, specs, "run", "-p", "answers", str(export), "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "run.json").read_text())
    assert str(export.resolve()) in json.dumps(record)
