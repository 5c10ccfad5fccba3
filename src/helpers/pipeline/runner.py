"""The report runner: validate, decide what is stale, run chapters in fresh kernels, export, swap in.

Exit codes (also in the README):
  0  success (or nothing to do)
  1  a chapter's cell raised an error
  2  a bad parameter or bad input data (before anything ran, or raised inside a chapter)
  3  a cell ran longer than the per-cell timeout
  4  a kernel died, or failed to start twice
  5  another run is writing the same output folder
  130 interrupted (Ctrl-C or SIGTERM)
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from helpers import lifecycle
from helpers.chapters import CHAPTERS, ChapterSpec, resolve_chapters
from helpers.errors import InputDataError, ParameterError, ReportError
from helpers.paths import OutputLayout
from helpers.pipeline import cache
from helpers.pipeline.execution import ChapterOutcome, ChapterTask, execute_chapter, reap_kernels, worker_init
from helpers.pipeline.parameters import canonical_json, input_files, notebook_parameters, resolve_parameters
from helpers.pipeline.staging import OutputBusyError, OutputTransaction

DEFAULT_CELL_TIMEOUT = 900.0  # seconds; the slowest cell (latent classes with a bootstrap) takes well under a minute


class ExitCode(IntEnum):
    OK = 0
    CELL_ERROR = 1
    BAD_INPUT = 2
    TIMEOUT = 3
    DEAD_KERNEL = 4
    BUSY = 5
    INTERRUPTED = 130


FAILURE_EXIT = {
    "cell_error": ExitCode.CELL_ERROR,
    "input_error": ExitCode.BAD_INPUT,
    "timeout": ExitCode.TIMEOUT,
    "dead_kernel": ExitCode.DEAD_KERNEL,
}


class Interrupted(Exception):
    pass


@dataclass
class RunOptions:
    selectors: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    parameter_file: str | None = None
    output_dir: str | None = None
    jobs: int = os.cpu_count() or 1
    force: bool = False
    dry_run: bool = False
    export: bool = True
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
    chapters: tuple[ChapterSpec, ...] = CHAPTERS


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def previous_records(layout: OutputLayout) -> dict:
    """Each chapter's record in the last run's ``run.json`` (empty when there is none)."""
    import json

    if not layout.run_record.exists():
        return {}
    return json.loads(layout.run_record.read_text()).get("chapters", {})


def declared_parameters(chapters: list[ChapterSpec], previous: dict) -> dict:
    """Each chapter's declared parameters; reused from the last run when its code cells are unchanged.

    Reading them needs papermill (half a second to import); a no-op rebuild need not pay it.
    """
    from helpers.pipeline.parameters import ParameterSpec

    declared = {}
    for spec in chapters:
        before = previous.get(spec.slug, {})
        same_code = before.get("components", {}).get("code") == cache.code_hash(spec.notebook)
        if before.get("declared") is not None and same_code:
            declared[spec.slug] = {d["name"]: ParameterSpec(**d) for d in before["declared"]}
        else:
            declared[spec.slug] = notebook_parameters(spec.notebook)
    return declared


def _inputs(declared: dict, resolved: dict, slug: str) -> list[str]:
    """The input files one chapter's parameters name."""
    return list(input_files({slug: declared[slug]}, {slug: resolved[slug]}))


def _read_microdata_for(path: str, parameters: dict) -> None:
    """A microdata file, validated for the waves the chapter analyses (when it declares ``waves``)."""
    from helpers.data.microdata import read_microdata

    read_microdata(path, waves=parameters.get("waves") or None)


#: How each input-file type is validated, given the chapter's resolved parameters.
INPUT_READERS = {"MicrodataFile": _read_microdata_for}


def preflight(declared: dict, resolved: dict) -> None:
    """Validate every input file before any kernel starts, so bad input never reaches outputs/.

    Input files are the values of parameters declared with an input-file type
    (:data:`helpers.pipeline.parameters.INPUT_FILE_TYPES`); each is read as its chapter will read it.
    """
    from helpers.data.codebook import load_codebook
    from helpers.data.published import load_figures, load_waves
    from helpers.data.series import load_series

    load_codebook()
    load_figures()
    load_waves()
    load_series()
    checked = set()
    for chapter, specs in declared.items():
        for path, type_name in input_files({chapter: specs}, {chapter: resolved[chapter]}).items():
            key = (path, type_name, canonical_json(resolved[chapter]))
            if key not in checked:
                INPUT_READERS[type_name](path, resolved[chapter])
                checked.add(key)


def _execute(tasks: list[ChapterTask], jobs: int):
    """Run tasks, in a process pool when jobs > 1; yields outcomes as they finish."""
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            say(f"  running {task.slug} ...")
            yield execute_chapter(task)
        return
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
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()  # workers shut their kernels down on SIGTERM
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _report_failure(outcome: ChapterOutcome, notebook: Path) -> None:
    cell = f"cell {outcome.cell_index}" if outcome.cell_index is not None else "an unknown cell"
    if outcome.exec_count is not None:
        cell += f" (In [{outcome.exec_count}])"
    kind = {
        "cell_error": "a cell raised an error",
        "input_error": "the chapter rejected its input",
        "timeout": "a cell timed out",
        "dead_kernel": "the kernel died",
    }[outcome.kind]
    say("")
    say(f"FAILED {outcome.slug}: {kind} in {cell}: {outcome.ename}: {outcome.evalue}")
    if outcome.source:
        say("---- cell source ----")
        say(outcome.source.rstrip())
    if outcome.traceback:
        say("---- traceback ----")
        say(outcome.traceback.rstrip())
    if outcome.kind == "dead_kernel" and outcome.kernel_log:
        say("---- kernel log (last lines) ----")
        say(outcome.kernel_log.rstrip())
    say(f"The partly executed notebook: {notebook}")


def _summary(rows: list[tuple[str, str, str]]) -> str:
    width = max(len("chapter"), *(len(r[0]) for r in rows))
    lines = [f"{'chapter'.ljust(width)}  {'status':<10}  time", f"{'-' * width}  {'-' * 10}  {'-' * 8}"]
    lines += [f"{slug.ljust(width)}  {status:<10}  {secs}" for slug, status, secs in rows]
    return "\n".join(lines)


def run(options: RunOptions, argv: list[str] | None = None) -> int:
    """Run the report (or the chosen chapters); returns an exit code."""
    from helpers.pipeline.provenance import now

    started_at = now()
    clock = time.perf_counter()
    try:
        chapters = resolve_chapters(options.selectors, options.chapters)
        given = {}
        if options.parameter_file:
            from helpers.pipeline.parameters import load_parameter_file

            given.update(load_parameter_file(options.parameter_file))
        given.update(options.parameters)
        layout_final = OutputLayout(options.output_dir)
        previous_run = previous_records(layout_final)
        declared = declared_parameters(chapters, previous_run)
        resolved = resolve_parameters(declared, given)
        if options.cell_timeout is not None and options.cell_timeout <= 0:
            raise ParameterError(f"--cell-timeout must be positive, got {options.cell_timeout}")
    except ReportError as exc:
        say(f"error: {exc}")
        return ExitCode.BAD_INPUT

    token = lifecycle.new_token()
    transaction = OutputTransaction(layout_final.root, run_token=token)
    shared = cache.SharedInputs()
    try:
        with transaction:
            lifecycle.sweep_dead_runs()  # what killed runs left: processes first, then their folders
            previous_run = previous_records(layout_final)  # again, now that no other run can change it
            register = [c for c in chapters if c.gathers_claims]
            ordinary = [c for c in chapters if not c.gathers_claims]
            plan = {}
            for spec in ordinary:
                components = cache.chapter_components(spec.notebook, resolved[spec.slug], shared,
                                                      inputs=_inputs(declared, resolved, spec.slug))
                reasons = ["--force"] if options.force else cache.stale_reasons(components, previous_run.get(spec.slug))
                if not reasons and not layout_final.notebook(spec.slug).exists():
                    reasons = ["its executed notebook is missing"]
                plan[spec.slug] = (components, reasons)
            for spec in register:
                claims = cache.claims_hash(layout_final.claims_dir, spec.slug)
                components = cache.chapter_components(spec.notebook, resolved[spec.slug], shared, claims,
                                                      inputs=_inputs(declared, resolved, spec.slug))
                reasons = ["--force"] if options.force else cache.stale_reasons(components, previous_run.get(spec.slug))
                if any(plan[s.slug][1] for s in ordinary):
                    reasons = reasons or ["it re-runs if any claim changes (decided after the other chapters)"]
                plan[spec.slug] = (components, reasons)
            stale = [c for c in chapters if plan[c.slug][1]]
            needs_export = options.export and not (layout_final.html / "index.html").exists()

            if options.dry_run:
                for spec in chapters:
                    reasons = plan[spec.slug][1]
                    print(f"{spec.slug}: {'would run: ' + '; '.join(reasons) if reasons else 'up to date'}")
                return ExitCode.OK
            if not stale and not needs_export:
                say(f"Nothing to do: all {len(chapters)} chapters are up to date in {layout_final.root} "
                    f"({time.perf_counter() - clock:.1f} s). Use --force to rebuild.")
                return ExitCode.OK

            preflight(declared, resolved)
            os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order never varies between runs
            with lifecycle.Run(token) as this_run:  # every process started from here on carries the token
                return _run_stale(options, chapters, resolved, declared, plan, previous_run, transaction, shared,
                                  str(this_run.runtime_dir), started_at, clock, argv or [])
    except OutputBusyError as exc:
        say(f"error: {exc}")
        return ExitCode.BUSY
    except (InputDataError, ParameterError) as exc:
        say(f"error: {exc}")
        say("Nothing was written; the previous outputs are untouched.")
        return ExitCode.BAD_INPUT
    except Interrupted:
        say("Interrupted: the previous outputs are untouched.")
        return ExitCode.INTERRUPTED


def _run_stale(options, chapters, resolved, declared, plan, previous_run, transaction, shared, runtime_dir,
               started_at, clock, argv) -> int:
    from helpers.pipeline.provenance import run_record, write_run_record

    def on_signal(signum, frame):
        raise Interrupted()

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        staging = transaction.begin()
        layout = OutputLayout(staging)
        records: dict[str, dict] = {}
        failures: list[ChapterOutcome] = []
        total = sum(1 for c in chapters if plan[c.slug][1])
        done = 0

        def task_for(spec: ChapterSpec) -> ChapterTask:
            for stale_path in (layout.figures(spec.slug), layout.tables(spec.slug)):
                shutil.rmtree(stale_path, ignore_errors=True)
            for stale_file in (layout.notebook(spec.slug), layout.chapter_claims(spec.slug)):
                stale_file.unlink(missing_ok=True)
            parameters = dict(resolved[spec.slug])
            if "output_dir" in parameters:
                parameters["output_dir"] = str(staging)
            return ChapterTask(spec.slug, str(spec.notebook), str(layout.notebook(spec.slug)), parameters,
                               runtime_dir, options.cell_timeout)

        def recorded(spec: ChapterSpec) -> dict:
            """Parameters as the chapter saw them, with the output folder the user asked for."""
            values = dict(resolved[spec.slug])
            if "output_dir" in values:
                values["output_dir"] = str(transaction.final)
            return values

        def record(spec: ChapterSpec, outcome: ChapterOutcome | None, components: dict, reasons: list[str]) -> None:
            nonlocal done
            entry = {"title": spec.title, "components": components, "parameters": recorded(spec),
                     "declared": [vars(p) for p in declared[spec.slug].values()]}
            if outcome is None:
                entry.update(status="ok", reused=True, duration=0.0, reasons=[])
            else:
                done += 1
                entry.update(status=outcome.status, reused=False, duration=round(outcome.duration, 2),
                             reasons=reasons, attempts=outcome.attempts)
                if outcome.status != "ok":
                    entry.update(failure={"kind": outcome.kind, "cell_index": outcome.cell_index,
                                          "ename": outcome.ename, "evalue": outcome.evalue})
                    failures.append(outcome)
                mark = "ok" if outcome.status == "ok" else f"FAILED ({outcome.kind})"
                say(f"[{done}/{total}] {spec.slug}: {mark} in {outcome.duration:.1f} s "
                    f"(elapsed {time.perf_counter() - clock:.1f} s)")
            records[spec.slug] = entry

        ordinary = [c for c in chapters if not c.gathers_claims]
        register = [c for c in chapters if c.gathers_claims]
        to_run = [c for c in ordinary if plan[c.slug][1]]
        if options.jobs > 1:  # longest first, by the last measured duration or the chapter's hint
            to_run.sort(key=lambda c: -(previous_run.get(c.slug, {}).get("duration") or 6.0 * c.cost_hint))
        say(f"Running {len(to_run)} of {len(ordinary)} chapters with up to {options.jobs} at a time "
            f"into {transaction.final}" + (" (register after them)" if register else ""))
        for spec in ordinary:
            if not plan[spec.slug][1]:
                record(spec, None, *plan[spec.slug])
        by_slug = {c.slug: c for c in ordinary}
        for outcome in _execute([task_for(c) for c in to_run], options.jobs):
            record(by_slug[outcome.slug], outcome, *plan[outcome.slug])

        for spec in register:
            components = cache.chapter_components(
                spec.notebook, resolved[spec.slug], shared, cache.claims_hash(layout.claims_dir, spec.slug),
                inputs=_inputs(declared, resolved, spec.slug))
            reasons = ["--force"] if options.force else cache.stale_reasons(
                components, previous_run.get(spec.slug))
            if failures:
                records[spec.slug] = {"title": spec.title, "status": "skipped", "reused": False,
                                      "reasons": ["another chapter failed"], "components": components,
                                      "parameters": recorded(spec),
                                      "declared": [vars(p) for p in declared[spec.slug].values()]}
                say(f"  skipped {spec.slug}: another chapter failed")
            elif reasons:
                if not plan[spec.slug][1]:  # decided only now that the claims changed
                    total += 1
                record(spec, next(_execute([task_for(spec)], 1)), components, reasons)
            else:
                record(spec, None, components, [])

        exit_code = ExitCode.OK
        if failures:
            first = min(failures, key=lambda o: [c.slug for c in chapters].index(o.slug))
            exit_code = FAILURE_EXIT[first.kind]
        microdata = {path: cache.sha256_file(Path(path)) for path in input_files(declared, resolved)}
        chapter_records = _merge_previous(previous_run, records, options.chapters)
        if options.export and not failures:
            from helpers.report.export import export_chapters, write_index

            export_chapters(layout, [s for s, r in records.items() if not r.get("reused")]
                            or [c.slug for c in chapters])
            write_index(layout, options.chapters, {s: r["status"] for s, r in chapter_records.items()})
        write_run_record(layout.run_record, run_record(
            started=started_at, chapters=chapter_records, shared=shared, command=argv,
            exit_code=int(exit_code), microdata_files=microdata))

        order = [c.slug for c in chapters]
        rows = [(s, r["status"] + (" (reused)" if r.get("reused") else ""), f"{r.get('duration', 0):.1f} s")
                for s, r in sorted(records.items(), key=lambda item: order.index(item[0]))]
        if failures:
            kept = transaction.keep_as_failed()
            for outcome in sorted(failures, key=lambda o: o.slug):
                _report_failure(outcome, OutputLayout(kept).notebook(outcome.slug))
            say("")
            print(_summary(rows))
            say(f"\nThe run failed; {transaction.final} still holds the last good outputs. "
                f"This run's partial outputs are in {kept}.")
            return exit_code
        transaction.commit()
        print(_summary(rows))
        say(f"\nDone in {time.perf_counter() - clock:.1f} s. Outputs: {transaction.final} "
            f"(start at {transaction.final / 'html' / 'index.html'}).")
        return ExitCode.OK
    finally:
        reap_kernels()
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler)


def _merge_previous(previous_run: dict, records: dict, all_chapters) -> dict:
    """Chapters not selected in this run keep their previous record (their outputs were kept too)."""
    merged = {**previous_run, **records}
    order = [c.slug for c in all_chapters]
    return {k: merged[k] for k in sorted(merged, key=lambda s: order.index(s) if s in order else len(order))}


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
