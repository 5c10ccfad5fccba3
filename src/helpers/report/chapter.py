"""What a chapter notebook calls to write its figures, tables and claims into the output layout.

    chapter = Chapter.for_notebook(output_dir=output_dir, alpha=alpha)   # knows it is 03-technology-trends
    chapter.figure(fig, "trend-items", caption="...", source="NetClean Reports 2016-2019", data="published")
    chapter.table(frame, "trend-tests", caption="...", data="published")
    chapter.claim("encryption_rising", statement="...", source=..., data="published", result=test, direction="greater")

Every figure is saved as PNG and SVG with the house style, a source line and (synthetic data)
a watermark; every table as CSV; each with a caption in the chapter's manifest. Counts from
microdata pass through disclosure control before they are written. Claims land in
``claims/<chapter>.csv``, which the register chapter gathers.

``output_dir`` is set by the runner. Left empty (a chapter run by hand: JupyterLab, plain
``papermill``, ``nbconvert``), everything goes to ``outputs/interactive/`` instead, so a hand
run, failed or not, never changes the report the runner built (see :class:`Chapter`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

from helpers.data.io import atomic_write_text
from helpers.paths import OutputLayout
from helpers.report.claims import (
    CHAPTER_COLUMNS,
    COLUMNS,
    PUBLISHED_SOURCE,
    Claim,
    band_note,
    interval_note,
    judged_end,
    verdict,
)
from helpers.report.disclosure import DEFAULT_THRESHOLD, suppress_small_counts
from helpers.report.evidence import compare
from helpers.report.style import DATA_KINDS, apply_house_style, check_data_kind, data_words, stamp
from helpers.report.tables import register_notebook_display
from helpers.report.tipping import recipe
from helpers.stats.bands import BandResult

#: Digits kept in written numbers: enough for any reported precision, stable across runs.
FLOAT_FORMAT = "%.10g"


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return FLOAT_FORMAT % value
    return str(value)


#: Alternatives of a one-sided test of a signed estimate: refused by the one sidedness rule. Tests whose
#: statistic is upper-tailed by nature (likelihood-ratio and chi-square tests) are not one-sided in this sense.
ONE_SIDED = ("larger", "smaller", "greater", "less", "increasing", "decreasing")


def _code_cells(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {"".join(c["source"]).strip() for c in cells if c["cell_type"] == "code"}


def _execution_count() -> int | None:
    """The number of the cell the kernel is running (None outside IPython)."""
    try:
        from IPython import get_ipython

        return get_ipython().execution_count
    except (ImportError, AttributeError):
        return None


def figure_caption_html(name: str, caption: str, data: str, *, source: str = "", table_path: str = "",
                        href: str = "") -> str:
    """The block under a figure: caption, the kind of data in words, the source and the data's CSV.

    ``data-figure`` and ``data-table`` (the table's path under the output folder) let the
    export give the image its alt text and each page its own link to the table.
    """
    import html

    css = "nc-data nc-synthetic" if data == "synthetic" else "nc-data"
    style = ("color:#b35806;font-weight:700" if data == "synthetic" else "color:#444")
    parts = [f'<p class="nc-caption-text" style="margin:0.2em 0"><b>Figure.</b> {html.escape(caption)}</p>',
             f'<p class="{css}" style="margin:0.2em 0;{style}">{html.escape(data_words(data))}</p>']
    links = []
    if source:
        links.append(f"Source: {html.escape(source)}")
    if table_path:
        links.append(f'<a class="nc-table-link" href="{html.escape(href or table_path)}" '
                     f'data-table="{html.escape(table_path)}">The data of this figure (CSV)</a>')
    if links:
        parts.append(f'<p style="margin:0.2em 0;font-size:0.9em;color:#555">{" · ".join(links)}</p>')
    return (f'<div class="nc-figure-caption" data-figure="{html.escape(name)}" data-kind="{html.escape(data)}" '
            f'style="max-width:52rem;margin:0.2em 0 1.2em 0;font-size:0.95em">' + "".join(parts) + "</div>")


#: The resolution figures are shown at in a notebook (they are saved at ``savefig.dpi``).
SCREEN_DPI = 100


def figure_html(png: Path, *, alt: str):
    """A saved figure as an ``<img>`` with its alt text, so that every HTML export of the notebook
    (the runner's, plain ``jupyter nbconvert``, JupyterLab) has it; shown at screen size."""
    import base64
    import html

    import matplotlib as mpl
    from IPython.display import HTML
    from PIL import Image

    data = png.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        width = round(image.size[0] * SCREEN_DPI / float(mpl.rcParams["savefig.dpi"]))
    encoded = base64.b64encode(data).decode("ascii")
    return HTML(f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}" width="{width}" '
                'style="max-width:100%;height:auto">')


def running_chapter() -> str:
    """The slug of the chapter notebook this kernel is running (see :meth:`Chapter.for_notebook`)."""
    from helpers.chapters import CHAPTERS

    session = os.environ.get("JPY_SESSION_NAME", "")
    for spec in CHAPTERS:
        if session and Path(session).stem == spec.slug:
            return spec.slug
    try:
        from IPython import get_ipython

        history = [cell.strip() for cell in get_ipython().user_ns.get("In", [])[1:] if cell.strip()]
    except (ImportError, AttributeError):
        history = []
    ran = [cell for cell in history if not cell.startswith("# Parameters")]  # papermill's injected cell
    matches = [spec.slug for spec in CHAPTERS if ran and set(ran) <= _code_cells(spec.notebook)]
    if len(matches) != 1:
        found = ", ".join(matches) or "none"
        raise RuntimeError(f"cannot tell which chapter notebook is running (matching chapters: {found}); "
                           "run it from notebooks/, or name it: Chapter('NN-slug', ...)")
    return matches[0]


class Chapter:
    """One chapter's writer.

    Where it writes: ``output_dir`` when given; when empty (the parameters cell's default, so a
    chapter run by hand in JupyterLab, with plain ``papermill`` or with ``nbconvert``), the
    project's ``outputs/interactive/`` — never the runner's outputs. Only ``python -m helpers run``
    builds ``outputs/`` itself: it always passes ``output_dir`` (it owns that parameter), checksums
    what each chapter wrote, and rebuilds a chapter whose outputs changed after it built them. To
    write elsewhere by hand, pass ``-p output_dir DIR`` to papermill.
    """

    def __init__(self, slug: str, *, output_dir: str = "", alpha: float = 0.05,
                 min_cell_count: int = DEFAULT_THRESHOLD):
        self.slug = slug
        self.alpha = alpha
        self.min_cell_count = min_cell_count
        self.layout = OutputLayout(output_dir) if output_dir else OutputLayout.interactive()
        self.figures_dir = self.layout.figures(slug)
        self.tables_dir = self.layout.tables(slug)
        self._claims: dict[str, Claim] = {}
        self._manifest: dict[str, list] = {"figures": [], "tables": []}
        apply_house_style()
        register_notebook_display()  # every frame the chapter shows reads like the report's tables

    @classmethod
    def for_notebook(cls, **options) -> Chapter:
        """The writer of the chapter whose notebook is running, found without a repeated slug.

        JupyterLab names the notebook (``JPY_SESSION_NAME``); under papermill or nbconvert the
        chapter is the one whose code cells hold every cell this kernel has run so far.
        """
        return cls(running_chapter(), **options)

    # -- figures ---------------------------------------------------------------------------
    def figure(self, fig, name: str, *, caption: str, source: str, data: str, note: str = "",
               table: str | None = None):
        """Stamp, save (PNG + SVG) and register a figure, then show it once, with its caption, and close it.

        Under the image the notebook (and so each HTML page and the PDF) shows the caption, the
        kind of data in words and a link to the CSV table of the figure's data: ``table`` names
        it; by default a table of the same name, or the one written in the same cell.
        """
        check_data_kind(data)
        stamp(fig, source=source, data=data, note=note)
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for suffix, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            path = self.figures_dir / f"{name}.{suffix}"
            fig.savefig(path, format=suffix, metadata=metadata)
            files.append(path.name)
        table = table or self._table_for_figure(name)
        table_path = f"tables/{self.slug}/{table}.csv" if table else ""
        self._register("figures", name, files, caption, data, source,
                       extra={"alt": caption, "data_words": data_words(data), "table": table_path})
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        figure_meta = {"netclean": {"figure": name, "caption": caption, "data": data}}
        display(figure_html(self.figures_dir / f"{name}.png", alt=f"{caption} ({data_words(data)})"),
                metadata=figure_meta)
        plt.close(fig)  # shown once: the inline backend would show it again at the end of the cell
        display(HTML(figure_caption_html(name, caption, data, source=source, table_path=table_path,
                                         href=self._href(table_path))),
                metadata={"netclean": {"caption_of": name}})

    def _table_for_figure(self, name: str) -> str:
        """The table holding a figure's data: one of the same name, else the one written in this cell."""
        tables = {e["name"]: e for e in self._manifest["tables"]}
        if name in tables:
            return name
        cell = _execution_count()
        same_cell = [e["name"] for e in self._manifest["tables"] if cell is not None and e.get("_cell") == cell]
        return same_cell[-1] if same_cell else ""

    def _href(self, table_path: str) -> str:
        """The table's link as seen from the running notebook (export rewrites it for each page)."""
        if not table_path:
            return ""
        try:
            return os.path.relpath(self.layout.root / table_path, os.getcwd())
        except ValueError:  # another drive (Windows)
            return (self.layout.root / table_path).as_uri()

    # -- tables ----------------------------------------------------------------------------
    def table(self, frame, name: str, *, caption: str, data: str, source: str = "",
              count_columns=None, derived_columns=(), group_by=None):
        """Write a table as CSV. From microdata, counts below ``min_cell_count`` are suppressed first.

        A table from microdata must name its ``count_columns`` (an empty list when it holds no
        respondent counts, e.g. model fit statistics), so that no count escapes disclosure control.
        Returns the table as written (suppressed where it had to be), for display.
        """
        check_data_kind(data)
        if data != "published" and count_columns is None:
            raise ValueError(f"table {name!r} comes from microdata: name its count_columns for disclosure control")
        if data != "published" and count_columns:
            frame = suppress_small_counts(frame, count_columns, threshold=self.min_cell_count,
                                          group_by=group_by, derived_columns=derived_columns)
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        path = self.tables_dir / f"{name}.csv"
        atomic_write_text(path, frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n"))
        self._register("tables", name, [path.name], caption, data, source)
        return frame

    def _register(self, kind: str, name: str, files: list[str], caption: str, data: str, source: str,
                  extra: dict | None = None) -> None:
        entries = [e for e in self._manifest[kind] if e["name"] != name]
        entries.append({"name": name, "files": files, "caption": caption, "data": data,
                        "data_label": DATA_KINDS[data], "source": source, **(extra or {}),
                        "_cell": _execution_count()})
        self._manifest[kind] = entries
        folder = self.figures_dir if kind == "figures" else self.tables_dir
        written = [{k: v for k, v in e.items() if not k.startswith("_")} for e in entries]
        atomic_write_text(folder / "manifest.json",
                          json.dumps({"chapter": self.slug, kind: written}, indent=2) + "\n")

    # -- claims ----------------------------------------------------------------------------
    def claim(self, claim_id: str, *, statement: str, source: str, source_url: str, data: str, result,
              direction: str = "different", null_value: float = 0.0, note: str = "",
              count: int | None = None, judged_by: str = "estimate", kind: str = "report claim",
              data_source: str = "") -> Claim:
        """Record a tested claim from a helpers.stats result (or a band result: its least favourable end).

        ``kind``: ``"report claim"`` (default), ``"contrast built here"`` or ``"design check"``.
        ``data_source``: where the data came from: for microdata pass the frame's ``attrs["label"]``
        (synthetic data: the scenario and seed; user data: the file); the published figures file
        by default. ``count``: the respondents behind a share from microdata; below
        ``min_cell_count`` the estimate and interval are suppressed (and the claim cannot be
        supported on them). ``judged_by="interval"``: the claimed side is judged on the whole
        interval, not the estimate (see :mod:`helpers.report.claims`).
        """
        check_data_kind(data)
        notes = [note] if note else []
        rerun = ""
        if isinstance(result, BandResult):  # both ends of a verbal or rounded figure were run
            band = result
            result, low, high = judged_end(band, direction=direction, null_value=null_value)
            notes.append(band_note(band, alpha=self.alpha))
            rerun = recipe(band) if data == "published" else ""
        else:
            low, high = result.low, result.high
        disagreement = "" if judged_by != "estimate" else interval_note(
            float(result.p_value), float(low), float(high), null_value=null_value, alpha=self.alpha,
            level=float(result.level))
        notes += [disagreement] if disagreement else []
        if getattr(result, "alternative", "two-sided") in ONE_SIDED:
            raise ValueError(f"claim {claim_id!r}: the register judges two-sided p-values with the claim's direction; "
                             f"pass a two-sided test, not alternative={result.alternative!r}")
        claim = Claim(
            claim_id=claim_id, chapter=self.slug, statement=statement, source=source, source_url=source_url,
            data=data, claim_kind=kind, data_source=self._data_source(data, data_source),
            test=result.test, statistic=float(result.statistic), p_value=float(result.p_value),
            alpha=self.alpha, estimate=float(result.estimate), ci_low=float(low), ci_high=float(high),
            scale=result.scale, null_value=null_value, direction=direction, judged_by=judged_by,
            n=float(result.n), note="; ".join(notes), rerun=rerun,
        )
        if data != "published" and count is not None and 0 < count < self.min_cell_count:
            claim.estimate = claim.ci_low = claim.ci_high = math.nan
            claim.note = "; ".join([*notes, f"estimate suppressed: fewer than {self.min_cell_count} respondents"])
        claim.p_adjusted = claim.p_value  # provisional: the register adjusts across the family
        claim.verdict = verdict(claim.p_value, claim.estimate, direction=direction, null_value=null_value,
                                alpha=self.alpha, judged_by=judged_by, ci_low=claim.ci_low, ci_high=claim.ci_high)
        return self._add(claim)

    def wave_claim(self, claim_id: str, *, statement: str, source: str, comparison, direction: str,
                   note: str = "", kind: str = "report claim") -> Claim:
        """A claim that a published figure changed between two waves, under the one comparability rule.

        ``comparison`` comes from :func:`helpers.data.series.comparison`. The same question is
        tested; a reworded question is tested and the note says so; a different construct is not
        testable (the note says why, from ``data/published/series.csv``).
        """
        later, earlier = comparison.later.figure, comparison.earlier.figure
        if not comparison.testable:
            return self.untestable(
                claim_id, statement=statement, source=source, source_url=later.source_url, data="published",
                why=f"the two waves asked different things: {comparison.note}.",
                would_need="the same question asked in both waves (or respondent-level answers coded alike).",
                kind=kind)
        worded = f"{comparison.note}: tested as approximately comparable" if comparison.note else ""
        return self.claim(claim_id, statement=statement, source=source, source_url=later.source_url, data="published",
                          result=compare(later, earlier), direction=direction,
                          note="; ".join(filter(None, [note, worded])), kind=kind)

    def untestable(self, claim_id: str, *, statement: str, source: str, source_url: str, data: str,
                   why: str, would_need: str, estimate: float = math.nan, ci_low: float = math.nan,
                   ci_high: float = math.nan, scale: str = "", n: float = math.nan, kind: str = "report claim",
                   data_source: str = "") -> Claim:
        """Record a claim the data cannot test: say why, and what data would make it testable."""
        check_data_kind(data)
        claim = Claim(claim_id=claim_id, chapter=self.slug, statement=statement, source=source,
                      source_url=source_url, data=data, claim_kind=kind,
                      data_source=self._data_source(data, data_source), alpha=self.alpha,
                      estimate=estimate, ci_low=ci_low, ci_high=ci_high, scale=scale, n=n, verdict="not testable",
                      note=f"Not testable: {why} Testable with: {would_need}")
        return self._add(claim)

    @staticmethod
    def _data_source(data: str, data_source: str) -> str:
        """The published figures file by default; microdata should be named (synthetic: scenario and seed)."""
        if data_source:
            return data_source
        if data == "published":
            return PUBLISHED_SOURCE
        return f"{data} microdata (scenario and seed not named by the chapter)"

    def _add(self, claim: Claim) -> Claim:
        if not claim.statement or not claim.source or not claim.source_url:
            raise ValueError(f"claim {claim.claim_id!r} needs a statement, a source and a source_url")
        self._claims[claim.claim_id] = claim
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CHAPTER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for c in self._claims.values():
            writer.writerow({k: _number(v) for k, v in c.as_row().items()})
        atomic_write_text(self.layout.chapter_claims(self.slug), buffer.getvalue())
        return claim

    def write_register(self, register) -> Path:
        """Write the whole register as ``claims.csv`` (the register chapter's job)."""
        path = self.layout.claims_register
        atomic_write_text(path, register.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n"))
        return path

    def claims_table(self):
        """This chapter's claims so far, for display at the end of the notebook."""
        import pandas as pd

        columns = ["claim_id", "data", "test", "estimate", "ci_low", "ci_high", "p_value", "verdict"]
        return pd.DataFrame([c.as_row() for c in self._claims.values()], columns=list(COLUMNS))[columns]
