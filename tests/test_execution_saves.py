"""The runner's papermill engine writes a chapter's notebook when it starts and when it ends, not at
every cell's start and end as papermill does (the register's notebook holds megabytes of figures),
and a chapter that fails still leaves the notebook papermill would have left."""

from __future__ import annotations

import nbformat
import papermill.engines
import pytest

from helpers.pipeline.execution import ChapterTask, execute_chapter
from helpers.pipeline.kernel import KERNEL_NAME

pytestmark = pytest.mark.report  # starts kernels


def _notebook(path, last_cell: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}
    parameters = nbformat.v4.new_code_cell("x = 1")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters] + [nbformat.v4.new_code_cell(f"y{i} = x + {i}") for i in range(8)]
    nb.cells += [nbformat.v4.new_markdown_cell("text"), nbformat.v4.new_code_cell(last_cell)]
    nbformat.write(nb, str(path))
    return path


def _run(tmp_path, monkeypatch, last_cell):
    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: (writes.append(path), real(nb, path)))
    source, output = _notebook(tmp_path / "in.ipynb", last_cell), tmp_path / "out.ipynb"
    task = ChapterTask("saves", str(source), str(output), {"x": 2}, str(tmp_path / "runtime"), 60)
    (tmp_path / "runtime").mkdir()
    return execute_chapter(task), writes, nbformat.read(str(output), as_version=4)


def test_a_chapter_notebook_is_written_at_its_start_and_end_only(tmp_path, monkeypatch):
    outcome, writes, executed = _run(tmp_path, monkeypatch, "print('done', y7)")
    assert outcome.status == "ok", outcome
    assert len(writes) == 2, f"{len(writes)} writes (papermill alone writes one at each cell's start and end, 26 here)"
    last = executed.cells[-1]
    assert last.outputs and "done 9" in last.outputs[0]["text"]
    assert all(c.metadata["papermill"]["status"] == "completed" for c in executed.cells)


def test_a_failing_chapter_leaves_its_error_in_the_written_notebook(tmp_path, monkeypatch):
    outcome, writes, executed = _run(tmp_path, monkeypatch, "raise ValueError('planted failure')")
    assert outcome.status == "failed" and outcome.kind == "cell_error" and outcome.ename == "ValueError"
    assert executed.cells[-1].outputs[-1]["ename"] == "ValueError"
    assert executed.cells[-1].metadata["papermill"]["status"] == "failed"
    assert len(writes) <= 3  # start, end, and papermill's error banner
