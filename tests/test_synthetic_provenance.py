"""Synthetic data stay marked SYNTHETIC whatever format carries them (csv, xlsx, sav); a plain
user file stays "user"; ``helpers synth --out`` writes the format its extension names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers.data.microdata import load_microdata
from helpers.data.provenance import provenance_sidecar, read_provenance
from helpers.data.synthetic import generate
from helpers.data.writing import write_microdata


@pytest.fixture(scope="module")
def synthetic():
    return generate("stable", 7, n_respondents=600)


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "sav"])
def test_round_trip_keeps_the_synthetic_mark(tmp_path, synthetic, suffix):
    path = write_microdata(synthetic, tmp_path / f"s.{suffix}")
    sidecar = json.loads(provenance_sidecar(path).read_text(encoding="utf-8"))
    assert sidecar["data_kind"] == "synthetic" and sidecar["scenario"] == "stable" and sidecar["seed"] == 7
    assert sidecar["draws"] == "exact" and sidecar["file"] == path.name and len(sidecar["sha256"]) == 64
    out = load_microdata(path)
    assert len(out) == 600
    assert out.attrs["data_kind"] == "synthetic" and out.attrs["scenario"] == "stable" and out.attrs["seed"] == 7
    assert "scenario 'stable', seed 7" in out.attrs["label"] and "not real survey answers" in out.attrs["label"]
    assert path.name in out.attrs["label"]


@pytest.mark.parametrize("suffix", ["xlsx", "sav"])
def test_xlsx_and_sav_carry_the_mark_inside_the_file(tmp_path, synthetic, suffix):
    path = write_microdata(synthetic, tmp_path / f"s.{suffix}")
    provenance_sidecar(path).unlink()  # the file travels alone (e-mailed, renamed folder ...)
    out = load_microdata(path)
    assert out.attrs["data_kind"] == "synthetic" and out.attrs["seed"] == 7 and out.attrs["scenario"] == "stable"


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "sav"])
def test_a_plain_user_file_stays_user(tmp_path, synthetic, suffix):
    plain = synthetic.copy()
    plain.attrs = {}  # an export of real answers has no synthetic provenance
    path = write_microdata(plain, tmp_path / f"export.{suffix}")
    assert not provenance_sidecar(path).exists() and read_provenance(path) is None
    out = load_microdata(path)
    assert out.attrs["data_kind"] == "user" and out.attrs["label"] == f"user microdata: export.{suffix}"


def test_an_edited_synthetic_file_stays_marked_and_says_so(tmp_path, synthetic):
    path = write_microdata(synthetic, tmp_path / "s.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")  # one respondent fewer
    out = load_microdata(path)
    assert out.attrs["data_kind"] == "synthetic" and "changed since it was generated" in out.attrs["label"]


def test_overwriting_with_plain_data_removes_a_stale_mark(tmp_path, synthetic):
    path = write_microdata(synthetic, tmp_path / "s.csv")
    plain = synthetic.copy()
    plain.attrs = {}
    write_microdata(plain, path)
    assert load_microdata(path).attrs["data_kind"] == "user"


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "sav"])
def test_synth_writes_the_format_its_extension_names(tmp_path, suffix):
    out = tmp_path / f"s.{suffix}"
    result = subprocess.run([sys.executable, "-m", "helpers", "synth", "--scenario", "stable", "--seed", "7",
                             "--respondents", "600", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    head = out.read_bytes()[:4]
    assert {"csv": head.startswith(b"resp"), "xlsx": head == b"PK\x03\x04", "sav": head == b"$FL2"}[suffix]
    loaded = load_microdata(out)
    assert loaded.attrs["data_kind"] == "synthetic" and loaded.attrs["seed"] == 7


def test_synth_refuses_an_unknown_extension(tmp_path):
    result = subprocess.run([sys.executable, "-m", "helpers", "synth", "--out", str(tmp_path / "s.xls")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "'.xls'" in result.stderr and "s.xls" in result.stderr
    assert not (tmp_path / "s.xls").exists()
