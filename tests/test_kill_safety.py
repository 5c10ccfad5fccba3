"""A killed run leaves nothing running and nothing that can write.

Every process a run starts carries ``HELPERS_RUN=<runner pid>-<start>-<tag>`` in its environment
(see ``helpers.lifecycle``); these tests find a killed run's processes by that marker, through the
real command line, and check that none is alive after the next run, that no folder of the killed
run remains, and that the outputs equal a clean build's, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import WRITES_CLAIMS, assert_identical_reports, chapter_specs, run_driver, write_notebook

from helpers import lifecycle
from helpers.pipeline.runner import ExitCode


# -- finding a run's processes and folders ----------------------------------------------------------
def processes_of(runner_pid: int) -> dict[int, str]:
    """Live processes (pid -> command line) whose environment names a run of ``runner_pid``."""
    prefix = f"{lifecycle.ENV_TOKEN}={runner_pid}-".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or lifecycle.process_start(int(entry)) is None:  # gone, or a zombie
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(e.startswith(prefix) for e in environ):
            found[int(entry)] = cmdline
    return found


def folders_of(runner_pid: int, output_parent: Path) -> list[Path]:
    """The killed run's private folder and staging folder, if any remain."""
    runtime = list(Path(tempfile.gettempdir()).glob(f"{lifecycle.RUNTIME_PREFIX}{runner_pid}-*"))
    return runtime + list(output_parent.glob(f".*.staging-{runner_pid}-*"))


def results(out: Path) -> dict[str, bytes]:
    """What a reader relies on: the register, each chapter's claims and every table."""
    files = [out / "claims.csv", *sorted((out / "claims").glob("*.csv")), *sorted((out / "tables").rglob("*"))]
    return {str(p.relative_to(out)): p.read_bytes() for p in files if p.is_file()}


def kinds(processes: dict[int, str]) -> set[str]:
    named = set()
    for cmdline in processes.values():
        if "ipykernel" in cmdline:
            named.add("kernel")
        elif "resource_tracker" in cmdline:
            named.add("tracker")
        elif "multiprocessing" in cmdline:
            named.add("worker")
    return named


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def kill_at(process: subprocess.Popen, *, offset: float | None = None, flag: Path | None = None,
            timeout: float = 120) -> dict[int, str]:
    """SIGKILL the runner after ``offset`` seconds, or once it has written ``flag``; returns its processes then."""
    if flag is not None:
        reached = wait_for(lambda: flag.exists() or process.poll() is not None, timeout)
        assert reached, "the pause point was never reached"
        assert process.poll() is None, process.communicate()[1]
    else:
        time.sleep(offset)
    seen = processes_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return seen


def assert_nothing_left(runner_pid: int, output_parent: Path) -> None:
    left = processes_of(runner_pid)
    assert not left, f"processes of the killed run are alive: {left}"
    assert not folders_of(runner_pid, output_parent)


# -- units ------------------------------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import os, subprocess, sys, time
    from helpers import lifecycle
    mode = sys.argv[1]
    if mode == "worker":    # as a pool worker does in its initializer
        code = ("import os, time; from helpers import lifecycle; lifecycle.die_with_parent(%d); "
                "print(os.getpid(), flush=True); time.sleep(60)" % os.getpid())
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    else:                   # as a kernel is launched
        sleeper = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
        child = subprocess.Popen([sys.executable, "-c", sleeper],
                                 stdout=subprocess.PIPE, text=True, preexec_fn=lifecycle.die_with_parent_preexec(),
                                 start_new_session=True)
    print(child.stdout.readline().strip(), flush=True)
    time.sleep(60)
""")


@pytest.mark.parametrize("mode", ["worker", "kernel"])
def test_a_child_dies_with_its_parent_even_on_sigkill(mode):
    parent = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert lifecycle.process_start(child) is not None
    parent.kill()
    parent.wait(timeout=10)
    assert wait_for(lambda: lifecycle.process_start(child) is None, 5), "the child outlived its parent"


def sleeper(env_token: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop(lifecycle.ENV_TOKEN, None)
    if env_token:
        env[lifecycle.ENV_TOKEN] = env_token
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)


def test_reaping_is_by_identity_never_a_live_run_or_an_unmarked_process():
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_token = f"{gone.stdout.strip()}-1-abc123"  # that pid has exited (and start time 1 is no process's)
    live_token = lifecycle.new_token()  # this process: alive
    dead, live, unmarked = sleeper(dead_token), sleeper(live_token), sleeper(None)
    folder = lifecycle.runtime_dir_for(dead_token)
    folder.mkdir()
    try:
        assert wait_for(lambda: dead.pid in lifecycle.leftovers({dead_token}), 5)
        lifecycle.sweep_dead_runs()
        assert dead.wait(timeout=5) == -signal.SIGKILL
        assert not folder.exists()
        assert live.poll() is None and unmarked.poll() is None
    finally:
        for p in (dead, live, unmarked):
            p.kill()
            p.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_straggler_of_a_dead_run_cannot_write(tmp_path):
    target = tmp_path / "claims.csv"
    code = f"from helpers.data.io import atomic_write_text; atomic_write_text({str(target)!r}, 'late')"
    env = {**os.environ, lifecycle.ENV_TOKEN: "999999999-1-abc123"}  # a run whose runner is gone
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert not target.exists()
    env[lifecycle.ENV_TOKEN] = lifecycle.new_token()  # this process's run: alive, so it writes
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0
    assert target.read_text() == "late"


# -- throwaway chapters through the real command line -------------------------------------------------
def chapter(folder, slug, *extra):
    return write_notebook(folder / f"{slug}.ipynb", f'CHAPTER = "{slug}"', WRITES_CLAIMS, *extra)


def throwaway_chapters(folder: Path):
    """Two chapters that take a second each and a register, as specs for the runner."""
    folder.mkdir(parents=True, exist_ok=True)
    chapter(folder, "00-one", "import time\ntime.sleep(1)")
    chapter(folder, "01-two", "import time\ntime.sleep(1)")
    write_notebook(folder / "08-register.ipynb",
                   "from pathlib import Path\n"
                   "rows = sorted(p.read_text() for p in (Path(output_dir) / 'claims').glob('*.csv'))\n"
                   "(Path(output_dir) / 'claims.csv').write_text(''.join(rows))")
    return chapter_specs(folder, ["00-one", "01-two"], register="08-register")


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory) -> Path:
    """The throwaway chapters built once, undisturbed: what every killed-then-rerun build must equal
    (their outputs hold no paths, so a build of the same notebooks elsewhere compares byte for byte)."""
    base = tmp_path_factory.mktemp("clean-throwaway")
    specs = throwaway_chapters(base / "nb")
    clean = base / "clean"
    result = run_driver(base, specs, "run", "--output-dir", str(clean), "-j", "2")
    assert result.returncode == 0, result.stderr
    assert results(clean)
    return clean


@pytest.fixture
def project(tmp_path, chapters_dir):
    return tmp_path, throwaway_chapters(chapters_dir), tmp_path / "out"


@pytest.mark.report
@pytest.mark.parametrize("point, jobs, previous", [
    ("kernel-launched", "2", False),  # during kernel start-up, in a pool worker
    ("kernel-launched", "1", True),   # during kernel start-up, in the runner itself
    ("before-swap", "2", True),       # everything staged, nothing swapped
    ("mid-swap", "2", True),          # the live folder renamed away, staging not yet in
])
def test_sigkill_at_a_pause_point_leaves_nothing(project, clean_build, point, jobs, previous, monkeypatch):
    tmp_path, specs, out = project
    args = ("run", "--output-dir", str(out), "-j", jobs)
    clean = clean_build
    if previous:
        shutil.copytree(clean, out)
    flag = tmp_path / "paused"
    monkeypatch.setenv(lifecycle.ENV_PAUSE, f"{point}:{flag}")
    process = run_driver(tmp_path, specs, *args, "--force", wait=False)
    seen = kill_at(process, flag=flag)
    monkeypatch.delenv(lifecycle.ENV_PAUSE)
    if point == "kernel-launched":
        assert "kernel" in kinds(seen), seen  # the kill really hit a starting kernel
    if jobs == "2" and point == "kernel-launched":
        assert {"worker", "tracker"} <= kinds(seen), seen
    if point == "mid-swap":
        assert not out.exists()  # the kill really hit between the two renames
    after = run_driver(tmp_path, specs, *args)
    assert after.returncode == ExitCode.OK, after.stderr
    assert_nothing_left(process.pid, tmp_path)
    assert results(out) == results(clean) and results(out)


@pytest.mark.report
@pytest.mark.parametrize("offset", [0.3, 3.0])
def test_sigkill_at_an_offset_leaves_nothing(project, clean_build, offset):
    tmp_path, specs, out = project
    args = ("run", "--output-dir", str(out), "-j", "2")
    clean = clean_build
    process = run_driver(tmp_path, specs, *args, "--force", wait=False)
    kill_at(process, offset=offset)
    after = run_driver(tmp_path, specs, *args)
    assert after.returncode == ExitCode.OK, after.stderr
    assert_nothing_left(process.pid, tmp_path)
    assert results(out) == results(clean)


# -- the real report ----------------------------------------------------------------------------------
def helpers_run(*args: str, wait: bool = True, timeout: float = 600):
    command = [sys.executable, "-m", "helpers", "run", *args]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd="/")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/")


@pytest.mark.report
def test_a_cold_report_killed_mid_build_is_finished_identical_to_a_clean_one(tmp_path, default_report):
    """A cold ``make report`` killed while real chapters run; the next ``make report`` builds it all.

    The kill lands while real chapters are mid-cell in pool workers (their kernels, resource
    trackers and figures included); the throwaway chapters above cover each pause point. The result
    must equal the session's clean build byte for byte, which also shows that two cold builds of the
    report are identical (the determinism check, at the cost of one build)."""
    out = tmp_path / "out"
    process = helpers_run("--output-dir", str(out), wait=False)
    assert wait_for(lambda: "kernel" in kinds(processes_of(process.pid)), 60)
    seen = kill_at(process, offset=3.0)  # chapters are running: some done, some mid-cell, some queued
    assert "kernel" in kinds(seen), seen
    assert not (out / "claims.csv").exists()  # nothing of the killed build was published
    after = helpers_run("--output-dir", str(out))
    assert after.returncode == 0, after.stderr
    assert_nothing_left(process.pid, tmp_path)
    assert_identical_reports(default_report, out)
