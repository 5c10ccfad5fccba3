"""``python -m helpers sweep GRID.yaml``: a multiverse analysis of the register's verdicts.

GRID.yaml maps parameter names to lists of values (``alpha: [0.05, 0.01]``, ``weighting: [none,
region]``, ``seed: [1, 2]``, ...). The whole report (or the chapters named on the command line)
runs once per combination, each run as one Dask task (:mod:`helpers.pipeline.distributed`) that
calls the runner (``python -m helpers run``) into its own folder ``DIR/sweep/runs/<run-id>/``,
so each run keeps the runner's validation, atomic outputs and incremental cache (a repeated
sweep re-runs only what changed). Every combination is validated - parameter names, types,
domains and input files - before anything is submitted.

Outputs in ``DIR/sweep/``: ``runs.csv`` (run id -> parameters), ``verdicts.csv`` (long: run, one
column per swept parameter, claim_id, verdict, p_adjusted, estimate, copied as the runs wrote
them), ``stability.csv`` (per claim: runs, supported, share_supported, the verdicts seen and
``robust`` - the same verdict in every run) and ``verdicts-heatmap.png`` (claims x runs). The
register chapter reads ``stability.csv`` when it is in its output folder and marks fragile
verdicts. On a real cluster the workers must see DIR (a shared filesystem).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.chapters import CHAPTERS, resolve_chapters
from helpers.errors import ParameterError
from helpers.parameters import notebook_parameters, resolve_parameters
from helpers.paths import OutputLayout
from helpers.pipeline.distributed import Item, run_items
from helpers.pipeline.parameters import input_files, load_parameter_file

VERDICT_FIELDS = ("claim_id", "verdict", "p_adjusted", "estimate")


def load_grid(path) -> dict[str, list]:
    grid = load_parameter_file(path)
    if not grid:
        raise ParameterError(f"{path}: the grid is empty: map parameter names to lists of values")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ParameterError(f"{path}: {name!r} must map to a non-empty list of values, got {values!r}")
    return grid


def combinations(grid: dict[str, list]) -> list[dict]:
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(grid[n] for n in names))]


def validate(combos: list[dict], chapters) -> None:
    """Every combination checked as the runner would, before anything is submitted."""
    from helpers.pipeline.context import preflight

    declared = {spec.slug: notebook_parameters(spec.notebook) for spec in chapters}
    for i, combo in enumerate(combos):
        try:
            resolved = resolve_parameters(declared, combo)
            preflight(input_files(declared, resolved))
        except ParameterError as exc:
            raise ParameterError(f"sweep run {run_id(i)} ({json.dumps(combo, default=str)}): {exc}") from None


def run_id(index: int) -> str:
    return f"run-{index + 1:03d}"


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def run_report(argv: list[str]) -> dict:
    """One sweep run (what a worker executes): the runner in a fresh process."""
    done = subprocess.run([sys.executable, "-m", "helpers", *argv], capture_output=True, text=True)
    return {"returncode": done.returncode, "stderr": done.stderr[-4000:]}


def sweep(grid_path, *, selectors=(), output_dir=None, scheduler="local",  # noqa: PLR0913 - the command's options
          n_workers=None, jobs: int = 1,
          cell_timeout: float | None = None, progress: bool = True) -> Path:
    """Run the sweep; returns ``DIR/sweep``. Raises ParameterError before submitting anything."""
    grid = load_grid(grid_path)
    chapters = resolve_chapters(list(selectors), CHAPTERS)
    combos = combinations(grid)
    validate(combos, chapters)
    root = OutputLayout(output_dir).root / "sweep"
    runs_dir = root / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    items: list[Item] = []
    for i, combo in enumerate(combos):
        argv = ["run", *[c.slug for c in chapters], "--output-dir", str(runs_dir / run_id(i)), "-j", str(jobs),
                "--no-export"]
        if cell_timeout:
            argv += ["--cell-timeout", str(cell_timeout)]
        for name, value in combo.items():
            argv += ["-p", name, _text(value)]
        items.append(Item(run_id(i), run_report, (argv,)))
    outcomes: dict[str, Any] = run_items(items, namespace="sweep", cache_dir=None, scheduler=scheduler,
                                         n_workers=n_workers, progress=progress, description="sweep runs")
    failed = {k: v for k, v in outcomes.items() if v["returncode"] != 0}
    if failed:
        first = next(iter(failed))
        raise RuntimeError(f"{len(failed)} sweep run(s) failed, e.g. {first} (exit {failed[first]['returncode']}):\n"
                           f"{failed[first]['stderr']}")
    write_tables(root, grid, combos)
    return root


def write_tables(root: Path, grid: dict, combos: list[dict]) -> None:
    names = list(grid)
    rows: list[list[str]] = []
    with open(root / "runs.csv", "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["run", *names])
        for i, combo in enumerate(combos):
            out.writerow([run_id(i), *(_text(combo[n]) for n in names)])
    for i, combo in enumerate(combos):
        with open(root / "runs" / run_id(i) / "claims.csv", newline="", encoding="utf-8") as handle:
            for claim in csv.DictReader(handle):
                rows.append([run_id(i), *(_text(combo[n]) for n in names), *(claim[f] for f in VERDICT_FIELDS)])
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["run", *names, *VERDICT_FIELDS])
    ordered = sorted(rows, key=lambda r: (r[0], r[len(names) + 1]))
    out.writerows(ordered)
    (root / "verdicts.csv").write_text(buffer.getvalue(), encoding="utf-8")
    stability = _stability(rows, len(names))
    stability.to_csv(root / "stability.csv", index=False, lineterminator="\n")
    _heatmap(rows, len(names), combos).savefig(root / "verdicts-heatmap.png", metadata={"Software": None})


def _stability(rows, n_names: int):
    import pandas as pd

    frame = pd.DataFrame([(r[0], r[n_names + 1], r[n_names + 2]) for r in rows], columns=["run", "claim_id", "verdict"])
    out = []
    for claim, group in frame.groupby("claim_id", sort=True):
        seen = sorted(set(group["verdict"]))
        supported = int((group["verdict"] == "supported").sum())
        out.append({"claim_id": claim, "runs": len(group), "supported": supported,
                    "share_supported": supported / len(group), "verdicts": "; ".join(seen), "robust": len(seen) == 1})
    return pd.DataFrame(out, columns=["claim_id", "runs", "supported", "share_supported", "verdicts", "robust"])


def _heatmap(rows, n_names: int, combos):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    runs = [run_id(i) for i in range(len(combos))]
    claims = sorted({r[n_names + 1] for r in rows})
    code = {"not supported": 0, "supported": 1}
    grid = np.full((len(claims), len(runs)), np.nan)
    for r in rows:
        grid[claims.index(r[n_names + 1]), runs.index(r[0])] = code.get(r[n_names + 2], np.nan)
    fig, ax = plt.subplots(figsize=(2 + 0.5 * len(runs), 1 + 0.22 * len(claims)), layout="constrained")
    ax.imshow(grid, cmap=ListedColormap(["#d95f02", "#1b9e77"]), vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(claims)), claims, fontsize=7)
    ax.set_xticks(range(len(runs)), [", ".join(f"{k}={_text(v)}" for k, v in c.items()) for c in combos],
                  rotation=60, ha="right", fontsize=7)
    ax.set_title("Verdicts across the sweep: green supported, orange not supported, blank not testable", fontsize=9)
    return fig
