"""The house style of every figure: one seaborn theme, a colour-blind-safe palette, a source line,
and a visible mark on anything made from synthetic data."""

from __future__ import annotations

DATA_KINDS = {
    "published": "published aggregates",
    "synthetic": "SYNTHETIC microdata (not real survey answers)",
    "user": "user-supplied microdata",
}

#: The kind of data in words, under every figure of the reader pages and the PDF.
DATA_WORDS = {
    "published": "published aggregates of the NetClean Reports",
    "synthetic": "SYNTHETIC — generated, not survey answers",
    "user": "user-supplied microdata",
}


def data_words(data: str) -> str:
    """``"Data: SYNTHETIC — generated, not survey answers"`` and the like."""
    return f"Data: {DATA_WORDS[check_data_kind(data)]}"


def count_label(n, *, prefix: str = "n = ") -> str:
    """A count as printed on a figure: an integer with thousands separators (``n = 1,527``)."""
    return f"{prefix}{int(round(float(n))):,}"


#: seaborn's colour-blind-safe palette (Okabe-Ito-like), used everywhere.
PALETTE = "colorblind"


def apply_house_style() -> None:
    """Set the theme and the settings that make figures identical from run to run."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.8),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "svg.hashsalt": "netclean-reanalysis",  # stable element ids in SVG output
        "svg.fonttype": "path",
    })


def palette(n: int):
    import seaborn as sns

    return sns.color_palette(PALETTE, n)


def check_data_kind(data: str) -> str:
    if data not in DATA_KINDS:
        raise ValueError(f"data must be one of {', '.join(DATA_KINDS)}, got {data!r}")
    return data


def stamp(fig, *, source: str, data: str, note: str = "") -> None:
    """Add the source line (report and kind of data) and, for synthetic data, a watermark."""
    check_data_kind(data)
    line = f"Source: {source} · data: {DATA_KINDS[data]}"
    if note:
        line += f" · {note}"
    fig.text(0.01, -0.02, line, ha="left", va="top", fontsize=7.5, color="#555555", wrap=True)
    if data == "synthetic":
        fig.text(0.5, 0.5, "SYNTHETIC DATA", ha="center", va="center", rotation=25, fontsize=42,
                 color="#d95f02", alpha=0.18, fontweight="bold", zorder=0)
        fig.text(0.99, 0.995, "SYNTHETIC DATA — illustrates the method only", ha="right", va="top",
                 fontsize=8, color="#d95f02", fontweight="bold")
