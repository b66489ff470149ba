"""SQL for users, sessions, API tokens and the login throttle's counters.

Every function takes an open `sqlalchemy.Connection`; the caller owns the transaction.
Rows come back as frozen dataclasses; password and token hashes never leave through `repr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bigsync.errors import InputError
from bigsync.store.accounts_schema import api_tokens, login_failures, sessions, users


@dataclass(frozen=True)
class UserRow:
    """One `users` row."""

    id: int
    kind: str
    username: str
    is_admin: bool
    email: str | None
    connection_id: int | None
    created_at: datetime
    last_login_at: datetime | None
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SessionRow:
    """One `sessions` row with its user."""

    id: int
    user: UserRow
    connection_id: int | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenRow:
    """One `api_tokens` row."""

    id: int
    user_id: int
    name: str
    prefix: str
    connection_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class FailureRow:
    """The failed-login counter of one throttle key."""

    key: str
    failures: int
    last_failed_at: datetime
    locked_until: datetime | None


def _user(m: Any) -> UserRow:
    return UserRow(
        id=m["id"],
        kind=m["kind"],
        username=m["username"],
        is_admin=bool(m["is_admin"]),
        email=m["email"],
        connection_id=m["connection_id"],
        created_at=m["created_at"],
        last_login_at=m["last_login_at"],
        password_hash=m["password_hash"],
    )


def _token(m: Any) -> TokenRow:
    return TokenRow(
        id=m["id"],
        user_id=m["user_id"],
        name=m["name"],
        prefix=m["prefix"],
        connection_id=m["connection_id"],
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )


# --- users ------------------------------------------------------------------------------------


def count_local_users(conn: sa.Connection) -> int:
    """How many users sign in with a password."""
    query = sa.select(sa.func.count()).select_from(users).where(users.c.kind == "local")
    return int(conn.execute(query).scalar_one())


def insert_user(
    conn: sa.Connection,
    *,
    kind: str,
    username: str,
    username_key: str,
    password_hash: str | None,
    is_admin: bool,
    now: datetime,
    email: str | None = None,
    connection_id: int | None = None,
) -> int:
    """Insert a user and return its id (a taken username raises `InputError`)."""
    statement = users.insert().values(
        kind=kind,
        username=username,
        username_key=username_key,
        password_hash=password_hash,
        is_admin=is_admin,
        email=email,
        connection_id=connection_id,
        created_at=now,
    )
    try:
        result = conn.execute(statement)
    except sa.exc.IntegrityError:
        raise InputError(f"the username {username!r} is taken") from None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def get_user(
    conn: sa.Connection, *, user_id: int | None = None, username_key: str | None = None
) -> UserRow | None:
    """The user with this id or username key, if any."""
    query = users.select()
    if user_id is not None:
        query = query.where(users.c.id == user_id)
    if username_key is not None:
        query = query.where(users.c.username_key == username_key)
    row = conn.execute(query).first()
    return _user(row._mapping) if row is not None else None


def list_users(conn: sa.Connection) -> list[UserRow]:
    """Every user, by id."""
    return [_user(r._mapping) for r in conn.execute(users.select().order_by(users.c.id))]


def update_user(conn: sa.Connection, user_id: int, **values: Any) -> None:
    """Set columns of one user."""
    conn.execute(users.update().where(users.c.id == user_id).values(**values))


# --- sessions ---------------------------------------------------------------------------------


def insert_session(
    conn: sa.Connection,
    *,
    token_hash: str,
    user_id: int,
    connection_id: int | None,
    now: datetime,
    expires_at: datetime,
) -> int:
    """Insert a session and return its id."""
    result = conn.execute(
        sessions.insert().values(
            token_hash=token_hash,
            user_id=user_id,
            connection_id=connection_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def find_session(conn: sa.Connection, token_hash: str) -> SessionRow | None:
    """The session whose token hashes to `token_hash`, with its user."""
    query = (
        sa.select(
            sessions.c.id.label("session_id"),
            sessions.c.connection_id.label("session_connection_id"),
            sessions.c.created_at.label("session_created_at"),
            sessions.c.last_seen_at,
            sessions.c.expires_at,
            *users.c,
        )
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(sessions.c.token_hash == token_hash)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRow(
        id=m["session_id"],
        user=_user(m),
        connection_id=m["session_connection_id"],
        created_at=m["session_created_at"],
        last_seen_at=m["last_seen_at"],
        expires_at=m["expires_at"],
    )


def touch_session(conn: sa.Connection, session_id: int, now: datetime) -> None:
    """Record that the session was used at `now`."""
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(last_seen_at=now))


def delete_session(conn: sa.Connection, session_id: int) -> None:
    """End one session."""
    conn.execute(sessions.delete().where(sessions.c.id == session_id))


def delete_user_sessions(conn: sa.Connection, user_id: int) -> int:
    """End every session of a user; returns how many there were."""
    return conn.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount


def delete_expired_sessions(conn: sa.Connection, *, now: datetime, idle_before: datetime) -> int:
    """Forget sessions past their absolute expiry or idle since before `idle_before`."""
    condition = sa.or_(sessions.c.expires_at <= now, sessions.c.last_seen_at < idle_before)
    return conn.execute(sessions.delete().where(condition)).rowcount


# --- API tokens -------------------------------------------------------------------------------


def insert_token(
    conn: sa.Connection,
    *,
    user_id: int,
    name: str,
    prefix: str,
    token_hash: str,
    connection_id: int | None,
    now: datetime,
) -> int:
    """Insert an API token and return its id."""
    result = conn.execute(
        api_tokens.insert().values(
            user_id=user_id,
            name=name,
            prefix=prefix,
            token_hash=token_hash,
            connection_id=connection_id,
            created_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def find_token(conn: sa.Connection, token_hash: str) -> tuple[TokenRow, UserRow] | None:
    """The token that hashes to `token_hash` (revoked or not) with its user."""
    query = (
        sa.select(
            api_tokens.c.id.label("token_id"),
            api_tokens.c.name.label("token_name"),
            api_tokens.c.prefix,
            api_tokens.c.connection_id.label("token_connection_id"),
            api_tokens.c.created_at.label("token_created_at"),
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            *users.c,
        )
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.token_hash == token_hash)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    m = row._mapping
    token = TokenRow(
        id=m["token_id"],
        user_id=m["id"],
        name=m["token_name"],
        prefix=m["prefix"],
        connection_id=m["token_connection_id"],
        created_at=m["token_created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )
    return token, _user(m)


def list_tokens(
    conn: sa.Connection,
    *,
    user_id: int | None = None,
    connection_id: int | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[TokenRow]:
    """Tokens (newest first), of one user and/or one connection; `after_id` pages on."""
    query = api_tokens.select().order_by(api_tokens.c.id.desc())
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    if connection_id is not None:
        query = query.where(api_tokens.c.connection_id == connection_id)
    if after_id is not None:
        query = query.where(api_tokens.c.id < after_id)
    if limit is not None:
        query = query.limit(limit)
    return [_token(r._mapping) for r in conn.execute(query)]


def get_token(conn: sa.Connection, token_id: int) -> TokenRow | None:
    """One token by id."""
    row = conn.execute(api_tokens.select().where(api_tokens.c.id == token_id)).first()
    return _token(row._mapping) if row is not None else None


def update_token(conn: sa.Connection, token_id: int, **values: Any) -> None:
    """Set columns of one token."""
    conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(**values))


# --- the login throttle -----------------------------------------------------------------------


def get_failures(conn: sa.Connection, keys: list[str]) -> list[FailureRow]:
    """The counters of these throttle keys (those that have one)."""
    query = login_failures.select().where(login_failures.c.key.in_(keys))
    return [
        FailureRow(
            key=r.key, failures=r.failures, last_failed_at=r.last_failed_at,
            locked_until=r.locked_until,
        )
        for r in conn.execute(query)
    ]  # fmt: skip


def put_failure(conn: sa.Connection, row: FailureRow) -> None:
    """Write one key's counter (insert or replace)."""
    values = {
        "failures": row.failures,
        "last_failed_at": row.last_failed_at,
        "locked_until": row.locked_until,
    }
    updated = conn.execute(
        login_failures.update().where(login_failures.c.key == row.key).values(**values)
    ).rowcount
    if updated:
        return
    try:
        with conn.begin_nested():  # a concurrent first failure may insert the key first
            conn.execute(login_failures.insert().values(key=row.key, **values))
    except sa.exc.IntegrityError:
        conn.execute(
            login_failures.update().where(login_failures.c.key == row.key).values(**values)
        )


def clear_failures(conn: sa.Connection, key: str) -> None:
    """Forget one key's failures."""
    conn.execute(login_failures.delete().where(login_failures.c.key == key))
