"""Atomic outputs: a run writes into a staging folder and swaps it in only when it succeeds.

Protocol (all folders are siblings of the output folder, so renames stay on one filesystem):
``.NAME.lock`` is held with ``flock`` for the whole run (the kernel releases it if the runner
is killed); ``.NAME.staging-<run token>`` receives the run (a name no other run uses, see
``helpers.lifecycle``); on success the live folder is renamed to ``.NAME.previous``, staging to
``NAME``, and the previous folder is deleted. A run killed between the two renames leaves
``.NAME.previous`` and no ``NAME``: the next run restores it before doing anything else. A killed
run's staging folder is removed by the next run only once no process of the killed run is left.
A failed run's folder is kept as ``NAME-failed`` for inspection.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from helpers import lifecycle
from helpers.errors import ReportError


class OutputBusyError(ReportError):
    """Another run holds the output folder."""


class OutputTransaction:
    def __init__(self, final: Path, run_token: str | None = None):
        self.final = Path(final).resolve()
        parent, name = self.final.parent, self.final.name
        self.run_token = run_token or lifecycle.new_token()
        self.lock_path = parent / f".{name}.lock"
        self._staging_prefix = f".{name}.staging"
        self.staging = parent / f"{self._staging_prefix}-{self.run_token}"
        self.previous = parent / f".{name}.previous"
        self.failed = parent / f"{name}-failed"
        self._lock_file = None

    def __enter__(self) -> OutputTransaction:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise OutputBusyError(
                f"another run is writing {self.final} (process {holder}); wait for it to finish, "
                f"or choose another folder with --output-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle
        self.recover()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.staging.exists():  # neither committed nor kept as failed: an interrupted run
            shutil.rmtree(self.staging, ignore_errors=True)
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def recover(self) -> None:
        """Undo what a killed run left behind: restore a live folder caught mid-swap, drop stale staging."""
        if self.previous.exists():
            if self.final.exists():
                shutil.rmtree(self.previous)
            else:
                os.rename(self.previous, self.final)
        for stale in self.final.parent.glob(f"{self._staging_prefix}*"):
            if stale == self.staging:
                continue
            token = stale.name[len(self._staging_prefix) + 1:]
            if lifecycle.reap({token}):  # a process of that run is somehow still alive: leave its folder
                continue
            shutil.rmtree(stale)

    def begin(self) -> Path:
        """A staging folder holding a copy of the live outputs, for chapters that need not re-run."""
        if self.final.exists():
            shutil.copytree(self.final, self.staging, symlinks=True)
        else:
            self.staging.mkdir(parents=True)
        return self.staging

    def commit(self) -> None:
        lifecycle.pause_point("before-swap")
        if self.final.exists():
            os.rename(self.final, self.previous)
            lifecycle.pause_point("mid-swap")
        os.rename(self.staging, self.final)
        if self.previous.exists():
            shutil.rmtree(self.previous)
        if self.failed.exists():  # the failure it recorded has been fixed
            shutil.rmtree(self.failed)

    def keep_as_failed(self) -> Path:
        """Keep a failed run's folder (its partial notebooks) where a user can open it."""
        if self.failed.exists():
            shutil.rmtree(self.failed)
        os.rename(self.staging, self.failed)
        return self.failed
