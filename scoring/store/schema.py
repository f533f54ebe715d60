"""The results store's tables as the code reads and writes them (the newest migration's
schema; ``scoring/store/migrations`` creates and upgrades them in a database).

``sessions``: one row per attempt, unique by ``run_id``; ``content_sha256`` is the digest of
the log's parsed records (:func:`scoring.store.content.log_content_sha256`), so a copy of a
log is the same attempt and an edited log under the same run id is a conflict.
``log_sha256`` (the file's bytes) is kept for reference only. ``status`` is 'completed' or
'abandoned' (restarted or ended before the procedure was finished).
``metrics``: the score document's metric values long-form (session, key, value).
"""

from __future__ import annotations

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

META = MetaData()

SESSIONS = Table(
    "sessions", META,
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
    Column("content_sha256", String(64), nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="completed"),
    UniqueConstraint("run_id", name="uq_session_run"),
)

METRICS = Table(
    "metrics", META,
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("value", Float, nullable=True),
)
