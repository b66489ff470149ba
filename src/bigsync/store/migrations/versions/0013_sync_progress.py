"""Live progress of a sync run (figures written with every page) and stored sync requests.

Revision ID: 0013_sync_progress
Revises: 0009_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bigsync.store.schema import UtcDateTime

revision = "0013_sync_progress"
down_revision = "0012_orders_browse"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(
            sa.Column("records_read", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("rate_limited", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("waited_s", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
    op.create_table(
        "sync_requests",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_requests_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_sync_requests")),
    )


def downgrade() -> None:
    op.drop_table("sync_requests")
    with op.batch_alter_table("sync_runs") as batch:
        for name in ("updated_at", "progress", "waited_s", "rate_limited", "records_read"):
            batch.drop_column(name)
