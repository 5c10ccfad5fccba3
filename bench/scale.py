"""One microdata size through the microdata path, in this (fresh) process.

    python bench/scale.py N WORK_DIR RESULT.json

Steps, each timed with wall clock, with the process's peak RSS (ru_maxrss, KiB on Linux)
read after each: import (the helpers modules and their libraries; a fixed cost, left out of
the per-respondent figures), generate (helpers.data.synthetic.generate, scenario 'widening'),
write_csv (helpers.data.writing.write_microdata), read_validate (read_microdata), weights
(helpers.stats.design.survey_weights by region), latent_classes (fit_latent_classes on the
advanced + mainstream items, k = 1..3, n_init=5, no BLRT), trait_model (fit_trait_model, the
one-factor 2PL on response patterns) and gap_test (gap_change_test: the class x wave model of
chapter 05). The generated frame is dropped once written, as a user who reads
a file would never hold it.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    n, work_dir, result_path = int(argv[0]), Path(argv[1]), Path(argv[2])
    work_dir.mkdir(parents=True, exist_ok=True)
    steps: dict[str, dict] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        steps[name] = {"seconds": round(now - clock[0], 4), "peak_rss_kib": peak_rss_kib()}
        print(f"scale n={n:>9,}: {name:<15} {now - clock[0]:7.2f} s  peak {peak_rss_kib() / 1024:7.0f} MiB",
              file=sys.stderr, flush=True)
        clock[0] = time.perf_counter()


    from helpers.data.codebook import load_codebook
    from helpers.data.microdata import read_microdata
    from helpers.data.synthetic import generate
    from helpers.data.writing import write_microdata
    from helpers.stats.design import survey_weights
    from helpers.stats.groups import fit_latent_classes
    from helpers.stats.latent import fit_trait_model, gap_change_test

    codebook = load_codebook()
    advanced, mainstream = codebook.items_tagged("advanced"), codebook.items_tagged("mainstream")
    lap("import")

    generated = generate("widening", 2018, n_respondents=n)
    rows = len(generated)
    lap("generate")

    csv_path = work_dir / f"microdata-{n}.csv"
    write_microdata(generated, csv_path)
    del generated
    gc.collect()
    lap("write_csv")

    frame = read_microdata(csv_path)
    lap("read_validate")

    survey_weights(frame, "region")
    lap("weights")

    result = fit_latent_classes(frame[advanced + mainstream], k_range=range(1, 4), n_init=5, blrt_repetitions=0)
    lap("latent_classes")

    trait = fit_trait_model(frame[advanced + mainstream])
    lap("trait_model")

    gap = gap_change_test(frame[advanced + mainstream], frame["wave"], advanced=advanced, mainstream=mainstream)
    lap("gap_test")

    result_path.write_text(json.dumps({
        "n": n, "rows": rows, "csv_bytes": csv_path.stat().st_size, "steps": steps,
        "peak_rss_kib": peak_rss_kib(), "gap_estimate": gap.estimate, "trait_loglik": trait.loglik,
        "classes_bic": float(result.table["bic"].min()),
    }, indent=2))
    csv_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
