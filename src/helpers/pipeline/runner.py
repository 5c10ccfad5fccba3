"""The report runner: a run is five stages, each taking the one before's result.

    resolve  ->  plan  ->  execute  ->  check what it publishes  ->  gather and export

1. :func:`helpers.pipeline.context.resolve`: chapters, parameters and input files, all validated
   before anything is written (a :class:`RunContext`);
2. :func:`helpers.pipeline.plan.make_plan`: what is stale and why (``--dry-run`` prints it);
3. :func:`helpers.pipeline.schedule.execute`: the stale chapters in fresh kernels, into staging;
4. :func:`helpers.pipeline.publish.check_published`: the staged outputs, before anything is exported;
5. :func:`helpers.pipeline.publish.gather_and_export`: pages, checksums and ``run.json``, then the swap.

Exit codes (also in the README):
  0  success (or nothing to do)
  1  a chapter's cell raised an error
  2  a bad parameter, bad input data or an output folder that cannot be written
  3  a cell ran longer than the per-cell timeout
  4  a kernel died, or failed to start twice
  5  another run is writing the same output folder
  130 interrupted (Ctrl-C or SIGTERM)
"""

from __future__ import annotations

import os
import signal

from helpers import lifecycle
from helpers.chapters import CHAPTERS
from helpers.errors import ReportError
from helpers.parameters import notebook_parameters
from helpers.paths import OutputLayout
from helpers.pipeline.context import (
    DEFAULT_CELL_TIMEOUT,
    ExitCode,
    RunContext,
    RunOptions,
    preflight,
    previous_run,
    resolve,
    say,
)
from helpers.pipeline.execution import reap_kernels
from helpers.pipeline.plan import Plan, make_plan
from helpers.pipeline.publish import EarlyPages, check_published, finish, gather_and_export
from helpers.pipeline.schedule import execute
from helpers.pipeline.staging import OutputBusyError, OutputFolderError, OutputTransaction

__all__ = ["DEFAULT_CELL_TIMEOUT", "ExitCode", "RunOptions", "list_chapters", "run"]


class Interrupted(Exception):
    pass


def _raise_interrupted(signum, frame):
    raise Interrupted()


def _build(context: RunContext, plan: Plan, transaction: OutputTransaction) -> int:
    """Stages 3 to 5, once the plan says there is work: validate inputs, execute, check, export, swap."""
    checks = preflight(context.input_files(), context.requested_waves())
    from helpers.report.disclosure import check_small_groups  # imported when a run has work: no-op runs stay light

    check_small_groups(context.inputs_by_chapter(), context.resolved)  # a small wave stops the run here
    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order never varies between runs
    old_handlers = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with lifecycle.Run(transaction.run_token) as this_run:  # every process started from here carries the token
            staging = transaction.begin()
            early = EarlyPages(OutputLayout(staging)) if context.options.export else None
            execution = execute(context, plan, staging, str(this_run.runtime_dir),
                                level_done=early.start if early is not None else None)
            if not execution.failures:
                check_published(context, execution)
            exit_code = gather_and_export(context, plan, execution, checks, early)
            return finish(context, execution, transaction, exit_code)
    finally:
        reap_kernels()
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler)


def _plan_and_build(context: RunContext, transaction: OutputTransaction) -> int:
    lifecycle.sweep_dead_runs()  # what killed runs left: processes first, then their folders
    context.refresh_previous()  # again, now that no other run can change it
    plan = make_plan(context, context.shared, previous_run(context.layout).get("outputs") or {})
    if context.options.dry_run:
        print(plan.describe())
        return ExitCode.OK
    if plan.nothing_to_do:
        say(f"Nothing to do: all {len(context.chapters)} chapters are up to date in {context.layout.root} "
            f"({context.elapsed():.1f} s). Use --force to rebuild.")
        if context.options.export:
            say(f"Start at {context.layout.index}.")
        return ExitCode.OK
    return _build(context, plan, transaction)


def run(options: RunOptions, argv: list[str] | None = None) -> int:
    """Run the report (or the chosen chapters); returns an exit code."""
    try:
        context = resolve(options, argv or [])
    except ReportError as exc:
        say(f"error: {exc}")
        return ExitCode.BAD_INPUT
    try:
        with OutputTransaction(context.layout.root, run_token=lifecycle.new_token()) as transaction:
            return _plan_and_build(context, transaction)
    except OutputBusyError as exc:
        say(f"error: {exc}")
        return ExitCode.BUSY
    except OutputFolderError as exc:
        say(f"error: {exc}")
        say("The previous outputs are untouched.")
        return ExitCode.BAD_INPUT
    except ReportError as exc:
        say(f"error: {exc}")
        say("Nothing was written; the previous outputs are untouched.")
        return ExitCode.BAD_INPUT
    except Interrupted:
        say("Interrupted: the previous outputs are untouched.")
        return ExitCode.INTERRUPTED


def list_chapters(chapters=CHAPTERS) -> int:
    """Print each chapter with its parameters, types, defaults and help."""
    try:
        for spec in chapters:
            print(f"{spec.slug}  {spec.title}")
            for name, p in notebook_parameters(spec.notebook).items():
                help_text = f"  # {p.help}" if p.help else ""
                print(f"    {name}: {p.type_name} = {p.default!r}{help_text}")
    except ReportError as exc:
        say(f"error: {exc}")
        return ExitCode.BAD_INPUT
    return ExitCode.OK
