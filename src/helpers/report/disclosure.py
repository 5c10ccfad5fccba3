"""Disclosure control for anything computed from respondent-level data.

Counts from microdata between 1 and ``threshold - 1`` are suppressed (primary suppression),
and so is, within each group whose total is shown, the next-smallest cell when only one
cell would otherwise be hidden (secondary suppression: the total would reveal it). Shares and
intervals computed from a suppressed count are blanked with it.
"""

from __future__ import annotations

DEFAULT_THRESHOLD = 5


def suppress_small_counts(frame, count_columns, *, threshold: int = DEFAULT_THRESHOLD,
                          group_by=None, derived_columns=()):
    """A copy of ``frame`` with small counts (and what derives from them) set to missing.

    ``group_by`` lists the column sets whose groups have published totals (e.g. ``[["wave"]]``:
    counts of each wave add up to the wave's n); a group with exactly one suppressed cell loses
    its smallest other non-zero cell as well. Adds a boolean ``suppressed`` column.
    """
    import pandas as pd

    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    count_columns = [count_columns] if isinstance(count_columns, str) else list(count_columns)
    out = frame.copy()
    counts = out[count_columns].astype("float64")
    hidden = pd.DataFrame((counts > 0) & (counts < threshold), index=out.index, columns=count_columns)
    for keys in group_by or []:
        keys = [keys] if isinstance(keys, str) else list(keys)
        for column in count_columns:
            changed = True
            while changed:
                changed = False
                for index in out.groupby(keys, sort=True, dropna=False).indices.values():
                    index = out.index[index]
                    cells = hidden.loc[index, column]
                    if cells.sum() == 1 and len(cells) > 1:
                        candidates = counts.loc[index, column][~cells & (counts.loc[index, column] > 0)]
                        if len(candidates):
                            hidden.loc[candidates.sort_values(kind="stable").index[0], column] = True
                            changed = True
    any_hidden = hidden.any(axis=1)
    for column in count_columns:
        out[column] = out[column].astype("Float64").mask(hidden[column])
    for column in derived_columns:
        out[column] = out[column].astype("Float64").mask(any_hidden)
    out["suppressed"] = any_hidden.to_numpy(dtype=bool)
    return out


def violations(frame, count_columns, *, threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """Describe every visible count below the threshold (what a disclosure check looks for)."""
    problems = []
    for column in ([count_columns] if isinstance(count_columns, str) else count_columns):
        values = frame[column]
        bad = values[(values > 0) & (values < threshold)].dropna()
        problems += [f"{column}={v} in row {i}" for i, v in bad.items()]
    return problems
