"""The reader model the HTML export and the PDF share: what a reader sees of a run.

One list of the cells a reader never sees, one reader of ``claims.csv`` (with each claim's
section, kind and the reason a claim is not testable), one way to shorten numbers (through
:mod:`helpers.report.tables`), and the ``output_dir`` a page with code shows.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.paths import PROJECT_ROOT, OutputLayout
from helpers.report.tables import format_number, format_p, is_missing

#: Cells that never appear in the reader version (reader pages and the PDF): the parameters
#: cells, papermill's error banner, and cells a chapter marks ``remove-cell``.
HIDDEN_TAGS = frozenset({"remove-cell", "injected-parameters", "parameters", "papermill-error-cell-tag"})
#: Cells that never appear on the pages with code either.
HIDDEN_WITH_CODE = frozenset({"remove-cell"})

#: The two sections of the register a reader sees apart.
FINDING, DEMONSTRATION = "finding", "demonstration"
SECTION_TITLES = {
    FINDING: "Findings: published figures and user microdata",
    DEMONSTRATION: "Demonstrations: methods run on SYNTHETIC data",
}
UNTESTABLE_PREFIX, TESTABLE_WITH = "Not testable:", "Testable with:"


def hidden(cell, tags=HIDDEN_TAGS) -> bool:
    """True when a notebook cell carries one of ``tags``."""
    return bool(set(tags) & set(cell.get("metadata", {}).get("tags", [])))


def short_number(text) -> str:
    """A number from ``claims.csv`` as a reader sees it (three significant digits, ≤ 4 decimals)."""
    if is_missing(text) or text == "":
        return ""
    try:
        return format_number(float(text))
    except ValueError:
        return str(text)


def short_p(text) -> str:
    """A p-value from ``claims.csv`` as a reader sees it (``< 0.001`` or three significant digits)."""
    if is_missing(text) or text == "":
        return ""
    try:
        return format_p(float(text))
    except ValueError:
        return str(text)


@dataclass(frozen=True)
class ClaimView:
    """One row of ``claims.csv`` as a reader sees it."""

    row: dict

    def get(self, column: str) -> str:
        value = self.row.get(column)
        return "" if value is None else str(value)

    @property
    def section(self) -> str:
        """``finding`` (published figures, user microdata) or ``demonstration`` (synthetic data)."""
        given = self.get("section")
        if given in SECTION_TITLES:
            return given
        return DEMONSTRATION if self.get("data") == "synthetic" else FINDING

    @property
    def estimate(self) -> str:
        """``0.93 [0.91, 0.95]``, or empty when there is no estimate."""
        if not self.get("estimate"):
            return ""
        text = short_number(self.get("estimate"))
        if self.get("ci_low") and self.get("ci_high"):
            text += f" [{short_number(self.get('ci_low'))}, {short_number(self.get('ci_high'))}]"
        return text

    @property
    def p_adjusted(self) -> str:
        return short_p(self.get("p_adjusted"))

    @property
    def untestable_reason(self) -> tuple[str, str]:
        """Why a not-testable claim cannot be tested, and what would make it testable (from its note)."""
        note = self.get("note").strip()
        if self.get("verdict") != "not testable" or not note:
            return "", ""
        why, _, would_need = note.partition(TESTABLE_WITH)
        return why.removeprefix(UNTESTABLE_PREFIX).strip(), would_need.strip()

    @property
    def tipping(self) -> str:
        """The tipping base in words (the smallest share answering at which the verdict holds), if any:
        the register's note, which says it with the verdict and the counts, else the base alone."""
        base, note = self.get("tipping_base"), self.get("tipping_note")
        if note or not base:
            return note
        try:
            return f"holds down to {float(base) * 100:.0f} % of the total answering"
        except ValueError:
            return base


def read_claims(layout: OutputLayout) -> list[ClaimView]:
    """The run's claims register (``claims.csv``), or an empty list when there is none."""
    if not layout.claims_register.exists():
        return []
    with open(layout.claims_register, newline="", encoding="utf-8") as handle:
        return [ClaimView(row) for row in csv.DictReader(handle)]


def by_section(claims: list[ClaimView]) -> dict[str, list[ClaimView]]:
    """The claims of each section, findings first; a section without claims is left out."""
    sections: dict[str, list[ClaimView]] = {FINDING: [], DEMONSTRATION: []}
    for claim in claims:
        sections[claim.section].append(claim)
    return {name: rows for name, rows in sections.items() if rows}


def verdict_counts(claims: list[ClaimView]) -> dict[str, int]:
    """How many claims got each verdict, in the order supported, not supported, not testable."""
    counts = {"supported": 0, "not supported": 0, "not testable": 0}
    for claim in claims:
        verdict = claim.get("verdict")
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts


#: A runner's staging folder: ``.NAME.staging-<run token>`` beside the output folder ``NAME``.
STAGING_NAME = re.compile(r"^\.(?P<name>.+)\.staging-.+$")


def published_root(root: Path) -> Path:
    """The folder a run publishes to: ``root`` itself, or the output folder of a staging folder."""
    root = Path(root)
    staged = STAGING_NAME.match(root.name)
    return root.with_name(staged["name"]) if staged else root


def shown_output_dir(root: Path) -> str:
    """The output folder as a user writes it: the folder the run publishes to (never its staging
    folder), relative to the project when it lies inside it (``outputs``)."""
    root = published_root(root)
    try:
        return root.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(root)


def without_staging_paths(text: str, root: Path) -> str:
    """``text`` with every path into a staging folder of ``root``'s output folder (this run's or the
    one that built the notebook) shown as the output folder a user writes."""
    final = published_root(root)
    shown = shown_output_dir(final)
    # Any run's staging folder (``/path/.NAME.staging-<token>``): the notebook may have been built in
    # another place than the folder it is exported from (a copied report). The pattern starts at the
    # folder's own ``/.`` and the path before it is found by walking back to a delimiter, so the cost
    # stays linear on long unbroken text (an embedded image's base64).
    pieces, copied = [], 0
    for match in _STAGING_FOLDER.finditer(text):
        start = match.start()
        while start > copied and text[start - 1] not in _PATH_DELIMITERS:
            start -= 1
        pieces += [text[copied:start], shown]
        copied = match.end()
    pieces.append(text[copied:])
    return "".join(pieces).replace(str(final), shown)


_STAGING_FOLDER = re.compile(r"/\.[^/\s'\"<>()]+?\.staging-[^/\\'\"\s<>()]+")
_PATH_DELIMITERS = frozenset(" \t\r\n'\"<>()")
