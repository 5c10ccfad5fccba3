"""A run's processes: each dies with the runner, and what a dead run left is reaped by identity.

**Identity.** Every run has a token ``<pid>-<start>-<random>``: the runner's pid, its start time
(clock ticks since boot, ``/proc/<pid>/stat``) and a random tag. The pid and start time say
whether the run is alive (a reused pid has another start time); the tag tells apart runs made
by one process. The token is

- in the environment of every process the run starts (``HELPERS_RUN=<token>``): pool workers,
  the multiprocessing resource tracker, kernels, and whatever a kernel starts in turn;
- in the name of the run's private folder (``$TMPDIR/helpers-run-<token>``), which also holds a
  pid file: one line ``role pid start`` per worker, kernel and tracker;
- in the name of its staging folder (``.NAME.staging-<token>``), so no later run reuses it.

**Dying with the runner** (Linux). Pool workers ask the kernel for SIGKILL when their parent
dies (``PR_SET_PDEATHSIG``, set in the worker initializer; workers are spawned from the runner's
main thread, which lives as long as the runner); kernels ask for the same in a ``preexec_fn``
(their parent is the worker, or the runner with ``-j 1``). Each checks, after asking, that its
parent is still the one it expects, so a parent that died a moment earlier is not missed. The
resource tracker exits by itself when the last process holding its pipe (runner and workers)
is gone. A process of a dead run that is still running code checks, before it writes any output
through ``helpers`` (``atomic_write_text``), that its run is alive, and kills itself if not.

**Reaping.** Before a run starts kernels (and before it removes another run's staging folder)
it finds every process whose environment names a run whose runner is dead, kills it (the tracker
gets a few seconds to exit by itself, so it can unlink its semaphores), waits until none is
left, and only then removes that run's private folder. Nothing is ever matched by name, and
nothing whose run is alive (or that carries no token, like JupyterLab's kernels) is touched.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

ENV_TOKEN = "HELPERS_RUN"
ENV_DIR = "HELPERS_RUN_DIR"
#: Test hook: ``HELPERS_TEST_PAUSE=<point>:<flag file>`` makes the runner write the flag file and
#: sleep at that point (``kernel-launched``, ``before-swap``, ``mid-swap``), so a test can kill it there.
ENV_PAUSE = "HELPERS_TEST_PAUSE"
RUNTIME_PREFIX = "helpers-run-"
PR_SET_PDEATHSIG = 1

#: Without /proc (macOS), liveness falls back to the pid alone and nothing is reaped by environment.
HAVE_PROC = os.path.exists("/proc/self/stat")

_TOKEN = re.compile(r"^(\d+)-(\d+)-([0-9a-f]+)$")


# -- identity -------------------------------------------------------------------------------------
def process_start(pid: int) -> int | None:
    """A live process's start time (clock ticks since boot); None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def new_token() -> str:
    pid = os.getpid()
    return f"{pid}-{process_start(pid) or 0}-{secrets.token_hex(4)}"


def run_alive(token: str) -> bool:
    """Whether the runner of the run ``token`` is still running (same pid, same start time)."""
    match = _TOKEN.match(token)
    if match and not HAVE_PROC:
        try:
            os.kill(int(match[1]), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    if not match:
        return False
    return process_start(int(match[1])) == int(match[2])


def current_token() -> str | None:
    return os.environ.get(ENV_TOKEN) or None


def ensure_run_alive() -> None:
    """In a process started by a run: kill this process if that run's runner is gone.

    Called before outputs are written, so a straggler of a killed run can never write. A
    process no run started (JupyterLab, a notebook run by hand) carries no token: a no-op.
    """
    token = current_token()
    if token and not run_alive(token):
        os.kill(os.getpid(), signal.SIGKILL)


# -- dying with the parent ------------------------------------------------------------------------
def _prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: no parent-death signal; the reaper still applies
        return None


def die_with_parent(expected_parent: int | None = None) -> None:
    """Have this process get SIGKILL when its parent (thread) dies; die now if it already has."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGKILL)


def die_with_parent_preexec():
    """A ``preexec_fn`` for ``subprocess.Popen``: the child gets SIGKILL when this process dies.

    Everything is looked up before the fork, so the child only makes two system calls.
    """
    prctl, parent, getppid, kill, me = _prctl(), os.getpid(), os.getppid, os.kill, os.getpid

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if getppid() != parent:
            kill(me(), signal.SIGKILL)

    return preexec


# -- a run's private folder and pid file ----------------------------------------------------------
def runtime_dir_for(token: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{RUNTIME_PREFIX}{token}"


def record_process(pid: int, role: str) -> None:
    """Add a process to this run's pid file (workers and the runner append; lines are atomic)."""
    folder = os.environ.get(ENV_DIR)
    start = process_start(pid)
    if not folder or start is None:
        return
    try:
        fd = os.open(os.path.join(folder, "pids"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        os.write(fd, f"{role} {pid} {start}\n".encode())
    finally:
        os.close(fd)


class Run:
    """This run's identity in the environment its children inherit, and its private folder."""

    def __init__(self, token: str | None = None):
        self.token = token or new_token()
        self.runtime_dir = runtime_dir_for(self.token)
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> Run:
        self.runtime_dir.mkdir(mode=0o700)
        for name, value in ((ENV_TOKEN, self.token), (ENV_DIR, str(self.runtime_dir))):
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value
        return self

    def __exit__(self, *exc_info) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def record_resource_tracker() -> None:
    """Record the multiprocessing resource tracker this process started (if any)."""
    try:
        from multiprocessing import resource_tracker

        pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    except (ImportError, AttributeError):
        return
    if pid:
        record_process(pid, "tracker")


# -- reaping what dead runs left ------------------------------------------------------------------
def _environ_token(pid: int) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for entry in environ.split(b"\0"):
        if entry.startswith(ENV_TOKEN.encode() + b"="):
            return entry.split(b"=", 1)[1].decode(errors="replace")
    return None


def _protected() -> set[int]:
    """This process and its ancestors: never reaped, even if started by a dead run."""
    pids, pid = set(), os.getpid()
    while pid and pid not in pids:
        pids.add(pid)
        pid = _parent(pid) or 0
    return pids


def _recorded(token: str) -> dict[int, tuple[int, str]]:
    """pid -> (start, role) from a run's pid file."""
    found: dict[int, tuple[int, str]] = {}
    try:
        lines = (runtime_dir_for(token) / "pids").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found[int(parts[1])] = (int(parts[2]), parts[0])
    return found


def leftovers(tokens: set[str] | None = None) -> dict[int, str]:
    """Live processes started by a run (pid -> token): all runs, or those in ``tokens``.

    A process belongs to a run if its environment carries the run's token, or if the run's pid
    file names it with its start time (so a reused pid never counts).
    """
    if not HAVE_PROC:
        return {}
    protected = _protected()
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in protected:
            continue
        token = _environ_token(int(entry))
        wanted = token and _TOKEN.match(token) and (tokens is None or token in tokens)
        if token and wanted and process_start(int(entry)) is not None:
            found[int(entry)] = token
    for token in tokens or ():
        for pid, (start, _role) in _recorded(token).items():
            if pid not in protected and process_start(pid) == start:
                found.setdefault(pid, token)
    return found


def _is_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _kill(pid: int, start: int | None) -> None:
    """SIGKILL one process, and its process group when it leads one (kernels start their own)."""
    if start is None or process_start(pid) != start:
        return  # gone, or the pid now belongs to another process
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def reap(tokens: set[str], tracker_grace: float = 5.0, timeout: float = 15.0) -> dict[int, str]:
    """End every process of the given dead runs; returns those still alive after ``timeout`` (normally none).

    Tokens of live runs are ignored: a live run's processes are never touched.
    """
    dead = {t for t in tokens if not run_alive(t)}
    if not dead:
        return {}
    deadline = time.monotonic() + timeout
    tracker_deadline = time.monotonic() + tracker_grace
    while True:
        left = leftovers(dead)
        if not left:
            return {}
        trackers_may_wait = time.monotonic() < tracker_deadline
        for pid in left:
            if trackers_may_wait and _is_tracker(pid):
                continue  # it exits by itself once workers are gone, unlinking its semaphores
            _kill(pid, process_start(pid))
        if time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def sweep_dead_runs() -> None:
    """Reap every dead run's processes, then remove its private folder (only once they are gone)."""
    folders = {}
    for folder in Path(tempfile.gettempdir()).glob(f"{RUNTIME_PREFIX}*"):
        token = folder.name[len(RUNTIME_PREFIX):]
        if _TOKEN.match(token):  # never a folder this module did not name
            folders[token] = folder
    dead = {t for t in set(folders) | set(leftovers().values()) if not run_alive(t)}
    survivors = set(reap(dead).values())
    for token in dead - survivors:
        if token in folders:
            shutil.rmtree(folders[token], ignore_errors=True)


# -- test hook --------------------------------------------------------------------------------------
def pause_point(name: str) -> None:
    """Tests only: stop here (writing a flag file first) when ``HELPERS_TEST_PAUSE`` names this point."""
    spec = os.environ.get(ENV_PAUSE, "")
    point, _, flag = spec.partition(":")
    if point != name or not flag:
        return
    Path(flag).write_text(str(os.getpid()))
    time.sleep(600)
