"""Blank-heavy synthetic exports: write one, or time chapter 05 and the register on several and count verdicts.

    .venv/bin/python bench/missing_answers.py export 7 /tmp/blank7.csv
    .venv/bin/python -m helpers run 05 -p microdata /tmp/blank7.csv --no-export --output-dir /tmp/out7
    .venv/bin/python bench/missing_answers.py verdicts                  # seeds 1-10, about 5 minutes
    .venv/bin/python bench/missing_answers.py verdicts --no-blanks      # the same draws, every answer kept

An export: the generator's random draws (scenario ``widening``: two classes, a 10 % minority whose
advanced items widen by about 0.44 logit a wave; the published wave sizes, 1,527 respondents), then
15 / 20 / 25 / 30 % of every technology answer blanked at random in 2016 / 2017 / 2018 / 2019.
Every item stays asked in every wave (the runner refuses an item nobody answered in a wave).

``verdicts``: for each seed, an export is written to a temporary CSV and
``python -m helpers run 05 -p microdata FILE --no-export`` runs chapter 05 and the register on it,
as a user would. Recorded per seed: the command's wall time, and the verdict and BH-adjusted p of
``two_groups_microdata`` and ``widening_gap_microdata`` (both planted, so "supported" is the
planted verdict). Prints one line per seed, then how many seeds reached each planted verdict with a
Wilson 95 % interval (the power on such a file, not a pass/fail); writes
``outputs/bench/missing-answers-verdicts.csv`` (``...-no-blanks.csv``). Every file is SYNTHETIC and
its provenance sidecar says so.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata
from helpers.paths import DEFAULT_OUTPUT_DIR
from helpers.stats import proportion_ci

BLANK_SHARE = {2016: 0.15, 2017: 0.20, 2018: 0.25, 2019: 0.30}
CLAIMS = ("two_groups_microdata", "widening_gap_microdata")


def blank_export(seed: int, *, blanks: bool = True):
    """The generator's random draws for ``seed`` with every technology answer blanked at BLANK_SHARE
    (``blanks=False``: the same draws with every answer kept, for comparison)."""
    frame = generate("widening", seed=seed, draws="random")
    if not blanks:
        return frame
    rng = np.random.default_rng(seed)
    tech = [c for c in frame.columns if c.startswith("tech_")]
    share = frame["wave"].map(BLANK_SHARE).to_numpy()
    blank = rng.random((len(frame), len(tech))) < share[:, None]
    for j, column in enumerate(tech):
        frame.loc[blank[:, j], column] = np.nan
    return frame


def one_seed(seed: int, folder: Path, blanks: bool) -> dict:
    """Chapter 05 and the register through the runner on one export; its time and the two planted verdicts."""
    export = folder / f"blank{seed}.csv"
    write_microdata(blank_export(seed, blanks=blanks), export)
    out = folder / f"out{seed}"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "helpers", "run", "05", "-p", "microdata", str(export),
                           "--no-export", "--output-dir", str(out)], capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"seed {seed}: the run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    register = pd.read_csv(out / "claims.csv").set_index("claim_id")
    row = {"seed": seed, "blanks": blanks, "seconds": round(seconds, 1)}
    for claim in CLAIMS:
        row[f"{claim}_verdict"] = str(register.loc[claim, "verdict"])
        row[f"{claim}_p_adjusted"] = round(float(register.loc[claim, "p_adjusted"]), 4)
    return row


def verdicts(seeds: list[int], blanks: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            rows.append(one_seed(seed, Path(tmp), blanks))
            print(rows[-1], flush=True)
    for claim in CLAIMS:
        hits = sum(r[f"{claim}_verdict"] == "supported" for r in rows)
        interval = proportion_ci(hits, len(rows), method="wilson")
        print(f"{claim}: planted verdict reached in {hits} of {len(rows)} "
              f"(Wilson 95 % {interval.low:.2f}-{interval.high:.2f})")
    print(f"time: {min(r['seconds'] for r in rows):.0f}-{max(r['seconds'] for r in rows):.0f} s per run")
    target = DEFAULT_OUTPUT_DIR / "bench" / f"missing-answers-verdicts{'' if blanks else '-no-blanks'}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write one blank-heavy export")
    export.add_argument("seed", type=int)
    export.add_argument("out", help="the file to write (.csv, .xlsx or .sav)")
    runs = commands.add_parser("verdicts", help="chapter 05 and the register on several exports")
    runs.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    runs.add_argument("--no-blanks", action="store_true",
                      help="the same draws with every answer kept (the power the blanks cost)")
    args = parser.parse_args()
    if args.command == "export":
        frame = blank_export(args.seed)
        tech = [c for c in frame.columns if c.startswith("tech_")]
        print(f"{len(frame)} respondents; blank share per item: {frame[tech].isna().mean().round(3).to_dict()}")
        write_microdata(frame, args.out)
    else:
        verdicts(args.seeds, blanks=not args.no_blanks)


if __name__ == "__main__":
    main()
