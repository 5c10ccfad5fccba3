"""The reader model the pages and the PDF share: sections, reasons, the output folder as written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT, OutputLayout
from helpers.report.reader import (
    DEMONSTRATION,
    FINDING,
    HIDDEN_TAGS,
    ClaimView,
    by_section,
    hidden,
    read_claims,
    short_p,
    shown_output_dir,
    verdict_counts,
    without_staging_paths,
)


def test_the_reader_pages_hide_the_same_cells_as_the_pdf():
    from helpers.report.export import page_exporters

    _, reader = page_exporters()
    assert set(reader.config.TagRemovePreprocessor.remove_cell_tags) == HIDDEN_TAGS
    assert hidden({"metadata": {"tags": ["papermill-error-cell-tag"]}})
    assert not hidden({"metadata": {"tags": ["figure"]}})


@pytest.mark.parametrize(("root", "shown"), [
    (PROJECT_ROOT / ".outputs.staging-4242-1733000000-ab12", "outputs"),
    (PROJECT_ROOT / "outputs", "outputs"),
    ("/srv/report/.run-7.staging-99-1-x", "/srv/report/run-7"),
    ("/srv/report/run-7", "/srv/report/run-7"),
])
def test_output_dir_shown_as_a_user_writes_it(root, shown):
    assert shown_output_dir(root) == shown


def test_printed_staging_paths_read_as_the_output_folder():
    printed = "PosixPath('/srv/r/.out.staging-1-2-ab/claims.csv') and /srv/r/out/tables/x.csv"
    shown = without_staging_paths(printed, Path("/srv/r/out"))
    assert shown == "PosixPath('/srv/r/out/claims.csv') and /srv/r/out/tables/x.csv"
    inside = f"{PROJECT_ROOT}/.outputs.staging-9-9-z/claims.csv"
    assert without_staging_paths(inside, PROJECT_ROOT / ".outputs.staging-1-1-y") == "outputs/claims.csv"


def test_staging_paths_found_in_long_unbroken_text():
    # an embedded image is megabytes of base64 with slashes and no spaces: a pattern that
    # backtracks over it never ends (a whole-report export hung on one)
    image = "iVBOR/w0KGgo" * 200_000
    text = f"{image} /srv/r/.out.staging-1-2-ab/fig.png {image}"
    assert without_staging_paths(text, Path("/srv/r/out")) == f"{image} /srv/r/out/fig.png {image}"


def test_sections_from_the_column_or_else_from_the_kind_of_data():
    assert ClaimView({"data": "synthetic"}).section == DEMONSTRATION
    assert ClaimView({"data": "user"}).section == FINDING
    assert ClaimView({"data": "published"}).section == FINDING
    assert ClaimView({"data": "published", "section": "demonstration"}).section == DEMONSTRATION
    claims = [ClaimView({"data": "synthetic", "verdict": "supported"}),
              ClaimView({"data": "published", "verdict": "not testable"}),
              ClaimView({"data": "published", "verdict": "supported"})]
    sections = by_section(claims)
    assert list(sections) == [FINDING, DEMONSTRATION]
    assert verdict_counts(sections[FINDING]) == {"supported": 1, "not supported": 0, "not testable": 1}


def test_why_not_testable_and_what_would_test_it_come_from_the_note():
    claim = ClaimView({"verdict": "not testable",
                       "note": "Not testable: only modal brackets were published. Testable with: the full table."})
    assert claim.untestable_reason == ("only modal brackets were published.", "the full table.")
    assert ClaimView({"verdict": "supported", "note": "Testable with: x"}).untestable_reason == ("", "")


def test_read_claims_shortens_numbers_once(tmp_path):
    layout = OutputLayout(tmp_path)
    with open(layout.claims_register, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["claim_id", "estimate", "ci_low", "ci_high", "p_adjusted",
                                                    "tipping_base", "tipping_note"])
        writer.writeheader()
        writer.writerow({"claim_id": "a_b", "estimate": "0.0846153846", "ci_low": "0.02771", "ci_high": "0.16398",
                         "p_adjusted": "0.000161", "tipping_base": "0.42", "tipping_note": "at 42 % answering"})
    (claim,) = read_claims(layout)
    assert claim.estimate == "0.0846 [0.0277, 0.164]"
    assert claim.p_adjusted == short_p("0.000161") == "<\u00a00.001"
    assert claim.tipping == "at 42 % answering"  # the note says it once, with its counts
    assert ClaimView({"tipping_base": "0.42"}).tipping == "holds down to 42 % of the total answering"
    assert read_claims(OutputLayout(tmp_path / "none")) == []


def test_index_keeps_demonstrations_apart_and_counts_findings_only():
    from helpers.report.export import claims_sections_html

    claims = [ClaimView({"claim_id": "demo_a", "data": "synthetic", "verdict": "supported"}),
              ClaimView({"claim_id": "real_b", "data": "published", "verdict": "not supported"}),
              ClaimView({"claim_id": "real_c", "data": "user", "verdict": "supported"})]
    page = claims_sections_html(claims).replace("<wbr>", "")  # ids may break after an underscore
    findings, demonstrations = page.split("Demonstrations: methods run on SYNTHETIC data")
    assert "real_b" in findings and "real_c" in findings and "demo_a" not in findings
    assert "demo_a" in demonstrations and "real_b" not in demonstrations
    assert "<b>1</b> supported" in findings and "<b>1</b> not supported" in findings
    assert "<b>1</b> supported" in demonstrations and "<b>0</b> not supported" in demonstrations
