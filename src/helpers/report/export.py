"""HTML exports through nbconvert's ``HTMLExporter``, in-process (no CLI call per notebook).

Each chapter gets a full page (code shown) and a reader page (code hidden, the injected
parameters and error banners kept out), and ``index.html`` links them all and shows the
claims register.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from helpers.data.io import atomic_write_text
from helpers.paths import OutputLayout

#: Cells that never appear on a reader page.
READER_HIDDEN_TAGS = ("remove-cell", "injected-parameters", "parameters")


def _exporters():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    full = HTMLExporter(template_name="lab")
    full.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=("remove-cell",), enabled=True), enabled=True
    )
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = READER_HIDDEN_TAGS
    config.TagRemovePreprocessor.enabled = True
    reader = HTMLExporter(
        config=config, template_name="lab",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    reader.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return full, reader


def export_chapters(layout: OutputLayout, slugs: list[str]) -> list[Path]:
    """Write the full and the reader page of each executed chapter notebook; returns the pages written."""
    import nbformat

    full, reader = _exporters()
    written = []
    for slug in slugs:
        source = layout.notebook(slug)
        if not source.exists():
            continue
        _, nb = nbformat.validator.normalize(nbformat.read(str(source), as_version=4, capture_validation_error={}))
        nb = nbformat.from_dict(nb)
        for exporter, target, depth in ((full, layout.html / f"{slug}.html", 1),
                                        (reader, layout.html / "reader" / f"{slug}.html", 2)):
            body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": slug}})
            atomic_write_text(target, finish_figures(body, layout, slug, depth=depth))
            written.append(target)
    return written


def finish_figures(page: str, layout: OutputLayout, slug: str, *, depth: int) -> str:
    """Each figure's caption as its alt text, and the link to its data's CSV as seen from this page.

    ``depth``: folders between the page and the output root (``html/`` 1, ``html/reader/`` 2).
    A figure whose table was written after it (same name) gets its link here.
    """
    if "nc-figure-caption" not in page:
        return page
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    up = "../" * depth
    for block in soup.select("div.nc-figure-caption"):
        caption = block.select_one(".nc-caption-text")
        words = block.select_one(".nc-data")
        image = block.find_previous("img")
        if image is not None and caption is not None:
            text = caption.get_text(" ", strip=True).removeprefix("Figure.").strip()
            image["alt"] = text + (f" ({words.get_text(strip=True)})" if words is not None else "")
        link = block.select_one("a[data-table]")
        if link is None:
            table = f"tables/{slug}/{block.get('data-figure', '')}.csv"
            if (layout.root / table).is_file():
                line = soup.new_tag("p", style="margin:0.2em 0;font-size:0.9em;color:#555")
                link = soup.new_tag("a", attrs={"class": "nc-table-link", "data-table": table})
                link.string = "The data of this figure (CSV)"
                line.append(link)
                block.append(line)
        if link is not None:
            link["href"] = up + str(link["data-table"])
    return str(soup)


def _claims_rows(layout: OutputLayout) -> list[dict]:
    if not layout.claims_register.exists():
        return []
    with open(layout.claims_register, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


INDEX_STYLE = (
    "\n"
    "body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 72rem; "
    "margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }\n"
    "th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }\n"
    "th { background: #f3f3f3; }\n"
    ".supported { color: #1b7837; font-weight: 600; } .not-supported { color: #b2182b; font-weight: 600; } "
    ".not-testable { color: #666; font-weight: 600; }\n"
    ".synthetic { background: #fff4d6; }\n"
)


def _short(number: str) -> str:
    """A number from claims.csv to three significant digits, for reading (the CSV keeps them all)."""
    try:
        return f"{float(number):.3g}" if number else ""
    except ValueError:
        return html.escape(number)


def _estimate(row: dict) -> str:
    if not row.get("estimate"):
        return ""
    text = _short(row["estimate"])
    if row.get("ci_low") and row.get("ci_high"):
        text += f" [{_short(row['ci_low'])}, {_short(row['ci_high'])}]"
    return f"{text}<br><small>{html.escape(row.get('scale', ''))}</small>"


def write_index(layout: OutputLayout, chapters, statuses: dict[str, str]) -> Path:
    """``index.html``: every chapter (both pages) and the claims register, the place to start."""
    chapter_rows = []
    for spec in chapters:
        if spec.slug not in statuses:
            continue
        links = (
            f'<a href="reader/{spec.slug}.html">read</a> · <a href="{spec.slug}.html">with code</a>'
            if (layout.html / f"{spec.slug}.html").exists() else "not exported"
        )
        chapter_rows.append(
            f"<tr><td>{spec.number}</td><td>{html.escape(spec.title)}</td><td>{links}</td>"
            f"<td>{html.escape(statuses[spec.slug])}</td></tr>"
        )
    claim_rows = []
    for row in _claims_rows(layout):
        verdict = row.get("verdict", "")
        css = verdict.replace(" ", "-")
        data_kind = row.get("data", "")
        claim_rows.append(
            f'<tr class="{"synthetic" if data_kind == "synthetic" else ""}">'
            f"<td>{html.escape(row.get('claim_id', ''))}</td><td>{html.escape(row.get('chapter', ''))}</td>"
            f"<td>{html.escape(row.get('statement', ''))}</td><td>{html.escape(data_kind)}</td>"
            f"<td>{html.escape(row.get('test', ''))}</td><td>{_estimate(row)}</td>"
            f"<td>{_short(row.get('p_adjusted', ''))}</td>"
            f'<td class="{css}">{html.escape(verdict)}</td></tr>'
        )
    claims_html = (
        "<table><tr><th>claim</th><th>chapter</th><th>statement</th><th>data</th><th>test</th>"
        "<th>estimate [95 % interval]</th><th>p (BH-adjusted)</th><th>verdict</th></tr>"
        + "".join(claim_rows) + "</table>"
        if claim_rows else "<p>The claims register has not been built in this run.</p>"
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NetClean Reports re-analysed</title>
<style>{INDEX_STYLE}</style></head>
<body>
<h1>The NetClean Reports 2015–2019, re-analysed</h1>
<p>Every claim of the reports, with intervals, a named test and a verdict. Start with the
<a href="reader/10-claims-register.html">claims register</a> (or the table below, also as
<a href="../claims.csv">claims.csv</a>). Rows on a yellow background come from <b>synthetic</b>
microdata: they show that a method works, not what officers reported.</p>
<h2>Chapters</h2>
<table><tr><th>#</th><th>chapter</th><th>pages</th><th>status</th></tr>{''.join(chapter_rows)}</table>
<h2>Claims register</h2>
{claims_html}
<p>Provenance of this build: <a href="../run.json">run.json</a>.</p>
</body></html>
"""
    target = layout.html / "index.html"
    atomic_write_text(target, page)
    return target
