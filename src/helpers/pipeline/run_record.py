"""The run record (``run.json``): what ran, on what, with which inputs, and how it ended."""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import sys
from datetime import UTC, datetime

from helpers.paths import PROJECT_ROOT


def git_state() -> dict:
    """The commit the report was built from, and whether the work tree had changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def data_manifest_record() -> list | None:
    """The data manifest (source, licence, access date and sha256 of every data file), if present."""
    try:
        from helpers.data.manifest import load_data_manifest
    except ImportError:
        return None
    return load_data_manifest()


def run_record(  # noqa: PLR0913 - the record's fields, all keyword-only
    *, started: str, chapters: dict, shared, command: list[str], exit_code: int, microdata_files: dict
) -> dict:
    """Everything a reader needs to trust, or repeat, a run. Only times and host vary between identical runs."""
    return {
        "started": started,
        "finished": now(),
        "host": socket.gethostname(),
        "command": command,
        "exit_code": exit_code,
        "git": git_state(),
        "python": sys.version.split()[0],
        "kernel_executable": sys.executable,
        "platform": platform.platform(),
        "packages": shared.packages,
        "input_files": {**shared.data_file_record(), **microdata_files},
        "data_manifest": data_manifest_record(),
        "chapters": chapters,
    }


def write_run_record(path, record: dict) -> None:
    from helpers.data.io import atomic_write_text

    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
