"""End to end on throwaway chapters: incremental rebuilds, atomic outputs, locks, kernel hygiene."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from conftest import WRITES_CLAIMS, chapter_specs, run_driver, write_notebook

from helpers.pipeline.runner import ExitCode

pytestmark = pytest.mark.report  # every test here runs chapters through the runner


def chapter(folder, slug, *extra, markdown="# A chapter"):
    return write_notebook(folder / f"{slug}.ipynb", f'CHAPTER = "{slug}"', WRITES_CLAIMS, *extra, markdown=markdown)


@pytest.fixture
def project(tmp_path, chapters_dir):
    chapter(chapters_dir, "00-one")
    chapter(chapters_dir, "01-two")
    write_notebook(chapters_dir / "08-register.ipynb",
                   "from pathlib import Path\n"
                   "print(sorted(p.name for p in (Path(output_dir) / 'claims').glob('*.csv')))")
    specs = chapter_specs(chapters_dir, ["00-one", "01-two"], register="08-register")
    return tmp_path, chapters_dir, specs, tmp_path / "out"


def ran(result):
    """The finished run, asserting that it succeeded."""
    assert result.returncode == 0, result.stderr
    return result


def executed(out) -> set[str]:
    record = json.loads((out / "run.json").read_text())
    return {slug for slug, r in record["chapters"].items() if not r.get("reused")}


def test_incremental_rebuilds(project):
    tmp_path, folder, specs, out = project
    args = ("run", "--output-dir", str(out), "-j", "2")
    ran(run_driver(tmp_path, specs, *args))
    assert executed(out) == {"00-one", "01-two", "08-register"}

    result = ran(run_driver(tmp_path, specs, *args))
    assert "Nothing to do" in result.stderr  # how fast: `make bench` measures it

    chapter(folder, "01-two", markdown="# A chapter, reworded")  # prose only: its pages must show it
    assert "01-two: would run: its text (markdown cells) changed" in ran(
        run_driver(tmp_path, specs, *args, "--dry-run")).stdout
    ran(run_driver(tmp_path, specs, *args))
    assert executed(out) == {"01-two"}  # same claims, so the register is reused

    chapter(folder, "01-two", "y = 2")  # a code change: this chapter re-runs, its claims do not change
    dry = ran(run_driver(tmp_path, specs, *args, "--dry-run"))
    assert "01-two: would run: its code cells changed" in dry.stdout
    assert "00-one: up to date" in dry.stdout
    ran(run_driver(tmp_path, specs, *args))
    assert executed(out) == {"01-two"}  # the register is reused: no claim changed

    ran(run_driver(tmp_path, specs, *args, "-p", "alpha", "0.01"))  # new parameters change every claim file
    assert executed(out) == {"00-one", "01-two", "08-register"}

    ran(run_driver(tmp_path, specs, *args, "-p", "alpha", "0.01", "--force"))
    assert executed(out) == {"00-one", "01-two", "08-register"}


def test_a_failed_chapter_reruns_next_time(project):
    tmp_path, folder, specs, out = project
    args = ("run", "--output-dir", str(out), "-j", "1")
    ran(run_driver(tmp_path, specs, *args))
    chapter(folder, "00-one", "raise RuntimeError('broken')")
    assert run_driver(tmp_path, specs, *args).returncode == ExitCode.CELL_ERROR
    chapter(folder, "00-one")  # fixed back to what succeeded before
    dry = ran(run_driver(tmp_path, specs, *args, "--dry-run"))
    assert "00-one: up to date" in dry.stdout  # the live outputs are the last good ones, which match
    assert (tmp_path / "out-failed" / "notebooks" / "00-one.ipynb").exists()
    ran(run_driver(tmp_path, specs, *args, "--force"))
    assert not (tmp_path / "out-failed").exists()  # a successful run clears the record of the fixed failure


def _kernels_of(pid_marker: str) -> list[int]:
    """PIDs of ipykernel processes whose command line mentions the runner's private folder."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "ipykernel" in cmdline and pid_marker in cmdline:
                found.append(int(entry))
    return found


def start_with_a_kernel(tmp_path, specs, out, jobs: str):
    """Start a run in the background; return it (and its kernels' marker) once a kernel is up."""
    process = run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", jobs, wait=False)
    marker = f"helpers-run-{process.pid}-"
    assert _wait_for(lambda: _kernels_of(marker), 180), "no kernel started"
    return process, marker


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("jobs", ["2"])  # more kill points: tests/test_kill_safety.py
def test_sigkill_mid_chapter_keeps_last_good_outputs_and_leaves_no_kernel(project, jobs):
    tmp_path, folder, specs, out = project
    ran(run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", jobs))
    good = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    chapter(folder, "01-two", "import time\ntime.sleep(120)")
    process, marker = start_with_a_kernel(tmp_path, specs, out, jobs)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert _wait_for(lambda: not _kernels_of(marker), 20), "a kernel outlived the killed run"
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == good
    chapter(folder, "01-two")
    ran(run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", jobs, "--force"))
    assert not list(tmp_path.glob(".out.staging*"))
    import tempfile
    assert not [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(marker)]  # swept by the next run


def test_sigterm_interrupts_cleanly(project):
    tmp_path, folder, specs, out = project
    chapter(folder, "01-two", "import time\ntime.sleep(120)")
    process, marker = start_with_a_kernel(tmp_path, specs, out, "1")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert not _kernels_of(marker)
    assert not out.exists() and not (tmp_path / ".out.staging").exists()


def test_a_second_run_on_the_same_folder_stops(project):
    tmp_path, folder, specs, out = project
    chapter(folder, "00-one", "import time\ntime.sleep(8)")
    first, _ = start_with_a_kernel(tmp_path, specs, out, "1")
    second = run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", "1")
    assert second.returncode == ExitCode.BUSY
    assert "another run is writing" in second.stderr and str(first.pid) in second.stderr
    first.communicate(timeout=60)
    assert first.returncode == 0


def test_no_kernel_or_private_folder_survives_a_failed_run(project):
    tmp_path, folder, specs, out = project
    chapter(folder, "00-one", "raise ValueError('x')")
    process = run_driver(tmp_path, specs, "run", "--output-dir", str(out), "-j", "2", wait=False)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == ExitCode.CELL_ERROR
    marker = f"helpers-run-{process.pid}-"
    assert not _kernels_of(marker)
    import tempfile
    assert not [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(marker)]


def test_a_pdf_never_outlives_the_register_it_showed(project):
    tmp_path, folder, specs, out = project
    args = ("run", "--output-dir", str(out), "-j", "1")
    ran(run_driver(tmp_path, specs, *args))
    pdf = out / "report.pdf"
    pdf.write_bytes(b"%PDF of an older register")
    assert "Nothing to do" in ran(run_driver(tmp_path, specs, *args)).stderr
    assert pdf.read_bytes() == b"%PDF of an older register"  # nothing changed: the PDF still agrees

    chapter(folder, "01-two", "y = 2")
    result = ran(run_driver(tmp_path, specs, *args, "--no-export"))
    assert not pdf.exists() and "report.pdf removed" in result.stderr and "export --pdf" in result.stderr

    pdf.write_bytes(b"%PDF of an older register")
    chapter(folder, "01-two", "y = 3")
    result = ran(run_driver(tmp_path, specs, *args))
    assert "report.pdf rebuilt" in result.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")  # written again, from this run
    from pypdf import PdfReader

    build_line = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    started = json.loads((out / "run.json").read_text())["started"]
    assert f"Build: started {started}" in build_line, build_line  # this run's record, not the one before
