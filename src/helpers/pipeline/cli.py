"""Command line: ``python -m helpers run | list | export | synth | sweep``."""

from __future__ import annotations

import argparse
import os
import sys

from helpers.pipeline.execution import skip_slow_optional_imports
from helpers.pipeline.runner import DEFAULT_CELL_TIMEOUT, ExitCode, RunOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="Run, list and export the NetClean Reports re-analysis (one notebook per chapter).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run chapters through papermill (default: all, in report order)")
    run.add_argument("chapters", nargs="*", help="chapter numbers or slugs, e.g. 3 05 offender-groups")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="a parameter for every chapter that declares it (repeatable)")
    run.add_argument("-f", "--parameters-file", metavar="PARAMS.yaml", help="parameters from a YAML mapping")
    run.add_argument("--output-dir", metavar="DIR", help="where outputs go (default: outputs/)")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                     help="chapters run at once (default: the number of cores)")
    run.add_argument("--force", action="store_true", help="re-run every chosen chapter, even if up to date")
    run.add_argument("--dry-run", action="store_true", help="list what would run and why, run nothing")
    run.add_argument("--no-export", action="store_true", help="skip the HTML export")
    run.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, metavar="SECONDS",
                     help=f"longest a single cell may run (default {DEFAULT_CELL_TIMEOUT:.0f})")

    commands.add_parser("list", help="each chapter with its parameters, types, defaults and help")

    sweep = commands.add_parser("sweep", help="run the report once per combination of a parameter grid, on Dask")
    sweep.add_argument("grid", metavar="GRID.yaml", help="parameter name -> list of values")
    sweep.add_argument("chapters", nargs="*", help="chapters to run (default: all)")
    sweep.add_argument("--scheduler", default="local", metavar="ADDR",
                       help="'local' (embedded LocalCluster, default) or a scheduler address tcp://host:8786")
    sweep.add_argument("--output-dir", metavar="DIR", help="the sweep goes to DIR/sweep/ (default: outputs/)")
    sweep.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: the cores)")
    sweep.add_argument("-j", "--jobs", type=int, default=1, help="chapters at once inside each run (default 1)")

    export = commands.add_parser("export", help="(re-)export the HTML pages of an existing run, and optionally one PDF")
    export.add_argument("--output-dir", metavar="DIR", help="the run's output folder (default: outputs/)")
    export.add_argument("--pdf", action="store_true",
                        help="also write report.pdf: the reader version (index, claims register, chapters without "
                             "code, figures with captions) in one PDF")

    synth = commands.add_parser("synth", help="write synthetic microdata in the codebook's schema")
    synth.add_argument("--scenario", default=None,
                       help="widening, stable, single_group, drift, growing, narrowing or continuum "
                            "(default: widening)")
    synth.add_argument("--draws", choices=("exact", "random"), default="exact",
                       help="exact quotas and published counts (default) or independent random draws")
    synth.add_argument("--drift-logit", type=float, default=None,
                       help="total logit shift of the advanced items 2016 -> 2019 in both groups (scenario drift: 0.8)")
    synth.add_argument("--seed", type=int, default=2018)
    synth.add_argument("--respondents", type=int, default=None,
                       help="total respondents (default: the published wave sizes)")
    synth.add_argument("--minority-share", type=float, default=None)
    synth.add_argument("--groups", type=int, default=None, help="number of latent caseload groups")
    synth.add_argument("--out", required=True, metavar="PATH",
                       help="file to write, in the format its extension names: .csv, .xlsx or .sav; a "
                            "PATH.provenance.json sidecar (and, in xlsx and sav, the file's own metadata) "
                            "keeps it marked SYNTHETIC")
    return parser


def _export(output_dir: str | None, chapters, pdf: bool = False) -> int:
    import json

    from helpers.paths import OutputLayout
    from helpers.pipeline import cache
    from helpers.pipeline.run_record import write_run_record
    from helpers.report.export import export_chapters, write_index

    layout = OutputLayout(output_dir)
    if not layout.run_record.exists():
        print(f"error: {layout.root} holds no run (no run.json); run the report first", file=sys.stderr)
        return ExitCode.BAD_INPUT
    record = json.loads(layout.run_record.read_text())
    records = record.get("chapters", {})
    export_chapters(layout, [c.slug for c in chapters])
    statuses = {s: r.get("status", "") for s, r in records.items()}
    index = write_index(layout, chapters, statuses)
    # The pages are the runner's outputs too: record their checksums, so the next run does not take
    # them for hand-made ones (only the pages: anything else changed still makes its chapter stale).
    for spec in chapters:
        entry = records.get(spec.slug)
        if entry is None or entry.get("outputs") is None:
            continue
        for page in layout.chapter_pages(spec.slug):
            if page.exists():
                entry["outputs"][layout.relative(page)] = cache.PRESENT
    record["outputs"] = {**(record.get("outputs") or {}), layout.relative(index): cache.sha256_file(index)}
    write_run_record(layout.run_record, record)
    print(f"Exported to {index.parent} (start at {index})")
    if pdf:
        from helpers.report.pdf import write_pdf

        print(f"PDF: {write_pdf(layout, chapters, statuses)}")
    return ExitCode.OK


def _sweep(args) -> int:
    from helpers.errors import ReportError
    from helpers.pipeline.parameter_grid import sweep

    try:
        root = sweep(args.grid, selectors=args.chapters, output_dir=args.output_dir, scheduler=args.scheduler,
                     n_workers=args.workers, jobs=max(1, args.jobs))
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.CELL_ERROR
    print(f"Sweep done: {root / 'verdicts.csv'}, {root / 'stability.csv'}, {root / 'verdicts-heatmap.png'}")
    return ExitCode.OK


def _synth(args) -> int:
    from helpers.data.provenance import provenance_sidecar
    from helpers.data.synthetic import DEFAULT_SCENARIO, generate
    from helpers.data.writing import check_writable, write_microdata
    from helpers.errors import ReportError

    try:
        check_writable(args.out)  # refuse an unknown extension before generating anything
        frame = generate(args.scenario or DEFAULT_SCENARIO, args.seed, n_respondents=args.respondents,
                         minority_share=args.minority_share, n_groups=args.groups, draws=args.draws,
                         drift_logit=args.drift_logit)
        write_microdata(frame, args.out)
    except (ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    print(f"Wrote {len(frame)} synthetic respondents ({frame.attrs.get('label', '')}) to {args.out}, "
          f"provenance in {provenance_sidecar(args.out).name}")
    return ExitCode.OK


def main(argv: list[str] | None = None, chapters=None) -> int:
    """The command line; ``chapters`` replaces the report's chapter list (tests use throwaway notebooks)."""
    from helpers.chapters import CHAPTERS

    chapters = chapters or CHAPTERS
    argv = sys.argv[1:] if argv is None else argv
    skip_slow_optional_imports()
    args = _parser().parse_args(argv)
    if args.command == "run":
        from helpers.pipeline.runner import run

        options = RunOptions(
            selectors=args.chapters,
            parameters={name: value for name, value in args.parameter},
            parameter_file=args.parameters_file,
            output_dir=args.output_dir,
            jobs=max(1, args.jobs),
            force=args.force,
            dry_run=args.dry_run,
            export=not args.no_export,
            cell_timeout=args.cell_timeout,
            chapters=tuple(chapters),
        )
        return int(run(options, ["python", "-m", "helpers", *argv]))
    if args.command == "list":
        from helpers.pipeline.runner import list_chapters

        return int(list_chapters(chapters))
    if args.command == "export":
        return _export(args.output_dir, chapters, pdf=args.pdf)
    if args.command == "sweep":
        return _sweep(args)
    return _synth(args)
