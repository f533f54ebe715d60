"""What the dashboard's pages show, read from the results store as plain rows.

Each page reads only the columns it shows (never the score documents of a whole cohort), so
a page over thousands of sessions stays one or two small queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from scoring import cohort
from scoring.store.schema import METRICS
from scoring.store.schema import SESSIONS as S

ABANDONED = "abandoned"

ATTEMPT_COLUMNS = (S.c.id, S.c.run_id, S.c.trainee, S.c.scenario, S.c.scenario_title,
                   S.c.started_utc, S.c.status, S.c.passed, S.c.score, S.c.pass_score,
                   S.c.hard_fails, S.c.verified)


def trainees(conn, only: str | None = None) -> list[dict]:
    """One row per trainee: attempts, completed, passed, abandoned, best score, last date."""
    done = S.c.status != ABANDONED
    query = (select(S.c.trainee, func.max(S.c.skill_group).label("skill_group"),
                    func.count().label("attempts"),
                    func.sum(case((done, 1), else_=0)).label("completed"),
                    func.sum(case((done & S.c.passed, 1), else_=0)).label("passed"),
                    func.sum(case((done, 0), else_=1)).label("abandoned"),
                    func.max(case((done, S.c.score))).label("best_score"),
                    func.max(S.c.started_utc).label("last_attempt"))
             .group_by(S.c.trainee).order_by(S.c.trainee))
    if only is not None:
        query = query.where(S.c.trainee == only)
    return [dict(r._mapping) for r in conn.execute(query)]


def attempts(conn, trainee: str) -> list[dict]:
    """A trainee's attempts, by scenario then start time."""
    query = (select(*ATTEMPT_COLUMNS).where(S.c.trainee == trainee)
             .order_by(S.c.scenario, S.c.started_utc, S.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def session(conn, session_id: int) -> dict | None:
    """One stored session with its score document (``score_json``) and report path."""
    row = conn.execute(select(S).where(S.c.id == session_id)).first()
    return None if row is None else dict(row._mapping)


def metric_rows(conn, session_id: int) -> list[dict]:
    query = (select(METRICS.c.key, METRICS.c.value).where(METRICS.c.session_id == session_id)
             .order_by(METRICS.c.key))
    return [dict(r._mapping) for r in conn.execute(query)]


def stored_scenarios(conn) -> dict[str, int]:
    """``scenario id -> attempts stored``."""
    query = select(S.c.scenario, func.count()).group_by(S.c.scenario)
    return dict(conn.execute(query).all())


@dataclass
class ScenarioGroup:
    """One scenario's attempts on a trainee page: completed ones (with the learning curve)
    and abandoned ones, shown apart."""

    scenario: str
    title: str
    completed: list[dict]
    abandoned: list[dict]
    curve: dict | None
    cusum: dict | None


def by_scenario(rows: list[dict]) -> list[ScenarioGroup]:
    """``attempts`` rows grouped per scenario (rows are ordered by scenario)."""
    groups: dict[str, ScenarioGroup] = {}
    for r in rows:
        g = groups.setdefault(r["scenario"], ScenarioGroup(r["scenario"], r["scenario_title"],
                                                           [], [], None, None))
        (g.abandoned if r["status"] == ABANDONED else g.completed).append(r)
    for g in groups.values():
        g.curve = learning_curve(g.completed)
        g.cusum = cusum_chart([bool(r["passed"]) for r in g.completed])
    return list(groups.values())


# The learning curve's drawing box, in SVG user units (the pass mark's label sits in the
# right margin, clear of the points).
CURVE_W, CURVE_H, CURVE_PAD, CURVE_RIGHT = 580.0, 180.0, 34.0, 94.0


def learning_curve(completed: list[dict]) -> dict | None:
    """Score (0-100) against attempt number as SVG coordinates: ``points`` [(x, y, score,
    passed)], ``polyline`` "x,y x,y...", ``pass_y`` (the last attempt's pass mark) and the
    axis ticks. None without completed attempts."""
    if not completed:
        return None
    n = len(completed)
    inner_w, inner_h = CURVE_W - CURVE_PAD - CURVE_RIGHT, CURVE_H - 2 * CURVE_PAD

    def x(i: int) -> float:
        return CURVE_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y(score: float) -> float:
        return CURVE_PAD + inner_h * (1.0 - min(max(score, 0.0), 100.0) / 100.0)

    points = [(round(x(i), 1), round(y(r["score"]), 1), r["score"], bool(r["passed"]))
              for i, r in enumerate(completed)]
    return {"width": CURVE_W, "height": CURVE_H, "points": points,
            "polyline": " ".join(f"{px},{py}" for px, py, _, _ in points),
            "pass_y": round(y(completed[-1]["pass_score"]), 1),
            "pass_score": completed[-1]["pass_score"],
            "y_ticks": [(round(y(s), 1), s) for s in (0, 50, 100)],
            "x_ticks": [(px, i + 1) for i, (px, _, _, _) in enumerate(points)
                        if n <= 12 or i in (0, n - 1) or (i + 1) % 5 == 0],
            "left": CURVE_PAD, "right": CURVE_W - CURVE_RIGHT, "bottom": CURVE_H - CURVE_PAD}


def session_ids(conn, run_ids: list[str]) -> dict[str, int]:
    """``run_id -> session id`` of stored attempts."""
    return dict(conn.execute(select(S.c.run_id, S.c.id).where(S.c.run_id.in_(run_ids))).all())


def scenario_cohort(conn, scenario: str) -> list[dict]:
    """A scenario's completed attempts as the rows :mod:`scoring.cohort` reads (trainee,
    skill group, start, run id, score, pass mark, passed, ``metrics`` key -> value), read
    without the score documents."""
    query = (select(S.c.id, S.c.trainee, S.c.skill_group, S.c.started_utc, S.c.run_id,
                    S.c.score, S.c.pass_score, S.c.passed, S.c.status)
             .where(S.c.scenario == scenario, S.c.status != ABANDONED))
    rows = {r.id: {**r._mapping, "metrics": {}} for r in conn.execute(query)}
    metrics = (select(METRICS.c.session_id, METRICS.c.key, METRICS.c.value)
               .join(S, S.c.id == METRICS.c.session_id)
               .where(S.c.scenario == scenario, S.c.status != ABANDONED))
    for sid, key, value in conn.execute(metrics):
        rows[sid]["metrics"][key] = value
    return list(rows.values())


def one_score_document(conn, scenario: str) -> str | None:
    """The score document (JSON) of the scenario's latest stored attempt: the names and
    units of its measures."""
    query = (select(S.c.score_json).where(S.c.scenario == scenario)
             .order_by(S.c.started_utc.desc(), S.c.id.desc()).limit(1))
    return conn.execute(query).scalar()


def cusum_chart(outcomes: list[bool], design: cohort.CusumDesign | None = None) -> dict | None:
    """The CUSUM of pass (success) / fail over completed attempts (:func:`scoring.cohort.cusum`,
    the cohort report's design) as SVG coordinates: ``status`` in words, ``polyline``,
    ``h0_y`` / ``h1_y`` (the proficiency and alarm lines) and ``marks`` [(x, y, kind)] where a
    line was crossed. None without completed attempts."""
    if not outcomes:
        return None
    design = design or cohort.CusumDesign()
    trace = cohort.cusum(outcomes, design)
    xs, ys = trace.plot_points()
    lo, hi = min(min(ys), design.h0) - 0.3, max(max(ys), design.h1) + 0.3
    inner_w, inner_h = CURVE_W - CURVE_PAD - CURVE_RIGHT, CURVE_H - 2 * CURVE_PAD

    def x(n: float) -> float:
        return round(CURVE_PAD + inner_w * n / max(len(outcomes), 1), 1)

    def y(v: float) -> float:
        return round(CURVE_PAD + inner_h * (hi - v) / (hi - lo), 1)

    marks = [(x(n), y(trace.values[n - 1]), "proficient") for n in trace.proficient]
    marks += [(x(n), y(trace.values[n - 1]), "alarm") for n in trace.alarms]
    return {"width": CURVE_W, "height": CURVE_H, "status": trace.status,
            "polyline": " ".join(f"{x(a)},{y(b)}" for a, b in zip(xs, ys, strict=True)),
            "h0_y": y(design.h0), "h1_y": y(design.h1), "zero_y": y(0.0), "marks": marks,
            "x_ticks": [(x(n), n) for n in range(1, len(outcomes) + 1)
                        if len(outcomes) <= 12 or n in (1, len(outcomes)) or n % 5 == 0],
            "left": CURVE_PAD, "right": CURVE_W - CURVE_RIGHT, "bottom": CURVE_H - CURVE_PAD,
            "s": design.s}
