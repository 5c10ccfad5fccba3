"""Replayed on the real report: hand runs and partial runs never leave a wrong report.

Each test starts from the same clean report (built once, with ``python -m helpers run``, which
is what ``make report`` runs) and must end with ``claims.csv``, every chapter's claims file and
the index's claim list byte for byte equal to it. The project is a throwaway copy
(``HELPERS_PROJECT_ROOT``: data copied, notebooks and sources linked), so nothing here touches
the repository's own ``outputs/``; every command runs from a folder outside the repository,
plain papermill from the venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT, OutputLayout
from helpers.report.reader import by_section, read_claims

pytestmark = [pytest.mark.report, pytest.mark.slow]

PAPERMILL = Path(sys.executable).parent / "papermill"
REPORT_TIMEOUT = 900


class Project:
    def __init__(self, root: Path, work: Path):
        self.root, self.work = root, work
        self.outputs = root / "outputs"
        self.interactive = self.outputs / "interactive"
        self.env = {k: v for k, v in os.environ.items() if k != "HELPERS_RUN"}
        self.env["HELPERS_PROJECT_ROOT"] = str(root)

    def helpers(self, *args: str) -> subprocess.CompletedProcess:
        """``.venv/bin/python -m helpers ...`` (``make report`` is ``run`` without arguments)."""
        return subprocess.run([sys.executable, "-m", "helpers", *args], cwd=self.work, env=self.env,
                              capture_output=True, text=True, timeout=REPORT_TIMEOUT)

    def papermill(self, chapter: str, *parameters: str) -> subprocess.CompletedProcess:
        """A hand run: the plain papermill command, from a folder outside the repository."""
        return subprocess.run([str(PAPERMILL), str(self.root / "notebooks" / f"{chapter}.ipynb"), "out.ipynb",
                               *parameters], cwd=self.work, env=self.env, capture_output=True, text=True,
                              timeout=REPORT_TIMEOUT)


def snapshot(outputs: Path) -> dict[str, bytes]:
    """What a reader trusts: the register, each chapter's claims, and the index's claim list."""
    files = {"claims.csv": (outputs / "claims.csv").read_bytes()}
    for path in sorted((outputs / "claims").glob("*.csv")):
        files[f"claims/{path.name}"] = path.read_bytes()
    index = (outputs / "html" / "index.html").read_text(encoding="utf-8")
    files["index claims"] = index.split("<h2>Claims register</h2>", 1)[1].encode("utf-8")
    return files


def index_claim_ids(outputs: Path) -> list[str]:
    index = (outputs / "html" / "index.html").read_text(encoding="utf-8")
    table = index.split("<h2>Claims register</h2>", 1)[1]
    return [cell.replace("<wbr>", "") for cell in re.findall(r'<td class="nc-id">(.*?)</td>', table)]


def register_order(outputs: Path) -> list[str]:
    """The register's claim ids in the order the index lists them: findings, then demonstrations."""
    sections = by_section(read_claims(OutputLayout(outputs)))
    return [claim.get("claim_id") for rows in sections.values() for claim in rows]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "interactive" not in p.relative_to(folder).parts}


@pytest.fixture(scope="module")
def clean(tmp_path_factory, default_report):
    """A project copy holding the clean default report; returns (project, its outputs as built)."""
    base = tmp_path_factory.mktemp("hand-runs")
    root = base / "project"
    root.mkdir()
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    (root / "notebooks").symlink_to(PROJECT_ROOT / "notebooks")
    (root / "src").symlink_to(PROJECT_ROOT / "src")
    work = base / "elsewhere"
    work.mkdir()
    project = Project(root, work)
    shutil.copytree(default_report, project.outputs, symlinks=True)
    result = project.helpers("run", "--dry-run")  # the copy is the project's own report: nothing would run
    assert result.returncode == 0 and "would run" not in result.stdout, result.stdout + result.stderr
    built = base / "clean-outputs"
    shutil.copytree(project.outputs, built)
    return project, built


@pytest.fixture
def project(clean):
    """The project with its outputs as the clean report left them."""
    project, built = clean
    shutil.rmtree(project.outputs)
    shutil.copytree(built, project.outputs)
    for name in ("out.ipynb", "bad_wave.csv"):
        (project.work / name).unlink(missing_ok=True)
    return project, built


def assert_report_is_clean(project: Project, built: Path) -> None:
    assert snapshot(project.outputs) == snapshot(built)
    assert index_claim_ids(project.outputs) == register_order(project.outputs)


def bad_wave_file(project: Project) -> Path:
    """Valid synthetic microdata but for one respondent in a wave the codebook does not know."""
    path = project.work / "bad_wave.csv"
    result = project.helpers("synth", "--seed", "7", "--out", str(path))
    assert result.returncode == 0, result.stderr
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("wave")] = "1999"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_failed_hand_run_leaves_the_report_alone(project):
    project, built = project
    bad = bad_wave_file(project)

    # The new user's command: a hand run of chapter 05 on a bad file. It fails ...
    hand = project.papermill("05-offender-groups", "-p", "microdata", bad.name)
    assert hand.returncode != 0
    assert "MicrodataError" in hand.stderr + hand.stdout
    # ... having written its first claims under outputs/interactive/, not into the report.
    assert (project.interactive / "claims" / "05-offender-groups.csv").exists()
    assert tree(project.outputs) == tree(built)

    report = project.helpers("run")  # make report
    assert report.returncode == 0, report.stderr
    assert "Nothing to do" in report.stderr and "Start at" in report.stderr
    assert_report_is_clean(project, built)

    # The same hand run pointed at the runner's folder on purpose: the runner notices and rebuilds.
    hand = project.papermill("05-offender-groups", "-p", "microdata", bad.name, "-p", "output_dir",
                             str(project.outputs))
    assert hand.returncode != 0
    assert snapshot(project.outputs) != snapshot(built)  # it did cut the chapter's claims
    dry = project.helpers("run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "05-offender-groups: would run: output claims/05-offender-groups.csv changed since it was built" \
        in dry.stdout, dry.stdout
    report = project.helpers("run")
    assert report.returncode == 0, report.stderr
    assert re.search(r"05-offender-groups\s+ok\s", report.stdout), report.stdout
    assert "(reused)" not in report.stdout.split("05-offender-groups", 1)[1].splitlines()[0]
    assert "start at" in report.stderr
    assert_report_is_clean(project, built)
    figures = project.outputs / "figures" / "05-offender-groups"
    assert sorted(p.name for p in figures.iterdir()) == sorted(p.name for p in (built / figures.relative_to(
        project.outputs)).iterdir())


def test_a_successful_hand_run_leaves_the_report_alone(project):
    project, built = project
    hand = project.papermill("01-self-produced-material", "-p", "alpha", "0.01")
    assert hand.returncode == 0, hand.stderr
    assert set(pd.read_csv(project.interactive / "claims" / "01-self-produced-material.csv")["alpha"]) == {0.01}
    assert tree(project.outputs) == tree(built)
    dry = project.helpers("run", "--dry-run")
    assert "would run" not in dry.stdout, dry.stdout

    # On purpose into the runner's folder: the dry run now says why chapter 01 is stale.
    hand = project.papermill("01-self-produced-material", "-p", "alpha", "0.01", "-p", "output_dir",
                             str(project.outputs))
    assert hand.returncode == 0, hand.stderr
    dry = project.helpers("run", "--dry-run")
    assert "01-self-produced-material: would run: output claims/01-self-produced-material.csv changed since " \
           "it was built" in dry.stdout, dry.stdout
    assert "10-claims-register: would run" in dry.stdout
    report = project.helpers("run")
    assert report.returncode == 0, report.stderr
    assert_report_is_clean(project, built)
    assert "would run" not in project.helpers("run", "--dry-run").stdout


def test_a_partial_run_leaves_the_register_current(project):
    project, built = project
    # another significance level for one chapter: the register must follow
    result = project.helpers("run", "03", "-p", "alpha", "0.01")
    assert result.returncode == 0, result.stderr
    running = re.search(r"Running (\d+) of (\d+) chapters", result.stderr)
    counts = re.findall(r"\[(\d+)/(\d+)\]", result.stderr)
    assert running and counts, result.stderr
    assert {int(total) for _, total in counts} == {int(running.group(1))}
    assert [int(i) for i, _ in counts] == list(range(1, int(running.group(1)) + 1))
    assert "10-claims-register" in result.stdout and "start at" in result.stderr

    chapter = pd.read_csv(project.outputs / "claims" / "03-technology-trends.csv")
    register = pd.read_csv(project.outputs / "claims.csv")
    assert not chapter.equals(pd.read_csv(built / "claims" / "03-technology-trends.csv"))  # the level mattered
    own = ["claim_id", "statement", "data", "test", "statistic", "p_value", "alpha", "estimate", "ci_low",
           "ci_high", "n"]
    from_register = register[register["chapter"] == "03-technology-trends"][own].reset_index(drop=True)
    pd.testing.assert_frame_equal(chapter[own], from_register)
    assert index_claim_ids(project.outputs) == register_order(project.outputs)

    report = project.helpers("run")  # make report: back to the default seed
    assert report.returncode == 0, report.stderr
    assert_report_is_clean(project, built)
