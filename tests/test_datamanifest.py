"""The data manifest: up to date, complete, and its checks catch stale entries."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers import paths
from helpers.data.manifest import PLACEHOLDER, check_data_manifest, load_data_manifest, refresh_data_manifest
from helpers.data.published import load_figures, load_waves


def test_manifest_is_up_to_date():
    problems = check_data_manifest()
    assert problems == [], (
        "data/manifest.yaml is stale - run: python -m helpers.data.manifest --refresh\n" + "\n".join(problems)
    )


def test_every_entry_has_provenance():
    entries = {e["path"]: e for e in load_data_manifest()}
    assert {"README.md", "codebook.yaml", "published/figures.csv", "published/waves.csv"} <= set(entries)
    for e in entries.values():
        assert e["source"] and e["licence"] and e["accessed"] and len(e["sha256"]) == 64
    assert "MIT" in entries["codebook.yaml"]["licence"]
    assert entries["codebook.yaml"]["source"].startswith("this project")
    assert "publicly available" in entries["published/figures.csv"]["licence"]
    assert set(load_figures()["source_url"]) <= set(entries["published/figures.csv"]["source"])
    assert set(load_waves()["source_url"]) <= set(entries["published/waves.csv"]["source"])


@pytest.fixture()
def data_copy(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, root, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return root


def test_changed_missing_and_unlisted_files_are_reported(data_copy):
    manifest = data_copy / "manifest.yaml"
    assert check_data_manifest(manifest) == []
    with (data_copy / "published" / "waves.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    (data_copy / "codebook.yaml").unlink()
    (data_copy / "notes.txt").write_text("new", encoding="utf-8")
    problems = check_data_manifest(manifest)
    assert ("published/waves.csv: sha256 mismatch "
            "(the file changed; run python -m helpers.data.manifest --refresh)") in problems
    assert "codebook.yaml: listed in the manifest but missing" in problems
    assert "notes.txt: not listed in the manifest" in problems


def test_refresh_recomputes_hashes_and_keeps_fields(data_copy):
    manifest = data_copy / "manifest.yaml"
    before = {e["path"]: e for e in load_data_manifest(manifest)}
    (data_copy / "README.md").write_text("changed\n", encoding="utf-8")
    (data_copy / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    changes = refresh_data_manifest(manifest)
    assert "README.md: sha256 updated" in changes and any(c.startswith("extra.csv: added") for c in changes)
    after = {e["path"]: e for e in load_data_manifest(manifest)}
    for key in ("source", "licence", "accessed", "notes"):
        assert after["README.md"][key] == before["README.md"][key]
    assert after["README.md"]["sha256"] != before["README.md"]["sha256"]
    assert after["extra.csv"]["source"] == PLACEHOLDER
    # the new file's provenance is still missing, and the check says so
    assert check_data_manifest(manifest) == ["extra.csv: no source recorded", "extra.csv: no licence recorded",
                                             "extra.csv: no accessed recorded"]
    assert refresh_data_manifest(manifest) == []   # idempotent


def test_manifest_is_valid_yaml_with_a_files_list():
    doc = yaml.safe_load(paths.DATA_MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(doc["files"], list)
