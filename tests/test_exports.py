"""Reader pages and the PDF, from a small real run (chapters 00, 04 and the register):
captions under figures and as alt text, the kind of data in words, links to the data, one PDF."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.chapters import CHAPTERS

pytestmark = pytest.mark.slow

CHOSEN = ("00-survey-design", "03-technology-trends", "04-cryptocurrencies", "10-claims-register")
#: What a reader must never see in a table: pandas' empty markers and numbers with over four decimals.
RAW_CELL = re.compile(r"^(NaN|nan|None|<NA>|NaT)$")
TOO_MANY_DECIMALS = re.compile(r"\d\.\d{5,}")


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


def _claims(out: Path) -> list[dict]:
    with open(out / "claims.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _table_cells(page: Path) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), features="html.parser")
    return [cell.get_text("", strip=True) for table in soup.find_all("table") for cell in table.find_all(["td", "th"])]


def test_reader_pages_and_index_tables_show_no_raw_cells(run):
    pages = [run / "html" / "index.html", *[run / "html" / "reader" / f"{slug}.html" for slug in CHOSEN]]
    for page in pages:
        cells = _table_cells(page)
        assert cells, page.name
        raw = [c for c in cells if RAW_CELL.match(c)]
        long = [c for c in cells if TOO_MANY_DECIMALS.search(c)]
        assert not raw and not long, (page.name, raw[:5], long[:5])
        assert not [c for c in cells if c.endswith("…")], page.name  # nothing cut
    reader_03 = _table_cells(run / "html" / "reader" / "03-technology-trends.html")
    assert "same conclusion across band" in reader_03  # headers in words, so wide tables wrap


def test_index_says_why_each_claim_is_not_testable_and_counts_findings_only(run):
    from bs4 import BeautifulSoup

    index = (run / "html" / "index.html").read_text(encoding="utf-8")
    text = " ".join(BeautifulSoup(index, features="html.parser").get_text(" ").split())
    claims = _claims(run)
    untestable = [c for c in claims if c["verdict"] == "not testable"]
    assert untestable
    for claim in untestable:
        why, _, would_need = claim["note"].partition("Testable with:")
        assert " ".join(why.removeprefix("Not testable:").split()) in text, claim["claim_id"]
        assert " ".join(would_need.split()) in text, claim["claim_id"]
    findings = text.split("Findings: published figures and user microdata", 1)[1]
    assert ("Demonstrations: methods run on SYNTHETIC data" in text) == any(c["data"] == "synthetic" for c in claims)
    shown = {verdict: int(re.search(rf"(\d+) {verdict}", findings).group(1))
             for verdict in ("supported", "not supported", "not testable")}
    assert shown == {v: sum(1 for c in claims if c["data"] != "synthetic" and c["verdict"] == v) for v in shown}


def test_pages_with_code_show_output_dir_as_written(run):
    from bs4 import BeautifulSoup

    for slug in CHOSEN:
        page = (run / "html" / f"{slug}.html").read_text(encoding="utf-8")
        assert ".staging-" not in page, slug
        text = BeautifulSoup(page, features="html.parser").get_text()
        assert f'output_dir = "{run}"' in text, slug  # the folder the run published to


def _id_pattern(claim_id: str) -> re.Pattern:
    """The id as PDF text may show it: a line break allowed only after an underscore."""
    return re.compile("".join(re.escape(ch) + (r"\s*" if ch == "_" else "") for ch in claim_id))


def _pdf_pages(run: Path) -> list[str]:
    """The text of each page of the run's PDF, written first if the module has not yet."""
    from pypdf import PdfReader

    if not (run / "report.pdf").exists():
        subprocess.run([sys.executable, "-m", "helpers", "export", "--pdf", "--output-dir", str(run)],
                       capture_output=True, text=True, timeout=300, check=True)
    return [page.extract_text() for page in PdfReader(run / "report.pdf").pages]


def test_pdf_never_breaks_an_id_or_a_number_mid_word(run):
    from helpers.report.reader import short_p

    pages = _pdf_pages(run)
    assert not any(".staging-" in page for page in pages)  # printed paths read as the output folder
    # the title page and the register, up to the first chapter page (its running head names it)
    first_chapter = next(i for i, page in enumerate(pages) if " · 00 · " in page.split("\n", 1)[0])
    text = "\n".join(pages[:first_chapter])
    for claim in _claims(run):
        assert _id_pattern(claim["claim_id"]).search(text), claim["claim_id"]
        shown = short_p(claim["p_adjusted"]).replace("\u00a0", " ")
        if shown:
            assert re.search(re.escape(shown).replace("\\ ", r"\s"), text), (claim["claim_id"], shown)


def test_pdf_table_headings_never_break_mid_word(run):
    """Headings are set in bold, so their columns are sized by the bold width ("estimat/e" before)."""
    pages = _pdf_pages(run)
    register = [page for page in pages if " · 10 · " in page.split("\n", 1)[0]]
    start = re.compile(r"claim\s+id\s+section\s")  # the register's listing of claims
    listings = [page[m.start():].split("note", 1)[0].split() for page in register for m in start.finditer(page)]
    assert listings, "no listing of claims found in the register chapter of the PDF"
    for words in listings:
        assert {"estimate", "adjusted"} <= set(words), words


def test_pdf_never_parts_a_minus_sign_from_its_number(run):
    """A negative number in a narrow column ("ci low") stays whole: "-" at a line end with its digits on the
    next line was seen for us_share_declined before hyphens broke only after letters."""
    register = [page for page in _pdf_pages(run) if " · 10 · " in page.split("\n", 1)[0]]
    assert any(re.search(r"-\d", page) for page in register), "no negative number found in the register pages"
    for page in register:
        parted = re.search(r"(?m)(?:^|\s)-[ \t]*\n[ \t]*\d[\d.]*", page)
        assert parted is None, page[max(0, parted.start() - 80):parted.end() + 20]
