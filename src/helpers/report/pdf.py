"""One PDF of the reader version: the index (chapters and the claims register), then each chapter
with its code hidden, every figure with its caption and the kind of its data in words.

Built with fpdf2 (pure Python, installed by ``make env``) from what a run wrote: the executed
notebooks, ``claims.csv``, the figures' PNG files and their manifests, and ``run.json``. It
needs no browser, no TeX, no pandoc and no system library. Text is set in DejaVu Sans, which
matplotlib ships, so every character of the report (—, ≥, ×, é ...) prints.

    python -m helpers export --pdf          # outputs/report.pdf
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

from helpers.paths import OutputLayout
from helpers.report.reader import (
    DEMONSTRATION,
    SECTION_TITLES,
    ClaimView,
    by_section,
    hidden,
    read_claims,
    verdict_counts,
    without_staging_paths,
)
from helpers.report.style import DATA_WORDS

SYNTHETIC_COLOUR = (179, 88, 6)
GREY = (85, 85, 85)
FONT = "DejaVu"
MONO = "DejaVuMono"


def pdf_path(layout: OutputLayout) -> Path:
    return layout.root / "report.pdf"


def _fonts_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _new_document():
    from fpdf import FPDF

    class Report(FPDF):
        running_title = ""
        synthetic_chapter = False

        def header(self):
            if self.page_no() == 1:
                return
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*GREY)
            title = self.running_title if len(self.running_title) < 50 else self.running_title[:48] + "…"
            self.cell(0, 4, "NetClean Reports re-analysed" + (f" · {title}" if title else ""))
            if self.synthetic_chapter:
                self.set_font(FONT, "B", 7.5)
                self.set_text_color(*SYNTHETIC_COLOUR)
                self.set_x(self.l_margin)
                self.cell(0, 4, "Contains results on SYNTHETIC data", align="R")
            self.ln(7)
            self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-12)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(0, 6, f"{self.page_no()}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = Report(orientation="P", unit="mm", format="A4")
    fonts = _fonts_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.add_font(FONT, "BI", str(fonts / "DejaVuSans-BoldOblique.ttf"))
    pdf.add_font(MONO, "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.add_font(MONO, "B", str(fonts / "DejaVuSansMono-Bold.ttf"))
    pdf.add_font(MONO, "I", str(fonts / "DejaVuSansMono-Oblique.ttf"))
    pdf.add_font(MONO, "BI", str(fonts / "DejaVuSansMono-BoldOblique.ttf"))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title("The NetClean Reports 2015–2020, re-analysed")
    pdf.set_creator("netclean-reanalysis (python -m helpers export --pdf)")
    pdf.set_font(FONT, "", 10)
    return pdf


# ---------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------
def _markdown(pdf, text: str, *, size: float = 10) -> None:
    """Markdown through mistune (nbconvert's parser) into fpdf2's HTML subset."""
    import mistune

    html = mistune.html(text)
    pdf.set_font(FONT, "", size)
    pdf.write_html(html, font_family=FONT, pre_code_font=MONO,
                   heading_sizes={"h1": 18, "h2": 14, "h3": 12, "h4": 11, "h5": 10, "h6": 10},
                   warn_on_tags_not_matching=False)
    pdf.set_font(FONT, "", size)


def _paragraph(pdf, text: str, *, size: float = 9, style: str = "", colour=(0, 0, 0), mono: bool = False) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(MONO if mono else FONT, style, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.45, text, align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 10)


def _image(pdf, png: bytes | Path, *, max_height: float = 200) -> None:
    from PIL import Image

    data = png.read_bytes() if isinstance(png, Path) else png
    with Image.open(io.BytesIO(data)) as img:
        width_px, height_px = img.size
    width = pdf.epw
    height = width * height_px / width_px
    if height > max_height:
        height, width = max_height, max_height * width_px / height_px
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(data), x=pdf.l_margin, w=width, h=height)
    pdf.ln(1)


def _caption(pdf, name: str, entry: dict) -> None:
    """Under a figure: the caption, the kind of data in words, the source and the data's CSV."""
    data = entry.get("data", "")
    _paragraph(pdf, f"Figure ({name}). {entry.get('caption', '')}", size=8.5, style="")
    words = entry.get("data_words") or (f"Data: {DATA_WORDS[data]}" if data in DATA_WORDS else "")
    if words:
        _paragraph(pdf, words, size=8.5, style="B",
                   colour=SYNTHETIC_COLOUR if data == "synthetic" else GREY)
    details = []
    if entry.get("source"):
        details.append(f"Source: {entry['source']}")
    if entry.get("table"):
        details.append(f"Data of this figure: {entry['table']} (in the output folder)")
    if details:
        _paragraph(pdf, " · ".join(details), size=7.5, colour=GREY)
    pdf.ln(3)


def _html_table(pdf, html: str) -> bool:
    """A table of a notebook's output (the house formatter's HTML) as a PDF table; False when ``html`` holds none."""
    from bs4 import BeautifulSoup

    table = BeautifulSoup(html, features="html.parser").find("table")
    if table is None:
        return False
    rows = []
    for tr in table.find_all("tr"):
        cells = [cell.get_text("", strip=True) for cell in tr.find_all(["th", "td"])]
        if cells:
            rows.append(cells)
    if not rows:
        return False
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    first = table.find("tbody") or table
    numeric = [("nc-num" in (td.get("class") or [])) for td in (first.find("tr") or table).find_all("td")]
    _table(pdf, rows[0], rows[1:], size=7 if width <= 8 else 6, right=numeric)
    return True


#: Where a word too long for its column may break: after an underscore, slash or comma, or a hyphen that
#: follows a letter ("well-separated"); never after a minus sign, which stays with its number ("-0.070").
BREAK_AFTER = re.compile(r"(?<=[_/,])|(?<=[^\W\d_]-)")
#: Padding of a table cell on each side, in mm.
CELL_PADDING = 0.8


def _pieces(word: str) -> list[str]:
    """A word's unbreakable pieces: ids split after their underscores, numbers never split."""
    return [piece for piece in BREAK_AFTER.split(word) if piece]


def _words(line: str) -> list[str]:
    """The words of a line, split at ordinary spaces only (a no-break space holds "< 0.001" together)."""
    return [word for word in line.replace("\t", " ").split(" ") if word]


def _min_width(pdf, text: str) -> float:
    """The narrowest column (mm) that holds ``text`` without breaking any piece of it."""
    pieces = [p for line in text.split("\n") for word in _words(line) for p in _pieces(word)]
    return max((pdf.get_string_width(p) for p in pieces), default=0.0) + 2 * CELL_PADDING + 0.6


def _natural_width(pdf, text: str) -> float:
    """The column (mm) that holds ``text`` unwrapped."""
    return max((pdf.get_string_width(line) for line in text.split("\n")), default=0.0) + 2 * CELL_PADDING + 0.6


def _fit(pdf, text: str, width: float) -> str:
    """``text`` wrapped with newlines to fit ``width`` mm: at spaces, long ids after their underscores."""
    usable = width - 2 * CELL_PADDING - 0.6
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _words(paragraph):
            for i, piece in enumerate(_pieces(word) if pdf.get_string_width(word) > usable else [word]):
                glue = " " if line and i == 0 else ""
                if line and pdf.get_string_width(line + glue + piece) > usable:
                    lines.append(line)
                    line = piece
                else:
                    line += glue + piece
        lines.append(line)
    return "\n".join(lines)


def _measured(pdf, header: list[str], rows: list[list[str]], measure) -> list[float]:
    """Per column, the widest ``measure`` (mm) of its cells, the heading measured in bold as it is set."""
    size = pdf.font_size_pt
    pdf.set_font(FONT, "B", size)
    headings = [measure(pdf, h) for h in header]
    pdf.set_font(FONT, "", size)
    return [max([heading, *(measure(pdf, str(v)) for v in column[1:])])  # a table may have no rows
            for heading, column in zip(headings, zip(header, *rows, strict=True), strict=True)]


def _column_widths(pdf, header: list[str], rows: list[list[str]], weights=None) -> list[float]:
    """Widths (mm) summing to the page width: each column at least its longest unbreakable piece
    (no heading or cell breaks mid-word), the rest shared by ``weights`` (default: the columns'
    typical text length)."""
    columns = list(zip(header, *rows, strict=True))
    natural = _measured(pdf, header, rows, _natural_width)
    if sum(natural) <= pdf.epw:  # a narrow table keeps its own width
        return natural
    minimum = _measured(pdf, header, rows, _min_width)
    if weights is None:
        weights = [max(1.0, sum(pdf.get_string_width(str(v)) for v in column) / len(column)) for column in columns]
    spare = max(0.0, pdf.epw - sum(minimum))
    total = sum(weights)
    return [m + spare * w / total for m, w in zip(minimum, weights, strict=True)]


def _table(pdf, header: list[str], rows: list[list[str]], *, size: float = 7, col_widths=None,
           row_colours: list | None = None, right=()) -> None:
    """A table whose cells wrap at spaces and underscores only; the type shrinks until ids and numbers fit.

    ``right``: per column, True to set it right-aligned (numbers).
    """
    from fpdf.fonts import FontFace

    header, rows = [str(h) for h in header], [[str(v) for v in r] for r in rows]
    pdf.set_font(FONT, "", size)
    while size > 5 and sum(_measured(pdf, header, rows, _min_width)) > pdf.epw:
        size -= 0.5
        pdf.set_font(FONT, "", size)
    widths = _column_widths(pdf, header, rows, col_widths)
    pdf.ln(1.5)
    pdf.set_x(pdf.l_margin)
    with pdf.table(col_widths=widths, text_align="LEFT", v_align="TOP", line_height=size * 0.5, padding=CELL_PADDING,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(236, 236, 236)), align="LEFT",
                   borders_layout="HORIZONTAL_LINES", width=min(pdf.epw, sum(widths))) as table:
        pdf.set_font(FONT, "B", size)
        table.row([_fit(pdf, h, w) for h, w in zip(header, widths, strict=True)])
        pdf.set_font(FONT, "", size)
        for i, values in enumerate(rows):
            colour = row_colours[i] if row_colours else None
            style = FontFace(fill_color=colour) if colour else None
            row = table.row(style=style)
            for column, (value, width) in enumerate(zip(values, widths, strict=True)):
                aligned = "RIGHT" if column < len(right) and right[column] else None
                row.cell(_fit(pdf, value, width), align=aligned)
    pdf.set_font(FONT, "", 10)
    pdf.ln(2)


# ---------------------------------------------------------------------------------------
# the document
# ---------------------------------------------------------------------------------------
def _index(pdf, layout: OutputLayout, chapters, statuses: dict[str, str]) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(0, 9, "The NetClean Reports 2015–2020, re-analysed", align="L")
    pdf.ln(2)
    _paragraph(pdf, "Every claim of the reports, with intervals, a named test and a verdict. This is the reader "
                    "version of the report (code hidden); the HTML export and the notebooks hold the code. Rows and "
                    "figures marked SYNTHETIC come from generated microdata: they show that a method works, not "
                    "what officers reported.", size=9.5)
    if layout.run_record.exists():
        record = json.loads(layout.run_record.read_text(encoding="utf-8"))
        bits = [f"{k} {record[k]}" for k in ("started", "finished") if record.get(k)]
        git = record.get("git") if isinstance(record.get("git"), dict) else {}
        if git.get("commit"):
            dirty = " (with uncommitted changes)" if git.get("dirty") else ""
            bits.append(f"git commit {git['commit'][:12]}{dirty}")
        if bits:
            _paragraph(pdf, "Build: " + " · ".join(str(b) for b in bits), size=7.5, colour=GREY)
    pdf.ln(3)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, "Chapters", new_x="LMARGIN", new_y="NEXT")
    rows = [[spec.number, spec.title, statuses.get(spec.slug, "")] for spec in chapters if spec.slug in statuses]
    _table(pdf, ["#", "chapter", "status"], rows, size=8.5, col_widths=(8, 70, 22))
    claims = read_claims(layout)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, "Claims register", new_x="LMARGIN", new_y="NEXT")
    if not claims:
        _paragraph(pdf, "The claims register has not been built in this run.")
        return
    _paragraph(pdf, "Estimate with its 95 % interval on the scale named under it; p adjusted (Benjamini–Hochberg) "
                    "within its family; the verdict judged at the end of a published band least favourable to the "
                    "claim. A claim not testable says why, and what data would make it testable.", size=8, colour=GREY)
    for section, section_claims in by_section(claims).items():
        _claims_section(pdf, section, section_claims)


def _claim_cells(claim: ClaimView) -> list[str]:
    """One register row in the PDF: claim, statement (and kind), data, test, evidence, p, verdict."""
    evidence = claim.estimate + (f"\n{claim.get('scale')}" if claim.estimate and claim.get("scale") else "")
    why, would_need = claim.untestable_reason
    if why:
        evidence = "\n".join(filter(None, [evidence, f"Why not: {why}", f"Testable with: {would_need}"]))
    if claim.tipping:
        evidence = "\n".join(filter(None, [evidence, f"Tipping base: {claim.tipping}"]))
    statement = claim.get("statement") + (f"\n({claim.get('claim_kind')})" if claim.get("claim_kind") else "")
    data = "SYNTHETIC — generated, not survey answers" if claim.get("data") == "synthetic" else claim.get("data")
    return [f"{claim.get('claim_id')}\n({claim.get('chapter')})", statement, data, claim.get("test"), evidence,
            claim.p_adjusted, claim.get("verdict")]


def _claims_section(pdf, section: str, claims: list[ClaimView]) -> None:
    """One section of the register (findings, or demonstrations on synthetic data) with its verdict counts."""
    pdf.ln(1)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, SECTION_TITLES[section], align="L", new_x="LMARGIN", new_y="NEXT")
    counts = " · ".join(f"{n} {verdict}" for verdict, n in verdict_counts(claims).items())
    _paragraph(pdf, counts + ("" if section != DEMONSTRATION else
                              ". SYNTHETIC data: these rows show that a method finds a planted structure, not what "
                              "officers reported; they are not counted among the findings."), size=8, colour=GREY)
    colours = [(255, 240, 210) if section == DEMONSTRATION else None for _ in claims]
    _table(pdf, ["claim", "statement", "data", "test", "estimate [95 % interval]", "p (BH)", "verdict"],
           [_claim_cells(c) for c in claims], size=6.5, col_widths=(10, 30, 1, 10, 40, 1, 4), row_colours=colours)


def _chapter(pdf, layout: OutputLayout, spec) -> None:
    import nbformat

    source = layout.notebook(spec.slug)
    if not source.exists():
        return
    nb = nbformat.read(str(source), as_version=4)
    manifest_file = layout.figures(spec.slug) / "manifest.json"
    figures = {}
    if manifest_file.exists():
        figures = {e["name"]: e for e in json.loads(manifest_file.read_text(encoding="utf-8")).get("figures", [])}
    pdf.running_title = f"{spec.number} · {spec.title}"
    pdf.synthetic_chapter = any(e.get("data") == "synthetic" for e in figures.values())
    pdf.add_page()
    pdf.start_section(f"{spec.number} {spec.title}", level=0)
    banner = pdf.synthetic_chapter
    for cell in nb.cells:
        if hidden(cell):
            continue
        if cell.cell_type == "markdown":
            _markdown(pdf, cell.source)
            if banner:  # under the chapter's title and introduction
                _paragraph(pdf, "SYNTHETIC DATA: parts of this chapter run on generated microdata. They show "
                                "what a method finds in a planted structure; they say nothing about real officers.",
                           size=9, style="B", colour=SYNTHETIC_COLOUR)
                pdf.ln(2)
                banner = False
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            _output(pdf, output, layout, spec.slug, figures)


def _output(pdf, output, layout: OutputLayout, slug: str, figures: dict) -> None:
    kind = output.get("output_type")
    if kind == "stream" and output.get("name") == "stdout":
        _paragraph(pdf, without_staging_paths(output.get("text", "").rstrip(), layout.root), size=7.5, mono=True)
        return
    if kind not in ("display_data", "execute_result"):
        return  # errors and stderr belong to the code version
    data = output.get("data", {})
    meta = output.get("metadata", {}).get("netclean", {})
    if meta.get("caption_of"):
        name = meta["caption_of"]
        _caption(pdf, name, figures.get(name, {}))
        return
    figure = layout.figures(slug) / f"{meta['figure']}.png" if meta.get("figure") else None
    if figure is not None and figure.exists():
        _image(pdf, figure)
        return
    if "image/png" in data:
        _image(pdf, base64.b64decode(data["image/png"]))
        return
    if "text/markdown" in data:
        _markdown(pdf, data["text/markdown"], size=8.5)
        pdf.ln(1)
        return
    if "text/html" in data and _html_table(pdf, data["text/html"]):
        return
    if "text/plain" in data:
        _paragraph(pdf, without_staging_paths(data["text/plain"], layout.root), size=7.5, mono=True)


def write_pdf(layout: OutputLayout, chapters, statuses: dict[str, str]) -> Path:
    """Write ``report.pdf`` in the output folder: index, claims register, then every executed chapter."""
    import os

    pdf = _new_document()
    _index(pdf, layout, chapters, statuses)
    for spec in chapters:
        if spec.slug in statuses:
            _chapter(pdf, layout, spec)
    target = pdf_path(layout)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_bytes(bytes(pdf.output()))
    os.replace(tmp, target)  # readers see the old PDF or the new one, never half of one
    return target
