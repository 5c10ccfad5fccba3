"""The stored method study: keys by the code that made it, stale and smoke labels, honest words.

Unit tier: the replicates' results are made up here (no test is run), so every check is about
the storage, the key and what the chapter and the register say, never about the tests' rates.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT
from helpers.report import method_checks as mc
from helpers.report import method_study as ms


def made_up(cells, replicates, seed=0):
    """Results for every replicate of ``cells``: p uniform (so about 5 % below 0.05)."""
    rng = np.random.default_rng(seed)
    out = {}
    for cell in cells:
        for r in range(replicates):
            out[f"{cell.label()}|{r}"] = {"p": float(rng.random()), "estimate": float(rng.normal()),
                                         **({"supported": bool(rng.random() < 0.05)} if cell.test == "two_groups"
                                            else {})}
    return out


def test_the_key_covers_the_modules_each_test_imports_and_only_those():
    widening = ms.module_closure(ms.ENTRY_MODULES["widening"])
    two_groups = ms.module_closure(ms.ENTRY_MODULES["two_groups"])
    assert "helpers.stats.latent.gap_change" in widening and "helpers.stats.latent.two_groups" not in widening
    assert "helpers.stats.latent.two_groups" in two_groups and "helpers.stats.latent.gap_change" not in two_groups
    assert {"helpers.data.synthetic.draws", "helpers.stats.latent.engine"} <= set(widening)   # transitively
    assert "helpers.report.method_checks" not in widening    # prose and tables do not count


def test_a_study_round_trips_and_is_current(tmp_path):
    cells = [c for c in ms.full_design(["widening"]) if c.respondents_per_wave == 400]
    study = ms.save_study("widening", cells, made_up(cells, 3), 3, directory=tmp_path)
    assert len(study.replicates) == 3 * len(cells)
    status = ms.study_status(study)
    assert status["widening"]["state"] == "current" and status["widening"]["kind"] == "smoke"
    assert status["two_groups"]["state"] == "missing"
    assert len(status["widening"]["missing"]) == 2 * len(cells)            # 100 and 200 a wave
    summary = (tmp_path / ms.SUMMARY_FILE).read_text().splitlines()
    assert summary[0].endswith(",study") and all(line.endswith(",smoke") for line in summary[1:])
    meta = json.loads((tmp_path / ms.METADATA_FILE).read_text())
    assert meta["tests"]["widening"]["key"] == ms.test_key("widening")["key"]


def test_a_changed_module_makes_that_test_stale_and_named(tmp_path):
    cells = [c for c in ms.full_design(["widening"]) if c.respondents_per_wave == 100][:2]
    ms.save_study("widening", cells, made_up(cells, 2), 2, directory=tmp_path)
    meta_file = tmp_path / ms.METADATA_FILE
    meta = json.loads(meta_file.read_text())
    meta["tests"]["widening"]["modules"]["src/helpers/stats/latent/gap_change.py"] = "0" * 64
    meta["tests"]["widening"]["key"] = "0" * 64
    meta_file.write_text(json.dumps(meta))
    status = ms.study_status(ms.load_study(tmp_path))
    assert status["widening"]["state"] == "stale"
    assert status["widening"]["changes"] == ["src/helpers/stats/latent/gap_change.py changed"]
    words = ms.status_words(status)
    assert "STALE" in words and "gap_change.py changed" in words and "no stored study" in words
    table = ms.mark_table(ms.load_study(tmp_path).table(), status)
    assert set(table["code"]) == {"stale"} and ms.conclusive(table).empty
    assert "STALE" in ms.plain_words(table, status) and "STALE" in ms.register_note(directory=tmp_path)


def test_a_smoke_run_states_no_conclusion(tmp_path):
    cells = mc.design(["stable", "widening"], [100, 400], widening_effects=(0.4,))
    study = ms.save_study("widening", cells, made_up(cells, 2), 2, directory=tmp_path)
    status = ms.study_status(study)
    table = ms.mark_table(study.table(), status)
    words = ms.plain_words(table, status)
    assert words.startswith("SMOKE RUN") and "probability" not in words and "needs" not in words
    assert "smoke run (no conclusion)" in ms.status_words(status)


def test_a_full_study_concludes_in_words_that_read_well(tmp_path):
    cells = mc.design(["stable", "widening"], [100, 400], widening_effects=(0.2,))
    results = made_up(cells, ms.FULL_REPLICATES)
    study = ms.save_study("widening", cells, results, ms.FULL_REPLICATES, directory=tmp_path)
    status = ms.study_status(study)
    table = ms.mark_table(study.table(), status)
    assert set(table["study"]) == {"full"} and set(table["code"]) == {"current"}
    words = ms.plain_words(table, status)
    assert "SMOKE" not in words and "largest rejection rate is" in words
    # p uniform: no power, said plainly rather than as "needs more than ... respondents (more than ...)"
    assert "does not reach 80 % power at the sizes studied (up to 400 a wave)." in words
    assert "needs more than" not in words
    assert status["widening"]["kind"] == "partial"     # only two of the design's scenarios and sizes


def test_saving_one_test_keeps_the_other_and_its_other_cells(tmp_path):
    first = mc.design(["stable"], [100])
    second = mc.design(["growing"], [100])
    groups = mc.design(["continuum"], [100])
    ms.save_study("widening", first, made_up(first, 2), 2, directory=tmp_path)
    ms.save_study("two_groups", groups, made_up(groups, 2), 2, directory=tmp_path)
    study = ms.save_study("widening", second, made_up(second, 3), 3, directory=tmp_path)
    assert study.counts() == {"two_groups|continuum||100": 2, "widening|growing||100": 3, "widening|stable||100": 2}


def test_make_method_checks_rejects_a_bad_argument():
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.recompute", "--tests", "nonsense"],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 2 and "--tests" in done.stderr


@pytest.mark.parametrize("scenario", ["three classes", "continuum"])
def test_three_classes_count_supported_verdicts_and_nulls_count_rejections(scenario):
    cell = mc.design([scenario], [100])[0]
    results = {f"{cell.label()}|0": {"p": 0.01, "estimate": 0.1, "supported": False},
               f"{cell.label()}|1": {"p": 0.5, "estimate": 0.1, "supported": True}}
    row = mc.size_and_power([cell], results, 2).iloc[0]
    assert row["rejections"] == 1 and row["role"] == mc.SCENARIOS[scenario][3]
    counted_replicate = 1 if scenario == "three classes" else 0
    assert mc.counted(scenario, results[f"{cell.label()}|{counted_replicate}"], 0.05)


def test_the_table_counts_full_verdicts_apart_from_rejections_and_says_so_in_words():
    """p < alpha is only one condition of "supported": the power rows of two groups carry both
    counts, and the words quote the verdicts as a lower bound's companion; widening has none."""
    groups = mc.design(["two groups"], [100, 400], two_groups_shares=(0.1,))
    widening = mc.design(["widening"], [100], widening_effects=(0.4,))
    results = made_up(groups + widening, ms.FULL_REPLICATES, seed=3)
    table = mc.size_and_power(groups + widening, results, ms.FULL_REPLICATES)
    for row in table.itertuples():
        replicates = [results[f"{mc.Cell(row.test, row.scenario, row.effect, row.respondents_per_wave).label()}|{r}"]
                      for r in range(ms.FULL_REPLICATES)]
        if row.test == "two_groups":
            assert row.supported == sum(r["supported"] for r in replicates)
            assert row.rejections == sum(r["p"] < 0.05 for r in replicates)
        else:
            assert table.loc[row.Index, "supported"] is pd.NA
    words = mc.summary(table, mc.respondents_needed(table))
    counts = table[table["test"] == "two_groups"].sort_values("respondents_per_wave")["supported"].tolist()
    assert f"was reached in {counts[0]} of 200 at 100 a wave; {counts[1]} of 200 at 400 a wave." in words
    assert words.count("full verdict") == 1


def test_a_replicate_leaves_out_a_respondent_who_answered_nothing(monkeypatch):
    """With missing answers the generator can blank all nine items of a respondent; the tests refuse
    such rows, so a replicate leaves them out instead of stopping the study."""
    import helpers.data.synthetic as synthetic

    real = synthetic.generate

    def with_a_blank_respondent(*args, **kwargs):
        frame = real(*args, **kwargs)
        technology = [c for c in frame.columns if c.startswith("tech_")]
        frame.loc[frame.index[0], technology] = np.nan
        return frame

    monkeypatch.setattr(synthetic, "generate", with_a_blank_respondent)
    result = mc.run_replicate("widening", "stable", None, 60, 2018, "widening|stable||60|0")
    assert 0 <= result["p"] <= 1 and np.isfinite(result["estimate"])
