"""What respondent-level data cover: the analysis items answered per wave, and groups too small to publish.

* :func:`check_items_answered` - an item the analyses use, asked in a wave a chapter needs,
  with no answer from anyone in that wave, is bad input (found before any kernel starts,
  through :func:`helpers.data.microdata.validate_microdata`).
* :func:`small_groups` - waves, regions and countries with fewer respondents than the
  disclosure threshold, which the runner reports and the disclosure rules pool or refuse
  (see README, "Bringing your own microdata").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from helpers.data.codebook import Codebook

#: codebook tags of the items the analyses use (read through Codebook.items_tagged)
ANALYSIS_TAGS = ("advanced", "mainstream", "trend")


def check_items_answered(frame, *, waves, codebook: Codebook | None = None, in_file=None) -> list[str]:
    """Problems: an item the analyses use, asked in a wave the caller needs, that nobody in that wave answered.

    Items are the codebook's microdata questions tagged ``advanced``, ``mainstream`` or ``trend``;
    a wave counts only where the codebook says the question was asked. ``in_file``: the file's
    column names; an analysis item the file leaves out, or holds but leaves blank, in a wave that
    asked it is a problem (other question columns may be left out, and are added empty).
    Returns one message per item.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook

    cb = codebook or load_codebook()
    wanted = sorted({int(w) for w in waves} & set(pd.unique(frame["wave"].dropna()).astype(int)))
    problems = []
    for tag in ANALYSIS_TAGS:
        for item in cb.items_tagged(tag):
            asked = [w for w in wanted if cb.question(item).asked_in(w)]
            if in_file is not None and item not in in_file:
                if asked:  # left out, it would be added empty: the analyses would then fail in a kernel
                    problems.append(f"line 1 (header): column '{item}' is not in the file, but the analyses use it "
                                    f"(codebook tag '{tag}') in wave(s) {', '.join(map(str, asked))}; add the column "
                                    "(blank where the question was not asked)")
                continue
            answered = frame.loc[frame[item].notna(), "wave"] if item in frame.columns else frame["wave"].iloc[:0]
            empty = [w for w in asked if not (answered == w).any()]
            if not empty:
                continue
            where = "line 1 (header), column"
            problems.append(f"{where} '{item}': no respondent of wave(s) {', '.join(map(str, empty))} answered it, "
                            f"but the analyses use it (codebook tag '{tag}'); fill it in, or leave those waves out "
                            "of the chapters' waves parameter")
    return problems


#: the grouping columns whose small groups are reported (a wave, a region, a country)
GROUP_COLUMNS = ("wave", "region", "country")


def small_groups(frame, threshold: int, columns=GROUP_COLUMNS) -> dict[str, dict[str, int]]:
    """Per column, the groups with at least one but fewer than ``threshold`` respondents, and their sizes."""
    found = {}
    for column in columns:
        sizes = frame[column].dropna().astype(str).value_counts(sort=False).sort_index()
        small = sizes[(sizes > 0) & (sizes < threshold)]
        if len(small):
            found[column] = {str(k): int(v) for k, v in small.items()}
    return found
