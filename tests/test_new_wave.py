"""A new report wave enters the analysis by data alone.

In a copy of the project's tracked files, a made-up wave 2030 is added to figures.csv, waves.csv
and series.csv only (manifest refreshed); chapters 00, 03 and the register then carry it in the waves table,
every series table it has rows for, the trend tests' counts and the statements, while no notebook
or helper file differs from the repository's. Broken series or waves rows stop the run (exit 2)
naming the file, line and column.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.published import check_waves_cover_figures, load_figures, load_waves
from helpers.errors import InputDataError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline.runner import ExitCode

URL = "https://example.org/netclean-report-2030/about/"
NOTE = "not re-verified: page not in the stored copies. Made-up wave for a test."
BASE = "survey total assumed (500 officers); item base not published"
#: (question_id, option, value) of the made-up wave; shares on a base of 500 respondents.
WAVE_2030 = [
    ("respondent_region", "USA", 40.2),
    ("trend_social_media_gaming", "social media and online gaming", 18.2),
    ("trend_anonymisation", "TOR/darknet increase", 17.6),
    ("trend_encryption", "encryption increase", 31.4),
    ("trend_cloud", "cloud storage increase", 41.0),
]
SERIES_2030 = {"us_share": ("respondent_region", "USA", "same question"),
               "social_media_trend": ("trend_social_media_gaming", "social media and online gaming", "reworded"),
               "anonymisation_trend": ("trend_anonymisation", "TOR/darknet increase", "reworded"),
               "encryption_trend": ("trend_encryption", "encryption increase", "reworded"),
               "cloud_trend": ("trend_cloud", "cloud storage increase", "reworded")}
THEMES = [s for s in SERIES_2030 if s != "us_share"]


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    return [p for p in listed.decode().split("\0") if p and (PROJECT_ROOT / p).is_file()]


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the repository's tracked files."""
    root = tmp_path / "project"
    for name in tracked_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, root / name)
    return root


def append_rows(path: Path, rows: list[dict]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerows(rows)


def add_wave_2030(root: Path, *, waves_row: bool = True, series_rows: bool = True) -> None:
    """The made-up wave, in the data files only."""
    published = root / "data" / "published"
    figures = [dict(wave=2030, part="law_enforcement", chapter="About the report", question_id="survey_size",
                    option="respondents", value=500, unit="count", value_low=500, value_high=500, base_n="",
                    base_note="not applicable: the figure is the survey total", source_url=URL, notes=NOTE)]
    figures += [dict(wave=2030, part="law_enforcement", chapter="Insight 6", question_id=q, option=o, value=v,
                     unit="percent", value_low=round(v - 0.05, 2), value_high=round(v + 0.05, 2), base_n=500,
                     base_note=BASE, source_url=URL, notes=NOTE) for q, o, v in WAVE_2030]
    append_rows(published / "figures.csv", figures)
    if waves_row:
        append_rows(published / "waves.csv", [dict(
            wave=2030, part="law_enforcement", respondents=500, respondents_note="made-up wave for a test",
            countries=40, fieldwork_start="2030-04-01", fieldwork_end="2030-08-31", composition="USA 40.2 %",
            source_url=URL)])
    if series_rows:
        append_rows(published / "series.csv", [dict(series=s, wave=2030, question_id=q, option=o, comparability=g,
                                                    notes="made-up wave for a test")
                                               for s, (q, o, g) in SERIES_2030.items()])


def run(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELPERS_PROJECT_ROOT": str(root)}
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, env=env,
                          timeout=timeout)


def refresh_manifest(root: Path) -> None:
    result = run(root, "-m", "helpers.data.manifest", "--refresh")
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------
# the made-up wave, end to end
# --------------------------------------------------------------------------------------
@pytest.mark.report
def test_a_new_wave_enters_by_data_alone(project, tmp_path):
    add_wave_2030(project)
    refresh_manifest(project)
    out = tmp_path / "out"
    result = run(project, "-m", "helpers", "run", "0", "3", "--output-dir", str(out), "--no-export", "-j", "2")
    assert result.returncode == 0, result.stdout + result.stderr

    tables = out / "tables"
    waves = pd.read_csv(tables / "00-survey-design" / "waves.csv")
    assert 2030 in set(waves["wave"])

    # the US share: table, figure, trend test over every wave (n = sum of the bases), statement
    us = pd.read_csv(tables / "00-survey-design" / "us-share.csv")
    assert list(us["wave"]) == [2016, 2018, 2019, 2030] and us.set_index("wave").at[2030, "n"] == 500
    assert (out / "figures" / "00-survey-design" / "us-share.png").is_file()
    us_trend = pd.read_csv(tables / "00-survey-design" / "us-share-trend.csv").iloc[0]
    assert us_trend["waves"] == "2016, 2018, 2019, 2030" and us_trend["nobs"] == "370, 272, 450, 500"
    claims = pd.read_csv(out / "claims.csv").set_index("claim_id")
    declined = claims.loc["us_share_declined"]
    assert declined["n"] == 370 + 272 + 450 + 500 == us_trend["n"]
    assert declined["statement"].endswith(
        "(61.1 % in 2016, 54.4 % in 2018, 46.4 % in 2019, 40.2 % in 2030), so between-wave changes are "
        "confounded with who answered.")
    assert "2030" in declined["source"] and declined["verdict"] == "supported"

    # the themes: shares table, wave-to-wave table, trend tests (now three comparable waves each)
    shares = pd.read_csv(tables / "03-technology-trends" / "theme-shares.csv")
    assert set(shares.loc[shares["wave"] == 2030, "series"]) == set(THEMES)
    pairs = pd.read_csv(tables / "03-technology-trends" / "wave-to-wave-tests.csv")
    assert {f"{s} 2030 vs 2019" for s in THEMES} <= set(pairs["comparison"])
    trends = pd.read_csv(tables / "03-technology-trends" / "theme-trend-tests.csv").set_index("series")
    for series in THEMES:
        row, claim = trends.loc[series], claims.loc[f"{series}_monotone"]
        assert row["waves"] == "2017, 2019, 2030" and row["nobs"] == "435, 450, 500" and row["n"] == 1385
        assert claim["test"].startswith("Cochran-Armitage") and claim["n"] == 1385
        assert claim["verdict"] != "not testable" and "in 2030)" in claim["statement"]
        assert "2030" in claim["source"]
    assert "left out as a different construct (2016" in claims.loc["social_media_trend_monotone", "note"]
    # the reports' own claims stay the claims of the reports that made them
    # (a verbal figure quoted as the report's words and the band read from them, never as "20 %")
    assert "in 2019 (“one fifth”, read as 18–22 %) than in 2017 (11 %)" in claims.loc["encryption_trend_rising",
                                                                                      "statement"]

    # nothing but data changed
    for folder in ("notebooks", "src"):
        for path in (PROJECT_ROOT / folder).rglob("*"):
            if path.is_file() and str(path.relative_to(PROJECT_ROOT)) in set(tracked_files()):
                copy = project / path.relative_to(PROJECT_ROOT)
                assert copy.read_bytes() == path.read_bytes(), f"{copy} differs from the repository's"


# --------------------------------------------------------------------------------------
# a wave entered by halves stops the run (exit 2), naming the file, line and column
# --------------------------------------------------------------------------------------
def _stopped(project, tmp_path, *words):
    refresh_manifest(project)
    out = tmp_path / "out"
    result = run(project, "-m", "helpers", "run", "0", "--output-dir", str(out), "--no-export", timeout=120)
    assert result.returncode == ExitCode.BAD_INPUT == 2, result.stdout + result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert not out.exists() or not any(out.rglob("*.csv"))
    return result.stderr


def test_a_wave_without_its_waves_row_stops_the_run(project, tmp_path):
    add_wave_2030(project, waves_row=False)
    lines = len((project / "data" / "published" / "figures.csv").read_text(encoding="utf-8").splitlines())
    _stopped(project, tmp_path, "figures.csv", f"line {lines}, column 'wave'", "wave 2030 (law_enforcement)",
             "no row in waves.csv")


@pytest.mark.parametrize("row, words", [
    ("us_share,2030,respondent_region,USA,same question,x", ["columns 'question_id' and 'option'",
                                                             "no published figure"]),
    ("us_share,2019,respondent_region,USA,same question,x", ["columns 'series' and 'wave'", "repeats line 4"]),
    ("crypto,2018,crypto_frequency,common or very common,same question,x", ["has no base_n"]),
])
def test_a_bad_series_row_stops_the_run(project, tmp_path, row, words):
    series = project / "data" / "published" / "series.csv"
    text = series.read_text(encoding="utf-8")
    series.write_text(text + row + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    _stopped(project, tmp_path, "series.csv", f"line {line}", *words)


def test_the_waves_table_and_the_figures_agree():
    check_waves_cover_figures()  # the data as published
    figures, waves = load_figures(), load_waves()
    size = figures.index[(figures["question_id"] == "survey_size") & (figures["wave"] == 2018)
                         & (figures["option"] == "respondents")][0]
    figures.loc[size, ["value", "value_low", "value_high"]] = 300
    share = figures.index[(figures["question_id"] == "respondent_region") & (figures["wave"] == 2016)
                          & (figures["option"] == "USA")][0]
    figures.loc[share, "base_n"] = 360
    with pytest.raises(InputDataError) as err:
        check_waves_cover_figures(figures, waves)
    assert f"line {size}, column 'value': survey_size 300 differs from the 272 respondents" in str(err.value)
    assert f"line {share}, column 'base_n': 360 differs from the 370 respondents" in str(err.value)
    with pytest.raises(InputDataError, match=r"wave 2017 \(law_enforcement\) has no row in waves.csv"):
        check_waves_cover_figures(load_figures(), waves[waves["wave"] != 2017])
