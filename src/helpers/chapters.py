"""The chapter list: the one place that says which notebooks make the report, in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.errors import ParameterError
from helpers.paths import NOTEBOOKS_DIR

#: ``depends_on`` of a chapter that reads the claims of every chapter that writes claims (the register).
EVERY_CHAPTER_WITH_CLAIMS = "every chapter with claims"


@dataclass(frozen=True)
class ChapterSpec:
    slug: str
    title: str
    #: The chapters whose claims this one reads: their slugs, or EVERY_CHAPTER_WITH_CLAIMS. The runner
    #: runs it after them, takes it along whenever one of them runs, and re-runs it when their claims change.
    depends_on: tuple[str, ...] | str = ()
    #: Whether it writes claims for the register (the method checks and the register itself do not).
    writes_claims: bool = True
    #: Where the notebook is, if not ``notebooks/<slug>.ipynb`` (tests use throwaway notebooks).
    path: str | None = None
    #: Relative running time, used only to start long chapters first when no earlier run has
    #: measured them (running the longest first keeps both cores busy to the end).
    cost_hint: float = 1.0

    @property
    def gathers_claims(self) -> bool:
        """Whether it reads other chapters' claims (and so writes the register, ``claims.csv``)."""
        return bool(self.depends_on)

    @property
    def number(self) -> str:
        return self.slug[:2]

    @property
    def notebook(self):
        return Path(self.path) if self.path else NOTEBOOKS_DIR / f"{self.slug}.ipynb"


CHAPTERS: tuple[ChapterSpec, ...] = (
    ChapterSpec("00-survey-design", "Survey design: who answered, and what a convenience sample can support"),
    ChapterSpec("01-self-produced-material", "Self-produced material"),
    ChapterSpec("02-grooming-and-extortion", "Grooming and sexual extortion"),
    ChapterSpec("03-technology-trends", "Technology trends across waves"),
    ChapterSpec("04-cryptocurrencies", "Cryptocurrencies"),
    ChapterSpec("05-offender-groups", "Offender groups: two groups, and a widening gap?", cost_hint=4.0),
    ChapterSpec("06-workplace-prevalence", "Workplace prevalence: one in 500 employees?"),
    ChapterSpec("07-workplace-response", "Workplace response"),
    ChapterSpec("08-covid-2020", "The sixth report (2020): COVID-19 and child sexual abuse crime"),
    ChapterSpec("09-method-checks", "Method checks: size and power of the headline tests (synthetic data)",
                writes_claims=False, cost_hint=6.0),
    ChapterSpec("10-claims-register", "The claims register", depends_on=EVERY_CHAPTER_WITH_CLAIMS,
                writes_claims=False),
)


def dependencies(spec: ChapterSpec, chapters=CHAPTERS) -> list[ChapterSpec]:
    """The chapters ``spec`` depends on, in report order."""
    if spec.depends_on == EVERY_CHAPTER_WITH_CLAIMS:
        return [c for c in chapters if c.writes_claims and c.slug != spec.slug]
    return [c for c in chapters if c.slug in spec.depends_on]


def with_dependents(selected, chapters=CHAPTERS) -> list[ChapterSpec]:
    """``selected`` and every chapter that depends on one of them (transitively), in report order."""
    chosen: set[str] = {c.slug for c in selected}
    grown = True
    while grown:
        grown = False
        for spec in chapters:
            if spec.slug not in chosen and any(d.slug in chosen for d in dependencies(spec, chapters)):
                chosen.add(spec.slug)
                grown = True
    return [c for c in chapters if c.slug in chosen]


def dependency_levels(chosen, chapters=CHAPTERS) -> list[list[ChapterSpec]]:
    """``chosen`` in the order they can run: each level depends only on chapters of earlier levels."""
    levels: list[list[ChapterSpec]] = []
    placed: set[str] = set()
    remaining = list(chosen)
    while remaining:
        slugs = {c.slug for c in remaining}
        level = [c for c in remaining if not any(d.slug in slugs for d in dependencies(c, chapters))]
        if not level:
            raise ParameterError("chapters depend on each other in a cycle: " + ", ".join(sorted(slugs)))
        levels.append(level)
        placed.update(c.slug for c in level)
        remaining = [c for c in remaining if c.slug not in placed]
    return levels


def resolve_chapters(selectors: list[str] | tuple[str, ...] | None, chapters=CHAPTERS) -> list[ChapterSpec]:
    """Chapters named by number ('3', '03'), slug or slug without number; all when none given.

    The result keeps report order, whatever order the selectors came in.
    """
    if not selectors:
        return list(chapters)
    chosen: set[str] = set()
    for selector in selectors:
        text = str(selector).strip()
        matches = [
            c for c in chapters
            if text in (c.slug, c.slug[3:], c.number) or (text.isdigit() and int(text) == int(c.number))
        ]
        if not matches:
            known = ", ".join(c.slug for c in chapters)
            raise ParameterError(f"unknown chapter {text!r}; the chapters are: {known}")
        chosen.update(c.slug for c in matches)
    return [c for c in chapters if c.slug in chosen]
