"""How often the two-groups test says "supported" on planted data made apart from the project's generator.

    .venv/bin/python bench/two_groups_rates.py                      # 20 data sets of each scenario
    .venv/bin/python bench/two_groups_rates.py --replicates 5 --scenarios skewed_continuum

Each replicate draws a fresh data set from :func:`helpers.stats.latent.planted.planted_data` (about
1,400 respondents over four waves, nine items; seeds 1000 + i, apart from the tests' seeds), runs
:func:`helpers.stats.latent.two_groups_test` as chapter 05 does (its defaults except ``n_bootstrap``,
199 as in the measurement that opened the question), and records the verdict at alpha = 0.05
(``small_minority`` 0.2, the chapter's default). Prints one line per replicate and per scenario the
count supported with its Wilson 95 % interval; writes ``outputs/bench/two-groups-rates.csv``.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from helpers.paths import DEFAULT_OUTPUT_DIR
from helpers.stats import proportion_ci
from helpers.stats.latent import two_groups_test
from helpers.stats.latent.planted import ADVANCED, MAINSTREAM, planted_data

DEFAULT_SCENARIOS = ["skewed_continuum", "regional_groups", "three_classes"]


def replicate(scenario: str, index: int, n_bootstrap: int, missing: bool) -> dict:
    extra = {"missing": (0.15, 0.30), "absent": ("tech_darknet", 2016)} if missing else {}
    data = planted_data(scenario, seed=1000 + index, **extra)
    started = time.process_time()
    res = two_groups_test(data[ADVANCED + MAINSTREAM], advanced=ADVANCED, waves=data["wave"], small_minority=0.2,
                          n_bootstrap=n_bootstrap, seed=index)
    return {"scenario": scenario + (" (missing answers)" if missing else ""), "replicate": index,
            "lr": round(res.statistic, 2), "p": res.p_value, "three_classes_p": res.three_classes_p,
            "share": round(res.estimate, 4), "verdict": res.verdict(alpha=0.05),
            "cpu_seconds": round(time.process_time() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--scenarios", nargs="+", default=DEFAULT_SCENARIOS)
    parser.add_argument("--n-bootstrap", type=int, default=199)
    parser.add_argument("--missing", action="store_true", help="15-30 %% of answers missing, one item absent in 2016")
    parser.add_argument("--out", default=str(DEFAULT_OUTPUT_DIR / "bench" / "two-groups-rates.csv"))
    args = parser.parse_args()
    rows = []
    for scenario in args.scenarios:
        for i in range(args.replicates):
            rows.append(replicate(scenario, i, args.n_bootstrap, args.missing))
            print(rows[-1], flush=True)
        hits = sum(r["verdict"] == "supported" for r in rows if r["scenario"].startswith(scenario))
        ci = proportion_ci(hits, args.replicates, method="wilson")
        print(f"== {scenario}: two groups supported in {hits} of {args.replicates} "
              f"(Wilson 95 % {ci.low:.2f}-{ci.high:.2f})", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
