"""Run one chapter notebook through papermill in a fresh kernel, and say exactly how it ended.

This module is what a worker process runs. It never raises for a chapter's own failure:
it returns a ``ChapterOutcome`` that names the kind of failure (a cell error, bad input
raised inside the chapter, a timeout, a dead kernel), the cell and the traceback.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from helpers import lifecycle

#: Exceptions that, raised inside a chapter, mean the user's input is at fault (exit code 2).
INPUT_ERROR_NAMES = {"InputDataError", "MicrodataError", "ParameterError"}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Process ids of the kernels this process started, so none outlives a run (see reap_kernels).
_STARTED_KERNELS: set[int] = set()


@dataclass
class ChapterTask:
    slug: str
    notebook: str
    output_notebook: str
    parameters: dict
    runtime_dir: str
    cell_timeout: float | None
    startup_timeout: float = 60.0


@dataclass
class ChapterOutcome:
    slug: str
    status: str  # "ok" or "failed"
    kind: str = ""  # "", "cell_error", "input_error", "timeout", "dead_kernel"
    duration: float = 0.0
    attempts: int = 1
    cell_index: int | None = None
    exec_count: int | None = None
    ename: str = ""
    evalue: str = ""
    traceback: str = ""
    source: str = ""
    kernel_log: str = ""
    details: dict = field(default_factory=dict)


def _kernel_manager_class(runtime_dir: str, log_path: Path):
    """An async kernel manager on IPC sockets in the run's private folder, its stderr to a log.

    IPC sockets need no free TCP ports (no port races between parallel kernels) and
    ipykernel then has no reason to print its 'running over TCP without encryption' warning.
    """
    from jupyter_client.manager import AsyncKernelManager

    from helpers.pipeline.kernel import use_ipc_sockets

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("connection_file", os.path.join(runtime_dir, f"kernel-{uuid.uuid4().hex[:12]}.json"))
            super().__init__(**kwargs)
            use_ipc_sockets(self, runtime_dir)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stdout"] = kw["stderr"] = open(log_path, "ab")  # noqa: SIM115 - closed by the OS with the process
            kw["preexec_fn"] = lifecycle.die_with_parent_preexec()  # SIGKILL when this process dies
            await super()._async_launch_kernel(kernel_cmd, **kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                _STARTED_KERNELS.add(process.pid)
                lifecycle.record_process(process.pid, "kernel")
            lifecycle.pause_point("kernel-launched")

    return ReportKernelManager


def _failing_cell(notebook_path: Path) -> tuple[int | None, str]:
    """The index and source of the cell a timed-out or dead kernel was running, from the saved notebook."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook_path), as_version=4)
    except Exception:  # the notebook may not have been written at all
        return None, ""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, cell in code:
        meta = cell.get("metadata", {}).get("papermill", {})
        if meta.get("start_time") and not meta.get("end_time"):
            return i, cell.source
    running = [(i, c) for i, c in code if c.get("metadata", {}).get("papermill", {}).get("status") == "running"]
    return (running[0][0], running[0][1].source) if running else (None, "")


def _mark_failed_notebook(notebook_path: Path, message: str) -> None:
    """Put a red banner at the top of a partly executed notebook, as papermill does for cell errors."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook_path), as_version=4)
    except Exception:
        return
    banner = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
        f"An Exception was encountered: {message}</span>"
    )
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells.insert(0, banner)
    nbformat.write(nb, str(notebook_path))


def _is_startup_failure(exc: BaseException) -> bool:
    text = str(exc)
    return "kernel_info" in text or "didn't respond" in text or "Kernel died before" in text


#: Seconds between writes of a running chapter's notebook (papermill writes it at every cell's
#: start and end; the register's notebook holds megabytes of figures, so that cost a second a run).
SAVE_EVERY = 10.0
#: How a chapter's kernel is stopped once its last cell has finished and its outputs are all in:
#: killed at once. A "graceful" shutdown (interrupt, shutdown request, polling until the process
#: exits) cost about 0.75 s a chapter on 2 cores, for nothing: the chapter's files are already
#: written (atomically, by the cells) and the notebook is saved by papermill afterwards.
KERNEL_SHUTDOWN = "immediate"
#: The papermill engine the runner uses (registered by :func:`_engine_name`).
ENGINE = "helpers-nbclient"


def _engine_name() -> str:
    """Register, once, papermill's nbclient engine with fewer writes of the running notebook.

    The notebook is written when the chapter starts, at most every ``SAVE_EVERY`` seconds while it
    runs, and when it ends however it ends (papermill's ``notebook_complete``, in a ``finally``),
    so a finished, failed or timed-out chapter leaves the same file as before.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(ENGINE)
        return ENGINE
    except PapermillException:  # not registered yet in this process
        pass

    class FewerSaves(NotebookExecutionManager):
        final = False

        def save(self, **kwargs):
            if self.final or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self.final = True
            super().notebook_complete(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,  # noqa: PLR0913 - papermill's signature
                             autosave_cell_every=30, **kwargs):
            manager = FewerSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                 autosave_cell_every=autosave_cell_every)
            manager.final = True  # the notebook as it starts, parameters injected
            manager.notebook_start()
            manager.final = False
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            finally:
                manager.cleanup_pbar()
                manager.notebook_complete()
            return manager.nb

    papermill_engines.register(ENGINE, Engine)
    return ENGINE


def execute_chapter(task: ChapterTask) -> ChapterOutcome:
    """Execute one chapter; retry once if its kernel fails to start."""
    lifecycle.ensure_run_alive()  # a queued task of a killed run never starts
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    log_path = Path(task.runtime_dir) / f"{task.slug}.kernel.log"
    output = Path(task.output_notebook)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    outcome = ChapterOutcome(task.slug, "ok")
    for attempt in (1, 2):
        outcome = ChapterOutcome(task.slug, "ok", attempts=attempt)
        try:
            papermill.execute_notebook(
                task.notebook,
                str(output),
                parameters=task.parameters,
                execution_timeout=task.cell_timeout,
                start_timeout=task.startup_timeout,
                progress_bar=False,
                log_output=False,
                report_mode=False,
                kernel_manager_class=_kernel_manager_class(task.runtime_dir, log_path),
                engine_name=_engine_name(),
                shutdown_kernel=KERNEL_SHUTDOWN,
            )
        except PapermillExecutionError as exc:
            outcome.status = "failed"
            outcome.kind = "input_error" if exc.ename in INPUT_ERROR_NAMES else "cell_error"
            outcome.cell_index, outcome.exec_count = exc.cell_index, exc.exec_count
            outcome.ename, outcome.evalue = exc.ename, exc.evalue
            outcome.traceback = _ANSI.sub("", "\n".join(exc.traceback))
            outcome.source = exc.source
        except CellTimeoutError as exc:
            outcome.status, outcome.kind = "failed", "timeout"
            outcome.ename, outcome.evalue = "CellTimeoutError", f"a cell ran longer than {task.cell_timeout} s"
            outcome.cell_index, outcome.source = _failing_cell(output)
            outcome.traceback = str(exc)
            _mark_failed_notebook(output, f"cell timed out after {task.cell_timeout} s")
        except (DeadKernelError, RuntimeError, TimeoutError) as exc:
            if attempt == 1 and _is_startup_failure(exc):
                continue  # one retry when a kernel fails to start
            outcome.status, outcome.kind = "failed", "dead_kernel"
            outcome.ename, outcome.evalue = type(exc).__name__, str(exc)
            outcome.cell_index, outcome.source = _failing_cell(output)
            _mark_failed_notebook(output, f"the kernel died ({exc})")
        break
    reap_kernels()  # normally a no-op: papermill has shut the kernel down
    outcome.duration = time.perf_counter() - started
    if outcome.status == "failed" and log_path.exists():
        outcome.kernel_log = log_path.read_text(errors="replace")[-4000:]
    return outcome


def reap_kernels() -> None:
    """Kill any kernel this process started that is still running (its whole process group).

    papermill shuts kernels down when a chapter ends; this catches the ones an interruption
    left behind, so that no kernel outlives the run.
    """
    for pid in list(_STARTED_KERNELS):
        try:  # only a live kernel of ours: never a process that reused the pid
            alive = b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            alive = False
        if alive:
            try:
                os.killpg(pid, signal.SIGKILL)  # kernels start in their own session: pgid == pid
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        _STARTED_KERNELS.discard(pid)


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing rfc3987-syntax, which compiles a grammar at import (1.3 s here).

    nbformat (so papermill) imports jsonschema, which imports rfc3987-syntax when installed, only
    to check the 'iri' string format that notebooks never use. Done only in the runner's own
    processes (the command line and its pool workers), never in a kernel.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None in sys.modules blocks an import


#: The thread pools of numpy's BLAS and of OpenMP, which each start one thread per core by default.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def share_cores(jobs: int) -> None:
    """Give each of ``jobs`` chapters run side by side its share of the cores for BLAS threads.

    Without this every kernel starts a BLAS thread per core, and two chapters on two cores spend a
    third of their CPU time contending (measured on the widening test's fits). A value the user
    set is kept. Called before the pool starts, so workers and their kernels inherit it.
    """
    share = str(max(1, (os.cpu_count() or 1) // max(jobs, 1)))
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, share)


def worker_init(runner_pid: int | None = None) -> None:
    """Set up a pool worker: die with the runner (SIGKILL, however it dies), fast imports.

    Kernels shut down on SIGTERM.
    """
    lifecycle.die_with_parent(runner_pid)
    lifecycle.record_process(os.getpid(), "worker")
    skip_slow_optional_imports()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides what an interrupt does
    signal.signal(signal.SIGTERM, _exit_cleanly)


def _exit_cleanly(signum, frame):
    reap_kernels()
    raise SystemExit(128 + signum)
