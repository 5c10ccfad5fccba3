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

    export = commands.add_parser("export", help="(re-)export the HTML pages of an existing run")
    export.add_argument("--output-dir", metavar="DIR", help="the run's output folder (default: outputs/)")

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
    synth.add_argument("--out", required=True, metavar="PATH", help="CSV file to write")
    return parser


def _export(output_dir: str | None, chapters) -> int:
    import json

    from helpers.paths import OutputLayout
    from helpers.report.export import export_chapters, write_index

    layout = OutputLayout(output_dir)
    if not layout.run_record.exists():
        print(f"error: {layout.root} holds no run (no run.json); run the report first", file=sys.stderr)
        return ExitCode.BAD_INPUT
    records = json.loads(layout.run_record.read_text()).get("chapters", {})
    export_chapters(layout, [c.slug for c in chapters])
    index = write_index(layout, chapters, {s: r.get("status", "") for s, r in records.items()})
    print(f"Exported to {index.parent}")
    return ExitCode.OK


def _sweep(args) -> int:
    from helpers.errors import ReportError
    from helpers.pipeline.sweep import sweep

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
    from helpers.data.microdata import write_microdata
    from helpers.data.synthetic import DEFAULT_SCENARIO, generate
    from helpers.errors import ReportError

    try:
        frame = generate(args.scenario or DEFAULT_SCENARIO, args.seed, n_respondents=args.respondents,
                         minority_share=args.minority_share, n_groups=args.groups, draws=args.draws,
                         drift_logit=args.drift_logit)
        write_microdata(frame, args.out)
    except (ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    print(f"Wrote {len(frame)} synthetic respondents ({frame.attrs.get('label', '')}) to {args.out}")
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
        return _export(args.output_dir, chapters)
    if args.command == "sweep":
        return _sweep(args)
    return _synth(args)
