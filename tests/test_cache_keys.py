"""Cache keys by module: a chapter's key covers the helpers modules its notebook can run, no more."""

from __future__ import annotations

import pytest

from helpers.chapters import CHAPTERS
from helpers.pipeline import cache, module_graph
from helpers.pipeline.cache import SharedInputs


def keys_after_editing(prefix: str) -> set[str]:
    """The chapters whose helpers component changes when every module under ``prefix`` is edited."""
    shared = SharedInputs()
    before = {spec.slug: shared.helpers_hash(spec.notebook) for spec in CHAPTERS}
    edited = [name for name in shared.module_hashes if name == prefix or name.startswith(prefix + ".")]
    assert edited, f"no module {prefix}"
    for name in edited:
        shared.module_hashes[name] = "edited"
    return {spec.slug for spec in CHAPTERS if shared.helpers_hash(spec.notebook) != before[spec.slug]}


def test_an_edit_to_the_pdf_builder_reruns_no_chapter():
    assert keys_after_editing("helpers.report.pdf") == set()


def test_an_edit_to_the_latent_models_reruns_only_the_chapters_that_use_them():
    # the register also says whether the stored method study still matches the latent code, so it
    # imports it; no other chapter does
    assert keys_after_editing("helpers.stats.latent") == {"05-offender-groups", "09-method-checks",
                                                          "10-claims-register"}


def test_an_edit_to_a_module_every_chapter_reaches_reruns_them_all():
    assert keys_after_editing("helpers.paths") == {spec.slug for spec in CHAPTERS}


def test_imports_inside_functions_and_parent_packages_count(tmp_path):
    package = tmp_path / "helpers"
    (package / "report").mkdir(parents=True)
    (package / "stats").mkdir()
    (package / "__init__.py").write_text("")
    (package / "report" / "__init__.py").write_text("")
    (package / "report" / "chapter.py").write_text("def lazy():\n    from helpers.stats.bands import band\n")
    (package / "stats" / "__init__.py").write_text("from . import proportions\n")
    (package / "stats" / "bands.py").write_text("")
    (package / "stats" / "proportions.py").write_text("")
    (package / "stats" / "unused.py").write_text("")
    files = module_graph.package_files(package)
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": ["%matplotlib inline\\n", '
                        '"from helpers.report.chapter import lazy"]}]}')
    used = module_graph.reachable(module_graph.notebook_imports(notebook, files), module_graph.import_edges(files),
                                  files)
    assert used == {"helpers", "helpers.report", "helpers.report.chapter", "helpers.stats", "helpers.stats.bands",
                    "helpers.stats.proportions"}


def test_a_recorded_chapter_is_not_parsed_again_and_an_edit_is_still_seen(monkeypatch):
    spec = next(s for s in CHAPTERS if s.slug == "05-offender-groups")
    first = SharedInputs()
    code = cache.code_hash(spec.notebook)
    digest = first.helpers_hash(spec.notebook, code)
    record = {"components": {"code": code, "helpers": digest}, "helpers_modules": first.modules_record(spec.notebook)}
    again = SharedInputs({spec.slug: record})
    with monkeypatch.context() as patch:  # answered from the record, without parsing the package
        patch.setattr(module_graph, "import_edges", lambda files: pytest.fail("the package was parsed"))
        assert again.helpers_hash(spec.notebook, code) == digest
    latent = next(m for m in again.module_hashes if m.startswith("helpers.stats.latent."))
    again.module_hashes[latent] = "edited"
    assert again.helpers_hash(spec.notebook, code) != digest


def test_every_chapter_reaches_the_parameter_checks():
    shared = SharedInputs()
    for spec in CHAPTERS:  # every chapter checks its parameters (the cell after its parameters cell)
        shared.helpers_hash(spec.notebook)
        assert "helpers.parameters" in shared.modules_record(spec.notebook)["modules"], spec.slug
