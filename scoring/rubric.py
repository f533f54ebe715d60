"""Turning metric values into a 0-100 score, pass/fail, and strengths and weaknesses; and
checking that a scenario's rubric names only metrics the scorer has."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.scored import CriterionResult, HardFailResult
from scoring.verdicts import EXPERT_LEVEL, NEEDS_WORK, NO_MARKS, fmt, fraction, never_exercised
from simulator.errors import InputError
from simulator.scenario import Rubric, Scenario

TOP_N = 3


@dataclass(frozen=True)
class RubricResult:
    score: float
    passed: bool
    hard_fails: tuple[HardFailResult, ...]
    criteria: tuple[CriterionResult, ...]
    strengths: tuple[str, ...] = ()
    weaknesses: tuple[str, ...] = ()


def rubric_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """``[(field, message)]`` for each rubric entry naming a metric the scorer lacks."""
    from scoring.metrics import METRICS

    problems = []
    for kind, items in (("criteria", scenario.rubric.criteria),
                        ("hard_fails", scenario.rubric.hard_fails)):
        for n, item in enumerate(items):
            if item.metric.split(".")[0] not in METRICS:
                problems.append((f"rubric.{kind}.{n}.metric", f"unknown metric "
                                 f"{item.metric!r}; valid: {', '.join(sorted(METRICS))}"))
    return problems


def check_rubric(scenario: Scenario) -> None:
    """Raise ``InputError`` for the first rubric entry naming an unknown metric."""
    problems = rubric_problems(scenario)
    if problems:
        field, message = problems[0]
        raise InputError(f"{message} (scenario {scenario.id!r}; 'jointsim validate' checks "
                         "a scenario file)", field=field)


def evaluate(rubric: Rubric, values: dict, labels: dict, units: dict,
             steps: dict) -> RubricResult:
    """Score metric ``values`` (key -> number or None) with ``rubric``."""
    hard = []
    for rule in rubric.hard_fails:
        value = values.get(rule.metric)
        if value is None:  # never measured: a minimum not reached, but not for the rule's reason
            if rule.min is not None:
                label = labels.get(rule.metric, rule.metric.replace("_", " "))
                hard.append(HardFailResult(rule.metric, None, f"Not done: {label.lower()}"))
            continue
        if (rule.max is not None and value > rule.max) or (
                rule.min is not None and value < rule.min):
            hard.append(HardFailResult(rule.metric, value, rule.reason))
    total_weight = sum(c.weight for c in rubric.criteria)
    points = [100.0 * fraction(values.get(c.metric), c.best, c.worst) * c.weight / total_weight
              for c in rubric.criteria]
    criteria = tuple(
        CriterionResult(c.metric, labels.get(c.metric, c.metric), values.get(c.metric),
                        units.get(c.metric, ""), c.best, c.worst, c.weight, round(p, 2),
                        steps.get(c.metric.split(".")[0], ""))
        for c, p in zip(rubric.criteria, points, strict=True))
    score = round(sum(points), 1)
    return RubricResult(score, not hard and score >= rubric.pass_score, tuple(hard), criteria,
                        _strengths(criteria),
                        tuple(f"Hard fail: {h.reason}" for h in hard) + _weaknesses(criteria))


def _strengths(criteria) -> tuple[str, ...]:
    good = sorted((c for c in criteria if c.fraction >= EXPERT_LEVEL and c.value is not None
                   and not never_exercised(c.value, c.unit)),
                  key=lambda c: -c.weight * c.fraction)
    # "at expert level" only for values at or better than the benchmark itself
    return tuple(f"{c.label}: {fmt(c.value, c.unit)}, "
                 f"{'at' if c.fraction >= 1.0 else 'close to'} expert level "
                 f"(benchmark {fmt(c.best, c.unit)})" for c in good[:TOP_N])


def _weaknesses(criteria) -> tuple[str, ...]:
    poor = sorted((c for c in criteria if c.fraction < NEEDS_WORK),
                  key=lambda c: -c.weight * (1.0 - c.fraction))
    return tuple(f"{c.label}: {fmt(c.value, c.unit)}, {_shortfall(c)}; aim for "
                 f"{fmt(c.best, c.unit)}" for c in poor[:TOP_N])


def _shortfall(c: CriterionResult) -> str:
    """How far below the benchmark: no marks (at or past the value that earns none; not a
    fail: a hard-fail rule says what fails), or needing work."""
    if c.fraction <= 0.0:
        beyond = "more" if c.worst > c.best else "less"
        return f"{NO_MARKS} ({fmt(c.worst, c.unit)} or {beyond} earns none)"
    return "needs work"
