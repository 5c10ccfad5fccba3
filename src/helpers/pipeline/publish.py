"""The last stages of a run: check what it publishes, then gather and export, then swap it in.

:func:`check_published` looks at the staged outputs before anything is exported or swapped in: a
problem there stops the run with exit code 2 and the live outputs stay as they were.
:func:`gather_and_export` writes the HTML pages and the index (or removes the pages a run without
export would leave stale), keeps ``report.pdf`` from going stale, checksums what the run built and
writes ``run.json``. :func:`finish` prints the summary and swaps the staging folder in, or keeps a
failed run's folder for inspection.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

from helpers.errors import ReportError
from helpers.paths import OutputLayout
from helpers.pipeline import cache
from helpers.pipeline.context import ExitCode, RunContext, say
from helpers.pipeline.execution import ChapterOutcome
from helpers.pipeline.schedule import Execution
from helpers.pipeline.staging import OutputTransaction

FAILURE_EXIT = {
    "cell_error": ExitCode.CELL_ERROR,
    "input_error": ExitCode.BAD_INPUT,
    "timeout": ExitCode.TIMEOUT,
    "dead_kernel": ExitCode.DEAD_KERNEL,
}


class EarlyPages:
    """HTML pages of the chapters whose level is over, written by a helper process while later levels run.

    The claims register runs alone, after every other chapter: the core it leaves idle writes the
    other chapters' pages meanwhile, instead of after it. A process, not a thread: the register
    may run in this process, and two threads importing the Jupyter stack at once can break each
    other's imports. The helper is set up like a pool worker (it dies with the runner). The pages
    go to staging like every other output, so a run that fails its checks publishes none of them.
    """

    def __init__(self, layout: OutputLayout):
        self.layout = layout
        self._started: list[tuple[multiprocessing.process.BaseProcess, list[str]]] = []

    def start(self, slugs: list[str]) -> None:
        if slugs:
            context = multiprocessing.get_context("spawn")
            process = context.Process(target=_write_pages, args=(str(self.layout.root), list(slugs), os.getpid()),
                                      daemon=True)
            process.start()
            self._started.append((process, list(slugs)))

    def wait(self) -> list[str]:
        """The chapters whose pages were written; a helper that failed is an error naming its chapters."""
        done: list[str] = []
        for process, slugs in self._started:
            process.join()
            if process.exitcode != 0:
                raise ReportError(f"writing the HTML pages of {', '.join(slugs)} failed (exit code "
                                  f"{process.exitcode}; its traceback is above)")
            done += slugs
        return done


def _write_pages(root: str, slugs: list[str], runner_pid: int) -> None:
    from helpers.pipeline.execution import worker_init
    from helpers.report.export import export_chapters

    worker_init(runner_pid)
    export_chapters(OutputLayout(root), slugs)


def check_published(context: RunContext, execution: Execution) -> None:
    """Stage 4: check what the run would publish, in staging, before it is exported or swapped in.

    A ReportError raised here is exit code 2, and nothing is swapped in: the place for every check
    of the outputs as a whole (disclosure control among them).
    """
    staged = execution.staged
    for slug in execution.ran:
        if not staged.notebook(slug).is_file():
            raise ReportError(f"chapter {slug} ran but left no executed notebook in {context.layout.root}")
    from helpers.report.disclosure import check_run_outputs  # imported when a run has work: no-op runs stay light

    check_run_outputs(staged.root, context.inputs_by_chapter(), context.resolved)  # disclosure control


def merge_previous(previous: dict, records: dict, all_chapters) -> dict:
    """Chapters not in this run keep their previous record (their outputs were kept too)."""
    merged = {**previous, **records}
    order = [c.slug for c in all_chapters]
    return {k: merged[k] for k in sorted(merged, key=lambda s: order.index(s) if s in order else len(order))}


def _refresh_pdf(context: RunContext, execution: Execution, statuses: dict) -> None:
    """A ``report.pdf`` from before a run that changed chapters is rebuilt (or, without export, removed)."""
    from helpers.report.pdf import pdf_path

    staged = execution.staged
    pdf = pdf_path(staged)
    if not pdf.exists() or not execution.ran:
        return
    if context.options.export:
        from helpers.report.pdf import write_pdf

        write_pdf(staged, context.options.chapters, statuses)
        say("report.pdf rebuilt: it shows this run's register")
    else:
        pdf.unlink()
        say(f"report.pdf removed: it showed an older register. Rebuild it with '{rebuild_command(context, '--pdf')}'")


def rebuild_command(context: RunContext, *options: str) -> str:
    """The command that exports this run's output folder (with ``options``, e.g. ``--pdf``)."""
    root = context.layout.root.resolve()
    where = "" if root == OutputLayout().root.resolve() else f" --output-dir {root}"
    return " ".join([f"{sys.executable} -m helpers export", *options]) + where


def _statuses(context: RunContext, execution: Execution) -> dict[str, str]:
    """Every chapter's status after this run (chapters not in it keep their previous one)."""
    return {s: r["status"] for s, r in merge_previous(context.previous, execution.records,
                                                       context.options.chapters).items()}


def _export(context: RunContext, plan, execution: Execution, early: EarlyPages | None) -> dict[str, str]:
    """The HTML pages and the index (exporting), or the removal of pages this run made stale; the
    checksums of the top-level outputs it wrote. Pages ``early`` wrote already are not written again."""
    staged = execution.staged
    statuses = _statuses(context, execution)
    top_outputs = {}
    if context.options.export:
        from helpers.report.export import export_chapters, write_index

        done = early.wait() if early is not None else []
        wanted = execution.ran + [s for s in plan.unexported if s not in execution.ran]
        export_chapters(staged, [s for s in wanted if s not in done])
        write_index(staged, context.options.chapters, statuses)
        top_outputs["html/index.html"] = cache.sha256_file(staged.index)
    else:  # pages and an index made before this run would no longer agree with it
        for slug in execution.ran:
            for page in staged.chapter_pages(slug):
                page.unlink(missing_ok=True)
        staged.index.unlink(missing_ok=True)
    return top_outputs


def gather_and_export(context: RunContext, plan, execution: Execution, checks: dict,
                      early: EarlyPages | None = None) -> ExitCode:
    """Stage 5: export (when every chapter succeeded), checksum what the run built, write run.json,
    then rebuild a ``report.pdf`` the run made stale (its build line reads run.json).

    ``early``: the pages already being written while the last levels ran (see :class:`EarlyPages`).
    """
    from helpers.pipeline.run_record import run_record, write_run_record

    exit_code = ExitCode.OK
    top_outputs: dict[str, str] = {}
    staged = execution.staged
    if execution.failures:
        order = [c.slug for c in context.chapters]
        exit_code = FAILURE_EXIT[min(execution.failures, key=lambda o: order.index(o.slug)).kind]
    else:
        top_outputs = _export(context, plan, execution, early)
        for spec in context.chapters:  # what the runner built (or checked, for reused chapters): checked before reuse
            record = execution.records[spec.slug]
            if record["status"] == "ok":
                record["outputs"] = cache.output_hashes(staged, spec.slug, gathers_claims=spec.gathers_claims)
    microdata = {path: cache.sha256_file(Path(path)) for path in context.input_files()}
    chapters = merge_previous(context.previous, execution.records, context.options.chapters)
    record = run_record(started=context.started_at, chapters=chapters, shared=context.shared,
                        command=context.command, exit_code=int(exit_code), microdata_files=microdata)
    record["outputs"] = top_outputs
    if checks:
        record["input_file_checks"] = checks
    write_run_record(staged.run_record, record)
    if not execution.failures:  # after run.json: the PDF's build line names this run, not the one before
        _refresh_pdf(context, execution, _statuses(context, execution))
    return exit_code


def report_failure(outcome: ChapterOutcome, notebook: Path) -> None:
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
    for title, text in (("cell source", outcome.source), ("traceback", outcome.traceback),
                        ("kernel log (last lines)", outcome.kernel_log if outcome.kind == "dead_kernel" else "")):
        if text:
            say(f"---- {title} ----")
            say(text.rstrip())
    say(f"The partly executed notebook: {notebook}")


def summary(context: RunContext, execution: Execution) -> str:
    order = [c.slug for c in context.chapters]
    rows = [(s, r["status"] + (" (reused)" if r.get("reused") else ""), f"{r.get('duration', 0):.1f} s")
            for s, r in sorted(execution.records.items(), key=lambda item: order.index(item[0]))]
    width = max(len("chapter"), *(len(r[0]) for r in rows))
    lines = [f"{'chapter'.ljust(width)}  {'status':<10}  time", f"{'-' * width}  {'-' * 10}  {'-' * 8}"]
    lines += [f"{slug.ljust(width)}  {status:<10}  {secs}" for slug, status, secs in rows]
    return "\n".join(lines)


def finish(context: RunContext, execution: Execution, transaction: OutputTransaction, exit_code: ExitCode) -> int:
    """Swap a successful run in, or keep a failed one aside; say which, and where to start reading."""
    if execution.failures:
        kept = transaction.keep_as_failed()
        for outcome in sorted(execution.failures, key=lambda o: o.slug):
            report_failure(outcome, OutputLayout(kept).notebook(outcome.slug))
        say("")
        print(summary(context, execution))
        say(f"\nThe run failed; {transaction.final} still holds the last good outputs. "
            f"This run's partial outputs are in {kept}.")
        return exit_code
    transaction.commit()
    print(summary(context, execution))
    final = OutputLayout(transaction.final)
    if context.options.export:
        say(f"\nDone in {context.elapsed():.1f} s. Outputs: {final.root} (start at {final.index}).")
    else:
        say(f"\nDone in {context.elapsed():.1f} s. Outputs: {final.root}. No HTML was exported "
            f"(--no-export): build it with '{rebuild_command(context)}'.")
    return ExitCode.OK
