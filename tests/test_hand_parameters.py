"""A chapter run by hand checks its parameters as the runner does: same checks, same words, at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.errors import ParameterError
from helpers.parameters import check_parameters, notebook_parameters, resolve_parameters

PARAMETERS = ('from helpers.data import MicrodataFile\n\nalpha: float = 0.05  # significance level\n'
              'microdata: MicrodataFile = "synthetic"  # data\nwaves: list[int] = [2016, 2017]  # waves\n'
              'output_dir: str = ""  # where outputs go')


def namespace(*cells: str, **values) -> dict:
    """A kernel's namespace after the parameters cell (and any injected cell) ran."""
    return {"In": ["", PARAMETERS, *cells], "alpha": 0.05, "microdata": "synthetic", "waves": [2016, 2017],
            "output_dir": "", **values}


def test_good_values_pass_and_are_converted():
    space = namespace("# Parameters\nalpha = 1\nwaves = '2016,2017'\n", alpha=1, waves="2016,2017")
    with pytest.raises(ParameterError, match="significance level"):
        check_parameters(space)
    space = namespace("# Parameters\nwaves = '2016,2017'\n", waves="2016,2017")
    check_parameters(space)
    assert space["waves"] == [2016, 2017] and space["alpha"] == 0.05


def test_the_message_is_the_runners():
    space = namespace("# Parameters\nalpha = 5\n", alpha=5)
    with pytest.raises(ParameterError) as by_hand:
        check_parameters(space)
    chapter = "this notebook"
    from helpers.parameters import declared_in

    with pytest.raises(ParameterError) as by_runner:
        resolve_parameters({chapter: declared_in(PARAMETERS, chapter)}, {"alpha": 5})
    assert str(by_hand.value) == str(by_runner.value)
    assert "is a significance level" in str(by_hand.value) and "0.05 for 5 %" in str(by_hand.value)


def test_an_injected_name_no_parameter_declares_is_named_with_a_hint():
    space = namespace("# Parameters\nalhpa = 0.01\n", alhpa=0.01)
    with pytest.raises(ParameterError, match="unknown parameter 'alhpa'.*did you mean 'alpha'"):
        check_parameters(space)


def test_a_bad_type_edited_by_hand_in_lab_is_caught():
    with pytest.raises(ParameterError, match="'waves' expects a list of whole numbers"):
        check_parameters(namespace(waves=["2016", "x"]))


def test_outside_ipython_there_is_nothing_to_check():
    check_parameters({"alpha": 5})  # no input history: not a notebook, nothing to check against


@pytest.mark.report
def test_plain_papermill_stops_at_the_check_before_any_work(tmp_path):
    from helpers.chapters import CHAPTERS

    spec = next(s for s in CHAPTERS if s.slug == "01-self-produced-material")
    assert "alpha" in notebook_parameters(spec.notebook)
    papermill = Path(sys.executable).parent / "papermill"
    result = subprocess.run([str(papermill), str(spec.notebook), str(tmp_path / "out.ipynb"), "-p", "alpha", "5",
                             "-p", "output_dir", str(tmp_path / "outputs")], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode != 0
    assert "chapter 01-self-produced-material: parameter 'alpha' is a significance level" in result.stderr
    assert "In [3]" in result.stderr  # parameters, the injected cell, then the check: nothing else ran
    assert not (tmp_path / "outputs").exists()
