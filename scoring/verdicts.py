"""How a metric's value reads for people: the share of a criterion's marks it earns, its
verdict and its value with the unit."""

from __future__ import annotations

import math

# Share of a criterion's marks at which it counts as a strength / below which a weakness.
EXPERT_LEVEL, NEEDS_WORK = 0.8, 0.5
NOT_SCORED = "not scored"   # the verdict of a metric the rubric does not score
HARD_FAIL = "hard fail"
# No marks, but no hard fail either: the attempt may still pass, so the word is not
# "unacceptable" (the issue 11 play-test read "unacceptable" beside a PASS).
NO_MARKS = "no marks"
NOT_MEASURED = "not measured"


def fraction(value: float | None, best: float, worst: float) -> float:
    """Marks earned, 0..1: 1 at ``best`` or better, 0 at ``worst`` or worse, linear between."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    return float(min(1.0, max(0.0, (value - worst) / (best - worst))))


def verdict(share: float | None, hard_fail: bool = False) -> str:
    """A metric's verdict from its criterion's ``share`` of marks (``None``: the rubric does
    not score it), in the words the reports' scoring note explains."""
    if hard_fail:
        return HARD_FAIL
    if share is None:
        return NOT_SCORED
    if share >= 1.0:
        return "at expert level"
    if share >= EXPERT_LEVEL:
        return "close to expert level"
    if share >= NEEDS_WORK:
        return "acceptable"
    return "needs work" if share > 0.0 else NO_MARKS


def never_exercised(value: float | None, unit: str) -> bool:
    """A time of exactly zero: what it times never happened (no live fluoroscopy, say), so
    the value says nothing of skill and earns no praise."""
    return unit == "s" and value == 0.0


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
