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
from helpers.pipeline.parameters import input_files, notebook_parameters, resolve_parameters
from helpers.pipeline.staging import OutputBusyError, OutputTransaction

#: The register's reason when other chapters run: it is checked again once they have.
RECHECK = "it re-runs if any claim changes (checked after the other chapters)"

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


def previous_top_level(layout: OutputLayout) -> dict:
    """The last run's whole ``run.json`` (empty when there is none)."""
    import json

    if not layout.run_record.exists():
        return {}
    return json.loads(layout.run_record.read_text())


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


def requested_waves(declared: dict, resolved: dict) -> dict[str, list[int]]:
    """For each input file, the waves the chapters reading it ask for (their ``waves`` parameter)."""
    waves: dict[str, set[int]] = {}
    for chapter, specs in declared.items():
        wanted = resolved[chapter].get("waves")
        if not wanted:
            continue
        for path in input_files({chapter: specs}, {chapter: resolved[chapter]}):
            waves.setdefault(path, set()).update(int(w) for w in wanted)
    return {path: sorted(w) for path, w in waves.items()}


def preflight(files: dict[str, str], waves: dict[str, list[int]] | None = None) -> dict[str, dict]:
    """Validate every input file before any kernel starts, so bad input never reaches outputs/.

    ``files`` maps each path to its declared type (:func:`helpers.pipeline.parameters.input_files`).
    ``waves``: per file, the waves its chapters need (each must have respondents).
    Returns what validation changed in each file (spaces trimmed around values), for run.json.
    """
    from helpers.data.codebook import load_codebook
    from helpers.data.microdata import read_microdata
    from helpers.data.published import load_figures, load_waves
    from helpers.data.series import load_series

    load_codebook()
    load_figures()
    load_waves()
    load_series()
    readers = {"MicrodataFile": read_microdata}
    checks = {}
    for path, type_name in files.items():
        frame = readers[type_name](path, waves=(waves or {}).get(path))
        trimmed = dict(getattr(frame, "attrs", {}).get("whitespace_trimmed") or {})
        if trimmed:
            checks[path] = {"whitespace_trimmed": trimmed}
            cells = ", ".join(f"{column}: {n}" for column, n in trimmed.items())
            say(f"note: {Path(path).name}: spaces around {sum(trimmed.values())} value(s) trimmed ({cells}); "
                "recorded in run.json")
    return checks


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


def _with_register(selected: list[ChapterSpec], everything) -> list[ChapterSpec]:
    """The chosen chapters, and the register whenever another chapter is among them: it gathers their
    claims, so a run of any subset leaves ``claims.csv`` (and the index built from it) current."""
    if not any(not c.gathers_claims for c in selected):
        return list(selected)
    chosen = {c.slug for c in selected}
    return [c for c in everything if c.slug in chosen or c.gathers_claims]


def _tampered(everything, selected: list[ChapterSpec], layout: OutputLayout, previous: dict) -> dict[str, list[str]]:
    """Chapters not chosen whose outputs are no longer what the runner built (the register would gather
    their claims, the index link their pages): each with the reasons."""
    chosen = {c.slug for c in selected}
    found = {}
    for spec in everything:
        before = previous.get(spec.slug)
        if spec.slug in chosen or spec.gathers_claims or not before or before.get("status") != "ok":
            continue
        changes = cache.output_changes(layout, spec.slug, before.get("outputs"))
        if changes:
            found[spec.slug] = changes
    return found


def _index_reasons(layout: OutputLayout, recorded: dict) -> list[str]:
    """Why ``html/index.html`` is not the one the last run wrote (empty: it is)."""
    if not layout.index.exists():
        return ["html/index.html is missing"]
    digest = recorded.get("html/index.html")
    if digest is None:
        return ["html/index.html has no recorded checksum"]
    if cache.sha256_file(layout.index) != digest:
        return ["html/index.html changed since it was built"]
    return []


def _require_output_dir(chapters: list[ChapterSpec], declared: dict) -> None:
    """The runner tells every chapter where to write; a chapter that cannot be told would write elsewhere."""
    for spec in chapters:
        if "output_dir" not in declared[spec.slug]:
            raise ParameterError(f"chapter {spec.slug}: its parameters cell must declare "
                                 "'output_dir: str = \"\"  # where outputs go' (the runner sets it)")


def run(options: RunOptions, argv: list[str] | None = None) -> int:
    """Run the report (or the chosen chapters); returns an exit code."""
    from helpers.pipeline.provenance import now

    started_at = now()
    clock = time.perf_counter()
    try:
        selected = resolve_chapters(options.selectors, options.chapters)
        given = {}
        if options.parameter_file:
            from helpers.pipeline.parameters import load_parameter_file

            given.update(load_parameter_file(options.parameter_file))
        given.update(options.parameters)
        layout_final = OutputLayout(options.output_dir)
        previous_run = previous_records(layout_final)
        added = _tampered(options.chapters, selected, layout_final, previous_run)
        chapters = _with_register([c for c in options.chapters if c in selected or c.slug in added],
                                  options.chapters)
        declared = declared_parameters(chapters, previous_run)
        unknown = [name for name in given if not any(name in specs for specs in declared.values())]
        everywhere = declared_parameters(list(options.chapters), previous_run) if unknown else declared
        resolved = resolve_parameters(declared, given, everywhere=everywhere)
        _require_output_dir(chapters, declared)
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
            previous_outputs = previous_top_level(layout_final).get("outputs") or {}
            register = [c for c in chapters if c.gathers_claims]
            ordinary = [c for c in chapters if not c.gathers_claims]
            plan = {}
            for spec in chapters:
                claims = cache.claims_hash(layout_final.claims_dir, spec.slug) if spec.gathers_claims else None
                components = cache.chapter_components(spec.notebook, resolved[spec.slug], shared, claims,
                                                      inputs=_inputs(declared, resolved, spec.slug))
                before = previous_run.get(spec.slug)
                reasons = ["--force"] if options.force else cache.stale_reasons(components, before)
                if not reasons:
                    reasons = cache.output_changes(layout_final, spec.slug, before.get("outputs"),
                                                   gathers_claims=spec.gathers_claims)
                if spec.slug in added:
                    reasons = [*reasons, "not chosen, but re-run: the register gathers its claims"]
                plan[spec.slug] = (components, reasons)
            ran_any = any(plan[s.slug][1] for s in ordinary)
            for spec in register:
                components, reasons = plan[spec.slug]
                # When other chapters run, whether a claim changed is known only once they have: a claims file
                # changed now (by hand, say) may be rebuilt as it was.
                if ran_any and set(reasons) <= {cache.REASONS["claims"]}:
                    plan[spec.slug] = (components, [RECHECK])
            stale = [c for c in chapters if plan[c.slug][1]]
            index_reasons = _index_reasons(layout_final, previous_outputs) if options.export else []
            unexported = [c.slug for c in chapters if options.export and not plan[c.slug][1]
                          and not all(p.exists() for p in layout_final.chapter_pages(c.slug))]

            if options.dry_run:
                for spec in chapters:
                    reasons = plan[spec.slug][1]
                    print(f"{spec.slug}: {'would run: ' + '; '.join(reasons) if reasons else 'up to date'}")
                if index_reasons or unexported:
                    why = index_reasons + [f"{slug} has no HTML pages" for slug in unexported]
                    print(f"html/index.html: would be rebuilt: {'; '.join(why)}")
                return ExitCode.OK
            if not stale and not index_reasons and not unexported:
                say(f"Nothing to do: all {len(chapters)} chapters are up to date in {layout_final.root} "
                    f"({time.perf_counter() - clock:.1f} s). Use --force to rebuild.")
                if options.export:
                    say(f"Start at {layout_final.index}.")
                return ExitCode.OK

            files = input_files(declared, resolved)
            checks = preflight(files, requested_waves(declared, resolved))
            from helpers.report.disclosure import check_small_groups  # small waves stop the run here

            check_small_groups({c.slug: _inputs(declared, resolved, c.slug) for c in chapters}, resolved)
            os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order never varies between runs
            with lifecycle.Run(token) as this_run:  # every process started from here on carries the token
                return _run_stale(options, chapters, resolved, declared, plan, previous_run, transaction, shared,
                                  str(this_run.runtime_dir), started_at, clock, argv or [], unexported, checks)
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
               started_at, clock, argv, unexported, checks) -> int:
    from helpers.pipeline.provenance import run_record, write_run_record

    def on_signal(signum, frame):
        raise Interrupted()

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        staging = transaction.begin()
        layout = OutputLayout(staging)
        records: dict[str, dict] = {}
        failures: list[ChapterOutcome] = []
        ordinary = [c for c in chapters if not c.gathers_claims]
        register = [c for c in chapters if c.gathers_claims]
        to_run = [c for c in ordinary if plan[c.slug][1]]
        registers_to_run = [c for c in register if plan[c.slug][1]]
        total = len(to_run) + len(registers_to_run)  # decided before anything runs: the count never changes
        done = 0

        def task_for(spec: ChapterSpec) -> ChapterTask:
            for stale_path in (layout.figures(spec.slug), layout.tables(spec.slug)):
                shutil.rmtree(stale_path, ignore_errors=True)
            for stale_file in layout.chapter_files(spec.slug, gathers_claims=spec.gathers_claims):
                stale_file.unlink(missing_ok=True)
            parameters = dict(resolved[spec.slug])
            parameters["output_dir"] = str(staging)  # always passed: a chapter left to its default writes elsewhere
            return ChapterTask(spec.slug, str(spec.notebook), str(layout.notebook(spec.slug)), parameters,
                               runtime_dir, options.cell_timeout)

        def recorded(spec: ChapterSpec) -> dict:
            """Parameters as the chapter saw them, with the output folder the user asked for."""
            values = dict(resolved[spec.slug])
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

        if options.jobs > 1:  # longest first, by the last measured duration or the chapter's hint
            to_run.sort(key=lambda c: -(previous_run.get(c.slug, {}).get("duration") or 6.0 * c.cost_hint))
        if total:
            say(f"Running {total} of {len(chapters)} chapters with up to {options.jobs} at a time "
                f"into {transaction.final}" + (" (the claims register last)" if registers_to_run and to_run else ""))
        else:
            say(f"All {len(chapters)} chapters are up to date; rebuilding the HTML in {transaction.final}")
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
            reasons = plan[spec.slug][1]
            if reasons == [RECHECK]:  # decided now: it re-runs if a claim changed, or its outputs did
                before = previous_run.get(spec.slug)
                reasons = cache.stale_reasons(components, before) or cache.output_changes(
                    layout, spec.slug, (before or {}).get("outputs"), gathers_claims=True)
            if not reasons:
                if plan[spec.slug][1]:  # counted in the progress: say how it ended
                    done += 1
                    say(f"[{done}/{total}] {spec.slug}: up to date, reused (no claim changed)")
                record(spec, None, components, [])
            elif failures:
                records[spec.slug] = {"title": spec.title, "status": "skipped", "reused": False,
                                      "reasons": ["another chapter failed"], "components": components,
                                      "parameters": recorded(spec),
                                      "declared": [vars(p) for p in declared[spec.slug].values()]}
                done += 1
                say(f"[{done}/{total}] {spec.slug}: skipped, another chapter failed")
            else:
                record(spec, next(_execute([task_for(spec)], 1)), components, reasons)

        exit_code = ExitCode.OK
        if failures:
            first = min(failures, key=lambda o: [c.slug for c in chapters].index(o.slug))
            exit_code = FAILURE_EXIT[first.kind]
        microdata = {path: cache.sha256_file(Path(path)) for path in input_files(declared, resolved)}
        index_current = False
        top_outputs = {}
        if not failures:
            ran = [s for s, r in records.items() if not r.get("reused")]
            if options.export:
                from helpers.report.export import export_chapters, write_index

                export_chapters(layout, ran + [s for s in unexported if s not in ran])
                statuses = {s: r["status"] for s, r in _merge_previous(previous_run, records, options.chapters).items()}
                write_index(layout, options.chapters, statuses)
                top_outputs["html/index.html"] = cache.sha256_file(layout.index)
                index_current = True
            else:  # pages and an index made before this run would no longer agree with it
                for slug in ran:
                    for page in layout.chapter_pages(slug):
                        page.unlink(missing_ok=True)
                layout.index.unlink(missing_ok=True)
            for spec in chapters:  # what the runner built (or checked, for reused chapters): checked before reuse
                if records[spec.slug]["status"] == "ok":
                    records[spec.slug]["outputs"] = cache.output_hashes(layout, spec.slug,
                                                                        gathers_claims=spec.gathers_claims)
        chapter_records = _merge_previous(previous_run, records, options.chapters)
        full_record = run_record(started=started_at, chapters=chapter_records, shared=shared, command=argv,
                                 exit_code=int(exit_code), microdata_files=microdata)
        full_record["outputs"] = top_outputs
        if checks:
            full_record["input_file_checks"] = checks
        write_run_record(layout.run_record, full_record)

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
        from helpers.report.disclosure import check_run_outputs  # check what the run publishes: exit 2 if it leaks

        check_run_outputs(staging, {c.slug: _inputs(declared, resolved, c.slug) for c in chapters}, resolved)
        transaction.commit()
        print(_summary(rows))
        final = OutputLayout(transaction.final)
        if index_current:
            say(f"\nDone in {time.perf_counter() - clock:.1f} s. Outputs: {final.root} (start at {final.index}).")
        else:
            say(f"\nDone in {time.perf_counter() - clock:.1f} s. Outputs: {final.root}. No HTML was exported "
                f"(--no-export): build it with '{sys.executable} -m helpers export"
                + ("" if final.root == OutputLayout().root else f" --output-dir {final.root}") + "'.")
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
