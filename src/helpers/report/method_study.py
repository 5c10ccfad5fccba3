"""The stored method study: chapter 09's size-and-power study as a derived data set.

SYNTHETIC DATA ONLY. The study (:mod:`helpers.report.method_checks`' replicates at the README's
sizes, at least :data:`FULL_REPLICATES` a cell) takes hours on two cores, so it is computed once
by ``make method-checks`` and stored in ``data/derived/``:

* ``method-study-replicates.csv`` - one row per replicate: test, scenario, effect, respondents
  per wave, replicate index, p, estimate, supported (the two-groups verdict);
* ``method-study.csv`` - one row per cell at alpha = 0.05 (what a reader opens);
* ``method-study.json`` - the metadata: per test its **key** and what made it.

A test's key is a sha256 of everything its replicates' results depend on: the source of the
``helpers`` modules the replicate's computation imports, transitively (read from the import
statements, lazy ones inside functions included; a package's ``__init__`` counts only where it
is imported by name), the replicate code and settings, the seed, the numerical packages'
versions, and a fingerprint of the generator's output for every scenario of the test (so a
change of the published figures or the codebook that changes the data counts, and one that
does not, does not). :func:`study_status` compares the stored keys with the code as it is now:
a test whose key differs is **stale**, and the status names the modules that changed. A study
with fewer than :data:`FULL_REPLICATES` replicates in a cell is a **smoke** run and states no
conclusion; a cell of the design that was not computed is **missing**.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.errors import InputDataError
from helpers.report import method_checks as mc

#: replicates a cell needs before the study is a full study rather than a smoke run
FULL_REPLICATES = 200
#: the sizes of the full study (respondents per wave), as in the README
STUDY_SIZES = (100, 200, 400)
STUDY_SEED = 2018
REPLICATES_FILE = "method-study-replicates.csv"
SUMMARY_FILE = "method-study.csv"
METADATA_FILE = "method-study.json"
#: the modules a test's replicate imports directly (the closure adds what they import)
ENTRY_MODULES = {
    "widening": ("helpers.data.codebook", "helpers.data.synthetic", "helpers.stats.latent.gap_change"),
    "two_groups": ("helpers.data.codebook", "helpers.data.synthetic", "helpers.stats.latent.two_groups"),
}
_REPLICATE_COLUMNS = ["test", "scenario", "effect", "respondents_per_wave", "replicate", "p", "estimate", "supported"]


def _module_file(name: str, src: Path) -> Path | None:
    """The file of helpers module ``name``, or None when the name is not a module (an attribute)."""
    base = src.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _existing_module_file(name: str, src: Path) -> Path:
    path = _module_file(name, src)
    if path is None:
        raise FileNotFoundError(f"module {name} has no file under {src}")
    return path


def _imported(path: Path, src: Path) -> set[str]:
    """The helpers modules one file imports (a ``from package import name`` names the submodule
    when one exists, else the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "helpers"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _module_file(sub, src) else node.module)
    return {name for name in found if _module_file(name, src)}


def module_closure(roots) -> list[str]:
    """The helpers modules ``roots`` import, transitively (the roots included), sorted."""
    src = Path(__file__).resolve().parents[2]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += sorted(_imported(_existing_module_file(name, src), src) - seen)
    return sorted(seen)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generator_fingerprint(test: str) -> str:
    """sha256 of small random data sets from every scenario of ``test`` (fixed seed)."""
    digest = hashlib.sha256()
    for label, (owner, scenario, options, _) in mc.SCENARIOS.items():
        if owner != test:
            continue
        knobs = dict(options)
        if label in mc.EFFECT_SCENARIOS:
            knobs["widening_logit" if test == "widening" else "minority_share"] = 0.4 if test == "widening" else 0.1
        from helpers.data.synthetic import generate

        frame = generate(scenario, 1, draws="random", n_per_wave=40, waves=mc.WAVES, **knobs)
        digest.update(label.encode())
        digest.update(frame.to_csv(index=False).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def test_key(test: str, seed: int = STUDY_SEED) -> dict:
    """The key of one test's replicates and what went into it: ``key``, ``modules`` (path ->
    sha256), ``parameters``, ``generator`` (fingerprint) and ``versions``. Computed once per
    process (a process runs the code it imported, whatever changes on disk later); treat the
    result as read-only."""
    import numpy as np
    import scipy
    import statsmodels

    from helpers.data.codebook import load_codebook

    if test not in mc.TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(mc.TESTS)}")
    src = Path(__file__).resolve().parents[2]
    modules = {}
    for name in module_closure(ENTRY_MODULES[test]):
        path = _existing_module_file(name, src)
        modules[path.relative_to(src.parent).as_posix()] = _sha(path.read_bytes())
    cb = load_codebook()
    options = {"n_starts": mc.WIDENING_STARTS} if test == "widening" else \
        {**mc.TWO_GROUPS_OPTIONS, "verdict_alpha": mc.VERDICT_ALPHA}
    parameters = {
        "seed": int(seed), "waves": list(mc.WAVES), "options": options,
        "scenarios": {k: [v[1], v[2], v[3]] for k, v in mc.SCENARIOS.items() if v[0] == test},
        "effect_scenarios": [s for s in mc.EFFECT_SCENARIOS if mc.SCENARIOS[s][0] == test],
        "items": {"advanced": cb.items_tagged("advanced"), "mainstream": cb.items_tagged("mainstream")},
        "replicate_code": _sha("\n".join([inspect.getsource(mc.run_replicate),
                                          inspect.getsource(mc.replicate_seeds)]).encode()),
    }
    versions = {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}
    record = {"modules": modules, "parameters": parameters, "generator": generator_fingerprint(test),
              "versions": versions}
    record["key"] = _sha(json.dumps(record, sort_keys=True).encode())
    return record


def cache_namespace(test: str, seed: int = STUDY_SEED) -> str:
    """Cache namespace of one test's replicates: its code key. Editing the tables, figures or prose
    of the method checks keeps finished replicates."""
    return f"method-checks-{test}-" + test_key(test, seed)["key"][:20]


def full_design(tests=mc.TESTS) -> list:
    """The cells of the full study: every scenario of ``tests`` at :data:`STUDY_SIZES`."""
    return [c for c in mc.design(list(mc.SCENARIOS), STUDY_SIZES) if c.test in tests]


def _effect(value) -> float | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


@dataclass
class StoredStudy:
    """The stored study as read from ``data/derived/``: its replicates and metadata."""

    replicates: Any   # pandas.DataFrame, _REPLICATE_COLUMNS
    metadata: dict

    def cells(self) -> list:
        keys = self.replicates[["test", "scenario", "effect", "respondents_per_wave"]].drop_duplicates()
        return [mc.Cell(r.test, r.scenario, _effect(r.effect), int(r.respondents_per_wave)) for r in keys.itertuples()]

    def results(self) -> dict:
        out = {}
        for r in self.replicates.itertuples():
            cell = mc.Cell(r.test, r.scenario, _effect(r.effect), int(r.respondents_per_wave))
            result = {"p": float(r.p), "estimate": float(r.estimate)}
            if r.supported == r.supported and r.supported != "":
                result["supported"] = bool(r.supported)
            out[f"{cell.label()}|{int(r.replicate)}"] = result
        return out

    def counts(self) -> dict:
        """cell label -> replicates stored (indices 0..n-1, so a cell is never a partial sample)."""
        return {cell.label(): n for cell, n in zip(self.cells(), self._sizes(), strict=True)}

    def _sizes(self) -> list[int]:
        frame = self.replicates.copy()
        frame["effect"] = frame["effect"].fillna(-1.0)
        sizes = frame.groupby(["test", "scenario", "effect", "respondents_per_wave"], sort=False)["replicate"]
        return [int(v) for v in sizes.count().to_numpy()]

    def table(self, alpha: float = 0.05):
        """The size-and-power table of the stored cells (:func:`method_checks.size_and_power`)."""
        return mc.size_and_power(self.cells(), self.results(), self.counts(), alpha=alpha)


def load_study(directory: str | os.PathLike | None = None) -> StoredStudy | None:
    """The stored study, or None when none has been stored yet."""
    import pandas as pd

    folder = Path(directory) if directory else paths.DERIVED_DIR
    meta_path, rep_path = folder / METADATA_FILE, folder / REPLICATES_FILE
    if not meta_path.is_file() or not rep_path.is_file():
        return None
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        replicates = pd.read_csv(rep_path, dtype={"supported": "object"}, keep_default_na=True)
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{folder}: the stored method study cannot be read: {exc}") from None
    missing = [c for c in _REPLICATE_COLUMNS if c not in replicates.columns]
    if missing:
        raise InputDataError(f"{rep_path}: column(s) {', '.join(missing)} missing")
    replicates["supported"] = replicates["supported"].map({"True": True, "False": False})
    return StoredStudy(replicates, metadata)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_study(test: str, cells: list, results: dict, replicates: int, *, seed: int = STUDY_SEED,  # noqa: PLR0913 - keyword-only options
               directory: str | os.PathLike | None = None, provenance: dict | None = None) -> StoredStudy:
    """Store one test's replicates (``replicates`` a cell) with its key; write the cell table at
    alpha = 0.05. The test's other stored cells are kept when they were made under the same key
    (and dropped when not: they would mix two versions of the code); the other test's rows and
    metadata are kept as they are. Every file is replaced atomically. ``provenance`` (e.g.
    commit, scheduler, seconds) is recorded with the key."""
    import datetime as dt

    import pandas as pd

    folder = Path(directory) if directory else paths.DERIVED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    old = load_study(folder)
    rows = []
    for cell in cells:
        for r in range(replicates):
            res = results[f"{cell.label()}|{r}"]
            rows.append({"test": cell.test, "scenario": cell.scenario, "effect": cell.effect,
                         "respondents_per_wave": cell.respondents_per_wave, "replicate": r, "p": res["p"],
                         "estimate": res["estimate"], "supported": res.get("supported")})
    frame = pd.DataFrame(rows, columns=_REPLICATE_COLUMNS)
    key = test_key(test, seed)
    if old is not None:
        same_key = old.metadata.get("tests", {}).get(test, {}).get("key") == key["key"]
        labels = {c.label() for c in cells}
        keep = old.replicates["test"] != test
        if same_key:
            kept_cells = [c.label() for c in old.cells()]
            by_row = old.replicates.apply(lambda r: mc.Cell(r.test, r.scenario, _effect(r.effect),
                                                            int(r.respondents_per_wave)).label(), axis=1)
            keep |= (old.replicates["test"] == test) & ~by_row.isin(labels) & by_row.isin(kept_cells)
        frame = pd.concat([old.replicates[keep], frame], ignore_index=True)
    frame = frame.sort_values(["test", "scenario", "effect", "respondents_per_wave", "replicate"],
                              na_position="first", kind="stable", ignore_index=True)
    metadata = dict(old.metadata) if old is not None else {}
    metadata.setdefault("description", "SYNTHETIC DATA: size and power of the two headline microdata tests "
                                       "(helpers.report.method_checks), made by make method-checks")
    metadata["full_replicates"] = FULL_REPLICATES
    metadata["sizes"] = list(STUDY_SIZES)
    tests = dict(metadata.get("tests", {}))
    stored_cells = frame[frame["test"] == test].groupby(["scenario", "effect", "respondents_per_wave"], dropna=False)
    tests[test] = {**json.loads(json.dumps(key)), "cells": int(stored_cells.ngroups),
                   "computed": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   **(provenance or {})}
    metadata["tests"] = dict(sorted(tests.items()))
    study = StoredStudy(frame, metadata)
    table = study.table(alpha=0.05)
    table["study"] = ["full" if n >= FULL_REPLICATES else "smoke" for n in table["replicates"]]
    _atomic_write(folder / REPLICATES_FILE, frame.to_csv(index=False, float_format="%.6g"))
    _atomic_write(folder / SUMMARY_FILE, table.to_csv(index=False, float_format="%.4f"))
    _atomic_write(folder / METADATA_FILE, json.dumps(metadata, indent=1, sort_keys=True) + "\n")
    stored = load_study(folder)
    if stored is None:
        raise OSError(f"the method study written to {folder} could not be read back")
    return stored


def _changes(stored: dict, current: dict) -> list[str]:
    """What differs between a stored key record and the current one, in words."""
    out = []
    old, new = stored.get("modules", {}), current["modules"]
    out += [f"{path} changed" for path in sorted(old) if path in new and old[path] != new[path]]
    out += [f"{path} is new" for path in sorted(set(new) - set(old))]
    out += [f"{path} is gone" for path in sorted(set(old) - set(new))]
    for field, words in (("parameters", "the replicate code or settings changed"),
                         ("generator", "the generator's output changed (its code or the data files it reads)"),
                         ("versions", "the numerical packages' versions changed")):
        if stored.get(field) != current[field]:
            out.append(words)
    return out


def study_status(study: StoredStudy | None, tests=mc.TESTS) -> dict[str, dict]:
    """Per test: ``state`` (current / stale / missing), ``changes`` (why stale), ``kind`` (full /
    partial / smoke / none: how many of the full design's cells hold FULL_REPLICATES),
    ``complete``, ``declared``, ``short`` and ``missing`` (cell labels)."""
    out = {}
    counts = study.counts() if study is not None else {}
    for test in tests:
        stored = (study.metadata.get("tests", {}) if study is not None else {}).get(test)
        declared = [c.label() for c in full_design([test])]
        have = {k: v for k, v in counts.items() if k.split("|")[0] == test}
        complete = [k for k in declared if have.get(k, 0) >= FULL_REPLICATES]
        status = {"declared": declared, "complete": complete,
                  "short": sorted(k for k, v in have.items() if v < FULL_REPLICATES),
                  "missing": [k for k in declared if k not in have]}
        if stored is None or not have:
            out[test] = {**status, "state": "missing", "changes": [], "kind": "none"}
            continue
        current = test_key(test, stored.get("parameters", {}).get("seed", STUDY_SEED))
        changes = [] if current["key"] == stored.get("key") else _changes(stored, current)
        kind = "full" if len(complete) == len(declared) else "partial" if complete else "smoke"
        out[test] = {**status, "state": "stale" if changes else "current", "changes": changes, "kind": kind,
                     "computed": stored.get("computed", "")}
    return out


def mark_table(table, status: dict):
    """The table with ``study`` (full / smoke: at least FULL_REPLICATES replicates or not) and
    ``code`` (current / stale) columns."""
    table = table.copy()
    table["study"] = ["full" if n >= FULL_REPLICATES else "smoke" for n in table["replicates"]]
    table["code"] = [status[t]["state"] if t in status else "missing" for t in table["test"]]
    return table


def _cell_words(labels: list[str]) -> str:
    def words(label: str) -> str:
        _, scenario, effect, size = label.split("|")
        return f"{scenario}{' ' + effect if effect else ''} at {size} a wave"

    shown = [words(label) for label in labels[:6]]
    more = f" and {len(labels) - 6} more" if len(labels) > 6 else ""
    return "; ".join(shown) + more


def status_words(status: dict) -> str:
    """One paragraph per test: is the stored study current, full, partial or a smoke run?"""
    lines = []
    for test, s in status.items():
        name = mc.TEST_LABELS[test]
        if s["state"] == "missing":
            lines.append(f"**{name}: no stored study.** Run `make method-checks` to compute it.")
            continue
        head = f"**{name}: " + ("STALE" if s["state"] == "stale" else "current") + f", {s['kind']}"
        head += " study**" if s["kind"] != "smoke" else " run (no conclusion)**"
        text = f"{head} (computed {s.get('computed') or 'at an unknown time'}): {len(s['complete'])} of " \
               f"{len(s['declared'])} cells of the full design have at least {FULL_REPLICATES} replicates."
        if s["missing"]:
            text += f" Not computed: {_cell_words(s['missing'])}."
        if s["short"]:
            text += f" Fewer than {FULL_REPLICATES} replicates: {_cell_words(s['short'])}."
        if s["state"] == "stale":
            text += (" The test's code no longer matches the code that made the study (" + "; ".join(s["changes"][:6])
                     + (" ..." if len(s["changes"]) > 6 else "") + "), so its rows describe the old code and no "
                     "conclusion is drawn from them; `make method-checks` recomputes them.")
        lines.append(text)
    return "\n\n".join(lines)


def conclusive(table):
    """The rows a conclusion may rest on: current code and at least FULL_REPLICATES replicates."""
    return table[(table["code"] == "current") & (table["study"] == "full")]


def register_note(alpha: float = 0.05, directory: str | os.PathLike | None = None) -> str:
    """The register chapter's method note: what the stored study says of each test, or that it is
    stale, partial or missing."""
    study = load_study(directory)
    status = study_status(study)
    lines = ["**Method checks (SYNTHETIC DATA, chapter 09, the stored study in `data/derived/`).**"]
    table = mark_table(study.table(alpha=alpha), status) if study is not None else None
    for test, s in status.items():
        name = mc.TEST_LABELS[test]
        if s["state"] != "current" or table is None:
            lines.append(f"The {name}: " + ("the stored study is STALE (its code changed since it was computed); "
                                            "no size or power is quoted." if s["state"] == "stale"
                                            else "no stored study yet."))
            continue
        rows = conclusive(table[table["test"] == test])
        nulls = rows[rows["role"] == "null"]
        if nulls.empty:
            lines.append(f"The {name}: no null cell has {FULL_REPLICATES} replicates yet (a smoke run); no size "
                         "is quoted.")
            continue
        worst = nulls.loc[nulls["rate"].idxmax()]
        lines.append(f"The {name}: largest rejection rate under a null {worst['rate']:.3f} (95 % interval "
                     f"{worst['low']:.3f}-{worst['high']:.3f}; '{worst['scenario']}', "
                     f"{int(worst['respondents_per_wave'])} a wave, {int(worst['replicates'])} replicates) over "
                     f"{len(nulls)} null cell(s), against a nominal {alpha:g}"
                     + (f"; {len(s['missing']) + len(s['short'])} cell(s) of the full design not complete."
                        if s["kind"] != "full" else "."))
    return "\n\n".join(lines)


def plain_words(table, status: dict, *, alpha: float = 0.05) -> str:
    """The chapter's "In plain words": conclusions only from current, full cells; a smoke run or
    a stale study says so and concludes nothing."""
    if table.empty:
        return "No method study is available: run `make method-checks` (or this chapter with study='compute')."
    rows = conclusive(table)
    stale = [mc.TEST_LABELS[t] for t, s in status.items() if s.get("state") == "stale"]
    note = f" The stored study is STALE for the {' and the '.join(stale)}: no conclusion is drawn for it." \
        if stale else ""
    if rows.empty:
        if (table["study"] == "smoke").any():
            return mc.summary(table, mc.respondents_needed(table), alpha=alpha,
                              full_replicates=FULL_REPLICATES) + note
        return "No cell rests on current code." + note
    text = mc.summary(rows, mc.respondents_needed(rows), alpha=alpha, full_replicates=FULL_REPLICATES)
    left = len(table) - len(rows)
    if left:
        text += f"\n{left} cell(s) are left out of these conclusions (stale code or fewer than " \
                f"{FULL_REPLICATES} replicates)."
    return text + note
