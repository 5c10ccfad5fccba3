"""Method checks of the two headline microdata tests: size, power and respondents needed.

SYNTHETIC DATA ONLY. Each replicate draws a fresh data set from the project's generator in
random-draw mode (:func:`helpers.data.synthetic.generate`, ``draws="random"``, ``n_per_wave``
respondents in every wave of 2016-2019) under one planted scenario and runs one test on it:

* ``widening`` - :func:`helpers.stats.latent.gap_change_test` (class x wave slope delta, LR
  test). Nulls (its size): ``stable``, ``growing`` (minority share 6 -> 16 %), ``drift up`` and
  ``drift down`` (every advanced item moves alike in both classes, +-0.8 logit 2016 -> 2019),
  ``regional`` (region-specific shares and profiles under the published change of composition)
  and ``stable with missing answers`` (15-30 % of the technology answers blank, one item unasked in
  2016). Power: ``widening`` with the minority's advanced items moving ``effect`` logits per wave
  (the generator's ``widening_logit``; delta's true value).
* ``two_groups`` - :func:`helpers.stats.latent.two_groups_test` (two classes against a
  continuum, parametric bootstrap). Nulls: ``single_group``, ``continuum``, the right-skewed
  continua ``skewed (shape 2)`` and ``skewed (shape 8)`` and ``continuum with missing answers``.
  Power: ``two groups`` whose minority is ``effect`` of the officers (``minority_share``) and
  ``regional two groups``. ``three classes`` is not two groups: its rate counts the replicates
  whose verdict is "supported", which should be rare.

A null or power replicate rejects when p < ``alpha``. Its seeds come from a
``numpy.random.SeedSequence`` with the study's seed as entropy and a stable hash of (test,
scenario, effect, respondents per wave, replicate index) as spawn key, so a replicate gives the
same numbers on any worker, in any order, with any number of workers. Replicates are plain
``(key, function, arguments)`` items; the pipeline's engine (:mod:`helpers.pipeline.distributed`)
runs, batches and caches them under the test's code key
(:func:`helpers.report.method_study.cache_namespace`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers.errors import ParameterError

TESTS = ("widening", "two_groups")
TEST_LABELS = {"widening": "widening-gap test (class x wave slope)", "two_groups": "two-groups test (LR, bootstrap)"}
#: what a scenario's rate measures
ROLES = {"null": "size (p < alpha under a null)", "power": "power (p < alpha under a planted structure)",
         "not two groups": "'two groups' supported although three classes were planted"}
#: scenario label -> (test, generator scenario, generator options, role)
SCENARIOS: dict[str, tuple[str, str, dict, str]] = {
    "stable": ("widening", "stable", {}, "null"),
    "growing": ("widening", "growing", {}, "null"),
    "drift up": ("widening", "drift", {"drift_logit": 0.8}, "null"),
    "drift down": ("widening", "drift", {"drift_logit": -0.8}, "null"),
    "regional": ("widening", "regional", {}, "null"),
    "stable with missing answers": ("widening", "stable", {"missing_answers": True}, "null"),
    "widening": ("widening", "widening", {}, "power"),
    "single_group": ("two_groups", "single_group", {}, "null"),
    "continuum": ("two_groups", "continuum", {}, "null"),
    "skewed (shape 2)": ("two_groups", "skewed_continuum", {"trait_shape": 2.0}, "null"),
    "skewed (shape 8)": ("two_groups", "skewed_continuum", {"trait_shape": 8.0}, "null"),
    "continuum with missing answers": ("two_groups", "continuum", {"missing_answers": True}, "null"),
    "two groups": ("two_groups", "stable", {}, "power"),
    "regional two groups": ("two_groups", "regional", {}, "power"),
    "three classes": ("two_groups", "three_classes", {}, "not two groups"),
}
#: the power scenarios whose effect is a knob (the others plant one fixed structure)
EFFECT_SCENARIOS = ("widening", "two groups")
#: what ``effect`` means in a power scenario
EFFECT_MEANING = {"widening": "minority's advanced-item logit slope per wave (the generator's widening_logit)",
                  "two_groups": "minority share of the two planted groups"}
#: test settings used in every replicate (the chapter's two-groups test uses more bootstrap
#: samples for its share interval; the p-value's calibration is valid for any B)
WIDENING_STARTS = 2
TWO_GROUPS_OPTIONS: dict[str, Any] = {"n_bootstrap": 99, "sequential_h": 5, "n_share_bootstrap": 19, "n_init": 10}
#: the level at which a replicate's two-groups verdict ("supported") is recorded
VERDICT_ALPHA = 0.05
WAVES = (2016, 2017, 2018, 2019)


@dataclass(frozen=True)
class Cell:
    """One (test, scenario, effect, respondents per wave) cell of the design."""

    test: str
    scenario: str
    effect: float | None
    respondents_per_wave: int

    @property
    def role(self) -> str:
        return SCENARIOS[self.scenario][3]

    def label(self) -> str:
        effect = "" if self.effect is None else f"{self.effect:g}"
        return f"{self.test}|{self.scenario}|{effect}|{self.respondents_per_wave}"


def design(scenarios, respondents_per_wave, *, widening_effects=(0.2, 0.4), two_groups_shares=(0.1,)) -> list[Cell]:
    """Every cell: each scenario label at each size (power scenarios at each of their effects)."""
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ParameterError(f"unknown scenario {unknown[0]!r}; expected some of {', '.join(SCENARIOS)}")
    sizes = [int(n) for n in respondents_per_wave]
    if not sizes or min(sizes) < 20:
        raise ParameterError(f"respondents_per_wave must list sizes of at least 20, not {respondents_per_wave!r}")
    cells = []
    for label in scenarios:
        test, _, _, role = SCENARIOS[label]
        effects = [None] if label not in EFFECT_SCENARIOS else \
            [float(e) for e in (widening_effects if test == "widening" else two_groups_shares)]
        for effect in effects:
            cells += [Cell(test, label, effect, n) for n in sorted(set(sizes))]
    return cells


def replicate_seeds(seed: int, key: str) -> tuple[int, int]:
    """(data seed, test seed) of one replicate: SeedSequence(entropy=seed, spawn_key=hash of key)."""
    words = np.frombuffer(hashlib.sha256(key.encode("utf-8")).digest()[:16], dtype="<u4")
    state = np.random.SeedSequence(int(seed), spawn_key=tuple(int(w) for w in words)).generate_state(2)
    return int(state[0] % 2**31), int(state[1] % 2**31)


def run_replicate(test: str, scenario: str, effect: float | None, n_per_wave: int, seed: int, key: str) -> dict:
    """Generate one data set and run one test on it: ``{"p": ..., "estimate": ...}`` (two groups:
    also ``"supported"``, the verdict at VERDICT_ALPHA)."""
    from helpers.data.codebook import load_codebook
    from helpers.data.synthetic import generate
    from helpers.stats.results import TestResult

    cb = load_codebook()
    advanced, mainstream = cb.items_tagged("advanced"), cb.items_tagged("mainstream")
    data_seed, test_seed = replicate_seeds(seed, key)
    _, generator_scenario, options, _ = SCENARIOS[scenario]
    options = dict(options)
    if scenario in EFFECT_SCENARIOS:
        options["widening_logit" if test == "widening" else "minority_share"] = effect
    frame = generate(generator_scenario, data_seed, draws="random", n_per_wave=int(n_per_wave), waves=WAVES,
                     **options)
    # with missing answers a respondent can leave every item blank: no information for the models
    frame = frame[frame[advanced + mainstream].notna().any(axis=1)]
    items = frame[advanced + mainstream]
    result: TestResult
    if test == "widening":
        from helpers.stats.latent.gap_change import gap_change_test

        result = gap_change_test(items, frame["wave"], advanced=advanced, mainstream=mainstream,
                                 n_starts=WIDENING_STARTS, seed=test_seed)
        return {"p": float(result.p_value), "estimate": float(result.estimate)}
    from helpers.stats.latent.two_groups import two_groups_test

    result = two_groups_test(items, advanced=advanced, seed=test_seed, **TWO_GROUPS_OPTIONS)
    return {"p": float(result.p_value), "estimate": float(result.estimate),
            "supported": result.verdict(alpha=VERDICT_ALPHA) == "supported"}


def items(cells: list[Cell], replicates: int, seed: int) -> list[tuple[str, object, tuple]]:
    """The replicates as plain ``(key, function, arguments)`` items for the engine."""
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ParameterError(f"replicates must be a positive integer, not {replicates!r}")
    out: list[tuple[str, object, tuple]] = []
    for cell in cells:
        for r in range(replicates):
            key = f"{cell.label()}|{r}"
            out.append((key, run_replicate, (cell.test, cell.scenario, cell.effect, cell.respondents_per_wave,
                                             int(seed), key)))
    return out


def cost(key: str) -> float:
    """Rough seconds of one replicate on one core (for batching tasks to about a second)."""
    test, scenario, _, n, _ = key.split("|")
    missing = 4.0 if "missing" in scenario else 1.0
    return ((1.0 if test == "widening" else 1.5) + 0.0004 * 4 * int(n)) * missing


COLUMNS = ["test", "scenario", "role", "effect", "respondents_per_wave", "replicates", "rejections", "rate", "low",
           "high", "supported"]


def counted(scenario: str, result: dict, alpha: float) -> bool:
    """Whether a replicate counts towards its cell's rate: p < alpha, or for "three classes" a
    "supported" verdict on two groups."""
    if SCENARIOS[scenario][3] == "not two groups":
        return bool(result.get("supported", result["p"] < alpha))
    return result["p"] < alpha


def size_and_power(cells: list[Cell], results: dict, replicates, *, alpha: float = 0.05):
    """One row per cell: the counted replicates (:func:`counted`) of ``replicates`` (a number, or
    cell label -> number), the rate's Wilson 95 % interval, and ``supported``: the replicates whose
    full verdict was "supported" (two groups only, where p < alpha is one of its conditions;
    empty for a test whose replicates record no verdict)."""
    import pandas as pd

    from helpers.stats import proportion_ci

    rows = []
    for cell in cells:
        n = replicates[cell.label()] if isinstance(replicates, dict) else replicates
        replicate_results = [results[f"{cell.label()}|{r}"] for r in range(n)]
        k = int(sum(counted(cell.scenario, result, alpha) for result in replicate_results))
        verdicts = [result["supported"] for result in replicate_results if "supported" in result]
        ci = proportion_ci(k, n, method="wilson")
        rows.append({"test": cell.test, "scenario": cell.scenario, "role": cell.role, "effect": cell.effect,
                     "respondents_per_wave": cell.respondents_per_wave, "replicates": n, "rejections": k,
                     "rate": k / n, "low": float(ci.low), "high": float(ci.high),
                     "supported": int(sum(verdicts)) if len(verdicts) == n else None})
    return pd.DataFrame(rows, columns=COLUMNS).astype({"supported": "Int64"})


def respondents_needed(table, *, power: float = 0.8):
    """Respondents per wave for ``power``, read off each power curve: linear interpolation of the
    rate between the two grid sizes where it first reaches ``power``; a note when it is reached at
    the smallest size already, or not within the grid."""
    import pandas as pd

    rows = []
    powered = table[table["role"] == "power"]
    for (test, scenario, effect), curve in powered.groupby(["test", "scenario", "effect"], sort=False, dropna=False):
        curve = curve.sort_values("respondents_per_wave")
        sizes, rates = curve["respondents_per_wave"].to_numpy(float), curve["rate"].to_numpy(float)
        hit = np.flatnonzero(rates >= power)
        if hit.size == 0:
            needed, note = math.nan, f"not reached at the largest size studied ({sizes[-1]:.0f} a wave)"
        elif hit[0] == 0:
            needed, note = sizes[0], f"at most the smallest grid size ({sizes[0]:.0f} a wave)"
        else:
            i = hit[0]
            x0, x1, y0, y1 = sizes[i - 1], sizes[i], rates[i - 1], rates[i]
            needed = x0 + (power - y0) * (x1 - x0) / (y1 - y0)
            note = f"interpolated between {x0:.0f} and {x1:.0f} a wave"
        rows.append({"test": test, "scenario": scenario, "effect": effect, "power": power,
                     "respondents_per_wave": needed, "replicates": int(curve["replicates"].min()), "note": note})
    return pd.DataFrame(rows, columns=["test", "scenario", "effect", "power", "respondents_per_wave", "replicates",
                                       "note"])


def power_figure(table, *, alpha: float = 0.05, power: float = 0.8):
    """Rejection rate against respondents per wave: one line per test x effect (power), grey
    dashed lines for the nulls (size), a labelled line at the nominal size."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5), layout="constrained")
    for (test, scenario, effect), curve in table.groupby(["test", "scenario", "effect"], sort=False, dropna=False):
        curve = curve.sort_values("respondents_per_wave")
        x, y = curve["respondents_per_wave"], curve["rate"]
        err = [y - curve["low"], curve["high"] - y]
        if SCENARIOS[scenario][3] != "null":
            what = f"'{scenario}'" if scenario not in EFFECT_SCENARIOS else \
                f"delta = {effect:g} logit/wave" if test == "widening" else f"minority {effect:.0%}"
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=f"{TEST_LABELS[test]}: {what}")
        else:
            ax.errorbar(x, y, yerr=err, marker=".", capsize=2, color="0.6", linestyle="--", linewidth=0.8,
                        label=f"{TEST_LABELS[test]}: null '{scenario}'")
    ax.axhline(alpha, color="firebrick", linewidth=1)
    ax.annotate(f"nominal size {alpha:g}", xy=(1.0, alpha), xycoords=("axes fraction", "data"), xytext=(-4, 3),
                textcoords="offset points", ha="right", va="bottom", color="firebrick", fontsize=9)
    ax.axhline(power, color="0.3", linewidth=0.8, linestyle=":")
    ax.annotate(f"{power:.0%} power", xy=(0.0, power), xycoords=("axes fraction", "data"), xytext=(4, 3),
                textcoords="offset points", ha="left", va="bottom", color="0.3", fontsize=9)
    ax.set_xscale("log", base=2)
    sizes = sorted(table["respondents_per_wave"].unique())
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("respondents per wave (four waves)")
    ax.set_ylabel("rejection rate (p < alpha), Wilson 95 % interval")
    ax.set_title("Size and power of the headline microdata tests (SYNTHETIC DATA)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def alternative_words(test: str, scenario: str, effect: float | None) -> str:
    """What a power cell plants, in words: its scenario, or the size of the planted effect."""
    if scenario not in EFFECT_SCENARIOS:
        return f"'{scenario}'"
    if test == "widening":
        return f"a change of {effect:g} logit per wave"
    return f"two groups with a {effect:.0%} minority"


def summary(table, needed, *, survey=(300, 450), alpha: float = 0.05, full_replicates: int = 200) -> str:
    """The plain-words summary. A smoke run (fewer than ``full_replicates`` replicates in a cell)
    is labelled as one and states no conclusion."""
    if table.empty:
        return "No cell of the method study is available."
    fewest = int(table["replicates"].min())
    if fewest < full_replicates:
        return (f"SMOKE RUN: {fewest} replicate(s) in the smallest cell, fewer than the {full_replicates} a cell of "
                "a full study. It shows that the machinery runs; its rates are too uncertain to say anything "
                "about the size or power of either test, and none is stated here.")
    lines = []
    for effect, curve in table[(table["scenario"] == "widening")].groupby("effect"):
        near = curve[(curve["respondents_per_wave"] >= survey[0] * 0.66)
                     & (curve["respondents_per_wave"] <= survey[1] * 1.34)]
        if near.empty:
            continue
        row = near.iloc[(near["respondents_per_wave"] - sum(survey) / 2).abs().argmin()]
        lines.append(f"At the survey's size (~{survey[0]}-{survey[1]} a wave) the widening test detects a change "
                     f"of {effect:g} logit per wave with probability {row['rate']:.2f} (95 % interval "
                     f"{row['low']:.2f}-{row['high']:.2f}; {int(row['respondents_per_wave'])} a wave, "
                     f"{int(row['replicates'])} replicates).")
    for test, nulls in table[table["role"] == "null"].groupby("test", sort=False):
        worst = nulls.loc[nulls["rate"].idxmax()]
        names = ", ".join(f"'{s}'" for s in dict.fromkeys(nulls["scenario"]))
        lines.append(f"Over the {len(nulls)} null cell(s) of the {TEST_LABELS[test]} in this table ({names}), the "
                     f"largest rejection rate is {worst['rate']:.3f} ('{worst['scenario']}', "
                     f"{int(worst['respondents_per_wave'])} a wave, "
                     f"{int(worst['replicates'])} replicates; 95 % interval {worst['low']:.3f}-{worst['high']:.3f}) "
                     f"against a nominal size of {alpha:g}.")
    for row in table[table["role"] == "not two groups"].itertuples():
        lines.append(f"With three planted classes, 'two groups' was supported in {row.rejections} of {row.replicates} "
                     f"data sets at {row.respondents_per_wave} a wave (rate {row.rate:.2f}).")
    for row in needed.itertuples():
        what = alternative_words(row.test, row.scenario, row.effect)
        if math.isnan(row.respondents_per_wave):
            largest = table.loc[table["test"] == row.test, "respondents_per_wave"].max()
            lines.append(f"Against {what}, the {TEST_LABELS[row.test]} does not reach 80 % power at the sizes "
                         f"studied (up to {largest:.0f} a wave).")
        else:
            lines.append(f"For 80 % power against {what}, the {TEST_LABELS[row.test]} needs about "
                         f"{row.respondents_per_wave:.0f} respondents per wave ({row.note}).")
    verdicts = table[(table["role"] == "power") & table["supported"].notna()]
    for (test, scenario, effect), curve in verdicts.groupby(["test", "scenario", "effect"], sort=False, dropna=False):
        what = alternative_words(test, scenario, effect)
        counts = "; ".join(f"{row.supported} of {row.replicates} at {row.respondents_per_wave} a wave"
                           for row in curve.sort_values("respondents_per_wave").itertuples())
        lines.append(f"Against {what}, the full verdict of the {TEST_LABELS[test]}, 'supported' (p < {alpha:g}, groups "
                     "fitting better than the continuum, at most two groups and a small advanced minority) was "
                     f"reached in {counts}. It needs p < {alpha:g} and more, so the respondents needed for 80 % "
                     "above, read off p < alpha, are a lower bound for the verdict.")
    return "\n".join(lines)
