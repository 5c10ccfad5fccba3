"""The few chart types the report uses, all with intervals and the n behind each estimate."""

from __future__ import annotations

import math
import textwrap

from helpers.report.style import count_label


def _missing(value) -> bool:
    """True for None, NaN and pandas' NA (suppressed cells arrive as NA)."""
    import pandas as pd

    return bool(pd.isna(value))


def _as_percent(values, percent: bool):
    return [float("nan") if _missing(v) else (float(v) * 100 if percent else float(v)) for v in values]


def interval_plot(frame, *, label: str, estimate: str = "estimate", low: str = "low", high: str = "high",
                  n: str | None = "n", group: str | None = None, title: str = "", xlabel: str = "",
                  percent: bool = True, reference: float | None = None, reference_label: str = ""):
    """Horizontal dot-and-whisker chart: one row per ``label``, the interval as a line, n beside it.

    ``group`` colours rows (e.g. by wave or by kind of data); ``reference`` draws a vertical line
    (e.g. 50 % for "a majority").
    """
    import matplotlib.pyplot as plt

    from helpers.report.style import palette

    rows = frame.reset_index(drop=True)
    groups = list(dict.fromkeys(rows[group])) if group else [None]
    colours = dict(zip(groups, palette(max(len(groups), 1)), strict=False))  # one colour even with no groups
    fig, ax = plt.subplots(figsize=(9.0, 0.55 * len(rows) + 1.6))
    for i, row in rows.iterrows():
        y = len(rows) - 1 - i
        colour = colours[row[group] if group else None]
        est, lo, hi = _as_percent([row[estimate], row[low], row[high]], percent)
        if any(math.isnan(v) for v in (est, lo, hi)):
            ax.text(0, y, "  suppressed or not available", va="center", fontsize=8, color="#777777")
            continue
        ax.plot([lo, hi], [y, y], color=colour, lw=2.2, solid_capstyle="butt")
        ax.plot(est, y, "o", color=colour, ms=6, label=str(row[group]) if group else None)
        if n and not _missing(row[n]):
            ax.annotate(count_label(row[n]), (hi, y), xytext=(5, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#444444")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([textwrap.fill(str(text), 42) for text in list(rows[label])[::-1]], fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    if percent:
        ax.set_xlim(0, 105)
    if reference is not None:
        ax.axvline(reference * 100 if percent else reference, color="#888888", ls="--", lw=1)
        at = reference * 100 if percent else reference
        reference_label = reference_label or f"reference: {at:g}{' %' if percent else ''}"
        if reference_label:
            ax.annotate(reference_label, (reference * 100 if percent else reference, -0.65),
                        fontsize=8, color="#666666", ha="left", va="bottom", xytext=(3, 0), textcoords="offset points")
    ax.set_xlabel(xlabel or ("percent of respondents (95 % interval)" if percent else ""))
    ax.set_title(title, loc="left")
    if group:
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


#: How :func:`wave_plot` marks a wave by its comparability grade (``data/published/series.csv``):
#: grade -> (matplotlib marker, filled, words for the caption).
COMPARABILITY_MARKS = {
    "same question": ("o", True, "filled circle: the series' reference question"),
    "reworded": ("o", False, "open circle: the same construct asked in other words"),
    "different construct": ("X", True, "cross, never joined by a line: a different construct"),
}


def comparability_key() -> str:
    """The words a caption needs to say what :func:`wave_plot`'s marks mean when ``comparability`` is given."""
    return "; ".join(words for _, _, words in COMPARABILITY_MARKS.values()) + \
        ". A line joins two waves only when neither is a different construct."


def _graded_line(ax, x, est, grades, colour, label):
    """One series' points marked by grade, joined only between consecutive waves of one construct."""
    xs, ys = list(x), list(est)
    for i in range(1, len(xs)):
        if "different construct" not in (grades[i - 1], grades[i]):
            ax.plot(xs[i - 1:i + 1], ys[i - 1:i + 1], "-", color=colour, lw=1.6)
    for xi, yi, grade in zip(xs, ys, grades, strict=True):
        marker, filled, _ = COMPARABILITY_MARKS[grade]
        ax.plot([xi], [yi], marker, color=colour, markersize=7, markerfacecolor=colour if filled else "white",
                markeredgewidth=1.6)
    ax.plot([], [], "o-", color=colour, lw=1.6, label=label)  # one legend entry per series


def _marks_legend(ax):
    """Legend entries for the comparability marks (grey, beside the series' colours)."""
    for marker, filled, words in COMPARABILITY_MARKS.values():
        ax.plot([], [], marker, color="#555555", markerfacecolor="#555555" if filled else "white",
                linestyle="none", label=words.split(":")[1].strip())


def _shared_n(frame, *, series: str, wave: str, n: str) -> dict:
    """Per wave, the one n every series shares (a survey total), when there are several series."""
    shared = {}
    for w, part in frame.groupby(wave):
        values = {int(v) for v in part[n] if not _missing(v)}
        if len(values) == 1 and frame[series].nunique() > 1:
            shared[w] = values.pop()
    return shared


def _label_counts(ax, points, shared_n: dict) -> None:
    """An n label above each point's top whisker, except in waves whose shared n sits under the tick."""
    for xi, yi, ni, wi in points:
        if not _missing(ni) and wi not in shared_n:
            ax.annotate(count_label(ni), (xi, yi), xytext=(0, 4), textcoords="offset points",
                        ha="center", fontsize=7, color="#555555")


def wave_plot(frame, *, series: str, wave: str = "wave", estimate: str = "estimate", low: str = "low",
              high: str = "high", n: str | None = "n", title: str = "", ylabel: str = "", percent: bool = True,
              comparability: str | None = None):
    """Estimates across waves, one line per series, each point with its interval (and n).

    ``comparability`` names a column of grades (:data:`COMPARABILITY_MARKS`): each wave is then
    marked by its grade and no line joins a different construct to another wave, so the figure
    never suggests a trend the data cannot carry (:func:`comparability_key` words the caption).
    """
    import matplotlib.pyplot as plt

    from helpers.report.style import palette

    names = list(dict.fromkeys(frame[series]))
    colours = dict(zip(names, palette(len(names)), strict=True))
    fig, ax = plt.subplots(figsize=(10.0 if comparability else 8.0, 4.6))
    offsets = {name: (i - (len(names) - 1) / 2) * 0.06 for i, name in enumerate(names)}
    # One n per wave, under its tick, when every series of the wave has the same n (a survey total):
    # repeated labels of one number would sit on top of one another.
    shared_n = _shared_n(frame, series=series, wave=wave, n=n) if n else {}
    for name in names:
        part = frame[frame[series] == name].sort_values(wave)
        x = part[wave].astype(float) + offsets[name]
        est, lo, hi = (_as_percent(part[c], percent) for c in (estimate, low, high))
        below = [e - low_end for e, low_end in zip(est, lo, strict=True)]
        above = [high_end - e for e, high_end in zip(est, hi, strict=True)]
        if comparability:
            ax.errorbar(x, est, yerr=[below, above], fmt="none", color=colours[name], capsize=3, lw=1.2)
            _graded_line(ax, x, est, list(part[comparability]), colours[name], str(name))
        else:
            ax.errorbar(x, est, yerr=[below, above], fmt="o-", color=colours[name], capsize=3, lw=1.6,
                        label=str(name))
        if n:
            _label_counts(ax, zip(x, hi, part[n], part[wave], strict=True), shared_n)
    if n:  # head-room for the n labels above the top whiskers
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, top + 0.07 * (top - bottom))
    waves = sorted(frame[wave].unique())
    ax.set_xticks(waves)
    ax.set_xticklabels([f"{int(w)}\n{count_label(shared_n[w])}" if w in shared_n else str(int(w)) for w in waves])
    ax.set_xlabel("survey wave" + (" (n per wave under its year)" if shared_n else ""))
    ax.set_ylabel(ylabel or ("percent (95 % interval)" if percent else ""))
    ax.set_title(title, loc="left")
    if comparability:  # more entries: the legend goes beside the axes, clear of the data
        _marks_legend(ax)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def statement_label(statement: str, *, width: int = 50, lines: int = 3) -> str:
    """A claim's statement as a plot label: wrapped at words, at most ``lines`` lines, cut at a word with "…"."""
    wrapped = textwrap.wrap(" ".join(str(statement).split()), width, break_on_hyphens=False)
    if len(wrapped) > lines:
        last = wrapped[lines - 1]
        wrapped = [*wrapped[: lines - 1], (last if len(last) + 2 <= width else last.rsplit(" ", 1)[0]) + " …"]
    return "\n".join(wrapped)


def forest_plot(claims, *, title: str = "Tested claims: estimates with 95 % intervals"):
    """Each tested claim's estimate and interval, coloured by verdict, in one panel per scale.

    Each row is labelled with the claim's statement in words (shortened), not its id.

    Claims live on different scales (shares, differences, log odds ratios, rates), so each
    scale gets its own axis rather than one misleading common one.
    """
    import matplotlib.pyplot as plt

    colours = {"supported": "#1b7837", "not supported": "#b2182b", "not testable": "#777777"}
    tested = claims[claims["estimate"].notna() & (claims["verdict"] != "not testable")].reset_index(drop=True)
    scales = list(dict.fromkeys(tested["scale"]))
    heights = [max(1, (tested["scale"] == s).sum()) + 1.2 for s in scales]
    fig, axes = plt.subplots(len(scales), 1, figsize=(10.0, 0.72 * sum(heights) + 1.0),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, scale in zip(axes[:, 0], scales, strict=True):
        rows = tested[tested["scale"] == scale].reset_index(drop=True)
        for i, row in rows.iterrows():
            y = len(rows) - 1 - i
            colour = colours.get(row["verdict"], "#333333")
            if not (_missing(row["ci_low"]) or _missing(row["ci_high"])):
                ax.plot([row["ci_low"], row["ci_high"]], [y, y], color=colour, lw=2)
            ax.plot(row["estimate"], y, "o", color=colour, ms=5)
        for null in sorted({float(v) for v in rows["null_value"] if not _missing(v)}):
            ax.axvline(null, color="#777777", lw=0.9, ls=":")
            ax.annotate(f"null {null:g}", (null, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                        textcoords="offset points", ha="left", va="top", fontsize=7, color="#555555")
        labels = [statement_label(r.statement) + ("\n(SYNTHETIC data)" if r.data == "synthetic" else "")
                  for r in rows.itertuples()]
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(labels[::-1], fontsize=8)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(scale, fontsize=8)
    axes[0, 0].set_title(title, loc="left", pad=24)
    for verdict, colour in list(colours.items())[:2]:
        axes[0, 0].plot([], [], "o-", color=colour, label=verdict)
    axes[0, 0].plot([], [], ls=":", color="#777777", label="null value the claim is tested against")
    # Above the first panel, outside the data (inside, "best" still covers points on small panels).
    axes[0, 0].legend(frameon=False, fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3,
                      borderaxespad=0.2, handlelength=1.6, columnspacing=1.0)
    fig.tight_layout()
    return fig


def count_bars(frame, *, x: str, columns: dict[str, str]):
    """One bar panel per column (``columns`` maps column -> panel title), each bar labelled with its count."""
    import matplotlib.pyplot as plt

    from helpers.report.style import palette

    fig, axes = plt.subplots(1, len(columns), figsize=(4.5 * len(columns), 3.6), squeeze=False)
    labels = frame[x].astype(str)
    for ax, (column, title), colour in zip(axes[0], columns.items(), palette(len(columns)), strict=True):
        ax.bar(labels, frame[column], color=colour)
        ax.set_title(title, loc="left")
        for label, value in zip(labels, frame[column], strict=True):
            ax.annotate(count_label(value, prefix=""), (label, value), ha="center", va="bottom", fontsize=8)
    fig.tight_layout()
    return fig


def stacked_shares(shares, *, totals=None, title: str = "", ylabel: str = "percent of respondents"):
    """Stacked bars of shares (rows: bars, e.g. waves; columns: parts, e.g. regions), with n above each bar."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.8))
    labels = shares.index.astype(str)
    bottom = [0.0] * len(shares)
    for part in shares.columns:
        values = [float(v) * 100 for v in shares[part]]
        ax.bar(labels, values, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for label, n in zip(labels, [] if totals is None else totals, strict=False):  # no totals: no labels
        ax.annotate(count_label(n), (label, 100), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    if totals is not None:
        ax.set_ylim(0, 110)  # room for the n above each bar, inside the frame
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars, not on them
    fig.tight_layout()
    return fig
