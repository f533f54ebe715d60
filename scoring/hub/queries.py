"""What the dashboard's pages show, read from the results store as plain rows.

Each page reads only the columns it shows (never the score documents of a whole cohort), so
a page over thousands of sessions stays one or two small queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

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


def by_scenario(rows: list[dict]) -> list[ScenarioGroup]:
    """``attempts`` rows grouped per scenario (rows are ordered by scenario)."""
    groups: dict[str, ScenarioGroup] = {}
    for r in rows:
        g = groups.setdefault(r["scenario"], ScenarioGroup(r["scenario"], r["scenario_title"],
                                                           [], [], None))
        (g.abandoned if r["status"] == ABANDONED else g.completed).append(r)
    for g in groups.values():
        g.curve = learning_curve(g.completed)
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
