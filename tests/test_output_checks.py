"""The runner trusts only outputs it built: checksums in run.json, checked before reuse (throwaway chapters).

Also: where a hand run writes, the register coming along with any subset of chapters, one progress
count, the start-at line only for a current index, and 'did you mean' for a mistyped parameter.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import WRITES_CLAIMS, chapter_specs, run_driver, write_notebook

from helpers.pipeline.runner import ExitCode

pytestmark = pytest.mark.report  # runs chapters through the runner

REGISTER = """
from pathlib import Path
rows = sorted(p.read_text() for p in (Path(output_dir) / 'claims').glob('*.csv'))
(Path(output_dir) / 'claims.csv').write_text(''.join(rows))
"""


def chapter(folder, slug, *extra):
    return write_notebook(folder / f"{slug}.ipynb", f'CHAPTER = "{slug}"', WRITES_CLAIMS, *extra)


@pytest.fixture(scope="module")
def built_project(tmp_path_factory):
    """Three throwaway chapters built once per module, and a pristine copy of the whole folder."""
    base = tmp_path_factory.mktemp("output-checks")
    work = base / "project"
    chapters_dir = work / "nb"
    chapters_dir.mkdir(parents=True)
    chapter(chapters_dir, "00-one")
    chapter(chapters_dir, "01-two")
    write_notebook(chapters_dir / "08-register.ipynb", REGISTER)
    specs = chapter_specs(chapters_dir, ["00-one", "01-two"], register="08-register")
    first = run_driver(work, specs, "run", "--output-dir", str(work / "out"), "-j", "1", "--no-export")
    assert first.returncode == 0, first.stderr
    pristine = base / "pristine"
    shutil.copytree(work, pristine, symlinks=True)
    return work, pristine, specs


@pytest.fixture
def project(built_project):
    """The built chapters as the first run left them, back at the same path (every path in run.json
    still points at them), so a test may change notebooks and outputs."""
    work, pristine, specs = built_project
    shutil.rmtree(work)
    shutil.copytree(pristine, work, symlinks=True)
    return work, specs, work / "out"


def runner(project, *args):
    tmp_path, specs, out = project
    return run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", "1", "--no-export", *args)


def executed(result) -> set[str]:
    """The chapters a run executed, from its progress lines."""
    return set(re.findall(r"\[\d+/\d+\] (\S+): ok in", result.stderr))


def test_every_output_is_checksummed(project):
    _, _, out = project
    record = json.loads((out / "run.json").read_text())["chapters"]
    assert set(record["00-one"]["outputs"]) == {"claims/00-one.csv", "notebooks/00-one.ipynb"}
    assert set(record["08-register"]["outputs"]) == {"claims.csv", "notebooks/08-register.ipynb"}
    from helpers.pipeline.cache import PRESENT

    assert len(record["01-two"]["outputs"]["claims/01-two.csv"]) == 64  # a sha256
    assert record["01-two"]["outputs"]["notebooks/01-two.ipynb"] == PRESENT  # differs between identical runs


@pytest.mark.parametrize("tamper, reason", [
    (lambda out: (out / "claims" / "01-two.csv").write_text("claim_id,alpha\n01-two,0.01\n"),
     "output claims/01-two.csv changed since it was built"),
    (lambda out: (out / "notebooks" / "01-two.ipynb").unlink(), "output notebooks/01-two.ipynb is missing"),
    (lambda out: (out / "tables" / "01-two").mkdir(parents=True) or (out / "tables" / "01-two" / "t.csv").write_text(
        "a\n1\n"), "output tables/01-two/t.csv was not built by the runner"),
])
def test_a_changed_output_makes_its_chapter_stale(project, tamper, reason):
    _, _, out = project
    claims_before = (out / "claims.csv").read_bytes()
    tamper(out)
    dry = runner(project, "--dry-run")
    assert f"01-two: would run: {reason}" in dry.stdout, dry.stdout
    assert "00-one: up to date" in dry.stdout
    result = runner(project)
    assert result.returncode == ExitCode.OK, result.stderr
    assert executed(result) == {"01-two"}
    assert (out / "claims.csv").read_bytes() == claims_before
    assert "would run" not in runner(project, "--dry-run").stdout


def test_a_changed_register_is_rebuilt(project):
    _, _, out = project
    before = (out / "claims.csv").read_bytes()
    (out / "claims.csv").write_text("claim_id\n")
    dry = runner(project, "--dry-run")
    assert "08-register: would run: output claims.csv changed since it was built" in dry.stdout
    assert runner(project).returncode == ExitCode.OK
    assert (out / "claims.csv").read_bytes() == before


def test_a_subset_brings_the_register_and_counts_it(project):
    _, _, out = project
    result = runner(project, "0", "-p", "alpha", "0.01")
    assert result.returncode == ExitCode.OK, result.stderr
    assert executed(result) == {"00-one", "08-register"}
    assert "01-two,0.05" in (out / "claims.csv").read_text() and "00-one,0.01" in (out / "claims.csv").read_text()
    assert "Running 2 of 2 chapters" in result.stderr
    assert re.findall(r"\[(\d+/\d+)\]", result.stderr) == ["1/2", "2/2"]


def test_the_register_counted_and_reused_when_no_claim_changed(project):
    tmp_path, specs, out = project
    chapter(tmp_path / "nb", "01-two", "y = 2")  # a code change that leaves the claims as they were
    result = runner(project)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "Running 2 of 3 chapters" in result.stderr
    assert "[1/2] 01-two: ok" in result.stderr
    assert "[2/2] 08-register: up to date, reused (no claim changed)" in result.stderr
    assert executed(result) == {"01-two"}


def test_a_chosen_chapter_does_not_hide_another_changed_one(project):
    _, _, out = project
    (out / "claims" / "01-two.csv").write_text("claim_id,alpha\nforged,0.5\n")
    dry = runner(project, "0", "--dry-run")
    assert ("01-two: would run: output claims/01-two.csv changed since it was built; not chosen, but re-run: "
            "the register gathers its claims") in dry.stdout, dry.stdout
    result = runner(project, "0")
    assert result.returncode == ExitCode.OK, result.stderr
    assert executed(result) == {"01-two"}  # 00-one is up to date; the register's claims are as they were
    assert "forged" not in (out / "claims.csv").read_text()


def test_start_at_only_when_the_index_is_current(project):
    tmp_path, specs, out = project
    result = run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", "1")  # export now
    assert result.returncode == ExitCode.OK, result.stderr
    assert f"start at {out / 'html' / 'index.html'}" in result.stderr
    record = json.loads((out / "run.json").read_text())
    assert set(record["outputs"]) == {"html/index.html"}
    assert "html/reader/00-one.html" in record["chapters"]["00-one"]["outputs"]

    (out / "html" / "index.html").write_text("<p>edited</p>")
    dry = run_driver(tmp_path, specs, "run", "--output-dir", str(out), "--dry-run")
    assert "html/index.html: would be rebuilt: html/index.html changed since it was built" in dry.stdout
    assert "start at" in run_driver(tmp_path, specs, "run", "--output-dir", str(out)).stderr
    assert "edited" not in (out / "html" / "index.html").read_text()

    result = runner(project, "--force")  # --no-export: the old index would disagree with this run
    assert result.returncode == ExitCode.OK, result.stderr
    assert "start at" not in result.stderr.lower() and "No HTML was exported" in result.stderr
    assert not (out / "html" / "index.html").exists()


def test_a_chapter_that_cannot_be_told_where_to_write_is_refused(tmp_path, chapters_dir):
    write_notebook(chapters_dir / "00-a.ipynb", "x = 1", parameters="alpha: float = 0.05  # level")
    result = run_driver(tmp_path, chapter_specs(chapters_dir, ["00-a"]), "run", "--output-dir", str(tmp_path / "o"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "00-a" in result.stderr and "output_dir" in result.stderr


def test_a_hand_run_writes_to_the_interactive_folder(tmp_path, monkeypatch):
    from helpers import paths
    from helpers.report import Chapter

    monkeypatch.setattr(paths, "INTERACTIVE_OUTPUT_DIR", tmp_path / "outputs" / "interactive")
    hand = Chapter("01-self-produced-material")
    assert hand.layout.root == tmp_path / "outputs" / "interactive" and hand.layout.is_interactive()
    assert Chapter("01-self-produced-material", output_dir=str(tmp_path / "r")).layout.root == tmp_path / "r"


@pytest.mark.parametrize("typo, suggestion", [("alhpa", "alpha"), ("seeed", "seed"), ("min_cell", "min_cell_count")])
def test_a_mistyped_parameter_gets_did_you_mean(typo, suggestion):
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "-p", typo, "1", "--dry-run"],
                            capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == ExitCode.BAD_INPUT
    assert f"did you mean {suggestion!r}?" in result.stderr, result.stderr


def test_a_parameter_of_a_chapter_not_chosen_names_that_chapter():
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "1", "-p", "seed", "7", "--dry-run"],
                            capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == ExitCode.BAD_INPUT
    assert "05-offender-groups" in result.stderr, result.stderr
