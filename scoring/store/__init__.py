"""Assessment results in a database (SQLAlchemy): a SQLite file by default, PostgreSQL
(``postgresql://...``, psycopg 3) for a programme's shared store.

One row per attempt, keyed by the log's run id and the digest of its content
(:mod:`scoring.store.content`): storing the same attempt again updates its row, a copy of
the log is the same attempt, and a log with other content under a stored run id is reported
as a conflict and not stored. Metric values are kept long-form (session, metric key, value)
for cohort statistics; the full score document is kept as JSON beside them.

Writers are serialised (SQLite: ``BEGIN IMMEDIATE`` with a busy timeout, WAL journal;
PostgreSQL: a transaction-scoped advisory lock), one transaction per batch, so several
``assess`` runs can write to one store at once. The schema is created and upgraded by the
Alembic migrations in ``scoring/store/migrations`` when the store is opened.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from simulator.errors import InputError

from .url import DEFAULT_DB_NAME, check_url, database_url, shown

__all__ = ["DEFAULT_DB_NAME", "Saved", "Store", "as_rows", "check_url", "database_url",
           "merge_rows"]

BUSY_TIMEOUT_S = 300.0
PG_LOCK_KEY = 0x6A5F_5354  # "j_ST": the advisory lock every jointsim writer takes
WRITER_OPTION = "jointsim_store_writer"


@dataclass
class Saved:
    """What :meth:`Store.save` did: rows added, rows updated, and the run ids not stored
    because the store holds other content under them."""

    added: int = 0
    updated: int = 0
    conflicts: list[str] = field(default_factory=list)


class Store:
    """Open the results database at ``url``, creating or upgrading its schema."""

    def __init__(self, url: str):
        from sqlalchemy.exc import DBAPIError, NoSuchModuleError

        from . import migrate

        self.url = url
        parsed = check_url(url)
        try:
            self.engine = _engine(parsed, foreign_keys=True)
            setup = _engine(parsed, foreign_keys=False)  # SQLite rebuilds tables in upgrades
            try:
                migrate.upgrade(setup, _writing)
            finally:
                setup.dispose()
        except NoSuchModuleError:
            raise InputError(f"{shown(url)} names an unknown database driver; give a "
                             "SQLAlchemy URL such as postgresql://user@host/db",
                             field="--db") from None
        except ImportError as exc:
            raise InputError(f"the database driver for {shown(url)} is not installed: "
                             f"pip install 'jointsim[postgresql]' ({exc.name} missing)",
                             field="--db") from None
        except DBAPIError as exc:
            raise InputError(f"cannot open the database {shown(url)}: "
                             f"{_one_line(exc.orig)}; check the URL, the server and the "
                             "permissions", field="--db") from None
        except migrate.NewerSchema as exc:
            raise InputError(f"the database {shown(url)} was made by a newer jointsim (schema "
                             f"revision {exc}); upgrade jointsim to use it",
                             field="--db") from None

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ----------------------------------------------------------------------------
    def known(self, run_ids: list[str]) -> dict[str, str]:
        """``run_id -> content_sha256`` of those already stored."""
        with self.engine.connect() as conn:
            return _contents(conn, run_ids)

    def save(self, records: list[dict]) -> Saved:
        """Insert or update attempts in one transaction.

        Each record: ``scored``, a :class:`scoring.scored.ScoredSession` (its identity
        holds the run id, content digest and skill group), plus ``log_path`` and
        ``report_path``. A run id stored with other
        content is left as it is and listed in ``Saved.conflicts``; within ``records`` the
        first of a run id wins.
        """
        from sqlalchemy.exc import DBAPIError

        rows = _unique(as_rows(records))
        try:
            with _writing(self.engine) as conn:
                return _save(conn, rows)
        except DBAPIError as exc:
            raise InputError(f"could not store the results in {shown(self.url)}: "
                             f"{_one_line(exc.orig)}; nothing was stored, the report files "
                             "are in place: run the same command again", field="--db") from None

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> tuple[int, int]:
        """Rows in (sessions, metrics)."""
        from sqlalchemy import func, select

        from .schema import METRICS, SESSIONS

        with self.engine.connect() as conn:
            return (conn.execute(select(func.count()).select_from(SESSIONS)).scalar_one(),
                    conn.execute(select(func.count()).select_from(METRICS)).scalar_one())

    def sessions(self, scenario: str | None = None) -> list[dict]:
        """Every stored session (optionally one scenario's) with a ``metrics`` dict
        ``key -> value``, ordered by trainee and start time."""
        from sqlalchemy import select

        from .schema import METRICS, SESSIONS

        query = select(SESSIONS)
        if scenario:
            query = query.where(SESSIONS.c.scenario == scenario)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(*_order()))]
            by_id = {r["id"]: r for r in rows}
            for r in rows:
                r["metrics"] = {}
            for sid, key, value in conn.execute(select(METRICS.c.session_id, METRICS.c.key,
                                                       METRICS.c.value)):
                if sid in by_id:
                    by_id[sid]["metrics"][key] = value
        return rows


def as_rows(records: list[dict], now: str | None = None) -> list[dict]:
    """Records (see :meth:`Store.save`) as the rows :meth:`Store.sessions` returns (without
    ``id``), e.g. to report on a batch before it is stored."""
    now = now or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    out = []
    for rec in records:
        scored = rec["scored"]
        who, check = scored.identity, scored.verification
        out.append({
            "run_id": who.run_id, "log_sha256": who.log_sha256,
            "content_sha256": who.content_sha256, "trainee": who.trainee,
            "skill_group": who.skill_group, "scenario": who.scenario,
            "scenario_title": who.scenario_title, "modality": who.modality,
            "started_utc": who.date, "passed": scored.passed,
            "score": float(scored.score), "pass_score": float(scored.pass_score),
            "hard_fails": len(scored.hard_fails), "verified": bool(check.replay_verified),
            "seed": who.seed, "log_path": str(rec.get("log_path", "")),
            "report_path": str(rec.get("report_path", "")),
            "simulator_version": who.simulator_version, "assessed_utc": now,
            "score_json": json.dumps(scored.to_dict()), "status": scored.status,
            "metrics": scored.values(),
        })
    return out


def merge_rows(stored: list[dict], new: list[dict]) -> list[dict]:
    """Stored rows with ``new`` ones replacing those of the same run id, in the order of
    :meth:`Store.sessions`."""
    by_run = {r["run_id"]: r for r in stored}
    by_run.update({r["run_id"]: r for r in new})
    return sorted(by_run.values(), key=lambda r: tuple(r[c.name] for c in _order()))


# -- engine and locking -------------------------------------------------------------------------
def _engine(url, *, foreign_keys: bool):
    from sqlalchemy import create_engine, event

    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # transactions are begun below, not by pysqlite
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # a writer takes the write lock now, waiting while another holds it
        writer = conn.get_execution_options().get(WRITER_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


@contextmanager
def _writing(engine) -> Iterator:
    """A connection in a transaction holding the store's write lock until it ends (SQLite:
    ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock). Readers do not take it."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITER_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                from sqlalchemy import text

                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            yield conn


def _save(conn, rows: list[dict]) -> Saved:
    """Store ``rows`` (unique run ids, sorted) holding the write lock; see Store.save."""
    from sqlalchemy import delete, insert

    from .schema import METRICS

    saved = Saved()
    stored = _contents(conn, [r["run_id"] for r in rows])
    keep = []
    for row in rows:
        before = stored.get(row["run_id"])
        if before and before != row["content_sha256"]:
            saved.conflicts.append(row["run_id"])
        else:
            keep.append(row)
    ids = {}
    if keep:  # one statement, sent in batches ("insertmanyvalues")
        ids = dict(conn.execute(_upsert(conn), [{k: v for k, v in r.items() if k != "metrics"}
                                                for r in keep]).all())
    replaced, values = [], []
    for row in keep:
        sid = ids.get(row["run_id"])
        if sid is None:  # the guard in the upsert refused: another content
            saved.conflicts.append(row["run_id"])
            continue
        if row["run_id"] in stored:
            saved.updated += 1
            replaced.append(sid)
        else:
            saved.added += 1
        values += [{"session_id": sid, "key": k, "value": v} for k, v in row["metrics"].items()]
    for part in _chunks(replaced):
        conn.execute(delete(METRICS).where(METRICS.c.session_id.in_(part)))
    if values:
        conn.execute(insert(METRICS), values)
    return saved


def _contents(conn, run_ids: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from .schema import SESSIONS as s

    out: dict[str, str] = {}
    for part in _chunks(sorted(set(run_ids))):
        out.update(conn.execute(select(s.c.run_id, s.c.content_sha256)
                                .where(s.c.run_id.in_(part))).all())
    return out


def _upsert(conn):
    """INSERT ... ON CONFLICT (run_id) DO UPDATE, only over the same content (or an unknown
    one, ''); RETURNING run_id, id."""
    from .schema import SESSIONS

    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(SESSIONS)
    columns = [c.name for c in SESSIONS.columns if c.name not in ("id", "run_id")]
    stmt = stmt.on_conflict_do_update(
        index_elements=[SESSIONS.c.run_id],
        set_={k: stmt.excluded[k] for k in columns},
        where=SESSIONS.c.content_sha256.in_([stmt.excluded.content_sha256, ""]))
    return stmt.returning(SESSIONS.c.run_id, SESSIONS.c.id)


def _unique(rows: list[dict]) -> list[dict]:
    """First row of each run id, sorted by run id."""
    by_run: dict[str, dict] = {}
    for r in rows:
        by_run.setdefault(r["run_id"], r)
    return [by_run[k] for k in sorted(by_run)]


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _one_line(exc) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()


def _order():
    from .schema import SESSIONS

    return (SESSIONS.c.trainee, SESSIONS.c.started_utc, SESSIONS.c.run_id)
