"""Assessment results in a database (SQLAlchemy): a SQLite file by default, any SQLAlchemy
URL (PostgreSQL, MySQL...) when given.

One row per assessed session, keyed by the log's run id and the SHA-256 of the log file, so
assessing the same recordings again updates rows instead of adding duplicates. Metric values
are kept long-form (session, metric key, value) for cohort statistics; the full score
document is kept as JSON beside them.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from simulator.errors import InputError

DEFAULT_DB_NAME = "results.sqlite"


def _tables():
    from sqlalchemy import (
        Boolean,
        Column,
        Float,
        ForeignKey,
        Integer,
        MetaData,
        String,
        Table,
        Text,
        UniqueConstraint,
    )

    meta = MetaData()
    sessions = Table(
        "sessions", meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", String(64), nullable=False),
        Column("log_sha256", String(64), nullable=False),
        Column("trainee", String(200), nullable=False, default=""),
        Column("skill_group", String(64), nullable=False, default=""),
        Column("scenario", String(200), nullable=False),
        Column("scenario_title", String(400), nullable=False, default=""),
        Column("modality", String(32), nullable=False, default=""),
        Column("started_utc", String(40), nullable=False, default=""),
        Column("passed", Boolean, nullable=False),
        Column("score", Float, nullable=False),
        Column("pass_score", Float, nullable=False),
        Column("hard_fails", Integer, nullable=False),
        Column("verified", Boolean, nullable=False),
        Column("seed", Integer, nullable=False, default=0),
        Column("log_path", Text, nullable=False, default=""),
        Column("report_path", Text, nullable=False, default=""),
        Column("simulator_version", String(40), nullable=False, default=""),
        Column("assessed_utc", String(40), nullable=False),
        Column("score_json", Text, nullable=False),
        UniqueConstraint("run_id", "log_sha256", name="uq_session_log"),
    )
    metrics = Table(
        "metrics", meta,
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
               primary_key=True),
        Column("key", String(120), primary_key=True),
        Column("value", Float, nullable=True),
    )
    return meta, sessions, metrics


_META, SESSIONS, METRICS = (None, None, None)


def _schema():
    global _META, SESSIONS, METRICS
    if _META is None:
        _META, SESSIONS, METRICS = _tables()
    return _META, SESSIONS, METRICS


def database_url(db: str | None, out: Path) -> str:
    """``--db`` as a SQLAlchemy URL: a URL as given, a plain path as a SQLite file, nothing
    as ``OUT/results.sqlite``."""
    if not db:
        return f"sqlite:///{(Path(out) / DEFAULT_DB_NAME).resolve()}"
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).resolve()}"


class Store:
    """Open (and create the tables of) the results database at ``url``."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

        self.url = url
        try:
            self.engine = create_engine(url, future=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_foreign_keys)
                path = self.engine.url.database
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
            meta, _, _ = _schema()
            meta.create_all(self.engine)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise InputError(f"not a usable database URL {url!r} ({exc}); give a SQLAlchemy "
                             "URL such as sqlite:///results.sqlite or "
                             "postgresql://user@host/db", field="--db") from None
        except ImportError as exc:
            raise InputError(f"the database driver for {url.split(':', 1)[0]!r} is not "
                             f"installed: pip install {exc.name}", field="--db") from None
        except OperationalError as exc:
            raise InputError(f"cannot open the database {url!r}: {exc.orig}; check the URL, "
                             "the server and the permissions", field="--db") from None

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ----------------------------------------------------------------------------
    def save(self, records: list[dict]) -> tuple[int, int]:
        """Insert or update sessions (one transaction); returns (added, updated).

        Each record: the score document ``doc`` plus ``skill_group``, ``log_path`` and
        ``report_path``.
        """
        from sqlalchemy import delete, insert, select, update

        _, sessions, metrics = _schema()
        added = updated = 0
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            for rec in records:
                doc = rec["doc"]
                row = _row(doc, rec, now)
                found = conn.execute(select(sessions.c.id).where(
                    sessions.c.run_id == row["run_id"],
                    sessions.c.log_sha256 == row["log_sha256"])).scalar_one_or_none()
                if found is None:
                    sid = conn.execute(insert(sessions).values(**row)).inserted_primary_key[0]
                    added += 1
                else:
                    sid = found
                    conn.execute(update(sessions).where(sessions.c.id == sid).values(**row))
                    conn.execute(delete(metrics).where(metrics.c.session_id == sid))
                    updated += 1
                values = [{"session_id": sid, "key": k, "value": m["value"]}
                          for k, m in doc["metrics"].items()]
                if values:
                    conn.execute(insert(metrics), values)
        return added, updated

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> tuple[int, int]:
        """Rows in (sessions, metrics)."""
        from sqlalchemy import func, select

        _, sessions, metrics = _schema()
        with self.engine.connect() as conn:
            return (conn.execute(select(func.count()).select_from(sessions)).scalar_one(),
                    conn.execute(select(func.count()).select_from(metrics)).scalar_one())

    def sessions(self, scenario: str | None = None) -> list[dict]:
        """Every stored session (optionally one scenario's) with a ``metrics`` dict
        ``key -> value``, ordered by trainee and start time."""
        from sqlalchemy import select

        _, sessions, metrics = _schema()
        query = select(sessions)
        if scenario:
            query = query.where(sessions.c.scenario == scenario)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                query.order_by(sessions.c.trainee, sessions.c.started_utc, sessions.c.run_id))]
            by_id = {r["id"]: r for r in rows}
            for r in rows:
                r["metrics"] = {}
            for sid, key, value in conn.execute(select(metrics.c.session_id, metrics.c.key,
                                                       metrics.c.value)):
                if sid in by_id:
                    by_id[sid]["metrics"][key] = value
        return rows


def _row(doc: dict, rec: dict, now: str) -> dict:
    return {
        "run_id": doc["run_id"], "log_sha256": doc["log_sha256"], "trainee": doc["trainee"],
        "skill_group": rec.get("skill_group", ""), "scenario": doc["scenario"],
        "scenario_title": doc["scenario_title"], "modality": doc.get("modality", ""),
        "started_utc": doc["date"], "passed": bool(doc["passed"]),
        "score": float(doc["score"]), "pass_score": float(doc["pass_score"]),
        "hard_fails": len(doc["hard_fails"]), "verified": bool(doc.get("replay_verified")),
        "seed": int(doc.get("seed", 0)), "log_path": str(rec.get("log_path", "")),
        "report_path": str(rec.get("report_path", "")),
        "simulator_version": doc.get("simulator_version", ""), "assessed_utc": now,
        "score_json": json.dumps(doc),
    }


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
