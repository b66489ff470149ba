"""Webhook deliveries and the queue of targeted refreshes they ask for.

Revision ID: 0008_webhooks
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bigsync.store.schema import UtcDateTime

revision = "0008_webhooks"
down_revision = "0007_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=128), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_webhook_events_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("connection_id", "event_key", name="uq_webhook_events_key"),
    )
    op.create_index(
        "ix_webhook_events_received", "webhook_events", ["connection_id", "received_at"]
    )
    op.create_table(
        "webhook_refreshes",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("first_requested_at", UtcDateTime(), nullable=False),
        sa.Column("last_requested_at", UtcDateTime(), nullable=False),
        sa.Column("not_before", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_webhook_refreshes_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "kind", "record_id", name=op.f("pk_webhook_refreshes")
        ),
    )


def downgrade() -> None:
    op.drop_table("webhook_refreshes")
    op.drop_index("ix_webhook_events_received", table_name="webhook_events")
    op.drop_table("webhook_events")
