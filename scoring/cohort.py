"""Cohort statistics: attempts per trainee, CUSUM learning curves, contrasting groups.

CUSUM (Bolsin & Colson 1998; de Oliveira Filho 2002 learning-curve form). Each attempt is a
success or a failure on a chosen criterion. With an acceptable failure rate ``p0``, an
unacceptable one ``p1``, a type I error ``alpha`` (calling acceptable performance
unacceptable) and a type II error ``beta`` (missing unacceptable performance):

    P = ln(p1 / p0),  Q = ln((1 - p0) / (1 - p1)),  s = Q / (P + Q)
    a = ln((1 - beta) / alpha),  b = ln((1 - alpha) / beta)
    h1 = a / (P + Q)   (upper limit: failure rate is unacceptable)
    h0 = -b / (P + Q)  (lower limit: failure rate is acceptable -> proficient)

The sum starts at 0, adds ``1 - s`` for a failure and subtracts ``s`` for a success. Crossing
``h0`` downward declares proficiency; crossing ``h1`` upward flags unacceptable performance,
after which the sum restarts at 0 (a fresh test), so a trainee who struggled early can still
be shown to become proficient later. A trainee's status is the latest boundary crossed.

Defaults: p0 = 0.10, p1 = 0.30, alpha = 0.10, beta = 0.20. An image-guided hip injection by
a trained operator succeeds in >= 90-97% of cases (clinical.md s.5.1), hence the 10% acceptable
failure rate; 30% is close to the blind-landmark failure rate, the level of performance
image guidance exists to beat. With these values s = 0.186, h0 = -1.11 (six successes in a
row from the start) and h1 = 1.54 (two early failures).

Contrasting groups: for each metric, novices against experts with the two-sided Mann-Whitney
U test; effect size is the rank-biserial correlation r = 2U / (n1 n2) - 1, with U counting
(novice, expert) pairs where the novice's value is higher (r equals Cliff's delta; positive:
novices higher). A metric "separates the groups" when p < 0.05 after Holm's correction and
|r| >= 0.5 (a large effect). The suggested pass mark is the score where normal fits of the
novice and expert score distributions cross (contrasting-groups standard setting).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field

import numpy as np

from simulator.errors import InputError
from simulator.log import ABANDONED, COMPLETED

EXPERT, NOVICE = "expert", "novice"
ALPHA_TEST, LARGE_EFFECT = 0.05, 0.5


# -- success criteria ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    """What counts as a successful attempt: ``passed`` or ``<metric> <op> <number>``."""

    text: str
    metric: str = ""
    op: str = ""
    threshold: float = 0.0

    def success(self, session: dict) -> bool | None:
        """True/False for a session, None when the metric was not measured."""
        if not self.metric:
            return bool(session["passed"])
        value = session["metrics"].get(self.metric)
        if value is None:
            return False if self.metric == "time_to_target_s" else None
        return _OPS[self.op](value, self.threshold)

    def words(self) -> str:
        if not self.metric:
            return "the attempt passed (no hard fail and score at or above the pass mark)"
        return f"{self.metric.replace('_', ' ')} {self.op} {self.threshold:g}"


_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
        "==": operator.eq}
_PATTERN = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*(<=|>=|==|<|>)\s*(-?[0-9.]+)\s*$")


def parse_criterion(text: str) -> Criterion:
    if text.strip() == "passed":
        return Criterion("passed")
    m = _PATTERN.match(text)
    if not m:
        raise InputError(f"CUSUM criterion {text!r} not understood; use 'passed' or "
                         "'<metric> <op> <number>', e.g. 'tip_to_target_mm<=3'",
                         field="--cusum-criterion")
    from scoring.metrics import METRICS

    if m.group(1).split(".")[0] not in METRICS:
        raise InputError(f"unknown metric {m.group(1)!r} in the CUSUM criterion; valid: "
                         f"{', '.join(METRICS)}", field="--cusum-criterion")
    return Criterion(text.strip(), m.group(1), m.group(2), float(m.group(3)))


# -- CUSUM --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CusumDesign:
    p0: float = 0.10
    p1: float = 0.30
    alpha: float = 0.10
    beta: float = 0.20

    def __post_init__(self):
        if not (0.0 < self.p0 < self.p1 < 1.0):
            raise InputError(f"CUSUM needs 0 < p0 < p1 < 1 (got p0={self.p0}, p1={self.p1})",
                             field="--cusum-p0/--cusum-p1")
        if not (0.0 < self.alpha < 0.5 and 0.0 < self.beta < 0.5):
            raise InputError("CUSUM error rates alpha and beta must be between 0 and 0.5",
                             field="--cusum-alpha/--cusum-beta")

    @property
    def _pq(self) -> tuple[float, float]:
        return math.log(self.p1 / self.p0), math.log((1 - self.p0) / (1 - self.p1))

    @property
    def s(self) -> float:
        p, q = self._pq
        return q / (p + q)

    @property
    def h1(self) -> float:
        p, q = self._pq
        return math.log((1 - self.beta) / self.alpha) / (p + q)

    @property
    def h0(self) -> float:
        p, q = self._pq
        return -math.log((1 - self.alpha) / self.beta) / (p + q)


@dataclass
class CusumTrace:
    """CUSUM values after each attempt (before any restart) and the boundary crossings."""

    values: list[float]
    proficient_at: int | None = None    # 1-based attempt where h0 was first crossed
    unacceptable_at: int | None = None  # 1-based attempt of the first h1 alarm
    alarms: list[int] = field(default_factory=list)  # every h1 alarm (the sum restarts)
    proficient: list[int] = field(default_factory=list)  # every h0 crossing
    last_event: tuple[int, str] | None = None

    @property
    def status(self) -> str:
        n = len(self.values)
        if self.last_event is None:
            return "undetermined: more attempts needed"
        at, kind = self.last_event
        if kind == "proficient":
            earlier = [a for a in self.alarms if a < at]
            return f"proficient at attempt {at}" + (
                f" (after an alarm at attempt {earlier[0]})" if earlier else "")
        since = n - at
        return f"unacceptable failure rate at attempt {at}" + (
            f"; {since} attempt{'s' if since > 1 else ''} since, not yet proficient"
            if since else "")

    def plot_points(self) -> tuple[list[int], list[float]]:
        """x (attempt) and y for drawing, with the drop to 0 after each alarm."""
        xs, ys = [0], [0.0]
        for n, v in enumerate(self.values, start=1):
            xs.append(n)
            ys.append(v)
            if n in self.alarms:
                xs.append(n)
                ys.append(0.0)
        return xs, ys


def cusum(outcomes: list[bool], design: CusumDesign) -> CusumTrace:
    """CUSUM of successes/failures, in attempt order (restarting after each alarm)."""
    total, values = 0.0, []
    trace = CusumTrace(values)
    for n, ok in enumerate(outcomes, start=1):
        total += -design.s if ok else 1.0 - design.s
        values.append(total)
        if total <= design.h0 and (trace.last_event is None
                                   or trace.last_event[1] != "proficient"):
            trace.proficient_at = trace.proficient_at or n
            trace.proficient.append(n)
            trace.last_event = (n, "proficient")
        if total >= design.h1:
            trace.unacceptable_at = trace.unacceptable_at or n
            trace.alarms.append(n)
            trace.last_event = (n, "unacceptable")
            total = 0.0
    return trace


# -- trainees -----------------------------------------------------------------------------------
def split_abandoned(sessions: list[dict]) -> tuple[list[dict], list[dict]]:
    """``(completed, abandoned)``: attempts restarted or ended before the procedure was
    finished are kept for the record but are neither passes nor failures, so they stay out of
    pass rates, learning curves, CUSUM, group comparisons and expert references."""
    done = [s for s in sessions if s.get("status", COMPLETED) != ABANDONED]
    return done, [s for s in sessions if s.get("status", COMPLETED) == ABANDONED]


@dataclass
class Trainee:
    name: str
    group: str
    sessions: list[dict] = field(default_factory=list)  # in attempt order


def trainees(sessions: list[dict]) -> list[Trainee]:
    """Sessions grouped by trainee, each in attempt order (start time, then run id)."""
    out: dict[str, Trainee] = {}
    for s in sorted(sessions, key=lambda s: (s["trainee"], s["started_utc"], s["run_id"])):
        t = out.setdefault(s["trainee"], Trainee(s["trainee"], s["skill_group"]))
        t.sessions.append(s)
        if s["skill_group"] and not t.group:
            t.group = s["skill_group"]
    return list(out.values())


# -- contrasting groups -------------------------------------------------------------------------
@dataclass
class Separation:
    metric: str
    n_novice: int
    n_expert: int
    median_novice: float
    median_expert: float
    u: float
    p: float
    effect: float  # rank-biserial correlation (positive: novices higher)
    p_holm: float = 1.0

    @property
    def separates(self) -> bool:
        return self.p_holm < ALPHA_TEST and abs(self.effect) >= LARGE_EFFECT


def contrasting_groups(sessions: list[dict], keys: list[str], low: str = NOVICE,
                       high: str = EXPERT) -> list[Separation]:
    """Mann-Whitney U of every metric between the ``low`` and ``high`` skill groups."""
    from scipy.stats import mannwhitneyu

    out = []
    for key in keys:
        a = _values(sessions, key, low)
        b = _values(sessions, key, high)
        if len(a) < 2 or len(b) < 2:
            continue
        if np.all(a == a[0]) and np.all(b == a[0]):
            u, p = len(a) * len(b) / 2.0, 1.0  # identical constants: no difference at all
        else:
            res = mannwhitneyu(a, b, alternative="two-sided")
            u, p = float(res.statistic), float(res.pvalue)
        effect = 2.0 * u / (len(a) * len(b)) - 1.0
        out.append(Separation(key, len(a), len(b), float(np.median(a)), float(np.median(b)),
                              u, p, effect))
    _holm(out)
    return out


def _values(sessions, key, group) -> np.ndarray:
    """A group's values of one metric, to 4 significant digits: differences below that
    (floating-point residue such as 4.999999999999988 mL against 5.0 mL) are not real."""
    vals = [s["metrics"].get(key) for s in sessions if s["skill_group"] == group]
    return np.asarray([float(f"{v:.4g}") for v in vals if v is not None and math.isfinite(v)],
                      float)


def _holm(results: list[Separation]) -> None:
    order = sorted(range(len(results)), key=lambda i: results[i].p)
    m, running = len(results), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * results[i].p))
        results[i].p_holm = running


@dataclass
class PassMark:
    score: float
    novices_passing: float  # share of novice attempts at or above it
    experts_failing: float  # share of expert attempts below it


def contrasting_pass_mark(sessions: list[dict], low: str = NOVICE,
                          high: str = EXPERT) -> PassMark | None:
    """Score where normal fits of the two groups' score distributions cross."""
    a = np.asarray([s["score"] for s in sessions if s["skill_group"] == low], float)
    b = np.asarray([s["score"] for s in sessions if s["skill_group"] == high], float)
    if len(a) < 3 or len(b) < 3 or a.mean() >= b.mean():
        return None
    sa, sb = max(a.std(ddof=1), 1.0), max(b.std(ddof=1), 1.0)
    grid = np.linspace(a.mean(), b.mean(), 2001)

    def pdf(x, m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / s

    cut = float(grid[np.argmin(np.abs(pdf(grid, a.mean(), sa) - pdf(grid, b.mean(), sb)))])
    return PassMark(round(cut, 1), float(np.mean(a >= cut)), float(np.mean(b < cut)))


def expert_reference(sessions: list[dict], min_n: int = 3) -> dict:
    """Per metric: the expert sessions' ``(q1, median, q3, n)`` (for session reports)."""
    experts = [s for s in sessions if s["skill_group"] == EXPERT]
    keys = {k for s in experts for k in s["metrics"]}
    out = {}
    for key in keys:
        v = _values(experts, key, EXPERT)
        if len(v) >= min_n:
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            out[key] = (float(q1), float(med), float(q3), len(v))
    return out
