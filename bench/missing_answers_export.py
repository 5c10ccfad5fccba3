"""A synthetic export with blank technology answers, for timing chapter 05 and the register on it.

    .venv/bin/python bench/missing_answers_export.py 7 /tmp/blank7.csv
    .venv/bin/python -m helpers run 05 -p microdata /tmp/blank7.csv --no-export --output-dir /tmp/out7

The generator's random draws (scenario ``widening``, the published wave sizes: 1,527 respondents),
then 15 / 20 / 25 / 30 % of every technology answer blanked at random in 2016 / 2017 / 2018 / 2019.
Every item stays asked in every wave (the runner refuses an item nobody answered in a wave). The
file is SYNTHETIC and its provenance sidecar says so.
"""

from __future__ import annotations

import argparse

import numpy as np

from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata

BLANK_SHARE = {2016: 0.15, 2017: 0.20, 2018: 0.25, 2019: 0.30}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("out", help="the file to write (.csv, .xlsx or .sav)")
    args = parser.parse_args()
    frame = generate("widening", seed=args.seed, draws="random")
    rng = np.random.default_rng(args.seed)
    tech = [c for c in frame.columns if c.startswith("tech_")]
    share = frame["wave"].map(BLANK_SHARE).to_numpy()
    blank = rng.random((len(frame), len(tech))) < share[:, None]
    for j, column in enumerate(tech):
        frame.loc[blank[:, j], column] = np.nan
    print(f"{len(frame)} respondents; blank share per item: {frame[tech].isna().mean().round(3).to_dict()}")
    write_microdata(frame, args.out)


if __name__ == "__main__":
    main()
