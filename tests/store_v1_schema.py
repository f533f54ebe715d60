"""The results store's schema as jointsim 0.1 created it (before the Alembic migrations),
captured from that code with SQLite and PostgreSQL, to test that such databases upgrade."""

SESSIONS_V1 = """CREATE TABLE sessions (
    id {serial} NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    log_sha256 VARCHAR(64) NOT NULL,
    trainee VARCHAR(200) NOT NULL,
    skill_group VARCHAR(64) NOT NULL,
    scenario VARCHAR(200) NOT NULL,
    scenario_title VARCHAR(400) NOT NULL,
    modality VARCHAR(32) NOT NULL,
    started_utc VARCHAR(40) NOT NULL,
    passed BOOLEAN NOT NULL,
    score FLOAT NOT NULL,
    pass_score FLOAT NOT NULL,
    hard_fails INTEGER NOT NULL,
    verified BOOLEAN NOT NULL,
    seed INTEGER NOT NULL,
    log_path TEXT NOT NULL,
    report_path TEXT NOT NULL,
    simulator_version VARCHAR(40) NOT NULL,
    assessed_utc VARCHAR(40) NOT NULL,
    score_json TEXT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_session_log UNIQUE (run_id, log_sha256)
)"""

METRICS_V1 = """CREATE TABLE metrics (
    session_id INTEGER NOT NULL,
    "key" VARCHAR(120) NOT NULL,
    value FLOAT,
    PRIMARY KEY (session_id, "key"),
    FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
)"""


def ddl(dialect: str) -> list[str]:
    """The two CREATE TABLE statements for ``dialect`` ('sqlite' or 'postgresql')."""
    serial = "SERIAL" if dialect == "postgresql" else "INTEGER"
    return [SESSIONS_V1.format(serial=serial), METRICS_V1]
