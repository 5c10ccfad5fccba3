"""Disclosure control for anything computed from respondent-level data.

The rules (stated in README, "Bringing your own microdata"; they follow the SACRO project's
output-checking rules, ``acro``: a threshold rule on every cell, and no differencing):

* **Threshold (primary suppression).** Counts from microdata between 1 and ``threshold - 1`` are
  suppressed, and so are shares and intervals computed from them (:func:`suppress_small_counts`).
* **Secondary suppression.** Within each group whose total is shown, a group with one suppressed
  cell loses its next-smallest non-zero cell too, so the total cannot reveal it.
* **Small groups.** A wave a chapter needs with fewer respondents than the threshold stops the run
  before any kernel starts; a region with a small cell in any wave is pooled with the smallest
  other region for weighting and composition (:func:`pool_small_groups`); a small country is named
  in the run's messages and never published.
* **Rounding what could be inverted.** A share of ``n`` respondents whose count is not published
  is rounded to :func:`share_decimals` places, at which share x n is uncertain by at least the
  threshold; effective sample sizes are whole numbers.
* **The stage over everything a run publishes.** :func:`check_run_outputs` (the runner calls it on
  the staged outputs before they replace the live ones) recomputes every small cell of the user's
  microdata and refuses the run when any published number pins one down (see
  :mod:`helpers.report.disclosure_audit`).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from helpers.errors import InputDataError

DEFAULT_THRESHOLD = 5


class DisclosureError(InputDataError):
    """What a run would publish reveals a cell below the disclosure threshold (exit 2, nothing published)."""


def count_text(count: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count of respondents as a reader may see it: "fewer than <threshold>" for a small cell
    (1 to threshold - 1), otherwise the number itself."""
    return f"fewer than {threshold}" if 0 < count < threshold else f"{count:,}"


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


def pool_small_groups(frame, column: str, *, threshold: int = DEFAULT_THRESHOLD, within: str = "wave"):
    """``frame`` with small levels of ``column`` pooled; and ``{level: pooled label}`` for those merged.

    A level is small when it has between 1 and ``threshold - 1`` respondents in some group of
    ``within`` (a wave) or in all. The smallest such level (fewest respondents overall) is merged
    with the smallest other level, and again, until no level is small or one level is left. A
    pooled level is named by its parts, ``"europe + other"``.
    """
    import pandas as pd

    labels = frame[column].astype(str)
    merged: dict[str, str] = {}
    while True:
        table = pd.crosstab(frame[within], labels)
        totals = table.sum().sort_values(kind="stable")
        small = [lev for lev in totals.index
                 if ((table[lev] > 0) & (table[lev] < threshold)).any() or totals[lev] < threshold]
        if not small or len(totals) < 2:
            break
        level = min(small, key=lambda lev: (totals[lev], lev))
        partner = min((lev for lev in totals.index if lev != level), key=lambda lev: (totals[lev], lev))
        name = " + ".join(sorted({*level.split(" + "), *partner.split(" + ")}))
        labels = labels.where(~labels.isin([level, partner]), name)
        for original in [*level.split(" + "), *partner.split(" + ")]:
            merged[original] = name
    out = frame.copy()
    out[column] = labels.to_numpy()
    return out, merged


def share_decimals(base: int, threshold: int = DEFAULT_THRESHOLD) -> int:
    """Decimals at which a share of ``base`` respondents hides its count to within ``threshold``.

    Rounded to d decimals, share x base is known only to +/- 0.5 * 10**-d * base; d is the
    largest number with that at least threshold / 2, so no count below the threshold can be
    read back from a share and its published total.
    """
    if base < 1 or threshold < 1:
        raise ValueError(f"base and threshold must be positive, got {base} and {threshold}")
    return max(0, math.floor(math.log10(base / threshold)))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_small_groups(inputs: dict[str, list[str]], parameters: dict[str, dict]) -> dict[str, dict]:
    """Name every small wave, region and country of the user's microdata; stop on a small wave.

    ``inputs``: per chapter, the input files it reads; ``parameters``: per chapter, its resolved
    parameters (``min_cell_count``, ``waves``). Called before any kernel starts. A wave a chapter
    analyses with fewer respondents than its threshold raises :class:`DisclosureError`; small
    regions and countries are reported (they are pooled or never published). Returns, per file,
    the small groups found (for run.json).
    """
    found: dict[str, dict] = {}
    for slug, path, threshold, frame in _user_frames(inputs, parameters):
        groups = _small(frame, threshold)
        waves = groups.get("wave")
        if waves:
            listed = ", ".join(f"{w} ({n} respondent{'s' if n > 1 else ''})" for w, n in waves.items())
            raise DisclosureError(
                f"{Path(path).name}: column 'wave': wave(s) {listed} have fewer than min_cell_count={threshold} "
                f"respondents, so chapter {slug} cannot publish their figures; leave them out of its waves "
                "parameter (-p waves ...) or pool them with a neighbouring wave in the file")
        if groups and path not in found:
            found[path] = groups
            _report(path, groups, threshold)
    return found


def _user_frames(inputs: dict[str, list[str]], parameters: dict[str, dict]):
    """Per chapter and input file of user microdata (synthetic files are skipped): the chapter, the
    path, its disclosure threshold and the validated frame of the waves it analyses."""
    from helpers.report.disclosure_audit import user_microdata

    for slug, files in inputs.items():
        threshold = int(parameters[slug].get("min_cell_count", DEFAULT_THRESHOLD))
        for path in files:
            frame = user_microdata(path, parameters[slug].get("waves"))
            if frame is not None:
                yield slug, path, threshold, frame


def _small(frame, threshold: int) -> dict:
    from helpers.data.coverage import small_groups

    return small_groups(frame, threshold)


def _report(path: str, groups: dict, threshold: int) -> None:
    name = Path(path).name
    for column, sizes in groups.items():
        listed = ", ".join(f"{level!r} ({n})" for level, n in sizes.items())
        rule = ("pooled with the smallest other region in weighting and composition tables" if column == "region"
                else "never published by name")
        _say(f"note: {name}: {column} {listed}: fewer than min_cell_count={threshold} respondents; {rule}")


def check_run_outputs(root: str | Path, inputs: dict[str, list[str]], parameters: dict[str, dict]) -> None:
    """The disclosure stage: refuse a run whose outputs let a small cell of the user's microdata be recovered.

    ``root``: the staged output folder (before it replaces the live one); ``inputs`` and
    ``parameters`` as for :func:`check_small_groups`. Every cell of the microdata with between 1
    and ``min_cell_count - 1`` respondents (by wave, region, country, their crossings, and each
    answer of each item per wave) is recomputed, and every number in the tables, claims, executed
    notebooks' printed output, manifests and run.json is tested against it: as a share of any
    total that contains it, as a post-stratification weight, and as the Kish effective sample
    size of its wave. A number that pins a cell down (it matches at its printed precision and
    the neighbouring counts do not) raises :class:`DisclosureError` naming the file and cell.
    Synthetic data are not checked (no respondent exists).
    """
    from helpers.report.disclosure_audit import find_leaks, published_numbers

    numbers = None
    for slug, path, threshold, frame in _user_frames(inputs, parameters):
        numbers = published_numbers(Path(root)) if numbers is None else numbers
        leaks = find_leaks(frame, numbers, threshold)
        if leaks:
            listed = "\n  ".join(leaks[:10]) + (f"\n  ... and {len(leaks) - 10} more" if len(leaks) > 10 else "")
            raise DisclosureError(f"{Path(path).name}: the outputs would reveal cells below "
                                  f"min_cell_count={threshold} (chapter {slug}):\n  {listed}")
