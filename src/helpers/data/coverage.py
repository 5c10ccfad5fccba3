"""What respondent-level data cover: the analysis items answered per wave, and groups too small to publish.

* :func:`check_items_answered` - an item the analyses use that the file leaves out, or that
  nobody answered in any wave a chapter needs, is bad input (found before any kernel starts,
  through :func:`helpers.data.microdata.validate_microdata`). An item answered in some of those
  waves but by nobody in another (a question dropped from one year's questionnaire) is not: the
  headline tests treat its blanks as missing answers, and the waves are reported (the runner
  prints them and records them in run.json).
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


def check_items_answered(frame, *, waves, codebook: Codebook | None = None,
                         in_file=None) -> tuple[list[str], dict[str, list[int]]]:
    """Problems, and the waves in which an analysis item was asked but answered by nobody.

    Items are the codebook's microdata questions tagged ``advanced``, ``mainstream`` or ``trend``;
    a wave counts only where the codebook says the question was asked and the caller needs it.
    ``in_file``: the file's column names. A problem (one message per item): an item the file
    leaves out although a wave asked it (it would be added empty), or one that nobody answered in
    any of the waves that asked it. Returned beside the problems: ``{item: [waves]}`` for an item
    answered in some of its waves and by nobody in these.
    """
    import pandas as pd

    from helpers.data.codebook import load_codebook

    cb = codebook or load_codebook()
    present = {int(w) for w in pd.unique(frame["wave"].dropna())}
    wanted = sorted({int(w) for w in waves} & present)
    problems: list[str] = []
    unanswered: dict[str, list[int]] = {}
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
            if empty and len(empty) == len(asked):
                problems.append(f"line 1 (header), column '{item}': no respondent of wave(s) "
                                f"{', '.join(map(str, empty))} answered it, but the analyses use it (codebook tag "
                                f"'{tag}') in at least one of them; check the column's mapping, or fill it in")
            elif empty:
                unanswered[item] = empty
    return problems, unanswered


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
