"""A valid microdata file with rare combinations, for the disclosure tests (not a test module)."""

from __future__ import annotations

from pathlib import Path


def crafted_frame(seed: int = 2018):
    """1,527 synthetic respondents made rare: region 'other' with 2 respondents in 2017 and 1 in 2019,
    4 yes answers to tech_darknet in 2016, one respondent from Iceland; saved as plain user data."""
    from helpers.data import synthetic

    frame = synthetic.generate("widening", seed).copy()
    frame.attrs = {}
    other = frame["region"] == "other"
    frame.loc[other, "region"] = "europe"
    for wave, n in ((2017, 2), (2019, 1)):
        rows = frame.index[(frame["wave"] == wave) & (frame["region"] == "europe")][:n]
        frame.loc[rows, "region"] = "other"
        frame.loc[rows, "country"] = "Other country"
    wave16 = frame["wave"] == 2016
    frame.loc[wave16, "tech_darknet"] = 0
    frame.loc[frame.index[wave16][:4], "tech_darknet"] = 1
    europe = frame.index[(frame["region"] == "europe") & (frame["wave"] == 2018)]
    frame.loc[europe[0], "country"] = "Iceland"
    return frame


def write_crafted(path: Path, seed: int = 2018) -> Path:
    """The crafted frame as a plain CSV (no provenance file: it counts as the user's data)."""
    frame = crafted_frame(seed)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
