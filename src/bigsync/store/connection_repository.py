"""SQL for connections, their sealed secrets and the audit log.

Every function takes an open `sqlalchemy.Connection`; the caller owns the transaction.
Rows come back as frozen dataclasses. Secrets travel only as ciphertext here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bigsync.errors import ConnectionExistsError
from bigsync.store.schema import audit_log, connection_secrets, connections


def utcnow() -> datetime:
    """The current time in UTC, as every timestamp in the store."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectionRow:
    """One `connections` row."""

    id: int
    name: str
    kind: str
    store_hash: str
    api_url: str
    client_id: str | None
    granted_scopes: tuple[str, ...] | None
    features: tuple[str, ...]
    disabled_features: Mapping[str, str]
    features_off: tuple[str, ...]
    last_test: Mapping[str, Any] | None
    last_tested_at: datetime | None
    removed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sync_every_s: int | None = None  # seconds between scheduled syncs; None: the default


@dataclass(frozen=True)
class SecretRow:
    """One sealed secret of a connection; `last4` is what the UI may show."""

    id: int
    connection_id: int
    purpose: str
    key_id: str
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)
    last4: str = field(repr=False)


@dataclass(frozen=True)
class AuditEntry:
    """One audit-log line: who did what to which connection, with what outcome."""

    actor: str
    action: str
    outcome: str
    detail: str = ""
    connection_id: int | None = None
    connection_name: str | None = None
    at: datetime | None = None
    id: int | None = None


def _connection_row(row: sa.Row[Any]) -> ConnectionRow:
    m = row._mapping
    scopes = m["granted_scopes"]
    return ConnectionRow(
        id=m["id"],
        name=m["name"],
        kind=m["kind"],
        store_hash=m["store_hash"],
        api_url=m["api_url"],
        client_id=m["client_id"],
        granted_scopes=tuple(scopes) if scopes is not None else None,
        features=tuple(m["features"] or ()),
        disabled_features=dict(m["disabled_features"] or {}),
        features_off=tuple(m["features_off"] or ()),
        last_test=m["last_test"],
        last_tested_at=m["last_tested_at"],
        removed_at=m["removed_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        sync_every_s=m["sync_every_s"],
    )


def insert_connection(
    conn: sa.Connection,
    *,
    name: str,
    name_key: str,
    kind: str,
    store_hash: str,
    api_url: str,
    client_id: str | None,
    granted_scopes: Sequence[str] | None,
    features: Sequence[str],
    features_off: Sequence[str] = (),
) -> int:
    """Insert a connection and return its id (a taken `name_key` raises
    `ConnectionExistsError`)."""
    now = utcnow()
    statement = connections.insert().values(
        name=name,
        name_key=name_key,
        kind=kind,
        store_hash=store_hash,
        api_url=api_url,
        client_id=client_id,
        granted_scopes=list(granted_scopes) if granted_scopes is not None else None,
        features=list(features),
        disabled_features={},
        features_off=list(features_off),
        created_at=now,
        updated_at=now,
    )
    try:
        result = conn.execute(statement)
    except sa.exc.IntegrityError:
        raise _name_taken(name) from None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def get_connection(
    conn: sa.Connection,
    *,
    name: str | None = None,
    name_key: str | None = None,
    connection_id: int | None = None,
) -> ConnectionRow | None:
    """The active (not removed) connection with this name, name key or id, if any."""
    query = connections.select().where(connections.c.removed_at.is_(None))
    if name is not None:
        query = query.where(connections.c.name == name)
    if name_key is not None:
        query = query.where(connections.c.name_key == name_key)
    if connection_id is not None:
        query = query.where(connections.c.id == connection_id)
    row = conn.execute(query).first()
    return _connection_row(row) if row is not None else None


def connection_version(conn: sa.Connection, connection_id: int) -> datetime | None:
    """When the active connection with this id last changed (its `updated_at`; every edit,
    new secret, test result or removal moves it); None when there is no such connection."""
    query = sa.select(connections.c.updated_at).where(
        connections.c.id == connection_id, connections.c.removed_at.is_(None)
    )
    value: datetime | None = conn.scalar(query)
    return value


def list_connections(conn: sa.Connection) -> list[ConnectionRow]:
    """Every active connection, by name."""
    query = (
        connections.select().where(connections.c.removed_at.is_(None)).order_by(connections.c.name)
    )
    return [_connection_row(r) for r in conn.execute(query)]


def features_by_id(conn: sa.Connection, ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The features turned on of the active connections with these ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = sa.select(connections.c.id, connections.c.features).where(
        connections.c.id.in_(wanted), connections.c.removed_at.is_(None)
    )
    return {int(cid): tuple(features or ()) for cid, features in conn.execute(query)}


def update_connection(conn: sa.Connection, connection_id: int, **values: Any) -> None:
    """Set columns of one connection and bump `updated_at` (a new `name` needs its
    `name_key` alongside; a taken one raises `ConnectionExistsError`)."""
    _update(conn, connection_id, values, unchanged_since=None)


def update_connection_if_unchanged(
    conn: sa.Connection, connection_id: int, unchanged_since: datetime, **values: Any
) -> bool:
    """Like `update_connection`, but only if the row's `updated_at` is still
    `unchanged_since` (nobody edited or removed it since it was read); returns whether it was."""
    return _update(conn, connection_id, values, unchanged_since=unchanged_since)


def _update(
    conn: sa.Connection,
    connection_id: int,
    values: dict[str, Any],
    *,
    unchanged_since: datetime | None,
) -> bool:
    if "name" in values and "name_key" not in values:
        raise ValueError("a new connection name needs its name_key")
    for key in ("granted_scopes", "features", "features_off"):
        if values.get(key) is not None:
            values[key] = list(values[key])
    if "disabled_features" in values:
        values["disabled_features"] = dict(values["disabled_features"])
    query = connections.update().where(connections.c.id == connection_id)
    if unchanged_since is not None:
        query = query.where(connections.c.updated_at == unchanged_since)
    try:
        result = conn.execute(query.values(**values, updated_at=utcnow()))
    except sa.exc.IntegrityError:
        if "name" not in values:
            raise
        raise _name_taken(str(values["name"])) from None
    return result.rowcount == 1


def _name_taken(name: str) -> ConnectionExistsError:
    return ConnectionExistsError(f"a connection named {name!r} already exists")


def delete_connection(conn: sa.Connection, connection_id: int) -> None:
    """Delete the connection row (its secrets go with it)."""
    delete_secrets(conn, connection_id)
    conn.execute(connections.delete().where(connections.c.id == connection_id))


def put_secret(
    conn: sa.Connection,
    connection_id: int,
    purpose: str,
    *,
    key_id: str,
    nonce: bytes,
    ciphertext: bytes,
    last4: str,
) -> None:
    """Store (or replace) the sealed secret `purpose` of a connection."""
    values = {
        "key_id": key_id,
        "nonce": nonce,
        "ciphertext": ciphertext,
        "last4": last4,
        "updated_at": utcnow(),
    }
    table = connection_secrets
    updated = conn.execute(
        table.update()
        .where(table.c.connection_id == connection_id, table.c.purpose == purpose)
        .values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(table.insert().values(connection_id=connection_id, purpose=purpose, **values))


def _secret_row(row: sa.Row[Any]) -> SecretRow:
    m = row._mapping
    return SecretRow(
        id=m["id"],
        connection_id=m["connection_id"],
        purpose=m["purpose"],
        key_id=m["key_id"],
        nonce=bytes(m["nonce"]),
        ciphertext=bytes(m["ciphertext"]),
        last4=m["last4"],
    )


def get_secrets(conn: sa.Connection, connection_id: int) -> dict[str, SecretRow]:
    """The sealed secrets of one connection, by purpose."""
    table = connection_secrets
    rows = conn.execute(table.select().where(table.c.connection_id == connection_id))
    return {r.purpose: _secret_row(r) for r in rows}


def delete_secret(conn: sa.Connection, connection_id: int, purpose: str) -> None:
    """Forget one secret of a connection."""
    table = connection_secrets
    conn.execute(
        table.delete().where(table.c.connection_id == connection_id, table.c.purpose == purpose)
    )


def delete_secrets(conn: sa.Connection, connection_id: int) -> int:
    """Forget every secret of a connection; returns how many there were."""
    table = connection_secrets
    return conn.execute(table.delete().where(table.c.connection_id == connection_id)).rowcount


def secrets_sealed_with(
    conn: sa.Connection, key_ids: Sequence[str], *, limit: int
) -> list[SecretRow]:
    """Up to `limit` secrets sealed with one of `key_ids`, lowest id first."""
    table = connection_secrets
    query = table.select().where(table.c.key_id.in_(key_ids)).order_by(table.c.id).limit(limit)
    return [_secret_row(r) for r in conn.execute(query)]


def replace_sealed(
    conn: sa.Connection,
    secret: SecretRow,
    *,
    key_id: str,
    nonce: bytes,
    ciphertext: bytes,
) -> bool:
    """Swap a secret's ciphertext if nobody changed it since `secret` was read."""
    table = connection_secrets
    result = conn.execute(
        table.update()
        .where(
            table.c.id == secret.id,
            table.c.key_id == secret.key_id,
            table.c.nonce == secret.nonce,
        )
        .values(key_id=key_id, nonce=nonce, ciphertext=ciphertext)
    )
    return result.rowcount == 1


def count_secrets_by_key(conn: sa.Connection) -> dict[str, int]:
    """How many secrets each master key id seals."""
    table = connection_secrets
    query = sa.select(table.c.key_id, sa.func.count()).group_by(table.c.key_id)
    return {key_id: int(count) for key_id, count in conn.execute(query)}


def append_audit(conn: sa.Connection, entry: AuditEntry) -> None:
    """Write one audit-log line (timestamped now unless `entry.at` is set)."""
    conn.execute(
        audit_log.insert().values(
            at=entry.at or utcnow(),
            actor=entry.actor,
            action=entry.action,
            connection_id=entry.connection_id,
            connection_name=entry.connection_name,
            outcome=entry.outcome,
            detail=entry.detail,
        )
    )


def list_audit(
    conn: sa.Connection,
    *,
    connection_id: int | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """The newest audit lines first, optionally for one connection; `before_id`: only lines
    with a smaller id (the next page)."""
    query = audit_log.select().order_by(audit_log.c.id.desc()).limit(limit)
    if connection_id is not None:
        query = query.where(audit_log.c.connection_id == connection_id)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [
        AuditEntry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            outcome=r.outcome,
            detail=r.detail,
            connection_id=r.connection_id,
            connection_name=r.connection_name,
        )
        for r in conn.execute(query)
    ]
