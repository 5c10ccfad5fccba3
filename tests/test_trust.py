"""Bad input never yields a wrong report: each kind stops the run with exit code 2, a message
naming the file (and where applicable the line and column), and the previous outputs untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.data.microdata import read_microdata
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata
from helpers.errors import ReportError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline.runner import ExitCode


@pytest.fixture(scope="module")
def valid_csv(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("valid") / "export.csv"
    write_microdata(generate("widening", seed=3, n_respondents=400), path)
    return path.read_bytes()


def lines_of(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines()


def join(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def set_cell(data: bytes, line: int, column: str, value: str) -> bytes:
    rows = lines_of(data)
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    return join(rows)


def previous_outputs(tmp_path: Path) -> tuple[Path, dict]:
    """An output folder from an earlier good run (a stand-in), and its exact content."""
    out = tmp_path / "outputs"
    (out / "tables").mkdir(parents=True)
    (out / "claims.csv").write_text("claim_id\nfrom_the_last_good_run\n")
    (out / "tables" / "t.csv").write_text("a,b\n1,2\n")
    return out, {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def run_on(tmp_path: Path, data: bytes, *extra: str, name: str = "export.csv", env=None):
    bad = tmp_path / name
    bad.write_bytes(data)
    out, before = previous_outputs(tmp_path)
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "0", "5", "--output-dir", str(out),
                             "-p", "microdata", str(bad), *extra], capture_output=True, text=True, timeout=120, env=env)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "the previous outputs changed"
    assert not (tmp_path / "outputs-failed").exists()
    return result


CASES = {
    "malformed CSV": (lambda d: d.replace(b"\n", b'\n"', 1), ["export.csv"]),
    "wrong delimiter": (lambda d: d.replace(b",", b";"), ["export.csv", "semicolon"]),
    "wrong encoding": (lambda d: d.replace(b"USA", "Mëxico".encode("latin-1"), 1), ["export.csv", "UTF-8"]),
    "missing column": (lambda d: join([",".join(c for i, c in enumerate(r.split(",")) if i != 2) for r in lines_of(d)]),
                       ["export.csv", "country"]),
    "extra column": (lambda d: join([r + (",x" if i else ",nickname") for i, r in enumerate(lines_of(d))]),
                     ["export.csv", "nickname"]),
    "unknown answer code": (lambda d: set_cell(d, 5, "tech_p2p", "7"), ["export.csv", "line 5", "tech_p2p"]),
    "duplicated respondent": (lambda d: join(lines_of(d) + [lines_of(d)[3]]),
                              ["export.csv", "respondent_id", "lines 4 and"]),
    "text where a number belongs": (lambda d: set_cell(d, 7, "wave", "two thousand"), ["export.csv", "line 7", "wave"]),
    "wave not in the codebook": (lambda d: set_cell(d, 9, "wave", "1999"), ["export.csv", "line 9", "wave"]),
    "empty file": (lambda d: b"", ["export.csv", "empty"]),
    "header only": (lambda d: join(lines_of(d)[:1]), ["export.csv"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_microdata_is_rejected_before_anything_runs(tmp_path, valid_csv, case):
    corrupt, words = CASES[case]
    result = run_on(tmp_path, corrupt(valid_csv))
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    for word in words:
        assert word in result.stderr, f"{case}: {word!r} not in {result.stderr!r}"
    assert "Traceback" not in result.stderr


def test_a_wave_with_no_respondents_is_rejected(tmp_path, valid_csv):
    without_2018 = join([r for r in lines_of(valid_csv) if ",2018," not in r])
    result = run_on(tmp_path, without_2018, "-p", "waves", "[2016, 2017, 2018, 2019]")
    assert result.returncode == ExitCode.BAD_INPUT
    assert "export.csv" in result.stderr and "2018" in result.stderr


def test_a_valid_export_is_accepted(tmp_path, valid_csv):
    """The control: the same command on the uncorrupted file passes validation (dry run)."""
    bad = tmp_path / "export.csv"
    bad.write_bytes(valid_csv)
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "0", "5", "--output-dir", str(tmp_path / "o"),
                             "-p", "microdata", str(bad), "--dry-run"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project's data (notebooks linked), for corrupting published figures."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    (root / "notebooks").symlink_to(PROJECT_ROOT / "notebooks")
    (root / "src").symlink_to(PROJECT_ROOT / "src")
    return root


@pytest.mark.parametrize("column, value, words", [
    ("base_n", "100", ["figures.csv", "line", "count"]),  # 513 alerts on a base of 100: a count above its base
    ("value", "-513", ["figures.csv", "line", "value"]),  # a negative count
    ("value", "many", ["figures.csv", "line", "value"]),  # text where a number belongs
])
def test_bad_published_figures_stop_the_run(tmp_path, project_copy, column, value, words):
    import csv

    figures = project_copy / "data" / "published" / "figures.csv"
    rows = list(csv.DictReader(figures.open(encoding="utf-8")))
    target = next(r for r in rows if r["question_id"] == "workplace_alerts" and r["option"] == "alerts in total")
    target[column] = value
    if column == "value":
        target["value_low"] = target["value_high"] = value
    with figures.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out, before = previous_outputs(tmp_path)
    env = {**os.environ, "HELPERS_PROJECT_ROOT": str(project_copy)}
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "6", "--output-dir", str(out)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    for word in words:
        assert word in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


CORRUPTIONS = st.sampled_from(["blank_cell", "text_cell", "number_cell", "duplicate_row", "drop_column",
                               "semicolon_line", "stray_bytes", "truncate", "swap_columns"])


def corrupt(data: bytes, how: str, draw_line: int, draw_column: int, text: str) -> bytes:
    rows = lines_of(data)
    line = 1 + draw_line % (len(rows) - 1)
    cells = rows[line].split(",")
    column = draw_column % len(cells)
    if how == "blank_cell":
        cells[column] = ""
    elif how == "text_cell":
        cells[column] = text.replace(",", " ").replace("\n", " ").replace('"', "")
    elif how == "number_cell":
        cells[column] = str(draw_line - 500)
    elif how == "duplicate_row":
        rows.append(rows[line])
    elif how == "drop_column":
        return join([",".join(c for i, c in enumerate(r.split(",")) if i != column) for r in rows])
    elif how == "semicolon_line":
        rows[line] = rows[line].replace(",", ";")
        return join(rows)
    elif how == "stray_bytes":
        cut = len(data) * (draw_line % 97) // 97
        return data[:cut] + text.encode("utf-8", "replace") + b"\xff\xfe" + data[cut:]
    elif how == "truncate":
        return data[: max(1, len(data) * (draw_line % 89) // 89)]
    elif how == "swap_columns":
        rows = [",".join(reversed(r.split(","))) if i in (0, line) else r for i, r in enumerate(rows)]
        return join(rows)
    rows[line] = ",".join(cells)
    return join(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(how=CORRUPTIONS, draw_line=st.integers(0, 10_000), draw_column=st.integers(0, 100), text=st.text(max_size=12))
def test_random_corruptions_are_rejected_clearly_or_analysed(tmp_path, valid_csv, how, draw_line, draw_column, text):
    """Property: a corrupted export either fails with a clear error naming the file, or loads and analyses."""
    from helpers.data.codebook import load_codebook
    from helpers.stats import proportion_ci
    from helpers.stats.design import survey_weights

    path = tmp_path / "corrupted.csv"
    path.write_bytes(corrupt(valid_csv, how, draw_line, draw_column, text))
    try:
        frame = read_microdata(path)
    except ReportError as error:
        assert "corrupted.csv" in str(error)
        return
    advanced = load_codebook().items_tagged("advanced")
    weights = survey_weights(frame, "region")
    assert len(weights) == len(frame) and (weights > 0).all()
    endorsed = frame[advanced].notna() & (frame[advanced] == 1)
    rate = proportion_ci(int(endorsed.to_numpy().sum()), int(frame[advanced].notna().to_numpy().sum()))
    assert 0 <= rate.low <= rate.estimate <= rate.high <= 1
