"""Microdata: reading CSV/xlsx/sav, validation messages (file, line, column), loading, writing."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from helpers.data.codebook import load_codebook
from helpers.data.microdata import load_microdata, read_microdata, validate_microdata
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata
from helpers.errors import MicrodataError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate("widening", 2018)


@pytest.fixture()
def csv_lines(frame, tmp_path) -> list[str]:
    path = write_microdata(frame, tmp_path / "ok.csv")
    return path.read_text(encoding="utf-8").split("\n")


def _cells(lines, line_no):
    return lines[line_no - 1].split(",")


def _put(lines, line_no, column, value):
    cols = lines[0].split(",")
    cells = _cells(lines, line_no)
    cells[cols.index(column)] = value
    lines[line_no - 1] = ",".join(cells)


def _line_of(lines, column, predicate):
    cols = lines[0].split(",")
    for i, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) == len(cols) and predicate(dict(zip(cols, cells, strict=True))):
            return i
    raise AssertionError(column)


def _rejects(tmp_path, lines, *expected, name="data.csv", **kwargs):
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(MicrodataError) as exc:
        read_microdata(path, **kwargs)
    msg = str(exc.value)
    assert msg.startswith(f"{name}:"), msg
    for e in expected:
        assert e in msg, f"{e!r} not in:\n{msg}"
    return msg


# --------------------------------------------------------------------------------------
# valid input
# --------------------------------------------------------------------------------------
def test_generated_frame_passes_and_is_typed(frame):
    out = validate_microdata(frame)
    cb = load_codebook()
    assert list(out.columns) == cb.microdata_columns()
    assert out["wave"].dtype == "int64"
    assert all(str(out[c].dtype) == "Int8" for c in cb.microdata_columns()[4:])
    assert len(out) == len(frame)


def test_read_csv_indexes_by_line(tmp_path, frame):
    out = read_microdata(write_microdata(frame, tmp_path / "ok.csv"))
    assert out.index.name == "line" and out.index[0] == 2 and out.index[-1] == len(frame) + 1


def test_labels_and_missing_markers_are_accepted(tmp_path, csv_lines):
    line = _line_of(csv_lines, "wave", lambda r: r["wave"] == "2016")
    _put(csv_lines, line, "tech_p2p", "Yes")
    _put(csv_lines, line, "tech_darknet", " no ")
    _put(csv_lines, line, "workload_change", "More demanding")
    _put(csv_lines, line, "region", "North America")
    _put(csv_lines, line, "tech_usb_local_storage", "NA")
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(csv_lines), encoding="utf-8")
    row = read_microdata(path).loc[line]
    assert (row["tech_p2p"], row["tech_darknet"], row["workload_change"], row["region"]) == (1, 0, 3, "north_america")
    assert pd.isna(row["tech_usb_local_storage"])


def test_optional_columns_may_be_missing(frame):
    out = validate_microdata(frame.drop(columns=["trend_cloud", "workload_change"]))
    assert out["trend_cloud"].isna().all() and list(out.columns) == load_codebook().microdata_columns()


# --------------------------------------------------------------------------------------
# each bad input: file, line, column, expectation
# --------------------------------------------------------------------------------------
def test_unknown_answer_code(tmp_path, csv_lines):
    _put(csv_lines, 14, "tech_p2p", "7")
    _rejects(tmp_path, csv_lines, "line 14, column 'tech_p2p': 7 is not an answer code (expected 0 = no, 1 = yes")


def test_unknown_label(tmp_path, csv_lines):
    _put(csv_lines, 9, "tech_p2p", "maybe")
    _rejects(tmp_path, csv_lines, "line 9, column 'tech_p2p': 'maybe' is not a number or a label (expected a code "
                                  "(0 = no, 1 = yes) or its label)")


def test_wave_not_in_codebook(tmp_path, csv_lines):
    _put(csv_lines, 31, "wave", "2015")
    _rejects(tmp_path, csv_lines, "line 31, column 'wave': 2015 is not a wave in the codebook "
                                  "(expected one of 2016, 2017, 2018, 2019)")


def test_non_numeric_where_numbers_are_needed(tmp_path, csv_lines):
    _put(csv_lines, 41, "wave", "twenty")
    _put(csv_lines, 42, "tech_darknet", "1.5")
    _rejects(tmp_path, csv_lines, "line 41, column 'wave': 'twenty' is not a number",
             "line 42, column 'tech_darknet': 1.5 is not a whole number")


def test_duplicate_respondent_id_names_both_lines(tmp_path, csv_lines):
    other = _cells(csv_lines, 61)[0]
    _put(csv_lines, 51, "respondent_id", other)
    _rejects(tmp_path, csv_lines, f"column 'respondent_id': {other!r} appears on lines 51 and 61")


def test_value_in_a_wave_not_asked(tmp_path, csv_lines):
    line = _line_of(csv_lines, "wave", lambda r: r["wave"] == "2016")
    _put(csv_lines, line, "trend_cloud", "1")
    _rejects(tmp_path, csv_lines, f"line {line}, column 'trend_cloud': 1 (wave 2016) has a value in a wave where the "
                                  "codebook says the question was not asked (asked in 2017, 2019)")


def test_skip_rule(tmp_path, csv_lines):
    line = _line_of(csv_lines, "crypto_encountered", lambda r: r["crypto_encountered"] == "0")
    _put(csv_lines, line, "crypto_frequency", "4")
    _rejects(tmp_path, csv_lines, f"line {line}, column 'crypto_frequency': 4 (wave 2018) has a value but "
                                  "crypto_encountered is not 1")


def test_required_value_missing(tmp_path, csv_lines):
    _put(csv_lines, 5, "country", "")
    _rejects(tmp_path, csv_lines, "line 5, column 'country': empty (a value is required)")


def test_missing_required_and_unknown_columns(tmp_path, csv_lines):
    lines = [csv_lines[0].replace("region", "regio")] + csv_lines[1:]
    _rejects(tmp_path, lines, "missing required column(s) region", "unknown column 'regio' (did you mean 'region'?)",
             "Expected the codebook's columns: respondent_id, wave")


def test_requested_wave_without_respondents(tmp_path, frame):
    path = write_microdata(frame[frame["wave"] != 2017], tmp_path / "no2017.csv")
    with pytest.raises(MicrodataError,
                       match=r"(?s)no2017\.csv: .*wave 2017 was requested but the data have no respondents"):
        read_microdata(path, waves=[2016, 2017])
    assert len(read_microdata(path, waves=[2016])) == (frame["wave"] != 2017).sum()
    with pytest.raises(MicrodataError, match="wave 2015 was requested but is not a wave in the codebook"):
        read_microdata(path, waves=[2015])


def test_problems_are_capped(tmp_path, csv_lines):
    for line in range(2, 22):
        _put(csv_lines, line, "tech_p2p", "9")
    msg = _rejects(tmp_path, csv_lines, "20 problem(s)", "... and 10 more", "line 2, column 'tech_p2p'",
                   "line 11, column 'tech_p2p'")
    assert "line 12," not in msg


def test_empty_files(tmp_path, csv_lines):
    (tmp_path / "zero.csv").write_bytes(b"")
    with pytest.raises(MicrodataError, match=r"zero\.csv: the file is empty \(0 bytes\)"):
        read_microdata(tmp_path / "zero.csv")
    _rejects(tmp_path, csv_lines[:1], "has a header line but no data rows", name="header.csv")


def test_semicolon_file(tmp_path, csv_lines):
    _rejects(tmp_path, [line.replace(",", ";") for line in csv_lines],
             "found 1 column; expected comma-separated columns respondent_id, wave, country, region",
             "is the file semicolon-delimited?")


def test_latin1_file_names_the_byte_offset(tmp_path, csv_lines):
    _put(csv_lines, 3, "country", "Curaçao")
    text = "\n".join(csv_lines)
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("latin-1"))
    offset = text.encode("latin-1").index(b"\xe7")
    with pytest.raises(MicrodataError,
                       match=rf"latin\.csv: not UTF-8 text: byte 0xe7 at byte offset {offset} \(line 3\)"):
        read_microdata(path)


def test_ragged_rows(tmp_path, csv_lines):
    csv_lines[6] += ",extra"
    _rejects(tmp_path, csv_lines, "line 7, column 21", "21 fields where the header has 20")


def test_unsupported_type(tmp_path):
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(MicrodataError, match=r"data\.json: unsupported file type"):
        read_microdata(tmp_path / "data.json")


def test_excel_rows_are_named(tmp_path, frame):
    bad = frame.copy()
    bad["wave"] = bad["wave"].astype("object")
    bad.loc[3, "wave"] = 2031
    bad.to_excel(tmp_path / "data.xlsx", index=False)
    with pytest.raises(MicrodataError, match=r"(?s)data\.xlsx: .*row 5, column 'wave': 2031 is not a wave"):
        read_microdata(tmp_path / "data.xlsx")


# --------------------------------------------------------------------------------------
# formats round-trip identically
# --------------------------------------------------------------------------------------
def _write_sav(frame, path, labels=None):
    cb = load_codebook()
    out = frame.copy()
    for c in out.columns:
        if str(out[c].dtype) == "Int8":
            out[c] = out[c].astype("float64")
    if labels is None:
        labels = {c: cb.options(c) for c in cb.microdata_columns() if cb.question(c).options and c != "region"}
    pyreadstat.write_sav(out, str(path), variable_value_labels=labels)
    return path


def test_csv_xlsx_sav_round_trips_load_identically(tmp_path, frame):
    a = read_microdata(write_microdata(frame, tmp_path / "d.csv")).reset_index(drop=True)
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    b = read_microdata(tmp_path / "d.xlsx").reset_index(drop=True)
    c = read_microdata(_write_sav(frame, tmp_path / "d.sav")).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    pd.testing.assert_frame_equal(a, validate_microdata(frame).reset_index(drop=True))


def test_sav_value_labels_are_matched_to_the_codebook(tmp_path, frame):
    cb = load_codebook()
    labels = {c: cb.options(c) for c in cb.microdata_columns() if cb.question(c).options and c != "region"}
    labels["workload_change"] = {1: "more demanding", 2: "unchanged", 3: "less demanding"}   # reversed coding
    flipped = frame.copy()
    flipped["workload_change"] = flipped["workload_change"].map({1: 3, 2: 2, 3: 1}).astype("Int8")
    out = read_microdata(_write_sav(flipped, tmp_path / "flip.sav", labels)).reset_index(drop=True)
    expected = validate_microdata(frame)["workload_change"].reset_index(drop=True)
    pd.testing.assert_series_equal(out["workload_change"], expected)
    labels["workload_change"] = {1: "less", 2: "unchanged", 3: "more demanding"}
    with pytest.raises(MicrodataError, match=r"flip2\.sav: column 'workload_change': value label 'less' \(code 1\)"):
        read_microdata(_write_sav(frame, tmp_path / "flip2.sav", labels))


# --------------------------------------------------------------------------------------
# load and write
# --------------------------------------------------------------------------------------
def test_load_synthetic_is_labelled():
    out = load_microdata()
    assert out.attrs["data_kind"] == "synthetic" and out.attrs["scenario"] == "widening"
    assert "synthetic" in out.attrs["label"] and "not real survey answers" in out.attrs["label"]
    assert out.attrs["source"].startswith("helpers.data.synthetic.generate")
    assert isinstance(out.index, pd.RangeIndex)
    part = load_microdata(waves=[2018], scenario="stable", seed=7)
    assert set(part["wave"]) == {2018} and part.attrs["scenario"] == "stable"


def test_load_user_file_is_labelled(tmp_path, frame):
    plain = frame.copy()
    plain.attrs = {}  # a user's export: no synthetic provenance (a synthetic frame keeps its mark when written)
    path = write_microdata(plain, tmp_path / "export.csv")
    out = load_microdata(path, waves=[2016, 2019])
    assert out.attrs["data_kind"] == "user" and out.attrs["label"] == "user microdata: export.csv"
    assert "scenario" not in out.attrs and set(out["wave"]) == {2016, 2019}
    same = load_microdata(path, scenario="stable", seed=1, n_respondents=10)   # synthetic-only arguments ignored
    assert len(same) == len(frame) and same.attrs["data_kind"] == "user"
    with pytest.raises(MicrodataError, match="microdata file not found"):
        load_microdata(tmp_path / "nope.csv")


def test_write_is_deterministic(tmp_path, frame):
    a = write_microdata(frame, tmp_path / "a.csv").read_bytes()
    b = write_microdata(frame.sample(frac=1, axis=1, random_state=1), tmp_path / "b.csv").read_bytes()
    assert a == b and b"\r" not in a
    assert a.split(b"\n", 1)[0].decode() == ",".join(load_codebook().microdata_columns())
    with pytest.raises(MicrodataError, match="not in the codebook"):
        write_microdata(frame.assign(extra=1), tmp_path / "c.csv")


def test_a_large_file_round_trips(tmp_path):
    """100,000 respondents written and read back unchanged. How fast files load, up to a million
    rows, is measured by ``make bench`` (bench/scale.py), not asserted here."""
    big = generate(n_respondents=100_000, seed=3)
    out = read_microdata(write_microdata(big, tmp_path / "big.csv"))
    assert len(out) == 100_000
    pd.testing.assert_frame_equal(out.reset_index(drop=True)[list(big.columns)], big.reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)
