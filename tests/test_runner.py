"""The runner: validation before anything runs, loud failures with distinct exit codes, provenance."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import WRITES_CLAIMS, chapter_specs, run_driver, write_notebook

from helpers.paths import PROJECT_ROOT
from helpers.pipeline.runner import ExitCode


def ok_chapter(folder, slug, *extra):
    return write_notebook(folder / f"{slug}.ipynb", f'CHAPTER = "{slug}"', WRITES_CLAIMS, *extra)


@pytest.fixture
def two_chapters(chapters_dir):
    ok_chapter(chapters_dir, "00-first")
    ok_chapter(chapters_dir, "01-second")
    return chapter_specs(chapters_dir, ["00-first", "01-second"])


def helpers_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True,
                          timeout=timeout, cwd="/")


def test_unknown_parameter_on_the_real_report_is_named():
    result = helpers_cli("run", "-p", "no_such_param", "1")
    assert result.returncode == ExitCode.BAD_INPUT
    assert "no_such_param" in result.stderr


def test_wrongly_typed_parameter_on_the_real_report_is_named():
    result = helpers_cli("run", "-p", "alpha", "not-a-number")
    assert result.returncode == ExitCode.BAD_INPUT
    assert "alpha" in result.stderr and "a number" in result.stderr


def test_out_of_range_value_is_rejected_before_anything_runs(tmp_path, two_chapters):
    result = run_driver(tmp_path, two_chapters, "run", "-p", "alpha", "1.5", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "'alpha'" in result.stderr and "between 0 and 1" in result.stderr
    assert not (tmp_path / "out").exists()


def test_chapter_without_parameters_cell_is_named(tmp_path, chapters_dir):
    write_notebook(chapters_dir / "00-bare.ipynb", "x = 1", parameters=None)
    specs = chapter_specs(chapters_dir, ["00-bare"])
    result = run_driver(tmp_path, specs, "run", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "00-bare" in result.stderr and "parameters" in result.stderr


def test_unannotated_parameter_is_rejected(tmp_path, chapters_dir):
    write_notebook(chapters_dir / "00-loose.ipynb", "x = 1", parameters='alpha = 0.05\noutput_dir: str = ""')
    result = run_driver(tmp_path, chapter_specs(chapters_dir, ["00-loose"]), "run", "--output-dir", str(tmp_path / "o"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "'alpha'" in result.stderr and "type annotation" in result.stderr


def test_parameters_file_with_wrong_type_is_rejected(tmp_path, two_chapters):
    params = tmp_path / "params.yaml"
    params.write_text("alpha: [0.1, 0.2]\n")
    result = run_driver(tmp_path, two_chapters, "run", "-f", str(params), "--output-dir", str(tmp_path / "out"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "'alpha'" in result.stderr


@pytest.mark.report
def test_parameter_given_goes_to_every_chapter_that_declares_it(tmp_path, two_chapters):
    out = tmp_path / "out"
    result = run_driver(tmp_path, two_chapters, "run", "-p", "alpha", "0.01", "--output-dir", str(out), "-j", "1")
    assert result.returncode == ExitCode.OK, result.stderr
    for slug in ("00-first", "01-second"):
        assert (out / "claims" / f"{slug}.csv").read_text().strip().endswith(",0.01")
    record = json.loads((out / "run.json").read_text())
    assert record["chapters"]["00-first"]["parameters"]["alpha"] == 0.01


@pytest.mark.report
def test_success_writes_layout_provenance_and_exports(tmp_path, two_chapters):
    out = tmp_path / "out"
    result = run_driver(tmp_path, two_chapters, "run", "--output-dir", str(out), "-j", "2")
    assert result.returncode == ExitCode.OK, result.stderr
    assert "[2/2]" in result.stderr and "chapter" in result.stdout  # progress, then the summary table
    assert "running over TCP without encryption" not in result.stderr  # IPC kernels, quiet log
    for slug in ("00-first", "01-second"):
        assert (out / "notebooks" / f"{slug}.ipynb").exists()
        assert (out / "html" / f"{slug}.html").exists()
        reader = (out / "html" / "reader" / f"{slug}.html").read_text()
        assert "WRITES_CLAIMS" not in reader and "folder.mkdir" not in reader  # code hidden for readers
    assert "00-first.html" in (out / "html" / "index.html").read_text()
    record = json.loads((out / "run.json").read_text())
    assert len(record["git"]["commit"]) == 40
    assert {"pandas", "papermill", "statsmodels"} <= set(record["packages"])
    assert all(len(digest) == 64 for digest in record["input_files"].values())
    assert any(name.startswith("data/") for name in record["input_files"])
    chapters = record["chapters"]
    assert chapters["00-first"]["status"] == "ok" and chapters["00-first"]["duration"] > 0
    assert chapters["00-first"]["parameters"] == {"alpha": 0.05, "output_dir": str(out)}


@pytest.mark.report
def test_failing_cell_is_loud_and_keeps_outputs(tmp_path, chapters_dir, two_chapters):
    out = tmp_path / "out"
    assert run_driver(tmp_path, two_chapters, "run", "--output-dir", str(out), "-j", "1").returncode == 0
    good_claims = (out / "claims" / "01-second.csv").read_text()
    ok_chapter(chapters_dir, "01-second", "raise ZeroDivisionError('deliberate failure')")
    result = run_driver(tmp_path, two_chapters, "run", "--output-dir", str(out), "-j", "1", "--force")
    assert result.returncode == ExitCode.CELL_ERROR
    assert "FAILED 01-second" in result.stderr
    assert "ZeroDivisionError" in result.stderr and "deliberate failure" in result.stderr
    assert "raise ZeroDivisionError" in result.stderr  # the cell is shown
    assert "Traceback" in result.stderr
    failed = tmp_path / "out-failed"
    assert (failed / "notebooks" / "01-second.ipynb").exists()  # the partial notebook, kept to open
    assert (failed / "notebooks" / "00-first.ipynb").exists()  # the other chapter's finished output
    assert (out / "claims" / "01-second.csv").read_text() == good_claims  # last good outputs intact


@pytest.mark.report
@pytest.mark.parametrize(
    "cell, code, words",
    [
        ("import time\ntime.sleep(60)", ExitCode.TIMEOUT, "timed out"),
        ("import os\nos._exit(1)", ExitCode.DEAD_KERNEL, "kernel died"),
        ("from helpers.errors import MicrodataError\n"
         "raise MicrodataError('x.csv, line 3, column wave: 1999 is not a wave')",
         ExitCode.BAD_INPUT, "rejected its input"),
    ],
    ids=["timeout", "dead-kernel", "input-error"],
)
def test_failure_kinds_have_distinct_exit_codes(tmp_path, chapters_dir, cell, code, words):
    write_notebook(chapters_dir / "00-bad.ipynb", cell)
    result = run_driver(tmp_path, chapter_specs(chapters_dir, ["00-bad"]), "run", "--output-dir",
                        str(tmp_path / "out"), "--cell-timeout", "3", "-j", "1")
    assert result.returncode == code, result.stderr
    assert words in result.stderr and "00-bad" in result.stderr
    assert not (tmp_path / "out").exists()


def test_list_shows_parameters_with_types_defaults_and_help(tmp_path, two_chapters):
    result = run_driver(tmp_path, two_chapters, "list")
    assert result.returncode == 0
    assert "alpha: float = 0.05  # significance level" in result.stdout
    assert "00-first" in result.stdout and "01-second" in result.stdout


def test_list_on_the_real_report_names_every_chapter():
    from helpers.chapters import CHAPTERS

    result = helpers_cli("list")
    assert result.returncode == 0, result.stderr
    for spec in CHAPTERS:
        assert spec.slug in result.stdout
    assert "output_dir: str" in result.stdout


def test_unknown_chapter_is_an_error(tmp_path, two_chapters):
    result = run_driver(tmp_path, two_chapters, "run", "42", "--output-dir", str(tmp_path / "o"))
    assert result.returncode == ExitCode.BAD_INPUT and "unknown chapter '42'" in result.stderr


def test_committed_notebooks_are_clean_and_declare_output_dir():
    import nbformat

    from helpers.chapters import CHAPTERS
    from helpers.parameters import notebook_parameters

    for spec in CHAPTERS:
        nb = nbformat.read(str(spec.notebook), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{spec.slug} has outputs"
        assert "output_dir" in notebook_parameters(spec.notebook), spec.slug
        assert spec.notebook.parent == PROJECT_ROOT / "notebooks"
