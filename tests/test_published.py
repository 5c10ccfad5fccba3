"""Published figures and waves: content, provenance, bands, and the loader's rejections."""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import sys

import pandas as pd
import pytest

from helpers import paths
from helpers.data.codebook import load_codebook
from helpers.data.published import (
    COLUMNS,
    PERCENT_UNITS,
    UNITS,
    VERBAL_BANDS,
    VERBAL_UNITS,
    WAVE_COLUMNS,
    FigureLookupError,
    MissingBaseError,
    figure,
    load_figures,
    load_waves,
)
from helpers.errors import InputDataError

VERIFIED = "verified against source page"
NOT_VERIFIED = "not re-verified: page not in the stored copies"


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return load_figures()


# --------------------------------------------------------------------------------------
# content
# --------------------------------------------------------------------------------------
def test_columns_exactly(figures):
    assert tuple(figures.columns) == COLUMNS
    with open(paths.PUBLISHED_FIGURES, encoding="utf-8") as fh:
        assert tuple(next(csv.reader(fh))) == COLUMNS


def test_every_row_has_source_unit_and_a_band_containing_its_value(figures):
    assert figures["source_url"].str.match(r"^https?://\S+$").all()
    assert figures["unit"].isin(list(UNITS)).all()
    assert (figures["value_low"] <= figures["value"]).all()
    assert (figures["value"] <= figures["value_high"]).all()
    pct = figures[figures["unit"].isin(PERCENT_UNITS)]
    assert ((pct["value_low"] >= 0) & (pct["value_high"] <= 100)).all()


def test_every_row_states_whether_it_was_verified(figures):
    status = figures["notes"].str.startswith(VERIFIED) | figures["notes"].str.startswith(NOT_VERIFIED)
    assert status.all(), figures.loc[~status, ["question_id", "option", "wave"]]
    assert figures["notes"].str.startswith(VERIFIED).mean() > 0.9


def test_exact_percentages_carry_their_rounding_band(figures):
    pct = figures[figures["unit"] == "percent"]
    width = pct["value_high"] - pct["value_low"]
    assert (((width - 1).abs() < 1e-9) | ((width - 0.1).abs() < 1e-9)).all()
    assert ((pct["value_low"] + pct["value_high"]) / 2 - pct["value"]).abs().max() < 1e-9


def test_verbal_figures_use_the_one_documented_mapping(figures):
    verbal = figures[figures["unit"].isin(VERBAL_UNITS)]
    assert len(verbal) >= 15
    for _, row in verbal.iterrows():
        phrase = row["notes"].split('published as "', 1)[1].split('"', 1)[0]
        assert (row["value"], row["value_low"], row["value_high"]) == VERBAL_BANDS[phrase], phrase
    readme = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")
    for phrase in VERBAL_BANDS:
        assert phrase.split(" / ")[0] in readme, f"{phrase!r} missing from the band table in data/README.md"


def test_counts_have_no_band(figures):
    counts = figures[figures["unit"].isin(["count", "rank"])]
    assert (counts["value_low"] == counts["value"]).all() and (counts["value_high"] == counts["value"]).all()


def test_question_ids_and_options_are_in_the_codebook(figures):
    cb = load_codebook()
    for _, row in figures.iterrows():
        q = cb.question(row["question_id"])
        assert q.is_published and row["option"] in q.published_options
    used = set(figures["question_id"])
    unused = [q for q in cb.published_ids() if q not in used]
    assert not unused, f"codebook ids with no published figure: {unused}"


@pytest.mark.parametrize("qid, option, wave, value", [
    ("survey_size", "respondents", 2016, 370), ("survey_size", "respondents", 2018, 272),
    ("survey_size", "businesses", 2019, 100), ("survey_size", "respondents", 2014, 141),
    ("work_computers_cases", "private sector", 2015, 76), ("work_computers_cases", "public sector", 2015, 58),
    ("work_computers_cases", "last year", 2016, 70), ("distribution_methods", "P2P/file sharing", 2016, 90),
    ("distribution_methods", "social media", 2016, 37.9), ("trend_social_media",
     "self-produced material, grooming, sextortion, sharing via social media", 2016, 34),
    ("trend_anonymisation", "TOR/darknet increase", 2019, 16.1),
    ("trend_encryption", "encryption increasing", 2017, 11),
    ("trend_encryption", "encryption increase", 2019, 20), ("trend_cloud", "cloud storage increasing", 2017, 11.5),
    ("crypto_encountered", "no", 2018, 67.7), ("workplace_alerts", "alerts in total", 2018, 513),
    ("workplace_alerts", "installed base (work computers)", 2018, 269370),
    ("respondent_region", "USA", 2019, 46.4), ("anonymisation_challenge", "yes", 2015, 60),
    ("victim_id_obstacles", "not prioritised", 2015, 17), ("victim_id_obstacles", "too many cases", 2015, 56),
    ("victim_id_obstacles", "too much material", 2015, 63), ("challenges_most_mentioned", "encryption", 2016, 1),
    ("challenges_most_mentioned", "deleters", 2016, 4), ("severity_change", "more severe", 2015, 43),
    ("workload_change", "less demanding", 2016, 1.1), ("trend_apps_chatrooms",
     "apps and chatrooms (biggest new trend)", 2017, 25.5), ("livestream_increasing", "increasing", 2019, 56),
])
def test_chapter_figures_exist(qid, option, wave, value):
    assert figure(qid, option, wave).value == pytest.approx(value)


def test_lower_bound_and_conditional_bases(figures):
    sp = figure("self_produced_seen", "yes", 2018)
    assert (sp.unit, sp.value_low, sp.value_high) == ("percent_lower_bound", 90, 100)
    freq = figures[figures["question_id"] == "crypto_frequency"]
    assert freq["base_n"].isna().all() and freq["base_note"].str.contains("conditional base").all()
    with_base = figures[figures["base_n"].notna() & figures["unit"].isin(PERCENT_UNITS)]
    assert with_base["base_note"].str.contains("assumed|installed base").all()


def test_survey_sizes_agree_with_the_waves_table(figures):
    waves = load_waves()
    sizes = figures[(figures["question_id"] == "survey_size") & figures["option"].isin(["respondents", "businesses"])]
    for _, row in sizes.iterrows():
        w = waves[(waves["wave"] == row["wave"]) & (waves["part"] == row["part"])]
        assert len(w) == 1 and w["respondents"].iloc[0] == row["value"]
    pct = figures[figures["base_n"].notna() & figures["unit"].isin(PERCENT_UNITS)]
    for _, row in pct.iterrows():
        w = waves[(waves["wave"] == row["wave"]) & (waves["part"] == row["part"])]
        assert w["respondents"].iloc[0] == row["base_n"], (row["question_id"], row["wave"])


def test_waves_table():
    waves = load_waves()
    assert tuple(waves.columns) == WAVE_COLUMNS
    le = waves[waves["part"] == "law_enforcement"].set_index("wave")
    assert list(le.index) == [2015, 2016, 2017, 2018, 2019, 2020]
    assert le.loc[2016, "respondents"] == 370 and "360" in le.loc[2016, "respondents_note"]
    assert le.loc[2018, "respondents"] == 272 and "nearly 300" in le.loc[2018, "respondents_note"]
    assert le.loc[2016, "composition"].startswith("USA 61.1 %, Europe 26 %")
    assert str(le.loc[2019, "fieldwork_start"].date()) == "2019-04-29"
    biz = waves[(waves["part"] == "business") & waves["respondents"].notna()].set_index("wave")
    assert biz.loc[2014, "respondents"] == 141 and biz.loc[2019, "respondents"] == 100


# --------------------------------------------------------------------------------------
# lookup and counts
# --------------------------------------------------------------------------------------
def test_figure_not_found_lists_close_matches():
    with pytest.raises(FigureLookupError) as exc:
        figure("trend_encryption", "encryption", 2019)
    assert "encryption increase | 2019" in str(exc.value)
    with pytest.raises(FigureLookupError, match="close matches"):
        figure("trend_encrypton", "encryption increase", 2019)


def test_figure_ambiguous_in_a_hand_made_frame(figures):
    doubled = pd.concat([figures, figures.iloc[[0]]])
    row = figures.iloc[0]
    with pytest.raises(FigureLookupError, match="2 published figures match"):
        figure(row["question_id"], row["option"], row["wave"], frame=doubled)


def test_published_count_follows_the_band(figures):
    pct = figures[figures["base_n"].notna() & figures["unit"].isin(PERCENT_UNITS)]
    assert len(pct) > 40
    for _, row in pct.iterrows():
        c = figure(row["question_id"], row["option"], row["wave"])
        n = int(row["base_n"])
        assert c.count == math.floor(row["value"] * n / 100 + 0.5)
        if c.consistent:   # the band's integer counts, and no more
            assert row["value_low"] <= 100 * c.count_low / n + 1e-9 and 100 * (c.count_low - 1) / n < row["value_low"]
            assert (100 * c.count_high / n <= row["value_high"] + 1e-9
                    and 100 * (c.count_high + 1) / n > row["value_high"])
        # rows whose notes say no whole count reproduces the figure are exactly the inconsistent ones
        assert c.consistent != ("No whole count" in row["notes"]), (row["question_id"], row["option"], row["wave"])


def test_published_count_examples():
    c = figure("trend_encryption", "encryption increase", 2019)
    assert (c.base_n, c.count, c.count_low, c.count_high, c.unit) == (450, 90, 81, 99, "percent_verbal")
    assert not figure("trend_anonymisation", "TOR/darknet increase", 2019).consistent
    alerts = figure("workplace_alerts", "alerts in total", 2018)
    assert (alerts.count, alerts.base_n) == (513, 269370)
    with pytest.raises(MissingBaseError, match="conditional base"):
        _ = figure("crypto_frequency", "common or very common", 2018).counts
    with pytest.raises(FigureLookupError, match="not a share"):
        _ = figure("grooming_age_modal", "majority", 2018, frame=_with_base("grooming_age_modal")).counts


def _with_base(qid):
    """A hand-made frame in which an age range has a base, to reach the unit check."""
    f = load_figures()
    f.loc[f["question_id"] == qid, "base_n"] = 272
    return f


# --------------------------------------------------------------------------------------
# corrupted copies are rejected with file, line and column
# --------------------------------------------------------------------------------------
def _rows():
    with open(paths.PUBLISHED_FIGURES, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path, rows, columns=COLUMNS):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _find(rows, qid, option, wave):
    for i, r in enumerate(rows):
        if (r["question_id"], r["option"], r["wave"]) == (qid, option, str(wave)):
            return i
    raise AssertionError((qid, option, wave))


def _set(qid, opt, wave, **values):
    def mutate(rows):
        i = _find(rows, qid, opt, wave)
        rows[i].update(values)
        return i
    return mutate


CORRUPTIONS = {
    "count above base": (_set("workplace_alerts", "alerts in total", 2018, value="300000", value_low="300000",
                              value_high="300000"), "value", "above its base_n 269370"),
    "negative count": (_set("survey_size", "respondents", 2017, value="-435", value_low="-435", value_high="-435"),
                       "value", "negative count"),
    "text in value": (_set("trend_cloud", "cloud storage increasing", 2017, value="about 11.5"), "value",
                      "'about 11.5' is not a number"),
    "value outside band": (_set("trend_cloud", "cloud storage increasing", 2017, value="14"), "value",
                           "outside its band"),
    "percentage above 100": (_set("livestream_increasing", "increasing", 2019, value="156", value_low="155.5",
                                  value_high="156.5"), "value_high", "within 0..100"),
    "unknown question_id": (_set("trend_encryption", "encryption increasing", 2017, question_id="trend_encryptoin"),
                            "question_id", "did you mean trend_encryption"),
    "unknown option": (_set("trend_encryption", "encryption increasing", 2017, option="encryption up"), "option",
                       "not a published option"),
    "unknown unit": (_set("trend_encryption", "encryption increasing", 2017, unit="pct"), "unit", "not a known unit"),
    "unknown part": (_set("trend_encryption", "encryption increasing", 2017, part="police"), "part", "not a part"),
    "missing source": (_set("trend_encryption", "encryption increasing", 2017, source_url=""), "source_url",
                       "not an http(s) URL"),
    "non-integer base": (_set("trend_encryption", "encryption increasing", 2017, base_n="435.5"), "base_n",
                         "not an integer"),
    "verbal band not the mapping": (_set("trend_encryption", "encryption increase", 2019, value_low="15"), "value",
                                    "documented band"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_copy_is_rejected_naming_file_line_and_column(tmp_path, case):
    mutate, column, expected = CORRUPTIONS[case]
    rows = _rows()
    i = mutate(rows)
    path = _write(tmp_path / "figures_bad.csv", rows)
    with pytest.raises(InputDataError) as exc:
        load_figures(path)
    msg = str(exc.value)
    assert msg.startswith("figures_bad.csv:"), msg
    assert f"line {i + 2}, column '{column}'" in msg, msg
    assert expected in msg, msg


def test_duplicate_figure_is_rejected(tmp_path):
    rows = _rows()
    rows.append(dict(rows[5]))
    with pytest.raises(InputDataError, match=rf"lines 7, {len(rows) + 1}: the figure .* appears more than once"):
        load_figures(_write(tmp_path / "dup.csv", rows))


def test_semicolon_file(tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(paths.PUBLISHED_FIGURES.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"figures\.csv: found 1 column; expected comma-separated columns wave, "
                                             r"part, .* is the file semicolon-delimited\?"):
        load_figures(path)


def test_latin1_file(tmp_path):
    text = paths.PUBLISHED_FIGURES.read_text(encoding="utf-8")
    assert "ä" in text
    path = tmp_path / "figures.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    offset = text.encode("latin-1", errors="replace").index("ä".encode("latin-1"))
    line = text[: text.index("ä")].count("\n") + 1
    with pytest.raises(InputDataError) as exc:
        load_figures(path)
    assert f"figures.csv: not UTF-8 text: byte 0xe4 at byte offset {offset} (line {line})" in str(exc.value)


@pytest.mark.parametrize("content, expected", [(b"", "the file is empty (0 bytes)"),
                                               (b"\n\n", "the file is empty"),
                                               (",".join(COLUMNS).encode() + b"\n",
                                                "has a header line but no data rows")])
def test_empty_file(tmp_path, content, expected):
    path = tmp_path / "figures.csv"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=re.escape(f"figures.csv: {expected}")):
        load_figures(path)


def test_missing_column(tmp_path):
    cols = [c for c in COLUMNS if c != "base_note"]
    path = _write(tmp_path / "figures.csv", _rows(), columns=cols)
    with pytest.raises(InputDataError, match=r"figures\.csv: line 1 \(header\): missing column\(s\) base_note"):
        load_figures(path)


def test_many_problems_are_collected_and_capped(tmp_path):
    rows = _rows()
    for r in rows[:15]:
        r["unit"] = "pct"
    with pytest.raises(InputDataError) as exc:
        load_figures(_write(tmp_path / "figures.csv", rows))
    msg = str(exc.value)
    assert "15 problem(s)" in msg and "... and 5 more" in msg and "line 2, column 'unit'" in msg


def test_bad_waves_table(tmp_path):
    text = paths.WAVES_TABLE.read_text(encoding="utf-8").replace("2018-08-13", "2018-13-08")
    path = tmp_path / "waves.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError,
                       match=r"(?s)waves\.csv: .*line 6, column 'fieldwork_end': '2018-13-08' is not a date"):
        load_waves(path)


def test_import_is_light():
    code = ("import sys, helpers.data.published, helpers.data.codebook, helpers.data.microdata, "
            "helpers.data.synthetic, helpers.data.manifest; "
            "print(sorted(m for m in ('pandas', 'pandera') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_2015_victim_identification_figures_come_from_the_2015_survey():
    rows = load_figures().query("question_id == 'victim_id_obstacles'")
    assert set(rows["wave"]) == {2015} and set(rows["base_n"]) == {368}
    assert rows["notes"].str.contains("before the 2016 fieldwork").all()
    assert rows["source_url"].nunique() == 1 and rows["source_url"].iloc[0].startswith("https://www.netclean.com/2016/05/")


def test_the_2016_department_share_is_below_what_its_own_parts_give():
    """80 % = 65.2 % + 'over half' of 34.8 % cannot hold: the parts give at least 82.6 % (kept as published)."""
    daily, not_daily = figure("victim_identification", "yes", 2016), figure("victim_identification", "no", 2016)
    department = figure("victim_identification_department", "yes", 2016)
    _, over_half_low, _ = VERBAL_BANDS["more than half"]
    assert daily.value + not_daily.value == pytest.approx(100)
    assert daily.value_low + over_half_low / 100 * not_daily.value_low > department.value_high
