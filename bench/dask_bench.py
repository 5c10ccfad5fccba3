"""make bench-dask: the method checks on Dask - throughput with 1 and 2 workers, overhead per task,
and the wall time of a 500-replicate study (estimated from the throughput; ``--full`` runs one).

1. replicates per second with a LocalCluster of 1 and of 2 single-threaded workers, on the same
   fixed set of replicates (widening test, scenario stable, 200 respondents a wave), no cache;
   the goal is 2 workers >= 1.7x one worker on a 2-core machine;
2. Dask overhead per task: wall time per trivial task (a no-op item per task) on 2 workers;
3. a 500-replicate study (one cell: the widening test under "stable" at 400 a wave): estimated
   as 500 / throughput at that size, or run for real with ``--full`` (no cache).

Writes outputs/bench/dask.csv. Run it on a quiet machine: other processes on the cores
distort the ratio.
"""

from __future__ import annotations

import argparse
import csv
import time

from helpers.paths import OutputLayout
from helpers.pipeline.distributed import client_for, run_items
from helpers.report import method_checks as mc


def noop(i):
    return i


def throughput(workers: int, replicates: int, size: int) -> float:
    cells = mc.design(["stable"], [size])
    items = mc.items(cells, replicates, 99)
    with client_for("local", n_workers=workers) as client:
        run_items(items[:workers], namespace="warm-up", scheduler=client, progress=False)   # imports, caches
        started = time.perf_counter()
        run_items(items, namespace="bench", scheduler=client, progress=False)
        return replicates / (time.perf_counter() - started)


def overhead(tasks: int = 400) -> float:
    with client_for("local", n_workers=2) as client:
        run_items([(f"w{i}", noop, (i,)) for i in range(4)], namespace="w", scheduler=client, progress=False)
        started = time.perf_counter()
        run_items([(f"n{i}", noop, (i,)) for i in range(tasks)], namespace="n", scheduler=client, progress=False)
        return (time.perf_counter() - started) / tasks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=16, help="replicates per throughput measurement")
    parser.add_argument("--full", action="store_true", help="run the 500-replicate study instead of estimating it")
    args = parser.parse_args(argv)
    rows = []
    one = throughput(1, args.replicates, 200)
    two = throughput(2, args.replicates, 200)
    rows += [("replicates_per_second_1_worker", one, ""), ("replicates_per_second_2_workers", two, ""),
             ("speed_up_2_over_1", two / one, "goal >= 1.7"), ("overhead_per_task_seconds", overhead(), "")]
    if args.full:
        started = time.perf_counter()
        cells = mc.design(["stable"], [400])
        run_items(mc.items(cells, 500, 5), namespace="bench-full", progress=True)
        rows.append(("study_500_replicates_seconds", time.perf_counter() - started, "measured, 2 workers"))
    else:
        rate = throughput(2, max(4, args.replicates // 2), 400)
        rows.append(("study_500_replicates_seconds", 500 / rate, "estimated from the throughput at 400 a wave"))
    out = OutputLayout().bench
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "dask.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["measure", "value", "note"])
        writer.writerows(rows)
    for name, value, note in rows:
        print(f"{name:38s} {value:10.3f}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
