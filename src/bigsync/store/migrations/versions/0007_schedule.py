"""The scheduler of `bigsync serve`: each connection's sync interval, the scheduler's state per
connection and job, and the last webhook event of each connection.

Revision ID: 0007_schedule
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bigsync.store.schema import UtcDateTime

revision = "0007_schedule"
down_revision = "0006_hub"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Seconds between "latest changes" syncs; NULL: the default (15 minutes).
    op.add_column("connections", sa.Column("sync_every_s", sa.Integer, nullable=True))
    op.create_table(
        "schedule_state",
        sa.Column(
            "connection_id",
            sa.Integer,
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        sa.Column("job", sa.String(32), primary_key=True),
        sa.Column("next_run_at", UtcDateTime()),
        sa.Column("last_started_at", UtcDateTime()),
        sa.Column("last_finished_at", UtcDateTime()),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("last_error", sa.Text),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "webhook_activity",
        sa.Column(
            "connection_id",
            sa.Integer,
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        sa.Column("last_event_at", UtcDateTime, nullable=False),
        sa.Column("last_scope", sa.String(100), nullable=False),
        sa.Column("events", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("webhook_activity")
    op.drop_table("schedule_state")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("sync_every_s")
