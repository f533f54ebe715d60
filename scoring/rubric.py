"""Turning metric values into a 0-100 score, pass/fail, and strengths and weaknesses."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from simulator.scenario import Rubric

TOP_N = 3
# Share of a criterion's marks at which it counts as a strength / below which a weakness.
EXPERT_LEVEL, NEEDS_WORK = 0.8, 0.5


@dataclass
class CriterionResult:
    metric: str
    label: str
    value: float | None
    unit: str
    best: float
    worst: float
    weight: float
    fraction: float
    points: float
    step: str


@dataclass
class HardFailResult:
    metric: str
    value: float | None
    reason: str


@dataclass
class RubricResult:
    score: float
    passed: bool
    hard_fails: list[HardFailResult]
    criteria: list[CriterionResult]
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def fraction(value: float | None, best: float, worst: float) -> float:
    """Marks earned, 0..1: 1 at ``best`` or better, 0 at ``worst`` or worse, linear between."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    return float(min(1.0, max(0.0, (value - worst) / (best - worst))))


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit, for people."""
    if value is None:
        return "not reached"
    if unit == "yes/no":
        return "yes" if value >= 0.5 else "no"
    if unit == "fraction":
        return f"{100 * value:.0f}%"
    if unit == "count":
        return f"{value:.0f}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def evaluate(rubric: Rubric, values: dict, labels: dict, units: dict,
             steps: dict) -> RubricResult:
    """Score metric ``values`` (key -> number or None) with ``rubric``."""
    hard = []
    for rule in rubric.hard_fails:
        value = values.get(rule.metric)
        if value is None:
            failed = rule.min is not None
        else:
            failed = (rule.max is not None and value > rule.max) or (
                rule.min is not None and value < rule.min)
        if failed:
            hard.append(HardFailResult(rule.metric, value, rule.reason))
    criteria = []
    total_weight = sum(c.weight for c in rubric.criteria)
    for c in rubric.criteria:
        value = values.get(c.metric)
        frac = fraction(value, c.best, c.worst)
        base = c.metric.split(".")[0]
        criteria.append(CriterionResult(c.metric, labels.get(c.metric, c.metric), value,
                                        units.get(c.metric, ""), c.best, c.worst, c.weight, frac,
                                        100.0 * frac * c.weight / total_weight,
                                        steps.get(base, "")))
    score = round(sum(r.points for r in criteria), 1)
    result = RubricResult(score, not hard and score >= rubric.pass_score, hard, criteria)
    result.strengths = _strengths(criteria)
    result.weaknesses = [f"Hard fail: {h.reason}" for h in hard] + _weaknesses(criteria)
    return result


def _strengths(criteria: list[CriterionResult]) -> list[str]:
    good = sorted((c for c in criteria if c.fraction >= EXPERT_LEVEL and c.value is not None),
                  key=lambda c: -c.weight * c.fraction)
    # "at expert level" only for values at or better than the benchmark itself
    return [f"{c.label}: {fmt(c.value, c.unit)}, "
            f"{'at' if c.fraction >= 1.0 else 'close to'} expert level "
            f"(benchmark {fmt(c.best, c.unit)})" for c in good[:TOP_N]]


def _weaknesses(criteria: list[CriterionResult]) -> list[str]:
    poor = sorted((c for c in criteria if c.fraction < NEEDS_WORK),
                  key=lambda c: -c.weight * (1.0 - c.fraction))
    return [f"{c.label}: {fmt(c.value, c.unit)}, {_shortfall(c)}; aim for {fmt(c.best, c.unit)}"
            for c in poor[:TOP_N]]


def _shortfall(c: CriterionResult) -> str:
    """How far below the benchmark: past the unacceptable line, or needing work."""
    if c.fraction <= 0.0:
        return f"unacceptable (the limit is {fmt(c.worst, c.unit)})"
    return "needs work"
