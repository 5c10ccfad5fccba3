"""``make method-checks``: recompute the stored method study (``data/derived/``) on Dask.

    python -m helpers.pipeline.recompute [--tests widening,two_groups] [--replicates 200]
        [--sizes 100,200,400] [--scenarios "stable,drift up"] [--scheduler local|tcp://host:8786]
        [--workers N] [--seed 2018]

Each test's replicates run through :func:`helpers.pipeline.distributed.run_items` (an embedded
LocalCluster by default, or the scheduler at ``--scheduler``), cached per replicate under the
test's code key, so an interrupted run resumes and a larger one computes only its new
replicates. When a test's replicates are all done they replace that test's rows of the stored
study (:func:`helpers.report.method_study.save_study`) and the data manifest's hashes are
refreshed. Fewer than FULL_REPLICATES replicates a cell are stored as a smoke run and labelled
so. Exit 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from helpers.errors import ParameterError


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse(argv) -> argparse.Namespace:
    from helpers.report import method_checks as mc
    from helpers.report import method_study as ms

    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.recompute", description=__doc__.split("\n")[0])
    parser.add_argument("--tests", default=",".join(mc.TESTS), help="tests to recompute (comma-separated)")
    parser.add_argument("--replicates", type=int, default=ms.FULL_REPLICATES, help="replicates per cell")
    parser.add_argument("--sizes", default=",".join(map(str, ms.STUDY_SIZES)), help="respondents per wave")
    parser.add_argument("--scenarios", default="", help="scenario labels (default: every scenario of the tests)")
    parser.add_argument("--scheduler", default="local", help="'local' (LocalCluster) or an address tcp://host:8786")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    parser.add_argument("--seed", type=int, default=ms.STUDY_SEED, help="base seed of every replicate")
    args = parser.parse_args(argv)
    args.tests = _list(args.tests)
    unknown = [t for t in args.tests if t not in mc.TESTS]
    if unknown or not args.tests:
        raise ParameterError(f"--tests: expected some of {', '.join(mc.TESTS)}, not {args.tests!r}")
    try:
        args.sizes = [int(s) for s in _list(args.sizes)]
    except ValueError:
        raise ParameterError(f"--sizes: expected whole numbers, not {args.sizes!r}") from None
    args.scenarios = _list(args.scenarios) or list(mc.SCENARIOS)
    if args.replicates < 1:
        raise ParameterError(f"--replicates must be positive, not {args.replicates}")
    return args


def _commit() -> str:
    from helpers import paths

    try:
        return subprocess.run(["git", "-C", str(paths.PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def compute_results(cells, replicates: int, seed: int, *, scheduler="local",  # noqa: PLR0913 - keyword-only options
                    n_workers: int | None = None,
                    stats: dict | None = None) -> dict:
    """Every replicate of ``cells`` (cached per test under its code key), ``{key: result}``;
    ``stats`` receives the engine's counts per test."""
    from helpers.paths import CACHE_DIR
    from helpers.pipeline.distributed import as_item, run_items
    from helpers.report import method_checks as mc
    from helpers.report.method_study import cache_namespace

    results: dict = {}
    for test in mc.TESTS:
        mine = [c for c in cells if c.test == test]
        if not mine:
            continue
        counts: dict = {}
        work = [as_item(i) for i in mc.items(mine, replicates, seed)]
        results |= run_items(work, namespace=cache_namespace(test, seed),
                             cache_dir=CACHE_DIR, scheduler=scheduler, n_workers=n_workers, cost=mc.cost,
                             description=f"{test} replicates", stats=counts)
        if stats is not None:
            stats[test] = counts
    return results


def recompute(args) -> None:
    """Run and store every requested test's cells."""
    from helpers.data.manifest import refresh_data_manifest
    from helpers.report import method_checks as mc
    from helpers.report import method_study as ms

    cells = mc.design(args.scenarios, args.sizes)
    for test in args.tests:
        mine = [c for c in cells if c.test == test]
        if not mine:
            continue
        counts: dict = {}
        started = time.perf_counter()
        results = compute_results(mine, args.replicates, args.seed, scheduler=args.scheduler,
                                  n_workers=args.workers, stats=counts)
        stats = counts[test]
        kind = "full" if args.replicates >= ms.FULL_REPLICATES else "smoke"
        ms.save_study(test, mine, results, args.replicates, seed=args.seed,
                      provenance={"git_commit": _commit(), "scheduler": str(args.scheduler), "run": kind,
                                  "seconds": round(time.perf_counter() - started), "computed_now": stats["computed"],
                                  "from_cache": stats["cached"]})
        print(f"{test}: {len(mine)} cells x {args.replicates} replicates ({kind}): {stats['computed']} computed, "
              f"{stats['cached']} from the cache")
    refresh_data_manifest()


def main(argv=None) -> int:
    try:
        recompute(parse(sys.argv[1:] if argv is None else argv))
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
