"""Atomic outputs and incremental keys, as units (the pipeline tests exercise them end to end)."""

import json
import os

import pytest
from conftest import write_notebook

from helpers.pipeline import cache
from helpers.pipeline.staging import OutputBusyError, OutputTransaction


def test_commit_swaps_in_and_failure_keeps_the_live_folder(tmp_path):
    live = tmp_path / "outputs"
    live.mkdir()
    (live / "claims.csv").write_text("old")
    with OutputTransaction(live) as tx:
        staging = tx.begin()
        assert (staging / "claims.csv").read_text() == "old"  # starts from the last good outputs
        (staging / "claims.csv").write_text("new")
        tx.commit()
    assert (live / "claims.csv").read_text() == "new"
    with OutputTransaction(live) as tx:
        (tx.begin() / "claims.csv").write_text("half-written")
        failed = tx.keep_as_failed()
    assert (live / "claims.csv").read_text() == "new"
    assert (failed / "claims.csv").read_text() == "half-written"


def test_a_run_killed_mid_swap_is_recovered(tmp_path):
    live = tmp_path / "outputs"
    tx = OutputTransaction(live)
    tx.previous.mkdir(parents=True)  # the state between the two renames of a commit
    (tx.previous / "claims.csv").write_text("last good")
    tx.staging.mkdir()
    with OutputTransaction(live):
        pass
    assert (live / "claims.csv").read_text() == "last good"
    assert not tx.previous.exists() and not tx.staging.exists()


def test_second_transaction_on_the_same_folder_is_refused(tmp_path):
    live = tmp_path / "outputs"
    with OutputTransaction(live):
        with pytest.raises(OutputBusyError, match=str(os.getpid())):
            OutputTransaction(live).__enter__()


def test_a_markdown_edit_makes_the_chapter_stale_for_its_text_not_its_code(tmp_path):
    """The exported pages print the notebook's prose, so reworded text must reach them; the code
    hash (which decides parameters and modules) stays as it was."""
    nb = write_notebook(tmp_path / "a.ipynb", "x = 1", markdown="# Before")
    shared = cache.SharedInputs()
    previous = {"status": "ok", "components": cache.chapter_components(nb, {}, shared)}
    code = cache.code_hash(nb)
    write_notebook(nb, "x = 1", markdown="# After, reworded")
    assert cache.code_hash(nb) == code
    assert cache.stale_reasons(cache.chapter_components(nb, {}, shared), previous) == [cache.REASONS["text"]]
    write_notebook(nb, "x = 2", markdown="# After, reworded")
    assert cache.code_hash(nb) != code


def test_stale_reasons_name_what_changed(tmp_path):
    nb = write_notebook(tmp_path / "a.ipynb", "x = 1")
    shared = cache.SharedInputs()
    components = cache.chapter_components(nb, {"alpha": 0.05, "output_dir": "/a"}, shared)
    previous = {"status": "ok", "components": components}
    moved = cache.chapter_components(nb, {"alpha": 0.05, "output_dir": "/elsewhere"}, shared)
    assert cache.stale_reasons(moved, previous) == []  # the output folder is not an input
    changed = cache.chapter_components(nb, {"alpha": 0.01, "output_dir": "/a"}, shared)
    assert cache.stale_reasons(changed, previous) == ["its parameters changed"]
    assert cache.stale_reasons(components, None) == ["no previous result"]
    assert cache.stale_reasons(components, {"status": "failed"}) == ["its last run did not succeed"]
    user_file = tmp_path / "mine.csv"
    user_file.write_text("a")
    with_file = cache.chapter_components(nb, {"microdata": str(user_file)}, shared, inputs=[user_file])
    user_file.write_text("b")
    assert cache.stale_reasons(cache.chapter_components(nb, {"microdata": str(user_file)}, shared, inputs=[user_file]),
                               {"status": "ok", "components": with_file}) == ["an input data file changed"]
    json.dumps(components)  # recorded in run.json as it is
