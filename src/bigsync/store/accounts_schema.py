"""Tables of the people who use the hub: users, their browser sessions, their API tokens,
and the failed-login counters of the login throttle.

Only hashes of session and API tokens are stored (SHA-256 of a 256-bit random token; the
token itself is shown once). Passwords are argon2id hashes. Users and sessions opened by the
app's load callback belong to one connection (`connection_id`) and go with its data
(`store.purge`); local users have no connection.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigsync.store.schema import UtcDateTime, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # `local` (a username and password) or `store` (a BigCommerce store's user, signed in by
    # the app's load callback; no password).
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("username", sa.String(200), nullable=False),
    # What usernames are compared by (case-folded): unique.
    sa.Column("username_key", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id", ondelete="CASCADE")),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_login_at", UtcDateTime),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Set for a session the app's load callback opened: it sees this connection only.
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id", ondelete="CASCADE")),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Index("ix_sessions_user", "user_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    # The token's first characters, shown to tell tokens apart (never enough to use one).
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    # A token created in a session limited to one connection is limited the same way.
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id", ondelete="CASCADE")),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_used_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
    sa.Index("ix_api_tokens_user", "user_id"),
)

# One row per throttled key: `user:<username key>` or `addr:<client address>`.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failed_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime),
)
