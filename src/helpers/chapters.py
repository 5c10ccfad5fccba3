"""The chapter list: the one place that says which notebooks make the report, in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.errors import ParameterError
from helpers.paths import NOTEBOOKS_DIR


@dataclass(frozen=True)
class ChapterSpec:
    slug: str
    title: str
    #: The register gathers every other chapter's claims, so it runs after them.
    gathers_claims: bool = False
    #: Where the notebook is, if not ``notebooks/<slug>.ipynb`` (tests use throwaway notebooks).
    path: str | None = None
    #: Relative running time, used only to start long chapters first when no earlier run has
    #: measured them (running the longest first keeps both cores busy to the end).
    cost_hint: float = 1.0

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
                cost_hint=6.0),
    ChapterSpec("10-claims-register", "The claims register", gathers_claims=True),
)


def resolve_chapters(selectors: list[str] | tuple[str, ...] | None, chapters=CHAPTERS) -> list[ChapterSpec]:
    """Chapters named by number ('3', '03'), slug or slug without number; all when none given.

    The result keeps report order, whatever order the selectors came in.
    """
    if not selectors:
        return list(chapters)
    chosen = set()
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
