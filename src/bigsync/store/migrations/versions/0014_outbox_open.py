"""An index for the connections whose outbox has work now, across all connections.

Revision ID: 0014_outbox_open
Revises: 0013_sync_progress
"""

from __future__ import annotations

from alembic import op

revision = "0014_outbox_open"
down_revision = "0013_sync_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_open", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_open", table_name="outbox")
