"""Connections, their sealed secrets, and the audit log.

Revision ID: 0001_connections
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bigsync.store.schema import UtcDateTime

revision = "0001_connections"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("store_hash", sa.String(64), nullable=False),
        sa.Column("api_url", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255)),
        sa.Column("granted_scopes", sa.JSON),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("disabled_features", sa.JSON, nullable=False),
        sa.Column("last_test", sa.JSON),
        sa.Column("last_tested_at", UtcDateTime),
        sa.Column("removed_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.UniqueConstraint("name", name="uq_connections_name"),
    )
    op.create_table(
        "connection_secrets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connection_id", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connection_secrets"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_connection_secrets_connection_id_connections",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("connection_id", "purpose", name="uq_connection_secrets_purpose"),
    )
    op.create_index("ix_connection_secrets_key_id", "connection_secrets", ["key_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("connection_id", sa.Integer),
        sa.Column("connection_name", sa.String(100)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_connection_secrets_key_id", table_name="connection_secrets")
    op.drop_table("connection_secrets")
    op.drop_table("connections")
