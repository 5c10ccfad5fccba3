"""The disclosure stage's audit: the small cells of the microdata, and the published numbers that pin one down.

An attacker holds every number a run publishes, each known only to its printed precision
(``0.001965`` is 0.0019645 to 0.0019655). A number *pins* a small cell when the value it would
take at the cell's true count lies within that precision and the values at every other count
the attacker cannot rule out do not. The forms tried for each cell of ``c`` respondents
(1 <= c < threshold):

* a share ``c / T`` of every total ``T`` that contains the cell, and the share of the rest,
  ``1 - c / T`` (each also read as a percentage);
* for a region within a wave, the post-stratification weight of the project's region weighting
  (each wave to the pooled regional mix), and the Kish effective sample size of the wave, with
  the cell's count traded against each other region of the wave (a pair of suppressed cells
  whose sum is known);

Scanned: every CSV under ``tables/`` and ``claims/`` and ``claims.csv`` (each cell), the printed
output of every executed notebook, each ``manifest.json`` and ``run.json``. HTML pages and SVG
figures are rendered from these and are not scanned again. Counts themselves are checked where
they are written (:func:`helpers.report.disclosure.suppress_small_counts`).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?(?!\.?\d)(\s?%)?")

#: A number is tested only when printed to this relative precision (about four significant
#: digits): coarser, it matches some small cell's share by chance (a version number 0.13) as
#: often as by derivation.
RELATIVE_PRECISION = 1e-3


@dataclass(frozen=True)
class Published:
    """One number as printed: its value, half the unit of its last digit, and where it is."""

    value: float
    half: float
    where: str
    whole: bool = False


@dataclass(frozen=True)
class Fingerprint:
    """The value a published number would take at a cell's true count, and at the other candidates."""

    cell: str
    count: int
    form: str
    value: float
    others: tuple[float, ...]
    read_in_whole_numbers: bool = False


@lru_cache(maxsize=8)
def _load(path: str, waves: tuple[int, ...] | None):
    from helpers.data.microdata import load_microdata

    frame = load_microdata(path, waves=list(waves) if waves else None)
    return None if frame.attrs.get("data_kind") != "user" else frame


def user_microdata(path: str, waves=None):
    """The user's microdata as a chapter loads them (its waves), or None for synthetic data."""
    if str(path) == "synthetic":
        return None
    return _load(str(path), tuple(int(w) for w in waves) if waves else None)


def _tokens(text: str, where: str) -> list[Published]:
    out = []
    for match in NUMBER.finditer(text):
        whole, decimals, exponent, percent = match.groups()
        if len(whole) + len(decimals or "") > 17 or abs(int(exponent or 0)) > 300:
            continue  # a hash or an identifier, not a number anyone would read as a share
        value = float(match.group(0).rstrip("% ").strip())
        half = 0.5 * 10.0 ** (-len(decimals or "") + int(exponent or 0))
        whole_number = decimals is None and exponent is None
        out.append(Published(value, half, where, whole_number))
        if percent:
            out.append(Published(value / 100, half / 100, where + " (as a percentage)", whole_number))
    return out


def _csv_numbers(path: Path, root: Path) -> list[Published]:
    out = []
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        for line, row in enumerate(rows, start=2):
            for column, cell in zip(header, row, strict=False):
                out += _tokens(cell, f"{path.relative_to(root)}, line {line}, column '{column}'")
    return out


def _notebook_numbers(path: Path, root: Path) -> list[Published]:
    out = []
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for index, cell in enumerate(cells):
        where = f"{path.relative_to(root)}, cell {index} (In [{cell.get('execution_count')}])"
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")]
            texts += [v for k, v in (output.get("data") or {}).items() if k.startswith("text/")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else str(text)
                out += _tokens(re.sub(r"<[^>]+>", " ", text), where)
    return out


def _json_numbers(path: Path, root: Path) -> list[Published]:
    out = []

    def walk(node, trail: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{trail}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{trail}[{i}]")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.extend(_tokens(repr(node), f"{path.relative_to(root)}: {trail.lstrip('.')}"))
        elif isinstance(node, str):
            out.extend(_tokens(node, f"{path.relative_to(root)}: {trail.lstrip('.')}"))

    walk(json.loads(path.read_text(encoding="utf-8")), "")
    return out


def published_numbers(root: Path) -> list[Published]:
    """Every number in a run's tables, claims, notebooks' printed output, manifests and run.json."""
    root = Path(root)
    found: list[Published] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        top = path.relative_to(root).parts[0]
        if path.suffix == ".csv" and top in ("tables", "claims", "claims.csv"):
            found += _csv_numbers(path, root)
        elif path.suffix == ".ipynb" and top == "notebooks":
            found += _notebook_numbers(path, root)
        elif path.suffix == ".json" and (path.name in ("manifest.json", "run.json")):
            found += _json_numbers(path, root)
    return found


def _cells(frame, threshold: int):
    """(description, count, [(total name, total)], {column: level}) for every cell with 1 <= count < threshold."""
    from helpers.data.codebook import load_codebook

    n = len(frame)
    sizes = {col: frame[col].astype(str).value_counts() for col in ("wave", "region", "country")}
    groupings = [("wave",), ("region",), ("country",), ("wave", "region"), ("wave", "country")]
    for keys in groupings:
        for key, count in frame.groupby(list(keys), sort=True).size().items():
            key = dict(zip(keys, (key if isinstance(key, tuple) else (key,)), strict=True))
            if 0 < count < threshold:
                name = " x ".join(f"{k} {_level(v)}" for k, v in key.items())
                totals = [("all respondents", n)] + [(f"{k} {_level(v)}", int(sizes[k][str(v)]))
                                                     for k, v in key.items() if len(keys) > 1]
                yield name, int(count), totals, key
    cb = load_codebook()
    for item in cb.microdata_columns():
        q = cb.question(item)
        if not q.options or q.type in ("wave",) or item == "region" or item not in frame.columns:
            continue
        answered = frame[frame[item].notna()]
        for (wave, code), count in answered.groupby(["wave", item], sort=True).size().items():
            if 0 < count < threshold:
                wave_n = int((frame["wave"] == wave).sum())
                asked = int((answered["wave"] == wave).sum())
                yield (f"wave {wave} x {item} = {code}", int(count),
                       [(f"wave {wave}", wave_n), (f"wave {wave}, answering {item}", asked)], {})


def _level(value) -> str:
    return str(int(value)) if isinstance(value, (int, np.integer)) else repr(str(value))


def _share_prints(name: str, count: int, totals) -> list[Fingerprint]:
    """The cell's share of each total, and the share of the rest of that total (1 - share)."""
    prints = []
    for what, total in totals:
        if total <= count:
            continue
        prints.append(Fingerprint(name, count, f"share of {what} (n = {total})", count / total,
                                  ((count - 1) / total, (count + 1) / total)))
        prints.append(Fingerprint(name, count, f"share of the rest of {what} (n = {total}), 1 minus the cell's share",
                                  (total - count) / total, ((total - count + 1) / total, (total - count - 1) / total)))
    return prints


def _weighting_prints(frame, name: str, count: int, wave, region) -> list[Fingerprint]:
    """The region weight and the wave's Kish n_eff, with the cell traded against each other region."""
    pooled = frame["region"].astype(str).value_counts(normalize=True)
    cells = frame.loc[frame["wave"] == wave, "region"].astype(str).value_counts()
    n_wave = int(cells.sum())

    def weight_and_neff(counts: dict[str, int]) -> tuple[float, float]:
        present = {r: c for r, c in counts.items() if c > 0}
        scale = sum(pooled[r] for r in present)
        shares = {r: pooled[r] / scale for r in present}
        neff = 1.0 / sum(shares[r] ** 2 / c for r, c in present.items())
        return shares.get(region, 0.0) * n_wave / max(counts[region], 1), neff

    true_weight, true_neff = weight_and_neff(dict(cells))
    prints = []
    weights, neffs = [], []
    for partner in cells.index:
        if partner == region:
            continue
        pair = count + int(cells[partner])
        for candidate in range(1, pair):
            if candidate == count:
                continue
            trial = dict(cells)
            trial[region], trial[partner] = candidate, pair - candidate
            weight, neff = weight_and_neff(trial)
            weights.append(weight)
            neffs.append(neff)
    prints.append(Fingerprint(name, count, f"weight of region {region!r} in wave {wave}", true_weight,
                              tuple(weights)))
    prints.append(Fingerprint(name, count, f"Kish effective n of wave {wave} (region weighting)", true_neff,
                              tuple(neffs), read_in_whole_numbers=True))
    return prints


def fingerprints(frame, threshold: int) -> list[Fingerprint]:
    """Every form in which a published number could pin a small cell of ``frame``."""
    prints = []
    for name, count, totals, key in _cells(frame, threshold):
        prints += _share_prints(name, count, totals)
        if set(key) == {"wave", "region"}:
            prints += _weighting_prints(frame, name, count, key["wave"], str(key["region"]))
    return prints


def find_leaks(frame, numbers: list[Published], threshold: int) -> list[str]:
    """One message per published number that pins a small cell of ``frame`` down.

    A whole number is read as a count (checked where counts are written), except against an
    effective sample size, which may be published rounded to whole respondents."""
    if not numbers:
        return []
    values = np.array([p.value for p in numbers])
    halves = np.array([p.half for p in numbers])
    whole = np.array([p.whole for p in numbers])
    tolerance = halves + 1e-9 * np.abs(values)
    precise = 2 * halves <= RELATIVE_PRECISION * np.abs(values)
    leaks = []
    for fp in fingerprints(frame, threshold):
        near = (np.abs(values - fp.value) <= tolerance) & precise
        hits = np.flatnonzero(near if fp.read_in_whole_numbers else near & ~whole)
        for i in hits:
            others = np.asarray(fp.others, dtype=float)
            if others.size and np.any(np.abs(others - values[i]) <= tolerance[i]):
                continue  # the number is consistent with another count too: it does not pin this one
            if fp.value == 0 or numbers[i].value == 0:
                continue
            leaks.append(f"{numbers[i].where}: {numbers[i].value:.10g} is the {fp.form} of the cell {fp.cell} "
                         f"({fp.count} respondent{'s' if fp.count > 1 else ''}), and no other count gives it")
    return sorted(set(leaks))
