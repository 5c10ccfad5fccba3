"""The generator's probability models: the class model of a class scenario (shares and class
probabilities per wave, solved against the published figures) and the continuum's 2PL parameters."""

from __future__ import annotations

import numpy as np

from helpers.data.synthetic.scenarios import (
    ADVANCED_ITEMS,
    CONTINUUM_DISCRIMINATION,
    FIRST_WAVE,
    LAST_WAVE,
    PROFILES,
    SCENARIOS,
)
from helpers.data.synthetic.targets import CALIBRATIONS, figure_value
from helpers.errors import ParameterError


def minority_p(item: str, wave: int, trajectory: str) -> float:
    _, start, end = PROFILES[item]
    if trajectory == "rising":
        return start + (end - start) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
    if trajectory == "falling":
        return end + (start - end) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
    return (start + end) / 2


def expit(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def _check_share(share) -> float | tuple[float, float]:
    if isinstance(share, (tuple, list)):
        if len(share) != 2:
            raise ParameterError(f"minority_share must be a share or a pair (2016 share, 2019 share), not {share!r}")
        first, last = (float(_check_share(x)) for x in share)  # type: ignore[arg-type]  # each is a scalar share
        return first if first == last else (first, last)
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)):
        raise ParameterError(f"minority_share must be a number, not {share!r}")
    share = float(share)
    if not 0 < share < 0.5:
        raise ParameterError(f"minority_share must lie strictly between 0 and 0.5, not {share}")
    return share


def _share_text(share) -> str:
    return f"{share[0]:g} to {share[1]:g}" if isinstance(share, tuple) else f"{share:g}"


def resolve_classes(scenario, n_groups, minority_share, drift_logit):
    """(groups, share, drift, label overrides) of a class scenario, validated."""
    spec = SCENARIOS[scenario]
    groups = spec["n_groups"] if n_groups is None else n_groups
    if groups not in (1, 2):
        raise ParameterError(f"n_groups must be 1 or 2, not {groups!r}")
    if groups == 1:
        if minority_share not in (None, 0, 0.0):
            raise ParameterError(f"minority_share={minority_share} contradicts a single group (n_groups=1)")
        share: float | tuple[float, float] = 0.0
    elif minority_share is not None:
        share = _check_share(minority_share)
    else:   # a one-group scenario asked for two groups: the documented default minority share
        share = _check_share(spec["minority_share"] or SCENARIOS["widening"]["minority_share"])
    drift = spec["drift_logit"] if drift_logit is None else drift_logit
    if isinstance(drift, bool) or not isinstance(drift, (int, float, np.integer, np.floating)) \
            or not -10 <= float(drift) <= 10:
        raise ParameterError(f"drift_logit must be a number between -10 and 10, not {drift!r}")
    drift = float(drift)
    overrides = []
    if n_groups is not None and n_groups != spec["n_groups"]:
        overrides.append(f"{groups} group(s)")
    if minority_share is not None:
        overrides.append(f"minority share {_share_text(share)}")
    if drift_logit is not None and drift != spec["drift_logit"]:
        overrides.append(f"drift {drift:+g} logit")
    return groups, share, drift, overrides


_NOT_BINARY = ("respondent_id", "wave", "country", "region", "crypto_frequency", "workload_change")


def binary_items(cb) -> list[str]:
    return [c for c in cb.microdata_columns() if c not in _NOT_BINARY]


class ClassPlan:
    """The class model of one scenario: shares and class probabilities per wave."""

    def __init__(self, groups, share, trajectory, drift, figures, widening=None):
        self.groups, self._share, self.trajectory, self.drift = groups, share, trajectory, drift
        self.widening = None if widening is None else float(widening)
        self.figures = figures
        self.solved = _solved_majority(figures, self)

    def share(self, wave: int) -> float:
        if isinstance(self._share, tuple):
            a, b = self._share
            return a + (b - a) * (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE)
        return self._share

    def _drifted(self, item: str, wave: int, p: float) -> float:
        if self.drift == 0 or item not in ADVANCED_ITEMS:
            return p
        t = (wave - FIRST_WAVE) / (LAST_WAVE - FIRST_WAVE) - 0.5
        return float(expit(np.log(p / (1 - p)) + self.drift * t))

    def p_min(self, item: str, wave: int) -> float:
        if self.widening is not None and item in ADVANCED_ITEMS:   # a straight line on the logit scale
            mid = minority_p(item, wave, "flat")
            centre = (FIRST_WAVE + LAST_WAVE) / 2
            p = float(expit(np.log(mid / (1 - mid)) + self.widening * (wave - centre)))
            return self._drifted(item, wave, p)
        return self._drifted(item, wave, minority_p(item, wave, self.trajectory))

    def p_maj(self, item: str, wave: int) -> float:
        """The majority's probability where no published figure of this wave pins the marginal."""
        return self._drifted(item, wave, self.solved.get(item, PROFILES[item][0]))

    def expected(self, wave: int, cb, log: list) -> dict[str, tuple[float, float]]:
        """item -> (minority p, majority p) of every binary answer asked in ``wave``; where a
        published figure exists the majority's p is solved from marginal = pi p_min + (1 - pi)
        p_maj (clipped to [0, 1], the minority's p then absorbing the rest; logged)."""
        s = self.share(wave)
        cals = {c.column: c for c in CALIBRATIONS if c.wave == wave and c.column not in _NOT_BINARY}
        out = {}
        for item in binary_items(cb):
            if not cb.question(item).asked_in(wave):
                continue
            p_min, p_maj = self.p_min(item, wave), self.p_maj(item, wave)
            if item in cals:
                cal = cals[item]
                v = figure_value(self.figures, cal.question_id, cal.option, wave)[0] / 100
                v = 1 - v if cal.codes == (0,) else v
                p_maj = (v - s * p_min) / (1 - s)
                clipped = not 0 <= p_maj <= 1
                if clipped:
                    p_maj = min(max(p_maj, 0.0), 1.0)
                    p_min = min(max((v - (1 - s) * p_maj) / s, 0.0), 1.0)
                log.append({"column": item, "wave": wave, "expected_share": v, "codes": [1],
                            "minority_p": round(p_min, 4), "majority_p": round(p_maj, 4), "clipped": clipped})
            out[item] = (p_min, p_maj)
        return out


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(81)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _marginal_2pl(a: float, b: float) -> float:
    return float(np.sum(_GH_WEIGHTS * expit(a * (_GH_NODES - b))))


def solve_continuum(figures, waves) -> dict[tuple[str, int], tuple[float, float, float]]:
    """(item, wave) -> (discrimination, difficulty, marginal): difficulty solved (bisection) so
    that the marginal under theta ~ N(0, 1) is the stable scenario's expected marginal."""
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    plan = ClassPlan(2, SCENARIOS["stable"]["minority_share"], "flat", 0.0, figures)
    out = {}
    for w in waves:
        s = plan.share(w)
        for item, (p_min, p_maj) in plan.expected(w, cb, []).items():
            target = s * p_min + (1 - s) * p_maj
            a = CONTINUUM_DISCRIMINATION[item]
            lo, hi = -30.0, 30.0
            for _ in range(80):   # the marginal falls as the difficulty rises
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if _marginal_2pl(a, mid) > target else (lo, mid)
            b = (lo + hi) / 2
            out[(item, w)] = (a, b, target)
    return out


def mixture_quantile(q: float, m: float, bonus: float) -> float:
    """t with P(score <= t) = q, score = U(0, 1) + bonus with probability m."""
    lo, hi = 0.0, 1.0 + bonus
    for _ in range(60):
        t = (lo + hi) / 2
        cdf = (1 - m) * min(max(t, 0.0), 1.0) + m * min(max(t - bonus, 0.0), 1.0)
        lo, hi = (t, hi) if cdf < q else (lo, t)
    return (lo + hi) / 2


def _solved_majority(figures, plan) -> dict[str, float]:
    """Majority probability of each mainstream item solved from its one published figure."""
    out = {}
    for cal in CALIBRATIONS:
        if not cal.column.startswith("tech_"):
            continue
        value = figure_value(figures, cal.question_id, cal.option, cal.wave)[0] / 100
        share = plan.share(cal.wave)
        p_min = minority_p(cal.column, cal.wave, plan.trajectory)
        p_maj = (value - share * p_min) / (1 - share)
        out[cal.column] = float(min(max(p_maj, 0.0), 1.0))
    return out


