"""HTML exports through nbconvert's ``HTMLExporter``, in-process (no CLI call per notebook).

Each chapter gets a full page (code shown) and a reader page (code hidden, the injected
parameters and error banners kept out), and ``index.html`` links them all and shows the
claims register.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from helpers.data.io import atomic_write_text
from helpers.paths import OutputLayout
from helpers.report.reader import (
    DEMONSTRATION,
    HIDDEN_TAGS,
    HIDDEN_WITH_CODE,
    SECTION_TITLES,
    ClaimView,
    by_section,
    read_claims,
    shown_output_dir,
    verdict_counts,
    without_staging_paths,
)
from helpers.report.tables import TABLE_CSS

#: On every page: printed text wraps between words (JupyterLab's style breaks it anywhere).
PAGE_CSS = ".jp-OutputArea-output pre{word-break:normal;overflow-wrap:break-word}"


#: JupyterLab's page with the code input block of ``lab/base.html.j2`` minus its ``clean_html``
#: filter: bleach re-parses every highlighted cell (a large share of the export time) and leaves
#: pygments' output unchanged, since it holds only ``div``, ``pre`` and ``span`` with classes.
#: Markdown and outputs are still cleaned as nbconvert does.
CODE_PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
     <div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
     </div>
</div>
{%- endblock input %}
"""


def page_exporters():
    """The two HTML exporters: the page with code, and the reader page (code and hidden cells removed)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    full = HTMLExporter(template_name="lab", raw_template=CODE_PAGE_TEMPLATE)
    full.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=tuple(HIDDEN_WITH_CODE), enabled=True), enabled=True
    )
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = tuple(sorted(HIDDEN_TAGS))
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

    full, reader = page_exporters()
    written = []
    for slug in slugs:
        source = layout.notebook(slug)
        if not source.exists():
            continue
        _, nb = nbformat.validator.normalize(nbformat.read(str(source), as_version=4, capture_validation_error={}))
        nb = nbformat.from_dict(nb)
        show_output_dir_as_written(nb, layout)
        for exporter, target, depth in ((full, layout.html / f"{slug}.html", 1),
                                        (reader, layout.html / "reader" / f"{slug}.html", 2)):
            body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": slug}})
            body = body.replace("</head>", f"<style>{PAGE_CSS}</style></head>", 1)
            body = without_staging_paths(body, layout.root)  # paths a cell printed
            atomic_write_text(target, finish_figures(body, layout, slug, depth=depth))
            written.append(target)
    return written


#: The line papermill injects for ``output_dir`` (the runner passes its staging folder).
INJECTED_OUTPUT_DIR = re.compile(r'^output_dir = .*$', re.MULTILINE)


def show_output_dir_as_written(nb, layout: OutputLayout) -> None:
    """The injected parameters cell shows ``output_dir`` as a user writes it, never a staging path."""
    line = f'output_dir = "{shown_output_dir(layout.root)}"  # the output folder of python -m helpers run'
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = INJECTED_OUTPUT_DIR.sub(lambda _: line, cell.source)


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


INDEX_STYLE = (
    "\n"
    "body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 76rem; "
    "margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }\n"
    "th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }\n"
    "th { background: #f3f3f3; }\n"
    "td.nc-num { white-space: nowrap; } td.nc-id { min-width: 9rem; }\n"
    ".supported { color: #1b7837; font-weight: 600; } .not-supported { color: #b2182b; font-weight: 600; } "
    ".not-testable { color: #666; font-weight: 600; }\n"
    ".synthetic { background: #fff4d6; }\n"
    ".why { color: #444; font-size: 0.85rem; } .why b { color: #222; }\n"
    ".counts span { margin-right: 1.2em; }\n"
    + TABLE_CSS
)


def _evidence(claim: ClaimView) -> str:
    """The estimate with its interval and scale; for a claim not testable, why and what would test it."""
    why, would_need = claim.untestable_reason
    parts = []
    if claim.estimate:
        parts.append(f'<span class="nc-num">{html.escape(claim.estimate)}</span>'
                     f"<br><small>{html.escape(claim.get('scale'))}</small>")
    if why:
        parts.append(f'<div class="why"><b>Why not:</b> {html.escape(why)}</div>')
    if would_need:
        parts.append(f'<div class="why"><b>Testable with:</b> {html.escape(would_need)}</div>')
    if claim.tipping:
        parts.append(f'<div class="why"><b>Tipping base:</b> {html.escape(claim.tipping)}</div>')
    return "".join(parts)


def _claim_row(claim: ClaimView) -> str:
    verdict = claim.get("verdict")
    kind = claim.get("claim_kind")
    return (
        f'<tr class="{"synthetic" if claim.section == DEMONSTRATION else ""}">'
        # an id may break after an underscore, never inside a word, so the column stays narrow
        f"<td class=\"nc-id\">{html.escape(claim.get('claim_id')).replace('_', '_<wbr>')}</td>"
        f"<td>{html.escape(claim.get('chapter'))}</td>"
        f"<td>{html.escape(claim.get('statement'))}"
        + (f"<br><small>{html.escape(kind)}</small>" if kind else "")
        + f"</td><td>{html.escape(claim.get('data'))}</td><td>{html.escape(claim.get('test'))}</td>"
        f"<td>{_evidence(claim)}</td><td class=\"nc-num\">{html.escape(claim.p_adjusted)}</td>"
        f'<td class="{verdict.replace(" ", "-")}">{html.escape(verdict)}</td></tr>'
    )


def claims_sections_html(claims: list[ClaimView]) -> str:
    """The register on the index: findings and demonstrations apart, the verdict counts of each."""
    if not claims:
        return "<p>The claims register has not been built in this run.</p>"
    blocks = []
    header = ("<tr><th>claim</th><th>chapter</th><th>statement</th><th>data</th><th>test</th>"
              "<th>estimate [95 % interval], or why not testable</th><th>p (BH-adjusted)</th><th>verdict</th></tr>")
    for section, rows in by_section(claims).items():
        counts = " ".join(f"<span><b>{n}</b> {html.escape(v)}</span>" for v, n in verdict_counts(rows).items())
        note = ("" if section != DEMONSTRATION else
                "<p>These rows run the methods on <b>SYNTHETIC</b> data: they show that a method finds a "
                "planted structure, not what officers reported. They are not counted among the findings.</p>")
        blocks.append(f"<h3>{html.escape(SECTION_TITLES[section])}</h3>{note}"
                      f'<p class="counts">{counts}</p>'
                      f"<table>{header}{''.join(_claim_row(c) for c in rows)}</table>")
    return "".join(blocks)


def _chapter_rows(layout: OutputLayout, chapters, statuses: dict[str, str]) -> str:
    rows = []
    for spec in chapters:
        if spec.slug not in statuses:
            continue
        links = (
            f'<a href="reader/{spec.slug}.html">read</a> · <a href="{spec.slug}.html">with code</a>'
            if (layout.html / f"{spec.slug}.html").exists() else "not exported"
        )
        rows.append(
            f"<tr><td>{spec.number}</td><td>{html.escape(spec.title)}</td><td>{links}</td>"
            f"<td>{html.escape(statuses[spec.slug])}</td></tr>"
        )
    return "".join(rows)


def write_index(layout: OutputLayout, chapters, statuses: dict[str, str]) -> Path:
    """``index.html``: every chapter (both pages) and the claims register, the place to start."""
    chapter_rows = _chapter_rows(layout, chapters, statuses)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NetClean Reports re-analysed</title>
<style>{INDEX_STYLE}</style></head>
<body>
<h1>The NetClean Reports 2015–2020, re-analysed</h1>
<p>Every claim of the reports, with intervals, a named test and a verdict. Start with the
<a href="reader/10-claims-register.html">claims register</a> (or the tables below, also as
<a href="../claims.csv">claims.csv</a>). <b>Findings</b> rest on the published figures (or your own
microdata); <b>demonstrations</b>, on a yellow background, run the methods on <b>synthetic</b>
microdata: they show that a method works, not what officers reported.</p>
<h2>Chapters</h2>
<table><tr><th>#</th><th>chapter</th><th>pages</th><th>status</th></tr>{chapter_rows}</table>
<h2>Claims register</h2>
{claims_sections_html(read_claims(layout))}
<p>Provenance of this build: <a href="../run.json">run.json</a>.</p>
</body></html>
"""
    target = layout.html / "index.html"
    atomic_write_text(target, page)
    return target
