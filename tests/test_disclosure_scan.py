"""Disclosure, attacked from outside: a scan written apart from the project's disclosure code.

The scan plays a careful adversary who holds every file a run publishes and knows how the
project computes its numbers. On a crafted file (region "other": 2 respondents in 2017 and 1 in
2019; 4 yes answers to tech_darknet in 2016; one respondent from Iceland) it tries

* share x total: every published share against every published total (the survey's, each
  wave's, each region's), at the share's printed precision;
* the Kish effective sample size: every split of a wave's suppressed region cells that the
  published totals allow, against the published effective n and target shares;
* subtraction across tables: a suppressed cell from its wave's total and the visible cells,
  and from its region's total (published or read off share x total) and the other waves.

It shares no code with ``helpers.report.disclosure*``. It is shown to find both leaks in the
tables chapter 00 used to publish, and then finds nothing in a real run.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from crafted_microdata import crafted_frame, write_crafted

THRESHOLD = 5
NUM = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]?\d)")


def _printed(text: str):
    """(value, half a unit of the last digit) of every plain number in a text."""
    for m in NUM.finditer(text):
        token = m.group(0)
        decimals = len(token.split(".")[1]) if "." in token else 0
        yield float(token), 0.5 * 10.0 ** -decimals


def _every_text(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".csv", ".json", ".ipynb", ".html", ".svg", ".txt"):
            yield path, path.read_text(encoding="utf-8", errors="replace")


def _table(root: Path, name: str) -> list[dict]:
    path = root / "tables" / "00-survey-design" / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _secrets(frame):
    """Every cell with 1..THRESHOLD-1 respondents, with the survey totals that contain it (all, its wave, region)."""
    n = len(frame)
    out = []
    for keys in (["wave"], ["region"], ["country"], ["wave", "region"], ["wave", "country"]):
        for key, count in frame.groupby(keys).size().items():
            key = key if isinstance(key, tuple) else (key,)
            if 0 < count < THRESHOLD:
                totals = [n] + [int((frame[k] == v).sum()) for k, v in zip(keys, key, strict=True)
                                if len(keys) > 1 and k != "country"]
                out.append((dict(zip(keys, key, strict=True)), int(count), totals))
    for (wave, answer), count in frame.groupby(["wave", "tech_darknet"]).size().items():
        if 0 < count < THRESHOLD:
            out.append(({"wave": wave, "tech_darknet": answer}, int(count), [int((frame["wave"] == wave).sum())]))
    return out


def _shares(root: Path):
    """(value, half, file) of what an adversary reads as a share: every value of a share column of a
    table, and every number printed anywhere with three or more significant digits."""
    for path, text in _every_text(root):
        if path.suffix == ".csv":
            with open(path, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    for column, cell in row.items():
                        if column and "share" in column and cell:
                            yield from ((v, h, path.name) for v, h in _printed(cell))
        for value, half in _printed(text):
            if 0 < value < 1 and half * 2 <= 1e-2 * value:
                yield value, half, path.name


def share_times_total(root: Path, frame) -> list[str]:
    """Published shares that, times a published survey total, give exactly one small count that is a real cell."""
    integers = {v for _, t in _every_text(root) for v, h in _printed(t) if h == 0.5}
    secrets = _secrets(frame)
    found = []
    for value, half, name in set(_shares(root)):
        if not 0 < value < 1:
            continue
        for cell, count, totals in secrets:
            for total in totals:
                if total not in integers:
                    continue
                low, high = (value - half) * total, (value + half) * total
                candidates = [c for c in range(int(low), int(high) + 2) if low - 1e-9 <= c <= high + 1e-9]
                if candidates == [count]:
                    found.append(f"{name}: {value} x {total} = {count} ({cell})")
    return found


def kish_inversion(root: Path) -> list[str]:
    """Suppressed region cells of a wave, pinned by the published effective n and target shares."""
    cells = _table(root, "region-by-wave")
    targets = {r["region"]: (float(r["target_share"]), 0.5 * 10.0 ** -len(r["target_share"].partition(".")[2]))
               for r in _table(root, "weighting-targets")}
    effective = {r["wave"]: r for r in _table(root, "effective-sample-size")}
    found = []
    for wave, rows in itertools.groupby(sorted(cells, key=lambda r: r["wave"]), key=lambda r: r["wave"]):
        rows = list(rows)
        hidden = [r["region"] for r in rows if r["count"] == ""]
        if not hidden:
            continue
        total = int(effective[wave]["respondents"])
        left = total - sum(int(r["count"]) for r in rows if r["count"] != "")
        printed = effective[wave]["kish_effective_n"]
        neff, half = float(printed), 0.5 * 10.0 ** -len(printed.partition(".")[2])
        visible = {r["region"]: int(r["count"]) for r in rows if r["count"] != ""}
        matches = []
        for split in itertools.product(range(1, left + 1), repeat=len(hidden)):
            if sum(split) != left:
                continue
            counts = {**visible, **dict(zip(hidden, split, strict=True))}
            scale = sum(targets[r][0] for r in counts)
            value = 1.0 / sum((targets[r][0] / scale) ** 2 / c for r, c in counts.items())
            if abs(value - neff) <= half + 1e-9 * neff:
                matches.append(split)
        if len(matches) == 1:
            found.append(f"wave {wave}: effective n {printed} pins {dict(zip(hidden, matches[0], strict=True))}")
    return found


def subtraction(root: Path) -> list[str]:
    """Suppressed cells recovered from a wave's total, or from a region's total and the other waves."""
    cells = _table(root, "region-by-wave")
    effective = {r["wave"]: int(r["respondents"]) for r in _table(root, "effective-sample-size")}
    grand = sum(effective.values())
    region_total = {}
    for r in _table(root, "weighting-targets"):   # a region's n from share x total, when the share pins it
        share, half = float(r["target_share"]), 0.5 * 10.0 ** -len(r["target_share"].partition(".")[2])
        options = [c for c in range(grand + 1) if abs(c / grand - share) <= half + 1e-12]
        if len(options) == 1:
            region_total[r["region"]] = options[0]
    found = []
    for cell in (c for c in cells if c["count"] == ""):
        same_wave = [c for c in cells if c["wave"] == cell["wave"]]
        if sum(c["count"] == "" for c in same_wave) == 1:
            found.append(f"wave {cell['wave']} {cell['region']}: its wave's total minus the visible cells")
        same_region = [c for c in cells if c["region"] == cell["region"]]
        if cell["region"] in region_total and sum(c["count"] == "" for c in same_region) == 1:
            found.append(f"wave {cell['wave']} {cell['region']}: the region's total minus its other waves")
    return found


def visible_small_counts(root: Path) -> list[str]:
    """Counts 1..THRESHOLD-1 in a count column of any table."""
    found = []
    for path in sorted((root / "tables").rglob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for column in ("count", "respondents", "n"):
                    value = row.get(column, "")
                    if value and float(value).is_integer() and 0 < float(value) < THRESHOLD:
                        found.append(f"{path.name}: {column} = {value}")
    return found


def scan(root: Path, frame) -> list[str]:
    return share_times_total(root, frame) + kish_inversion(root) + subtraction(root) + visible_small_counts(root)


def _old_style_outputs(root: Path, frame) -> None:
    """The tables chapter 00 published before pooling and rounding (exact shares and effective n)."""
    import numpy as np

    folder = root / "tables" / "00-survey-design"
    folder.mkdir(parents=True)
    shares = frame["region"].value_counts(normalize=True).sort_index()
    with open(folder / "weighting-targets.csv", "w") as handle:
        handle.write("region,target_share\n" + "".join(f"{r},{s:.10g}\n" for r, s in shares.items()))
    counts = frame.groupby(["wave", "region"]).size()
    rows, effective = [], []
    for wave, part in frame.groupby("wave"):
        cells = part["region"].value_counts()
        small = cells[cells < THRESHOLD].index.tolist()
        if len(small) == 1:   # the table's own secondary suppression: the next-smallest cell too
            small.append(cells[~cells.index.isin(small)].idxmin())
        for region in cells.index.sort_values():
            rows.append(f"{wave},{region},{'' if region in small else counts[(wave, region)]}\n")
        present = shares[cells.index]
        present = present / present.sum()
        weights = np.concatenate([[present[r] * len(part) / c] * c for r, c in cells.items()])
        effective.append(f"{wave},{len(part)},{weights.sum() ** 2 / (weights ** 2).sum():.10g}\n")
    (folder / "region-by-wave.csv").write_text("wave,region,count\n" + "".join(rows))
    (folder / "effective-sample-size.csv").write_text("wave,respondents,kish_effective_n\n" + "".join(effective))
    (root / "run.json").write_text(json.dumps({"respondents": len(frame)}))


@pytest.fixture(scope="module")
def crafted():
    return crafted_frame()


def test_the_scan_finds_both_leaks_of_the_old_tables(crafted, tmp_path):
    _old_style_outputs(tmp_path, crafted)
    found = scan(tmp_path, crafted)
    assert any("x 1527 = 3" in f and "'other'" in f for f in found), found          # leak 1
    kish = kish_inversion(tmp_path)
    assert any(f.startswith("wave 2017") and "'other': 2" in f for f in kish), kish   # leak 2
    assert any(f.startswith("wave 2019") and "'other': 1" in f for f in kish), kish


def test_the_disclosure_stage_refuses_the_old_tables(crafted, tmp_path):
    from helpers.report.disclosure import DisclosureError, check_run_outputs

    data = write_crafted(tmp_path / "crafted.csv")
    root = tmp_path / "staged"
    _old_style_outputs(root, crafted)
    with pytest.raises(DisclosureError) as caught:
        check_run_outputs(root, {"00-survey-design": [str(data)]}, {"00-survey-design": {"min_cell_count": 5}})
    message = str(caught.value)
    assert "weighting-targets.csv, line" in message and "column 'target_share'" in message, message
    assert "effective-sample-size.csv" in message and "Kish effective n of wave 2017" in message, message


def test_a_wave_of_three_stops_the_run_before_any_kernel(tmp_path):
    from helpers.report.disclosure import DisclosureError, check_small_groups

    frame = crafted_frame()
    keep = frame.index[frame["wave"] != 2018].tolist() + frame.index[frame["wave"] == 2018][:3].tolist()
    path = tmp_path / "small-wave.csv"
    frame.loc[sorted(keep)].to_csv(path, index=False)
    with pytest.raises(DisclosureError, match=r"small-wave.csv: column 'wave': wave\(s\) 2018 \(3 respondents\)"):
        check_small_groups({"05-offender-groups": [str(path)]}, {"05-offender-groups": {"min_cell_count": 5}})
    # leaving the wave out is the documented remedy
    check_small_groups({"05-offender-groups": [str(path)]},
                       {"05-offender-groups": {"min_cell_count": 5, "waves": [2016, 2017, 2019]}})


@pytest.mark.report
def test_a_run_on_the_crafted_file_lets_no_small_cell_be_recovered(crafted, tmp_path):
    data = write_crafted(tmp_path / "crafted.csv")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "helpers", "run", "00", "-p", "microdata", str(data),
                           "--output-dir", str(out), "--no-export"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    assert "region 'other' (3): fewer than min_cell_count=5" in done.stderr
    assert "'Iceland' (1)" in done.stderr
    assert scan(out, crafted) == []
    assert "europe + other" in (out / "tables" / "00-survey-design" / "weighting-targets.csv").read_text()
