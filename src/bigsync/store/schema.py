"""The database schema as SQLAlchemy Core tables on one shared `metadata`.

Other modules (e.g. the mirror tables) define their tables on this same `metadata` and
reference `connections.id` through a `connection_id` column; `store.purge` relies on that.
Each table here is created by an Alembic revision, never by `metadata.create_all`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


connections = sa.Table(
    "connections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    # What names are compared by (case-blind, NFC; see `connections.inputs.name_key`): unique,
    # so two connections added at once cannot both take one name. A removed connection's
    # archived name embeds its id, so it never holds a live name's key.
    sa.Column("name_key", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("store_hash", sa.String(64), nullable=False),
    sa.Column("api_url", sa.String(255), nullable=False),
    sa.Column("client_id", sa.String(255)),
    # Scopes from an OAuth grant (None when unknown, as for store-level API accounts).
    sa.Column("granted_scopes", sa.JSON),
    # Features the user asked for, and the ones a test disabled: {feature: reason}.
    sa.Column("features", sa.JSON, nullable=False),
    sa.Column("disabled_features", sa.JSON, nullable=False),
    # Features the user turned off explicitly (a test never turns these on); NULL: none.
    sa.Column("features_off", sa.JSON),
    sa.Column("last_test", sa.JSON),
    # Seconds between scheduled "latest changes" syncs (`bigsync serve`); NULL: the default.
    sa.Column("sync_every_s", sa.Integer),
    sa.Column("last_tested_at", UtcDateTime),
    # Set when the connection was removed but its mirrored data kept.
    sa.Column("removed_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

connection_secrets = sa.Table(
    "connection_secrets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False, index=True),
    sa.Column("nonce", sa.LargeBinary, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "purpose", name="uq_connection_secrets_purpose"),
)

# No foreign key on purpose: the audit trail outlives the connection it talks about.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("connection_id", sa.Integer),
    sa.Column("connection_name", sa.String(100)),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    info={"survives_connection": True},
)
