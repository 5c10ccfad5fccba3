"""Faults around a run: an output folder that cannot be written is exit 2 with a clear message,
and the outputs stay as they were."""

from __future__ import annotations

import errno
import os
from collections import namedtuple
from pathlib import Path

import pytest
from conftest import WRITES_CLAIMS, chapter_specs, write_notebook

from helpers.pipeline import staging
from helpers.pipeline.runner import ExitCode, RunOptions, run
from helpers.pipeline.staging import OutputFolderError, OutputTransaction


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def chapters(chapters_dir):
    write_notebook(chapters_dir / "00-one.ipynb", 'CHAPTER = "00-one"', WRITES_CLAIMS)
    return chapter_specs(chapters_dir, ["00-one"])


def test_a_read_only_parent_folder_is_exit_2_with_a_clear_message(chapters, capsys):
    readonly = Path("/sys")  # sysfs: nobody, root included, may create a file there
    try:
        (readonly / ".netclean-probe").touch()
    except OSError:
        pass
    else:
        pytest.skip("/sys is writable here")
    code = run(RunOptions(output_dir=str(readonly / "netclean-outputs"), chapters=chapters, jobs=1))
    message = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "cannot write the output folder /sys/netclean-outputs" in message and "--output-dir" in message
    assert "Traceback" not in message


def test_a_full_disk_is_exit_2_before_anything_runs_and_the_outputs_stay(chapters, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "claims.csv").write_text("claim_id\nkept\n")
    before = tree(out)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(staging.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
    code = run(RunOptions(output_dir=str(out), chapters=chapters, jobs=1))
    message = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "the disk is full (1 MB free" in message and "untouched" in message
    assert tree(out) == before
    assert not list(tmp_path.glob(".out.staging*"))


def test_a_swap_that_fails_half_way_puts_the_live_folder_back(tmp_path, monkeypatch):
    final = tmp_path / "out"
    final.mkdir()
    (final / "claims.csv").write_text("old\n")
    rename = os.rename

    def refuse_staging(source, target):
        if Path(source).name.startswith(".out.staging"):
            raise OSError(errno.EROFS, "Read-only file system", str(target))
        rename(source, target)

    with OutputTransaction(final) as transaction:
        (transaction.begin() / "claims.csv").write_text("new\n")
        monkeypatch.setattr(staging.os, "rename", refuse_staging)
        with pytest.raises(OutputFolderError, match="read-only file system"):
            transaction.commit()
    assert (final / "claims.csv").read_text() == "old\n"
    assert not transaction.previous.exists() and not transaction.staging.exists()
