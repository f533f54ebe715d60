"""One row per attempt: sessions unique by run id, with the digest of the log's content.

The first store keyed rows by run id and the log file's bytes, so copies of one log (a blank
line more, other whitespace) were stored as separate sessions. This keeps the most recently
assessed row of each run id, fills ``content_sha256`` from the log where it is still at its
stored path ('' otherwise: the next assessment of that log fills it), and makes ``run_id``
unique.

Revision ID: 0002
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

from scoring.store.content import log_content_sha256

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("run_id"),
                        sa.column("log_path"), sa.column("content_sha256"))
    metrics = sa.table("metrics", sa.column("session_id", sa.Integer))
    op.add_column("sessions", sa.Column("content_sha256", sa.String(64), nullable=False,
                                        server_default=""))
    keep: dict[str, int] = {}
    drop: list[int] = []
    rows = conn.execute(sa.select(sessions.c.id, sessions.c.run_id, sessions.c.log_path)
                        .order_by(sessions.c.id.desc())).all()
    for sid, run_id, log_path in rows:
        if run_id in keep:
            drop.append(sid)
            continue
        keep[run_id] = sid
        digest = _digest(log_path)
        if digest:
            conn.execute(sa.update(sessions).where(sessions.c.id == sid)
                         .values(content_sha256=digest))
    for start in range(0, len(drop), 500):
        ids = drop[start:start + 500]
        conn.execute(sa.delete(metrics).where(metrics.c.session_id.in_(ids)))
        conn.execute(sa.delete(sessions).where(sessions.c.id.in_(ids)))
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint("uq_session_log", type_="unique")
        batch.create_unique_constraint("uq_session_run", ["run_id"])


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint("uq_session_run", type_="unique")
        batch.create_unique_constraint("uq_session_log", ["run_id", "log_sha256"])
        batch.drop_column("content_sha256")


def _digest(log_path: str) -> str:
    try:
        return log_content_sha256(Path(log_path)) if log_path else ""
    except OSError:
        return ""
