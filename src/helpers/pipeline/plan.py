"""The second stage of a run: what is stale, and why. ``--dry-run`` prints the plan and stops.

A chapter is stale when a component of its cache key changed (:mod:`helpers.pipeline.cache`), when
its outputs are no longer the ones the runner built, or when it was taken along (its outputs were
changed by hand, or it depends on a chapter that runs). Whether a chapter that depends on others
must re-run because their claims changed is known only once they have run: the plan marks it
:data:`RECHECK`, and the execute stage decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.chapters import ChapterSpec
from helpers.pipeline import cache
from helpers.pipeline.context import RunContext

#: The reason of a chapter whose dependencies run: it re-runs if their claims change.
RECHECK = "it re-runs if any claim changes (checked after the other chapters)"
TAKEN_ALONG = "not chosen, but re-run: the register gathers its claims"


@dataclass
class ChapterPlan:
    spec: ChapterSpec
    components: dict[str, str]
    reasons: list[str]  # why it runs; empty: up to date

    @property
    def stale(self) -> bool:
        return bool(self.reasons)

    @property
    def rechecked(self) -> bool:
        return self.reasons == [RECHECK]


@dataclass
class Plan:
    chapters: list[ChapterPlan]  # the run's chapters, in report order
    index_reasons: list[str]     # why html/index.html is rebuilt (empty: it is current)
    unexported: list[str]        # up-to-date chapters that lack their HTML pages

    def __getitem__(self, slug: str) -> ChapterPlan:
        return next(p for p in self.chapters if p.spec.slug == slug)

    @property
    def stale(self) -> list[ChapterPlan]:
        return [p for p in self.chapters if p.stale]

    @property
    def nothing_to_do(self) -> bool:
        return not self.stale and not self.index_reasons and not self.unexported

    def describe(self) -> str:
        """What ``--dry-run`` prints: each chapter, whether it would run, and why."""
        lines = [f"{p.spec.slug}: {'would run: ' + '; '.join(p.reasons) if p.reasons else 'up to date'}"
                 for p in self.chapters]
        if self.index_reasons or self.unexported:
            why = self.index_reasons + [f"{slug} has no HTML pages" for slug in self.unexported]
            lines.append(f"html/index.html: would be rebuilt: {'; '.join(why)}")
        return "\n".join(lines)


def chapter_key(context: RunContext, spec: ChapterSpec, shared: cache.SharedInputs, claims_dir) -> dict[str, str]:
    """The components of one chapter's cache key; for a chapter with dependencies, their claims in ``claims_dir``."""
    claims = None
    if spec.gathers_claims:
        claims = cache.claims_hash(claims_dir, [d.slug for d in context.dependencies(spec)])
    return cache.chapter_components(spec.notebook, context.resolved[spec.slug], shared, claims,
                                    inputs=list(context.input_files(spec.slug)))


def chapter_reasons(context: RunContext, spec: ChapterSpec, components: dict[str, str], layout) -> list[str]:
    """Why one chapter must re-run, judged against the last run's record and the outputs in ``layout``."""
    if context.options.force:
        return ["--force"]
    before = context.previous.get(spec.slug)
    return cache.stale_reasons(components, before) or cache.output_changes(
        layout, spec.slug, (before or {}).get("outputs") or {}, gathers_claims=spec.gathers_claims)


def index_reasons(context: RunContext, recorded: dict) -> list[str]:
    """Why ``html/index.html`` is not the one the last run wrote (empty: it is)."""
    index = context.layout.index
    if not index.exists():
        return ["html/index.html is missing"]
    digest = recorded.get("html/index.html")
    if digest is None:
        return ["html/index.html has no recorded checksum"]
    if cache.sha256_file(index) != digest:
        return ["html/index.html changed since it was built"]
    return []


def make_plan(context: RunContext, shared: cache.SharedInputs, recorded_outputs: dict) -> Plan:
    """Stage 2: each chapter's key and reasons to run, the index's, and the pages to export."""
    layout = context.layout
    chapters = []
    for spec in context.chapters:
        components = chapter_key(context, spec, shared, layout.claims_dir)
        reasons = chapter_reasons(context, spec, components, layout)
        if spec.slug in context.not_chosen:
            reasons = [*reasons, TAKEN_ALONG]
        chapters.append(ChapterPlan(spec, components, reasons))
    stale = {p.spec.slug for p in chapters if p.stale}
    for item in chapters:
        # When its dependencies run, whether a claim changed is known only once they have: a claims
        # file changed now (by hand, say) may be rebuilt as it was.
        runs_after = any(d.slug in stale for d in context.dependencies(item.spec))
        if runs_after and set(item.reasons) <= {cache.REASONS["claims"]}:
            item.reasons = [RECHECK]
    export = context.options.export
    unexported = [p.spec.slug for p in chapters if export and not p.stale
                  and not all(page.exists() for page in layout.chapter_pages(p.spec.slug))]
    return Plan(chapters, index_reasons(context, recorded_outputs) if export else [], unexported)
