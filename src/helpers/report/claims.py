"""The claims register: one row per claim of the reports, with its test and a verdict.

The verdict rule (stated once, here, and shown in the register chapter):

* ``not testable`` when the data cannot test the claim (the note says what data would);
* ``supported`` when the BH-adjusted p-value is below ``alpha`` **and** the estimate lies on
  the side of the null value the claim asserts (``direction``) - or, for a claim judged by its
  interval (``judged_by="interval"``, e.g. "a small minority": the share's upper bound below the
  threshold), the whole interval lies on that side;
* ``not supported`` otherwise.

The sidedness rule: every test is two-sided, and the claim's direction is judged by the sign of
the estimate. A directional claim is therefore supported at level ``alpha`` exactly when a
one-sided test in the claimed direction would reject at ``alpha / 2``. No test of a signed estimate is
run one-sided (:meth:`helpers.report.chapter.Chapter.claim` refuses one); likelihood-ratio tests, upper-
tailed by nature like chi-square tests, are used as they are.

Where a figure is a verbal phrase or rounded, the test is run at both ends of its band and the
claim records the end least favourable to it: the end with the largest p-value *in the claimed
direction* (:meth:`helpers.stats.bands.BandResult.least_favourable`), so an end on the wrong
side of the null is always the one judged. The range over the ends is in the note.

Cross-wave claims follow one comparability rule (:func:`helpers.data.series.comparison`): the
same question is tested; a reworded question is tested and its note says so; a different
construct is not testable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from helpers.stats.bands import DIRECTIONS

VERDICTS = ("supported", "not supported", "not testable")

#: Column order of claims.csv.
COLUMNS = (
    "claim_id", "chapter", "statement", "source", "source_url", "data", "test", "statistic",
    "p_value", "p_adjusted", "alpha", "estimate", "ci_low", "ci_high", "scale", "null_value",
    "direction", "judged_by", "n", "verdict", "note",
)


@dataclass
class Claim:
    claim_id: str
    chapter: str
    statement: str
    source: str
    source_url: str
    data: str
    test: str = ""
    statistic: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    alpha: float = 0.05
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    scale: str = ""
    null_value: float = 0.0
    direction: str = "different"
    judged_by: str = "estimate"
    n: float = math.nan
    verdict: str = ""
    note: str = ""

    @property
    def testable(self) -> bool:
        return bool(self.test) and not math.isnan(self.p_value)

    def as_row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _repr_markdown_(self) -> str:
        """How a recorded claim reads in a notebook: the verdict first, then the evidence."""
        def number(value: float) -> str:
            return "" if math.isnan(value) else f"{value:.3g}"

        def count(value: float) -> str:  # 1,527 (not 1.53e+03); an effective n keeps one decimal
            if math.isnan(value):
                return ""
            return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"

        stage = "" if self.verdict == "not testable" else " (before adjustment across the register)"
        text = f"**{self.claim_id}** — *{self.verdict}*{stage} · data: {self.data}"
        if self.testable:
            interval = f"[{number(self.ci_low)}, {number(self.ci_high)}]"
            text += (f"  \n{self.test}: estimate {number(self.estimate)} {interval} ({self.scale}), "
                     f"statistic {number(self.statistic)}, p = {number(self.p_value)}, n = {count(self.n)}")
        if self.note:
            text += f"  \n<small>{self.note}</small>"
        return text


JUDGED_BY = ("estimate", "interval")


def verdict(p_adjusted: float, estimate: float, *, direction: str, null_value: float, alpha: float,
            testable: bool = True, judged_by: str = "estimate", ci_low: float = math.nan,
            ci_high: float = math.nan) -> str:
    """The one rule that turns an adjusted p-value and an estimate (or its interval) into a verdict."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if judged_by not in JUDGED_BY:
        raise ValueError(f"judged_by must be one of {JUDGED_BY}, got {judged_by!r}")
    if not testable or p_adjusted is None or math.isnan(p_adjusted):
        return "not testable"
    low, high = (estimate, estimate) if judged_by == "estimate" else (ci_low, ci_high)
    on_side = {
        "greater": low > null_value,
        "less": high < null_value,
        "different": low > null_value or high < null_value,
    }[direction]
    return "supported" if (p_adjusted < alpha and on_side) else "not supported"


def adjust_register(frame, *, alpha: float, method: str = "fdr_bh"):
    """Adjust every testable claim's p-value across the family and (re)apply the verdict rule."""
    import numpy as np

    from helpers.stats import adjust_pvalues

    out = frame.copy()
    for column, default in (("judged_by", "estimate"), ("ci_low", math.nan), ("ci_high", math.nan)):
        if column not in out:
            out[column] = default
    p = out["p_value"].astype(float).to_numpy()
    out["p_adjusted"] = adjust_pvalues(p, method=method) if len(p) else p
    out["alpha"] = alpha
    out["verdict"] = [
        verdict(row.p_adjusted, row.estimate, direction=row.direction, null_value=row.null_value,
                alpha=alpha, testable=isinstance(row.test, str) and bool(row.test) and not np.isnan(row.p_value),
                judged_by=row.judged_by, ci_low=row.ci_low, ci_high=row.ci_high)
        for row in out.itertuples()
    ]
    return out


def family_of(data_kind: str) -> str:
    """Claims are adjusted within a family: the published aggregates, or the microdata."""
    return "published" if data_kind == "published" else "microdata"


def gather_register(layout, *, alpha: float, method: str = "fdr_bh"):
    """Every chapter's claims (``claims/*.csv``) in report order, adjusted per family, with verdicts."""
    import pandas as pd

    files = sorted(p for p in layout.claims_dir.glob("*.csv") if not p.stem.endswith("claims-register"))
    if not files:  # e.g. only chapters without claims ran (the method checks): an empty register
        return pd.DataFrame(columns=list(COLUMNS))
    frame = pd.concat([pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in files], ignore_index=True)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"claims files in {layout.claims_dir} lack columns {missing}")
    duplicated = frame["claim_id"][frame["claim_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"claim ids recorded twice: {duplicated}")
    frame["test"] = frame["test"].fillna("")
    parts = [adjust_register(part, alpha=alpha, method=method)
             for _, part in frame.groupby(frame["data"].map(family_of), sort=True)]
    return pd.concat(parts).sort_index()[list(COLUMNS)].reset_index(drop=True)
