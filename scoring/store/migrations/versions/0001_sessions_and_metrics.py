"""The first results store (jointsim 0.1): sessions unique by run id and log file bytes.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("log_sha256", sa.String(64), nullable=False),
        sa.Column("trainee", sa.String(200), nullable=False),
        sa.Column("skill_group", sa.String(64), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("scenario_title", sa.String(400), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("started_utc", sa.String(40), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("pass_score", sa.Float, nullable=False),
        sa.Column("hard_fails", sa.Integer, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("log_path", sa.Text, nullable=False),
        sa.Column("report_path", sa.Text, nullable=False),
        sa.Column("simulator_version", sa.String(40), nullable=False),
        sa.Column("assessed_utc", sa.String(40), nullable=False),
        sa.Column("score_json", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "log_sha256", name="uq_session_log"),
    )
    op.create_table(
        "metrics",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("value", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("metrics")
    op.drop_table("sessions")
