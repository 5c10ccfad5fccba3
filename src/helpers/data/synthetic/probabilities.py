"""The generator's probability models: the class model of a class scenario (shares and class
probabilities per wave, solved against the published figures) and the continuum's 2PL parameters."""

from __future__ import annotations

import numpy as np

from helpers.data.synthetic.scenarios import (
    ADVANCED_ITEMS,
    CONTINUUM_DISCRIMINATION,
    FIRST_WAVE,
    LAST_WAVE,
    MIDDLE_PROFILE,
    MIDDLE_SHARE,
    PROFILES,
    SCENARIOS,
)
from helpers.data.synthetic.targets import CALIBRATIONS, figure_value, figures_digest
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
    if groups == 3 and spec["n_groups"] == 3:
        return 3, _check_share(spec["minority_share"] if minority_share is None else minority_share), \
            _check_drift(spec["drift_logit"] if drift_logit is None else drift_logit), \
            ([f"minority share {minority_share:g}"] if minority_share is not None else [])
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
    drift = _check_drift(spec["drift_logit"] if drift_logit is None else drift_logit)
    overrides = []
    if n_groups is not None and n_groups != spec["n_groups"]:
        overrides.append(f"{groups} group(s)")
    if minority_share is not None:
        overrides.append(f"minority share {_share_text(share)}")
    if drift_logit is not None and drift != spec["drift_logit"]:
        overrides.append(f"drift {drift:+g} logit")
    return groups, share, drift, overrides


def _check_drift(drift) -> float:
    if isinstance(drift, bool) or not isinstance(drift, (int, float, np.integer, np.floating)) \
            or not -10 <= float(drift) <= 10:
        raise ParameterError(f"drift_logit must be a number between -10 and 10, not {drift!r}")
    return float(drift)


_NOT_BINARY = ("respondent_id", "wave", "country", "region", "crypto_frequency", "workload_change")


def binary_items(cb) -> list[str]:
    return [c for c in cb.microdata_columns() if c not in _NOT_BINARY]


class ClassPlan:
    """The class model of one scenario: shares and class probabilities per wave (classes 0
    majority, 1 advanced minority and, with three groups, 2 the middle class)."""

    def __init__(self, groups, share, trajectory, drift, figures, widening=None):
        self.groups, self._share, self.trajectory, self.drift = groups, share, trajectory, drift
        self.widening = None if widening is None else float(widening)
        self.middle = MIDDLE_SHARE if groups == 3 else 0.0
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

    def p_mid(self, item: str, wave: int) -> float:
        """The middle class's probability (three groups only)."""
        return self._drifted(item, wave, MIDDLE_PROFILE[item])

    def _solve(self, v: float, s: float, p_min: float, p_mid: float) -> tuple[float, float, bool]:
        """(p_min, p_maj, clipped) with marginal v = s p_min + m p_mid + (1 - s - m) p_maj (m = the
        middle class's share, 0 without one)."""
        rest = 1 - s - self.middle
        p_maj = (v - s * p_min - self.middle * p_mid) / rest
        clipped = not 0 <= p_maj <= 1
        if clipped:
            p_maj = min(max(p_maj, 0.0), 1.0)
            p_min = min(max((v - rest * p_maj - self.middle * p_mid) / s, 0.0), 1.0)
        return p_min, p_maj, clipped

    def expected(self, wave: int, cb, log: list) -> dict[str, tuple[float, ...]]:
        """item -> (minority p, majority p) of every binary answer asked in ``wave`` (three groups:
        (minority p, majority p, middle p)); where a published figure exists the majority's p is
        solved from marginal = pi p_min + (1 - pi) p_maj (three groups: the middle class's term
        too; clipped to [0, 1], the minority's p then absorbing the rest; logged)."""
        s = self.share(wave)
        cals = {c.column: c for c in CALIBRATIONS if c.wave == wave and c.column not in _NOT_BINARY}
        out: dict[str, tuple[float, ...]] = {}
        for item in binary_items(cb):
            if not cb.question(item).asked_in(wave):
                continue
            p_min, p_maj = self.p_min(item, wave), self.p_maj(item, wave)
            p_mid = self.p_mid(item, wave) if self.groups == 3 else 0.0
            if item in cals:
                cal = cals[item]
                v = figure_value(self.figures, cal.question_id, cal.option, wave)[0] / 100
                v = 1 - v if cal.codes == (0,) else v
                p_min, p_maj, clipped = self._solve(v, s, p_min, p_mid)
                record = {"column": item, "wave": wave, "expected_share": v, "codes": [1],
                          "minority_p": round(p_min, 4), "majority_p": round(p_maj, 4), "clipped": clipped}
                if self.groups == 3:
                    record["middle_p"] = round(p_mid, 4)
                log.append(record)
            out[item] = (p_min, p_maj, p_mid) if self.groups == 3 else (p_min, p_maj)
        return out


_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(81)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def trait_quadrature(trait_shape: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the continuum's trait: N(0, 1) (Gauss-Hermite), or a gamma variable of
    shape ``trait_shape`` standardised to mean 0 and variance 1 (generalised Gauss-Laguerre)."""
    if trait_shape is None:
        return _GH_NODES, _GH_WEIGHTS
    from scipy.special import roots_genlaguerre

    nodes, weights = roots_genlaguerre(60, float(trait_shape) - 1)
    weights = weights / weights.sum()
    return (nodes - trait_shape) / np.sqrt(trait_shape), weights


def draw_trait(rng, n: int, trait_shape: float | None = None) -> np.ndarray:
    """n draws of the continuum's trait (see :func:`trait_quadrature`)."""
    if trait_shape is None:
        return rng.standard_normal(n)
    return (rng.standard_gamma(float(trait_shape), n) - trait_shape) / np.sqrt(trait_shape)


def _marginal_2pl(a: float, b: float, nodes, weights) -> float:
    return float(np.sum(weights * expit(a * (nodes - b))))


#: solved continua per (figures content, waves, trait shape): the bisection is the slow part of a call
_CONTINUUM_SOLUTIONS: dict = {}


def solve_continuum(figures, waves, trait_shape: float | None = None) -> dict[tuple[str, int], tuple]:
    """(item, wave) -> (discrimination, difficulty, marginal): difficulty solved (bisection) so
    that the marginal under the trait (N(0, 1), or the standardised gamma of ``trait_shape``) is
    the stable scenario's expected marginal."""
    from helpers.data.codebook import load_codebook

    memo = (figures_digest(figures), tuple(waves), trait_shape)
    if memo in _CONTINUUM_SOLUTIONS:
        return dict(_CONTINUUM_SOLUTIONS[memo])
    nodes, weights = trait_quadrature(trait_shape)
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
                lo, hi = (mid, hi) if _marginal_2pl(a, mid, nodes, weights) > target else (lo, mid)
            b = (lo + hi) / 2
            out[(item, w)] = (a, b, target)
    _CONTINUUM_SOLUTIONS[memo] = dict(out)
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
        if plan.middle:
            p_maj = (value - share * p_min - plan.middle * MIDDLE_PROFILE[cal.column]) / (1 - share - plan.middle)
        else:
            p_maj = (value - share * p_min) / (1 - share)
        out[cal.column] = float(min(max(p_maj, 0.0), 1.0))
    return out


