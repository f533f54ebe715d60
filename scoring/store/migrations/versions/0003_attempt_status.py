"""Attempt status: 'completed', or 'abandoned' for an attempt the trainee restarted or ended
before finishing the procedure (the trainer writes it in the log's end record). Abandoned
attempts are kept but stay out of pass rates, learning curves and CUSUM.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("status", sa.String(16), nullable=False,
                                        server_default="completed"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("status")
