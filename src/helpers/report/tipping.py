"""How much an unknown base matters: the tipping base of a claim on published figures.

Item bases are never published, so every count out of a published share assumes that every
respondent answered the item. The tipping base asks how far that assumption can fail before
the verdict changes: the same test is run again with every base scaled down to a share ``s``
of its survey total, the published shares held fixed (counts rounded to whole respondents),
and the tipping base is the smallest ``s`` at which the verdict is still the one recorded.

The rule under the BH adjustment: at each smaller base the claim's own p-value is put back
into its family, with every other claim's p-value held at its full-base value, and the verdict
rule of :mod:`helpers.report.claims` is applied to the adjusted p-value (and, for a claim
judged by its interval, to the interval at that base). The other claims are held fixed because
the question is about this claim's unknown base; shrinking all bases at once would answer
another question. A BH-adjusted p-value never falls when one p-value rises, and for fixed
shares a test's p-value rises as its base falls, so the verdict changes once along the base;
the boundary is found by bisection on whole numbers of respondents (the largest base of the
test: ``n`` of ``N``): the verdict holds at ``n`` and not at ``n - 1``. Counts are whole
respondents (the share times the base, rounded), so near the boundary the p-value can step
back and forth by one respondent's rounding; the boundary found lies inside that zone of a
few respondents, and the tests compare it with a full scan.

A verdict that holds only above :data:`FRAGILE_ABOVE` of the survey total is marked fragile.
"""

from __future__ import annotations

import importlib
import json
import math

from helpers.stats.bands import BandResult

#: A verdict that flips when fewer than this share of the survey total answered is fragile.
FRAGILE_ABOVE = 0.9

#: Arguments of the stats functions holding counts, and the base each count is out of (``nobs`` when a
#: call has only that one, as a paired test of two counts has).
COUNT_BASES = {"count": "nobs", "count1": "nobs1", "count2": "nobs2", "counts": "nobs", "overlap": "nobs"}
BASES = ("nobs", "nobs1", "nobs2")

#: Only functions of these packages are re-run from a recipe.
TRUSTED_PREFIX = "helpers.stats."


def _plain(value):
    """A JSON value for an argument of a stats call, or raise TypeError."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return value
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # a numpy scalar
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot record {type(value).__name__}")


def recipe(band: BandResult) -> str:
    """How to run a band's test again (JSON: the function and every call); empty if it cannot be recorded."""
    fn = band.fn
    if fn is None or not fn.__module__.startswith(TRUSTED_PREFIX):
        return ""
    if not any(name in call for call, _ in band.results for name in BASES):
        return ""
    try:
        calls = [{k: _plain(v) for k, v in call.items()} for call, _ in band.results]
    except TypeError:
        return ""
    return json.dumps({"fn": f"{fn.__module__}:{fn.__qualname__}", "calls": calls, "figures": list(band.figures)},
                      sort_keys=True)


def largest_base(calls: list[dict]) -> int:
    """The largest base among a recipe's calls: the grid the tipping base is counted on."""
    bases = []
    for call in calls:
        for name in BASES:
            value = call.get(name)
            if value is not None:
                bases += value if isinstance(value, list) else [value]
    return int(max(bases))


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def scaled_call(call: dict, n: int, largest: int) -> dict:
    """One call with every base scaled by ``n / largest`` and every count kept at its share of its base."""
    out = dict(call)
    factor = n / largest
    for name in BASES:
        if name in call:
            value = call[name]
            out[name] = ([max(1, _round(v * factor)) for v in value] if isinstance(value, list)
                         else max(1, _round(value * factor)))
    for name, base in COUNT_BASES.items():
        base = base if base in call else "nobs"  # paired tests: two counts out of one base
        if name not in call or base not in call:
            continue
        old, new = call[base], out[base]
        if isinstance(call[name], list):
            out[name] = [min(nb, _round(c * nb / ob)) for c, nb, ob in zip(call[name], new, old, strict=True)]
        else:
            out[name] = min(new, _round(call[name] * new / old))
    if "overlap" in out and {"count1", "count2", "nobs"} <= set(out):  # keep the overlap within its Frechet bounds
        low, high = max(0, out["count1"] + out["count2"] - out["nobs"]), min(out["count1"], out["count2"])
        out["overlap"] = min(max(out["overlap"], low), high)
    return out


def load_function(name: str):
    """The stats function a recipe names (only from helpers.stats)."""
    module, _, qualname = name.partition(":")
    if not module.startswith(TRUSTED_PREFIX):
        raise ValueError(f"a recipe may only re-run functions of helpers.stats, not {name!r}")
    return getattr(importlib.import_module(module), qualname)


def rerun_at(recipe_json: str, n: int) -> BandResult:
    """The recipe's test at every band end again, its largest base scaled to ``n`` respondents."""
    spec = json.loads(recipe_json)
    fn = load_function(spec["fn"])
    largest = largest_base(spec["calls"])
    results = []
    for call in spec["calls"]:
        scaled = scaled_call(call, n, largest)
        results.append((scaled, fn(**scaled)))
    return BandResult(results, fn=fn)


def smallest_holding(holds, largest: int) -> int | None:
    """The smallest whole base n in 1..largest at which ``holds(n)`` is true, by bisection.

    Assumes ``holds`` changes at most once along n (false below a boundary, true from it on);
    None when it does not hold even at ``largest``. Exact for such a function: the answer
    holds, and the base one below it does not.
    """
    if not holds(largest):
        return None
    if holds(1):
        return 1
    low, high = 1, largest  # holds(low) is false, holds(high) true
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def tipping_note(verdict: str, n: int | None, largest: int) -> str:
    """The tipping base in words: 'holds down to 35 % answering (n = 158 of 450)'; fragile above 90 %."""
    if n is None:
        return "the test could not be reproduced at the full base"
    share = n / largest
    where = f"n = {n} of {largest}"
    if n == 1:
        return f"{verdict} at every base down to one respondent ({where})"
    if share > FRAGILE_ABOVE:
        return f"fragile: {verdict} only down to {100 * share:.0f} % answering ({where})"
    return f"{verdict}: holds down to {100 * share:.0f} % answering ({where})"
