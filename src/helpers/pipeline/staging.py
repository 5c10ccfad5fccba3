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

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from helpers import lifecycle
from helpers.errors import ReportError

#: Free space a run needs beyond a copy of the current outputs (chapters write a few MB each).
SPACE_NEEDED = 200 * 2**20
#: Errors of the file system that are the output folder's fault, not the program's.
FOLDER_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


class OutputBusyError(ReportError):
    """Another run holds the output folder."""


class OutputFolderError(ReportError):
    """The output folder (or its parent) cannot be written: read-only, not ours, or full."""


def folder_error(root: Path, exc: OSError) -> OutputFolderError:
    """The message for a file-system error while writing the outputs: what, where, what to do."""
    what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "it is on a read-only file system"}.get(exc.errno or 0, "it is not writable")
    where = f" ({exc.filename})" if exc.filename else ""
    return OutputFolderError(f"cannot write the output folder {root}: {what}{where}. "
                             "Choose another folder with --output-dir, or free some space")


@contextmanager
def folder_errors(root: Path) -> Iterator[None]:
    """File-system errors that are the output folder's fault become an OutputFolderError (exit 2)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in FOLDER_ERRNOS:
            raise
        raise folder_error(root, exc) from exc


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


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
        self._lock_file: IO[str] | None = None

    def __enter__(self) -> OutputTransaction:
        with folder_errors(self.final):
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

    def check_writable(self) -> None:
        """The live folder must be writable when it exists, and the disk must hold a copy of it and a run."""
        if self.final.exists() and not os.access(self.final, os.W_OK):
            raise folder_error(self.final, PermissionError(errno.EACCES, "not writable", str(self.final)))
        size = sum(p.stat().st_size for p in self.final.rglob("*") if p.is_file()) if self.final.exists() else 0
        free = shutil.disk_usage(_existing_parent(self.final.parent)).free
        if free < size + SPACE_NEEDED:
            raise OutputFolderError(
                f"cannot write the output folder {self.final}: the disk is full ({free // 2**20} MB free, a run "
                f"needs about {(size + SPACE_NEEDED) // 2**20} MB). Free some space, or choose another folder "
                "with --output-dir")

    def begin(self) -> Path:
        """A staging folder holding a copy of the live outputs, for chapters that need not re-run."""
        self.check_writable()
        with folder_errors(self.final):
            if self.final.exists():
                shutil.copytree(self.final, self.staging, symlinks=True)
            else:
                self.staging.mkdir(parents=True)
        return self.staging

    def commit(self) -> None:
        """Swap the staging folder in; a swap that fails half-way puts the live folder back."""
        lifecycle.pause_point("before-swap")
        with folder_errors(self.final):
            if self.final.exists():
                os.rename(self.final, self.previous)
                lifecycle.pause_point("mid-swap")
            try:
                os.rename(self.staging, self.final)
            except OSError:
                if self.previous.exists() and not self.final.exists():
                    os.rename(self.previous, self.final)
                raise
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
