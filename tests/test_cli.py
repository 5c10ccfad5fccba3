"""The other ways in: the synth command, and a chapter run by the plain papermill CLI elsewhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.microdata import read_microdata
from helpers.paths import NOTEBOOKS_DIR


def test_synth_writes_valid_microdata_deterministically(tmp_path):
    outputs = []
    for name in ("a.csv", "b.csv"):
        result = subprocess.run([sys.executable, "-m", "helpers", "synth", "--scenario", "stable", "--seed", "7",
                                 "--respondents", "800", "--out", str(tmp_path / name)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    frame = read_microdata(tmp_path / "a.csv")
    assert len(frame) == 800 and frame["respondent_id"].is_unique


def test_synth_rejects_an_unknown_scenario(tmp_path):
    result = subprocess.run([sys.executable, "-m", "helpers", "synth", "--scenario", "no-such", "--out",
                             str(tmp_path / "x.csv")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no-such" in result.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.report  # executes a real chapter notebook
def test_a_chapter_runs_with_the_plain_papermill_cli_from_another_folder(tmp_path):
    papermill = Path(sys.executable).parent / "papermill"
    result = subprocess.run([str(papermill), str(NOTEBOOKS_DIR / "04-cryptocurrencies.ipynb"), "out.ipynb",
                             "-p", "output_dir", str(tmp_path / "outputs"), "-p", "alpha", "0.01"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    claims = pd.read_csv(tmp_path / "outputs" / "claims" / "04-cryptocurrencies.csv")
    assert set(claims["alpha"]) == {0.01}
    assert (tmp_path / "outputs" / "figures" / "04-cryptocurrencies" / "crypto-shares.png").exists()
