"""The claims register: one row per claim of the reports, with its test and a verdict.

The verdict rule (stated once, here, and shown in the register chapter):

* ``not testable`` when the data cannot test the claim (the note says what data would);
* ``supported`` when the BH-adjusted p-value is below ``alpha`` **and** the estimate lies on
  the side of the null value the claim asserts (``direction``) - or, for a claim judged by its
  interval (``judged_by="interval"``, e.g. "a small minority": the share's upper bound below the
  threshold), the whole interval lies on that side;
* ``not supported`` otherwise.

When a claim's interval and its test disagree about the null value, its note says so and the
verdict follows the test (:func:`interval_note`).

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

Every row says what kind of claim it is (``claim_kind``): a claim of the reports, a contrast
built here (two figures of the reports set against each other by this project), or a design
check (about the survey, not about offenders). And every row says which section it belongs
to (``section``): a *finding* rests on published figures or the user's own microdata; a
*demonstration* rests on synthetic data and names its scenario and seed (``data_source``).
Verdict counts cover findings only; the families of the BH adjustment stay apart.

For every tested claim on published figures the register also states its tipping base
(:mod:`helpers.report.tipping`): the smallest share of the survey total answering at which its
verdict still holds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from helpers.errors import StatisticsInputError
from helpers.report import tipping
from helpers.report.tables import format_number, format_p
from helpers.stats.bands import DIRECTIONS, BandResult

VERDICTS = ("supported", "not supported", "not testable")

#: What a row is: a claim the reports make, a contrast this project builds from two of their
#: figures, or a check of the survey's design.
CLAIM_KINDS = ("report claim", "contrast built here", "design check")

#: Findings rest on published figures or the user's microdata; demonstrations on synthetic data.
SECTIONS = ("finding", "demonstration")

#: Where a published claim's data come from, unless the chapter says more.
PUBLISHED_SOURCE = "published figures (data/published/figures.csv)"

#: Column order of claims.csv.
COLUMNS = (
    "claim_id", "chapter", "claim_kind", "section", "statement", "source", "source_url", "data",
    "data_source", "test", "statistic", "p_value", "p_adjusted", "alpha", "estimate", "ci_low", "ci_high",
    "scale", "null_value", "direction", "judged_by", "n", "verdict", "tipping_base", "tipping_note", "note",
)

#: A chapter's own claims file holds one more column: how to re-run the test at a smaller base
#: (JSON, see :mod:`helpers.report.tipping`); the register uses it and leaves it out of claims.csv.
CHAPTER_COLUMNS = (*COLUMNS, "rerun")


def section_of(data_kind: str) -> str:
    """A claim on synthetic data is a demonstration of a method; anything else is a finding."""
    return "demonstration" if data_kind == "synthetic" else "finding"


def check_claim_kind(kind: str) -> str:
    if kind not in CLAIM_KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, CLAIM_KINDS))}, got {kind!r}")
    return kind


@dataclass
class Claim:
    claim_id: str
    chapter: str
    statement: str
    source: str
    source_url: str
    data: str
    claim_kind: str = "report claim"
    section: str = ""
    data_source: str = ""
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
    tipping_base: float = math.nan
    tipping_note: str = ""
    note: str = ""
    rerun: str = ""

    def __post_init__(self):
        check_claim_kind(self.claim_kind)
        self.section = self.section or section_of(self.data)

    @property
    def testable(self) -> bool:
        return bool(self.test) and not math.isnan(self.p_value)

    def as_row(self) -> dict:
        """The claim as a row of its chapter's claims file (:data:`CHAPTER_COLUMNS`)."""
        return {name: getattr(self, name) for name in CHAPTER_COLUMNS}

    def _repr_markdown_(self) -> str:
        """How a recorded claim reads in a notebook: the verdict first, then the evidence."""
        def number(value: float) -> str:  # 0.0123, not 1.23e-02
            return "" if math.isnan(value) else format_number(value)

        def count(value: float) -> str:  # 1,527 (not 1.53e+03); an effective n keeps one decimal
            if math.isnan(value):
                return ""
            return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"

        stage = "" if self.verdict == "not testable" else " (before adjustment across the register)"
        text = (f"**{self.claim_id}** — *{self.verdict}*{stage} · {self.claim_kind} · {self.section} · "
                f"data: {self.data_source or self.data}")
        if self.testable:
            interval = f"[{number(self.ci_low)}, {number(self.ci_high)}]"
            p_value = "" if math.isnan(self.p_value) else format_p(self.p_value)
            p_value = p_value if p_value.startswith("<") else f"= {p_value}"
            text += (f"  \n{self.test}: estimate {number(self.estimate)} {interval} ({self.scale}), "
                     f"statistic {number(self.statistic)}, p {p_value}, n = {count(self.n)}")
        if self.note:
            text += f"  \n<small>{self.note}</small>"
        return text


JUDGED_BY = ("estimate", "interval")


def judged_end(band: BandResult, *, direction: str, null_value: float):
    """The result a band claim is judged at (its least favourable end) and the interval over all ends."""
    return band.least_favourable(direction, null_value), band.low, band.high


def band_note(band: BandResult, *, alpha: float) -> str:
    """What running a test at every end of a band showed, for the claim's note."""
    return (f"run at both ends of the published band: p from {band.p_value_min:.3g} to {band.p_value_max:.3g}, "
            f"estimate from {band.estimate_min:.4g} to {band.estimate_max:.4g}; judged at the end least "
            "favourable to the claim"
            + ("" if band.stable(alpha) else "; the conclusion depends on where in the band the true figure lies"))


def interval_note(p_value: float, low: float, high: float, *, null_value: float, alpha: float,
                  level: float) -> str:
    """Say so when a claim's interval and its test disagree about the null value; else "".

    A Wald interval beside a likelihood-ratio test (or a score interval beside an exact test) can
    exclude the null while the test does not reject, or the other way round, when the likelihood
    is far from quadratic at the sample size. A reader who sees only one of the two would draw the
    other conclusion, so the note names both. Checked only when the interval's level is 1 - alpha.
    """
    if any(math.isnan(v) for v in (p_value, low, high)) or not math.isclose(level, 1.0 - alpha):
        return ""
    rejects, excludes = p_value < alpha, (low > null_value or high < null_value)
    if rejects == excludes:
        return ""
    return (f"the {level:.0%} interval ({low:.4g} to {high:.4g}) {'excludes' if excludes else 'contains'} "
            f"{null_value:g} while the test's p = {p_value:.3g} {'rejects' if rejects else 'does not reject'} "
            f"at {alpha:g}: the interval and the test disagree at this size, and the verdict follows the test")


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


def distinct_tests(frame):
    """The family's p-values with a test run twice counted once, each claim's place among them, and the
    first claim of each test (a claim's own row when its test is not repeated).

    Two claims resting on the same test of the same published figures (the same re-run recipe,
    naming the same figures: e.g. a sentence of the foreword and a claim of the 2016 report on the
    2016 workload question) are one piece of evidence, so they enter the BH adjustment once and
    share its adjusted p-value. Tests whose figures are not named are never merged.
    """
    import numpy as np

    reruns = frame["rerun"].tolist() if "rerun" in frame else [""] * len(frame)
    keys = [r if isinstance(r, str) and json.loads(r or "{}").get("figures") else f"row {i}"
            for i, r in enumerate(reruns)]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    place = {key: j for j, key in enumerate(first)}
    p = frame["p_value"].astype(float).to_numpy()
    distinct = np.array([p[i] for i in first.values()], dtype=float)
    return distinct, np.array([place[k] for k in keys], dtype=int), [first[k] for k in keys]


def adjust_register(frame, *, alpha: float, method: str = "fdr_bh"):
    """Adjust every testable claim's p-value across the family and (re)apply the verdict rule."""
    import numpy as np

    from helpers.stats import adjust_pvalues

    out = frame.copy()
    for column, default in (("judged_by", "estimate"), ("ci_low", math.nan), ("ci_high", math.nan)):
        if column not in out:
            out[column] = default
    distinct, place, first = distinct_tests(out)
    out["p_adjusted"] = adjust_pvalues(distinct, method=method)[place] if len(distinct) else distinct
    out["alpha"] = alpha
    if "note" in out:
        ids, notes = out["claim_id"].tolist(), out["note"].fillna("").astype(str).tolist()
        repeated = "the same test of the same figures as {}: counted once in the BH family"
        out["note"] = [note if first[i] == i else "; ".join(filter(None, [note, repeated.format(ids[first[i]])]))
                       for i, note in enumerate(notes)]
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


def _adjusted_with(p_values, index: int, p_value: float, method: str) -> float:
    """The BH-adjusted p-value of the distinct test at ``index`` when its p-value is ``p_value``, the others held."""
    import numpy as np

    from helpers.stats import adjust_pvalues

    p = np.array(p_values, dtype=float)
    p[index] = p_value
    return float(adjust_pvalues(p, method=method)[index])


def tipping_base(row, p_values, index: int, *, alpha: float, method: str) -> tuple[float, str]:
    """The smallest share of the survey total answering at which a published claim's verdict holds.

    The rule (:mod:`helpers.report.tipping`): the claim's test is run again at every smaller base
    with the published shares fixed; its p-value goes back into its family with the other claims'
    p-values held, and the verdict rule is applied at that base.
    """
    recipe_json = row.rerun
    calls = json.loads(recipe_json)["calls"]
    largest = tipping.largest_base(calls)

    def holds(n: int) -> bool:
        try:
            band = tipping.rerun_at(recipe_json, n)
        except StatisticsInputError:  # the test cannot run at so few respondents
            return False
        result, low, high = judged_end(band, direction=row.direction, null_value=row.null_value)
        if result is None or math.isnan(result.p_value):
            return False
        adjusted = _adjusted_with(p_values, index, float(result.p_value), method)
        return verdict(adjusted, float(result.estimate), direction=row.direction, null_value=row.null_value,
                       alpha=alpha, judged_by=row.judged_by, ci_low=low, ci_high=high) == row.verdict

    n = tipping.smallest_holding(holds, largest)
    share = math.nan if n is None else n / largest
    return share, tipping.tipping_note(row.verdict, n, largest)


def add_tipping_bases(family, *, alpha: float, method: str):
    """``tipping_base`` and ``tipping_note`` for every tested claim of a published family."""
    out = family.copy()
    out["tipping_base"], out["tipping_note"] = math.nan, ""
    p_values, place, _ = distinct_tests(out)
    for position, row in enumerate(out.itertuples()):
        index = int(place[position])
        if row.data != "published" or row.verdict == "not testable":
            continue
        if not isinstance(row.rerun, str) or not row.rerun:
            out.loc[row.Index, "tipping_note"] = "no tipping base: the test was not built from published counts"
            continue
        share, note = tipping_base(row, p_values, index, alpha=alpha, method=method)
        out.loc[row.Index, ["tipping_base", "tipping_note"]] = [share, note]
    return out


#: Columns a chapter's claims file may lack (written before they existed), with their defaults.
DEFAULTS = {"claim_kind": "report claim", "data_source": "", "tipping_base": math.nan, "tipping_note": "",
            "rerun": "", "judged_by": "estimate"}


def gather_register(layout, *, alpha: float, method: str = "fdr_bh"):
    """Every chapter's claims (``claims/*.csv``) in report order, adjusted per family, with verdicts.

    Also each row's section (finding or demonstration) and, for tested claims on published
    figures, the tipping base.
    """
    import pandas as pd

    files = sorted(p for p in layout.claims_dir.glob("*.csv") if not p.stem.endswith("claims-register"))
    if not files:  # e.g. only chapters without claims ran (the method checks): an empty register
        return pd.DataFrame(columns=list(COLUMNS))
    frame = pd.concat([pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in files], ignore_index=True)
    for column, default in DEFAULTS.items():
        if column not in frame:
            frame[column] = default
    frame["section"] = frame["data"].map(section_of)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"claims files in {layout.claims_dir} lack columns {missing}")
    duplicated = frame["claim_id"][frame["claim_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"claim ids recorded twice: {duplicated}")
    unknown = frame.loc[~frame["claim_kind"].isin(CLAIM_KINDS), ["claim_id", "claim_kind"]]
    if len(unknown):
        raise ValueError(f"claims files in {layout.claims_dir}: claim_kind must be one of {CLAIM_KINDS}, got "
                         + ", ".join(f"{r.claim_kind!r} ({r.claim_id})" for r in unknown.itertuples()))
    for column in ("test", "rerun", "data_source", "tipping_note"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    parts = []
    for name, part in frame.groupby(frame["data"].map(family_of), sort=True):
        adjusted = adjust_register(part, alpha=alpha, method=method)
        parts.append(add_tipping_bases(adjusted, alpha=alpha, method=method) if name == "published" else adjusted)
    return pd.concat(parts).sort_index()[list(COLUMNS)].reset_index(drop=True)


def verdict_counts(register):
    """Verdicts of the findings (never the demonstrations), by kind of claim and kind of data, with totals."""
    import pandas as pd

    findings = register[register["section"] == "finding"]
    if findings.empty:
        return pd.DataFrame(columns=["claim_kind", "data", *VERDICTS, "total"])
    table = findings.pivot_table(index=["claim_kind", "data"], columns="verdict", values="claim_id",
                                 aggfunc="count", fill_value=0).reindex(columns=list(VERDICTS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc[("all findings", ""), :] = table.sum()
    return table.astype(int).reset_index()


def tipping_table(register):
    """The tested claims on published figures with their tipping base, the most fragile first."""
    tested = register[(register["data"] == "published") & register["tipping_base"].notna()]
    columns = ["claim_id", "claim_kind", "verdict", "p_adjusted", "tipping_base", "tipping_note"]
    return tested.sort_values("tipping_base", ascending=False)[columns].reset_index(drop=True)
