"""The whole report, run as a user runs it: every chapter, the register, the export — and what
a reader relies on: verdicts that follow the rule, no respondent leaks, byte-identical rebuilds."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pandas as pd
import pytest

from helpers.chapters import CHAPTERS
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata
from helpers.report.claims import COLUMNS, verdict

pytestmark = pytest.mark.report

#: Quick settings for the latent class chapter (the defaults are for the real report).
FAST = ["-p", "n_bootstrap", "99", "-p", "n_init", "5", "-p", "max_classes", "3"]
HEADLINE = {"two_groups_published", "two_groups_microdata", "widening_gap_published", "widening_gap_microdata"}


def run_report(output_dir, *args, chapters=()):
    return subprocess.run([sys.executable, "-m", "helpers", "run", *chapters, "--output-dir", str(output_dir),
                           *FAST, *args], capture_output=True, text=True, timeout=1200)


def test_every_chapter_ran_and_was_exported(default_report):
    out = default_report
    record = json.loads((out / "run.json").read_text())
    assert [s for s in record["chapters"]] == [c.slug for c in CHAPTERS]
    assert all(r["status"] == "ok" for r in record["chapters"].values())
    for spec in CHAPTERS:
        assert (out / "notebooks" / f"{spec.slug}.ipynb").exists()
        assert (out / "html" / f"{spec.slug}.html").exists()
        assert (out / "html" / "reader" / f"{spec.slug}.html").exists()
        manifest = json.loads((out / "figures" / spec.slug / "manifest.json").read_text())
        for entry in manifest["figures"]:
            assert entry["caption"] and entry["data"] in ("published", "synthetic", "user")
            assert (out / "figures" / spec.slug / f"{entry['name']}.png").exists()
            assert (out / "figures" / spec.slug / f"{entry['name']}.svg").exists()
    index = (out / "html" / "index.html").read_text()
    assert "claims register" in index and "two_groups_microdata" in index.replace("<wbr>", "")


def test_register_has_every_field_and_verdicts_follow_the_rule(default_report):
    out = default_report
    register = pd.read_csv(out / "claims.csv", keep_default_na=False, na_values=[""])
    assert list(register.columns) == list(COLUMNS)
    assert HEADLINE <= set(register["claim_id"])
    assert not register["claim_id"].duplicated().any()
    chapters_with_claims = set(register["chapter"])
    method_checks = {"09-method-checks"}   # method checks on synthetic data, not claims of the reports
    assert chapters_with_claims == {c.slug for c in CHAPTERS if not c.gathers_claims} - method_checks
    for row in register.itertuples():
        for field in ("claim_id", "chapter", "statement", "source", "source_url", "data", "verdict"):
            assert isinstance(getattr(row, field), str) and getattr(row, field), (row.claim_id, field)
        if row.verdict == "not testable":
            assert "Testable with:" in row.note, row.claim_id
            continue
        for field in ("test", "scale"):
            assert isinstance(getattr(row, field), str) and getattr(row, field), (row.claim_id, field)
        for field in ("statistic", "p_value", "p_adjusted", "estimate", "ci_low", "ci_high", "n"):
            assert not math.isnan(getattr(row, field)), (row.claim_id, field)
        assert row.ci_low <= row.ci_high
        assert row.p_adjusted >= row.p_value - 1e-12
        assert row.verdict == verdict(row.p_adjusted, row.estimate, direction=row.direction,
                                      null_value=row.null_value, alpha=row.alpha)
    published = register[register["data"] == "published"]
    assert set(published.loc[published["claim_id"].isin(HEADLINE), "verdict"]) == {"not testable"}
    microdata_claims = register["claim_id"].isin(["two_groups_microdata", "widening_gap_microdata"])
    assert set(register.loc[microdata_claims, "data"]) == {"synthetic"}


def test_register_keeps_findings_apart_and_gives_tipping_bases(default_report):
    out = default_report
    register = pd.read_csv(out / "claims.csv", keep_default_na=False, na_values=[""])
    assert set(register["claim_kind"]) <= {"report claim", "contrast built here", "design check"}
    assert (register["section"] == register["data"].map(
        lambda d: "demonstration" if d == "synthetic" else "finding")).all()
    demos = register[register["section"] == "demonstration"]
    assert len(demos) and demos["data_source"].str.contains(r"scenario '?\w+'?, seed \d+").all()
    tested = register[(register["data"] == "published") & (register["verdict"] != "not testable")]
    assert tested["tipping_base"].between(0, 1).all() and tested["tipping_note"].str.len().gt(0).all()
    assert register.loc[register["verdict"] == "not testable", "tipping_base"].isna().all()
    foreword = register[register["claim_id"].str.startswith("foreword_")]
    assert len(foreword) >= 8
    assert "minority_vs_majority_published" not in set(register["claim_id"])


def test_synthetic_outputs_say_so(default_report):
    out = default_report
    for spec in ("00-survey-design", "05-offender-groups"):
        manifest = json.loads((out / "figures" / spec / "manifest.json").read_text())
        for entry in manifest["figures"]:
            svg = (out / "figures" / spec / f"{entry['name']}.svg").read_text()
            if entry["data"] == "synthetic":
                assert "SYNTHETIC DATA" in svg, entry["name"]
            assert "data:" in svg  # every figure carries its source line
        tables = json.loads((out / "tables" / spec / "manifest.json").read_text())["tables"]
        assert any(t["data"] == "synthetic" and "synthetic" in t["caption"] for t in tables)


def test_no_respondent_level_data_reaches_outputs(default_report):
    """Disclosure: no identifier, no respondent row, no visible count below the threshold."""
    out = default_report
    identifier = re.compile(r"S20\d\d-\d{4}")
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".html", ".ipynb", ".svg"):
            text = path.read_text(errors="replace")
            assert not identifier.search(text), f"respondent identifier in {path}"
            assert "respondent_id" not in text, f"respondent-level column named in {path}"
    for manifest_path in (out / "tables").glob("*/manifest.json"):
        for entry in json.loads(manifest_path.read_text())["tables"]:
            if entry["data"] == "published":
                continue
            table = pd.read_csv(manifest_path.parent / entry["files"][0])
            assert len(table) < 200, f"{entry['name']} looks respondent-level"
            for column in ("count", "n", "respondents"):
                if column in table:
                    visible = table[column].dropna()
                    assert not ((visible > 0) & (visible < 5)).any(), f"small count in {entry['name']}.{column}"


# Two cold builds give the same report byte for byte: tests/test_kill_safety.py builds the second one
# cold, kills it mid-build and lets the next run finish it (one full build serves both checks).


# the other planted scenarios, through the same tests and the register's rule: tests/test_headline_planted.py
@pytest.mark.parametrize("scenario, expected", [("widening", {"supported"})])
def test_a_planted_widening_from_a_file_is_found(tmp_path, scenario, expected):
    data = tmp_path / f"{scenario}.csv"
    frame = generate(scenario, seed=11)
    technology = [c for c in frame.columns if c.startswith("tech_")]
    frame.loc[frame.index[3], technology] = None  # a respondent who skipped every technology question
    write_microdata(frame, data)
    result = run_report(tmp_path / "out", "-p", "microdata", str(data), "--no-export", chapters=("5",))
    assert result.returncode == 0, result.stderr
    executed = (tmp_path / "out" / "notebooks" / "05-offender-groups.ipynb").read_text()
    assert "Left out: fewer than 5 respondent(s) who answered none of them." in executed  # a small count, suppressed
    register = pd.read_csv(tmp_path / "out" / "claims.csv").set_index("claim_id")
    assert register.loc["widening_gap_microdata", "verdict"] in expected
    # the generator's file carries its provenance: still marked synthetic, not "user"
    assert register.loc["widening_gap_microdata", "data"] == "synthetic"
    assert register.loc["two_groups_microdata", "verdict"] in expected
