"""The third stage of a run: execute the plan's stale chapters, in dependency order, into staging.

Chapters run in fresh kernels (:mod:`helpers.pipeline.execution`), independent ones side by side
in a process pool (longest first), then each level of chapters that depend on them. A chapter
marked for a recheck runs only if the claims it reads changed; one whose dependencies failed is
skipped. Every chapter of the run gets a record for ``run.json``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from helpers import lifecycle
from helpers.chapters import ChapterSpec, dependency_levels
from helpers.paths import OutputLayout
from helpers.pipeline.context import RunContext, say
from helpers.pipeline.execution import ChapterOutcome, ChapterTask, execute_chapter, share_cores, worker_init
from helpers.pipeline.plan import ChapterPlan, Plan, chapter_key, chapter_reasons

#: Seconds a chapter is assumed to take per unit of its cost hint, before any run has measured it.
SECONDS_PER_COST = 6.0


@dataclass
class Execution:
    """What the execute stage did: a record per chapter, the failures, and where it wrote."""

    staged: OutputLayout
    total: int                                   # chapters counted in the progress, fixed before anything runs
    records: dict[str, dict] = field(default_factory=dict)
    failures: list[ChapterOutcome] = field(default_factory=list)
    done: int = 0

    def progress(self, message: str) -> None:
        self.done += 1
        say(f"[{self.done}/{self.total}] {message}")

    @property
    def ran(self) -> list[str]:
        return [slug for slug, r in self.records.items() if not r.get("reused")]


def run_in_pool(tasks: list[ChapterTask], jobs: int) -> Iterator[ChapterOutcome]:
    """Run tasks, in a process pool when jobs > 1; yields outcomes as they finish."""
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            say(f"  running {task.slug} ...")
            yield execute_chapter(task)
        return
    share_cores(min(jobs, len(tasks)))
    context = multiprocessing.get_context("spawn")
    # Workers are spawned here, from the main thread, which lives as long as the runner: their
    # parent-death signal (set in worker_init) fires when the runner dies, not before.
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context, initializer=worker_init,
                               initargs=(os.getpid(),))
    try:
        futures = {pool.submit(execute_chapter, task): task for task in tasks}
        lifecycle.record_resource_tracker()
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                yield ChapterOutcome(futures[future].slug, "failed", kind="dead_kernel",
                                     ename="BrokenProcessPool", evalue=str(exc))
    except BaseException:
        for process in multiprocessing.active_children():
            process.terminate()  # the pool's workers: they shut their kernels down on SIGTERM
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _task(context: RunContext, spec: ChapterSpec, staged: OutputLayout, runtime_dir: str) -> ChapterTask:
    """A chapter's task; its old outputs in staging are removed first, so none outlives the re-run."""
    for folder in (staged.figures(spec.slug), staged.tables(spec.slug)):
        shutil.rmtree(folder, ignore_errors=True)
    for stale_file in staged.chapter_files(spec.slug, gathers_claims=spec.gathers_claims):
        stale_file.unlink(missing_ok=True)
    parameters = dict(context.resolved[spec.slug])
    parameters["output_dir"] = str(staged.root)  # always passed: a chapter left to its default writes elsewhere
    return ChapterTask(spec.slug, str(spec.notebook), str(staged.notebook(spec.slug)), parameters,
                       runtime_dir, context.options.cell_timeout)


def _record(context: RunContext, execution: Execution, item: ChapterPlan, outcome: ChapterOutcome | None) -> None:
    spec = item.spec
    entry: dict[str, Any] = {"title": spec.title, "components": item.components,
                             "parameters": context.recorded_parameters(spec),
                             "declared": [vars(p) for p in context.declared[spec.slug].values()],
                             "helpers_modules": context.shared.modules_record(spec.notebook)}
    if outcome is None:
        entry.update(status="ok", reused=True, duration=0.0, reasons=[])
    else:
        entry.update(status=outcome.status, reused=False, duration=round(outcome.duration, 2),
                     reasons=item.reasons, attempts=outcome.attempts)
        if outcome.status != "ok":
            entry.update(failure={"kind": outcome.kind, "cell_index": outcome.cell_index,
                                  "ename": outcome.ename, "evalue": outcome.evalue})
            execution.failures.append(outcome)
        mark = "ok" if outcome.status == "ok" else f"FAILED ({outcome.kind})"
        execution.progress(f"{spec.slug}: {mark} in {outcome.duration:.1f} s (elapsed {context.elapsed():.1f} s)")
    execution.records[spec.slug] = entry


def _decide_dependent(context: RunContext, execution: Execution, item: ChapterPlan) -> bool:
    """Whether a chapter with dependencies still runs, now that they have (recording it when not)."""
    staged = execution.staged
    counted = item.stale
    item.components = chapter_key(context, item.spec, context.shared, staged.claims_dir)
    if item.rechecked:  # decided now: it re-runs if a claim changed, or its outputs did
        item.reasons = chapter_reasons(context, item.spec, item.components, staged)
    if not item.reasons:
        if counted:  # counted in the progress: say how it ended
            execution.progress(f"{item.spec.slug}: up to date, reused (no claim changed)")
        _record(context, execution, item, None)
        return False
    if execution.failures:
        _record(context, execution, item, None)
        execution.records[item.spec.slug].update(status="skipped", reused=False, reasons=["another chapter failed"])
        execution.progress(f"{item.spec.slug}: skipped, another chapter failed")
        return False
    return True


def execute(context: RunContext, plan: Plan, staging, runtime_dir: str,
            level_done: Callable[[list[str]], None] | None = None) -> Execution:
    """Stage 3: run what the plan says is stale, level by level of dependencies, into ``staging``.

    ``level_done`` (optional) is told the chapters of each level that ran and succeeded, as soon
    as the level is over, while the levels that depend on it run.
    """
    staged = OutputLayout(staging)
    execution = Execution(staged, total=len(plan.stale))
    jobs = context.options.jobs
    dependents = [bool(context.dependencies(p.spec)) for p in plan.stale]
    if execution.total:
        later = " (the claims register last)" if any(dependents) and not all(dependents) else ""
        say(f"Running {execution.total} of {len(plan.chapters)} chapters with up to {jobs} at a time "
            f"into {context.layout.root.resolve()}{later}")
    else:
        say(f"All {len(plan.chapters)} chapters are up to date; rebuilding the HTML in {context.layout.root.resolve()}")
    for level in dependency_levels([p.spec for p in plan.chapters], context.options.chapters):
        items = [plan[s.slug] for s in level]
        runnable = []
        for item in items:
            if context.dependencies(item.spec) and (item.stale or item.rechecked):
                if _decide_dependent(context, execution, item):
                    runnable.append(item)
            elif item.stale:
                runnable.append(item)
            else:
                _record(context, execution, item, None)
        if jobs > 1:  # longest first, by the last measured duration or the chapter's hint
            runnable.sort(key=lambda p: -(context.previous.get(p.spec.slug, {}).get("duration")
                                          or SECONDS_PER_COST * p.spec.cost_hint))
        by_slug = {p.spec.slug: p for p in runnable}
        tasks = [_task(context, p.spec, staged, runtime_dir) for p in runnable]
        for outcome in run_in_pool(tasks, jobs):
            _record(context, execution, by_slug[outcome.slug], outcome)
        if level_done is not None:
            level_done([slug for slug in by_slug if execution.records[slug]["status"] == "ok"])
    return execution
