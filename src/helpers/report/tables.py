"""One formatter for every table a person reads: notebook displays, HTML pages and the PDF.

Numbers are rounded by what they mean, never by pandas' display defaults:

- p-values (``p``, ``p_value``, ``p_adjusted``, ``p_min``, ...): three significant digits and at
  most four decimals, or ``< 0.001`` (with a no-break space, as in ``23.4 %``);
- shares (``share``, ``*_share``, ``proportion``, ``power``, ``rate``, all values within 0–1):
  percentages with one decimal (``23.4 %``);
- counts and any column of whole numbers: integers (``370``, ``12,859``; years stay ``2017``);
- other numbers: the decimals that give a column's typical value three significant digits, at
  most four, the same for the whole column (a value too small for them as ``1.2e-05``);
- empty cells (``NaN``, ``None``, ``NA``) blank; no index column; headers in words
  (``same_conclusion`` → ``same conclusion``); long notes wrap, and snake_case ids may break
  only at their underscores.

The CSVs under ``outputs/tables/`` keep full precision: this module only shapes what is read.

    from helpers.report.tables import format_frame, table_html
    table_html(frame)            # the HTML a notebook, a page and the PDF show
    format_frame(frame)          # the same cells as strings (the PDF's table rows)
"""

from __future__ import annotations

import functools
import html
import math
import re

#: Columns holding p-values, by name.
P_VALUE = re.compile(r"^(p|pvalue|p_value|p_adj|p_adjusted|p_min|p_max|p_[a-z_]+|[a-z_]+_p)$")
#: Columns holding shares (0–1), by name; shown as percentages when every value lies within 0–1.
SHARE = re.compile(r"^(share|proportion|prevalence|power|rate|rejection_rate|[a-z_]+_share|share_[a-z_]+)$")
#: Keeps "< 0.001" and "23.4 %" on one line wherever a table wraps.
NBSP = "\u00a0"
#: The ends of an interval, shown as percentages beside a share column.
INTERVAL_END = re.compile(r"^(low|high|lower|upper|ci_low|ci_high|[a-z_]+_low|[a-z_]+_high)$")
#: Most decimals any number of a read table shows.
MAX_DECIMALS = 4
#: Integers from here on get thousands separators (so years read 2017, not 2,017).
SEPARATE_FROM = 10_000

#: The tables' style (``!important`` where JupyterLab's own table rules would win: centred, right-aligned).
TABLE_CSS = (
    "table.nc-table{border-collapse:collapse;font-size:0.88em;margin:0.4em 0 1em 0 !important;max-width:100%;"
    "table-layout:auto}"
    "table.nc-table th,table.nc-table td{border-bottom:1px solid #ddd;padding:0.25em 0.55em;"
    "vertical-align:top;white-space:normal;overflow-wrap:normal;max-width:28em;text-align:left !important}"
    "table.nc-table th{background:#f3f3f3;font-weight:600}"
    "table.nc-table td.nc-num{text-align:right !important;white-space:nowrap}"
)


#: The alignment again on each cell: JupyterLab strips ``<style>`` from the outputs of a notebook it does
#: not trust (e.g. an executed notebook opened later), but keeps these inline styles.
LEFT, RIGHT = "text-align:left;vertical-align:top", "text-align:right;vertical-align:top;white-space:nowrap"


def is_missing(value) -> bool:
    """True for None, NaN, pandas' NA and NaT: the cells a reader sees blank."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers
        return False


def format_number(value: float, decimals: int | None = None) -> str:
    """A number with three significant digits and at most four decimals (whole numbers as integers).

    ``decimals``: the same number of decimals for every value of a column (see :func:`column_decimals`).
    """
    x = float(value)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if decimals is None:
        if x == int(x) and abs(x) < 1e15:
            return format_integer(x)
        decimals = column_decimals([x])
    if x != 0 and abs(x) < 0.5 * 10 ** -decimals:
        return f"{x:.1e}"
    return f"{x:,.{decimals}f}" if abs(x) >= SEPARATE_FROM else f"{x:.{decimals}f}"


def column_decimals(numbers) -> int:
    """Decimals giving a column's typical (median) value three significant digits, at most four."""
    sizes = sorted(abs(x) for x in numbers if x != 0 and math.isfinite(x))
    if not sizes:
        return 0
    return min(MAX_DECIMALS, max(0, 2 - math.floor(math.log10(sizes[len(sizes) // 2]))))


def format_integer(value) -> str:
    """A count as an integer (``370``, not ``370.0``); separators from 10,000 on."""
    n = int(round(float(value)))
    return f"{n:,}" if abs(n) >= SEPARATE_FROM else str(n)


def format_p(value) -> str:
    """A p-value: ``< 0.001``, else three significant digits with at most four decimals."""
    p = float(value)
    if p < 0.001:
        return f"<{NBSP}0.001"
    decimals = min(MAX_DECIMALS, max(0, 2 - math.floor(math.log10(p))))
    return f"{p:.{decimals}f}"


def format_percent(value) -> str:
    """A share (0–1) as a percentage with one decimal: ``0.234`` → ``23.4 %``."""
    return f"{float(value) * 100:.1f}{NBSP}%"


def _numeric(values) -> list[float] | None:
    """The column's values as floats (missing ones left out), or None when any is not a number."""
    numbers = []
    for v in values:
        if is_missing(v):
            continue
        if isinstance(v, bool | str | bytes) or type(v).__name__ == "bool_" or not hasattr(v, "__float__"):
            return None
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            return None
    return numbers


def _key(name) -> str:
    return str(name).strip().lower().replace(" ", "_")


def column_formatter(name: str, values, *, beside_a_share: bool = False):
    """The formatter a column's cells get, chosen from its name and its values.

    ``beside_a_share``: the table shows a share, so its interval ends (``low``, ``ci_high``, ...)
    are percentages too.
    """
    numbers = _numeric(values)
    if numbers is None or not numbers:
        return format_text
    key = _key(name)
    within_0_1 = all(0 <= x <= 1 for x in numbers)
    if P_VALUE.match(key) and within_0_1:
        return format_p
    if (SHARE.match(key) or beside_a_share and INTERVAL_END.match(key)) and within_0_1:
        return format_percent
    if all(x == int(x) for x in numbers if math.isfinite(x)):
        return format_integer
    return functools.partial(format_number, decimals=column_decimals(numbers))


def format_text(value) -> str:
    """Any other cell as text (yes/no for booleans; numbers inside lists or tuples shortened too)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, list | tuple):
        return ", ".join("" if is_missing(v) else format_text(v) for v in value)
    return str(value)


def header_words(name) -> str:
    """A column name as a reader reads it: ``same_conclusion`` → ``same conclusion``."""
    if isinstance(name, tuple):
        name = " ".join(str(part) for part in name if str(part))
    return str(name).replace("_", " ")


def _flat(frame):
    """The frame with a meaningful index as its first columns; a positional (integer, unnamed) index dropped."""
    import pandas as pd

    if any(name is not None for name in frame.index.names):
        return frame.reset_index()
    if frame.index.nlevels == 1 and pd.api.types.is_integer_dtype(frame.index):
        return frame.reset_index(drop=True)
    return frame.rename_axis([""] * frame.index.nlevels).reset_index()  # row labels, under a blank header


def _formatters(flat) -> list:
    """Each column's formatter (a share's interval ends become percentages with it)."""
    shares = any(SHARE.match(_key(name)) and column_formatter(name, flat.iloc[:, i]) is format_percent
                 for i, name in enumerate(flat.columns))
    return [column_formatter(name, flat.iloc[:, i], beside_a_share=shares) for i, name in enumerate(flat.columns)]


def format_frame(frame):
    """Every cell as the string a reader sees (headers in words, no index); the frame is not changed."""
    import pandas as pd

    flat = _flat(frame)
    columns = {}
    for position, formatter in enumerate(_formatters(flat)):
        columns[position] = ["" if is_missing(v) else formatter(v) for v in flat.iloc[:, position]]
    out = pd.DataFrame({p: cells for p, cells in columns.items()}, index=range(len(flat)))
    out.columns = [header_words(name) for name in flat.columns]
    return out


def _breakable(text: str) -> str:
    """HTML-escaped text whose snake_case ids may break after an underscore, and nowhere else."""
    return html.escape(text).replace("_", "_<wbr>")


def table_html(frame, *, caption: str = "") -> str:
    """The HTML table every notebook display, reader page and PDF shows for ``frame``."""
    flat = _flat(frame)
    shown = format_frame(frame)
    numeric = [formatter is not format_text for formatter in _formatters(flat)]
    head = "".join(f'<th style="{LEFT}">{_breakable(name)}</th>' for name in shown.columns)
    rows = []
    for cells in shown.itertuples(index=False):
        rows.append("<tr>" + "".join(
            f'<td class="nc-num" style="{RIGHT}">{_breakable(cell)}</td>' if number
            else f'<td style="{LEFT}">{_breakable(cell)}</td>'
            for cell, number in zip(cells, numeric, strict=True)) + "</tr>")
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f"<style>{TABLE_CSS}</style><table class=\"nc-table\">{title}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def register_notebook_display() -> None:
    """Make every DataFrame a chapter's kernel displays go through :func:`table_html` (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import pandas as pd

    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type(pd.DataFrame, table_html)
    formatters["text/plain"].for_type(
        pd.DataFrame, lambda frame, printer, cycle: printer.text(format_frame(frame).to_string(index=False)))
