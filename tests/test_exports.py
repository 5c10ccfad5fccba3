"""Reader pages and the PDF, from a small real run (chapters 00, 04 and the register):
captions under figures and as alt text, the kind of data in words, links to the data, one PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.chapters import CHAPTERS

pytestmark = pytest.mark.slow

CHOSEN = ("00-survey-design", "04-cryptocurrencies", "10-claims-register")


@pytest.fixture(scope="module")
def run(tmp_path_factory, default_report) -> Path:
    """A copy of the session's default report (this module writes a PDF into it)."""
    out = tmp_path_factory.mktemp("exports") / "outputs"
    shutil.copytree(default_report, out, symlinks=True)
    return out


def _figures(out: Path, slug: str) -> list[dict]:
    return json.loads((out / "figures" / slug / "manifest.json").read_text(encoding="utf-8"))["figures"]


def test_reader_pages_caption_every_figure(run):
    from bs4 import BeautifulSoup

    for slug in CHOSEN:
        page = (run / "html" / "reader" / f"{slug}.html").read_text(encoding="utf-8")
        assert "No description has been provided" not in page
        soup = BeautifulSoup(page, features="html.parser")
        blocks = soup.select("div.nc-figure-caption")
        figures = _figures(run, slug)
        assert len(blocks) == len(figures) > 0
        for entry, block in zip(figures, blocks, strict=True):
            assert block["data-figure"] == entry["name"]
            assert entry["caption"] in block.get_text(" ", strip=True)
            assert entry["data_words"] in block.get_text(" ", strip=True)
            image = block.find_previous("img")
            assert image["alt"].startswith(entry["caption"])
            link = block.select_one("a[data-table]")
            if entry["table"]:
                assert link is not None and link["data-table"] == entry["table"]
            if link is not None:  # the link works from the reader page
                assert (run / "html" / "reader" / link["href"]).resolve().is_file(), link["href"]
    reader_00 = (run / "html" / "reader" / "00-survey-design.html").read_text(encoding="utf-8")
    assert "Data: SYNTHETIC — generated, not survey answers" in reader_00


def test_full_pages_link_tables_from_their_own_folder(run):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((run / "html" / "00-survey-design.html").read_text(encoding="utf-8"), features="html.parser")
    links = soup.select("div.nc-figure-caption a[data-table]")
    assert links and all((run / "html" / a["href"]).resolve().is_file() for a in links)


def test_export_pdf_writes_one_reader_pdf(run):
    from pypdf import PdfReader

    result = subprocess.run([sys.executable, "-m", "helpers", "export", "--pdf", "--output-dir", str(run)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    reader = PdfReader(run / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Claims register" in flat and "Chapters" in flat
    for spec in CHAPTERS:
        if spec.slug in CHOSEN:
            assert " ".join(spec.title.split()) in flat, spec.title
    claims = [line.split(",")[0] for line in (run / "claims.csv").read_text(encoding="utf-8").splitlines()[1:]]
    compact = flat.replace(" ", "")  # a long claim id wraps inside its table cell
    assert claims and all(claim in compact for claim in claims)
    assert "SYNTHETIC — generated, not survey answers" in flat
    images = sum(len(page.images) for page in reader.pages)
    figures = sum(len(_figures(run, slug)) for slug in CHOSEN)
    assert images >= figures
    for slug in CHOSEN:
        for entry in _figures(run, slug):
            assert " ".join(entry["caption"].split())[:60] in flat, entry["name"]
    assert "import " not in text  # the reader version: no code
