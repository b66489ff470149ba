"""The SQL of webhook deliveries and of the refresh queue (`webhook_schema`). Every function
takes an open connection; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigsync.store.webhook_schema import webhook_events, webhook_refreshes


@dataclass(frozen=True)
class PendingRefresh:
    """One record waiting for its targeted refresh; `requested` counts the events asking."""

    connection_id: int
    kind: str
    record_id: int
    requested: int
    first_requested_at: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class EventRow:
    """One recorded delivery."""

    scope: str
    target_kind: str | None
    target_id: int | None
    created_at: int
    received_at: datetime


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def record_event(
    conn: sa.Connection,
    *,
    connection_id: int,
    event_key: str,
    hash: str,
    scope: str,
    target: tuple[str, int] | None,
    created_at: int,
    now: datetime,
) -> datetime | None:
    """Record a delivery and queue its target. A delivery already recorded writes nothing
    and returns when the first one was received (None: this one is new)."""
    inserted = conn.execute(
        _insert(conn, webhook_events)
        .values(
            connection_id=connection_id,
            event_key=event_key,
            hash=hash,
            scope=scope,
            target_kind=target[0] if target else None,
            target_id=target[1] if target else None,
            created_at=created_at,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "event_key"])
        .returning(webhook_events.c.id)
    ).first()
    if inserted is None:
        first = conn.scalar(
            sa.select(webhook_events.c.received_at).where(
                webhook_events.c.connection_id == connection_id,
                webhook_events.c.event_key == event_key,
            )
        )
        return first if first is not None else now
    if target is not None:
        request_refresh(
            conn, connection_id=connection_id, kind=target[0], record_id=target[1], now=now
        )
    return None


def request_refresh(
    conn: sa.Connection, *, connection_id: int, kind: str, record_id: int, now: datetime
) -> None:
    """Queue a refresh of one record, or count one more request of a queued one."""
    statement = _insert(conn, webhook_refreshes).values(
        connection_id=connection_id,
        kind=kind,
        record_id=record_id,
        requested=1,
        first_requested_at=now,
        last_requested_at=now,
        attempts=0,
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["connection_id", "kind", "record_id"],
            set_={
                "requested": webhook_refreshes.c.requested + 1,
                "last_requested_at": now,
            },
        )
    )


def due_refreshes(
    conn: sa.Connection, *, now: datetime, limit: int, connection_id: int | None = None
) -> list[PendingRefresh]:
    """Queued refreshes not held back by a retry delay, oldest request first."""
    table = webhook_refreshes
    query = sa.select(
        table.c.connection_id,
        table.c.kind,
        table.c.record_id,
        table.c.requested,
        table.c.first_requested_at,
        table.c.attempts,
        table.c.last_error,
    ).where(sa.or_(table.c.not_before.is_(None), table.c.not_before <= now))
    if connection_id is not None:
        query = query.where(table.c.connection_id == connection_id)
    query = query.order_by(table.c.first_requested_at, table.c.record_id).limit(limit)
    return [PendingRefresh(**row._mapping) for row in conn.execute(query)]


def _key(refresh: PendingRefresh) -> sa.ColumnElement[bool]:
    table = webhook_refreshes
    return sa.and_(
        table.c.connection_id == refresh.connection_id,
        table.c.kind == refresh.kind,
        table.c.record_id == refresh.record_id,
    )


def finish_refresh(conn: sa.Connection, refresh: PendingRefresh) -> bool:
    """Remove a done refresh unless an event asked for it again meanwhile (then it stays,
    to run once more); True when it was removed."""
    statement = webhook_refreshes.delete().where(
        _key(refresh), webhook_refreshes.c.requested == refresh.requested
    )
    return conn.execute(statement).rowcount == 1


def postpone_refresh(
    conn: sa.Connection, refresh: PendingRefresh, *, error: str, not_before: datetime
) -> None:
    """Keep a failed refresh queued, to try again at `not_before`."""
    conn.execute(
        webhook_refreshes.update()
        .where(_key(refresh))
        .values(
            attempts=webhook_refreshes.c.attempts + 1,
            last_error=error[:2000],
            not_before=not_before,
        )
    )


def drop_refresh(conn: sa.Connection, refresh: PendingRefresh) -> None:
    """Remove a refresh that will never succeed (its feature is off, its connection gone)."""
    conn.execute(webhook_refreshes.delete().where(_key(refresh)))


def count_pending(conn: sa.Connection, *, connection_id: int | None = None) -> int:
    """Refreshes still queued."""
    query = sa.select(sa.func.count()).select_from(webhook_refreshes)
    if connection_id is not None:
        query = query.where(webhook_refreshes.c.connection_id == connection_id)
    return int(conn.scalar(query) or 0)


def count_events(conn: sa.Connection, *, connection_id: int) -> int:
    """Deliveries recorded for a connection."""
    query = sa.select(sa.func.count()).where(webhook_events.c.connection_id == connection_id)
    return int(conn.scalar(query) or 0)


def last_event(conn: sa.Connection, *, connection_id: int) -> EventRow | None:
    """The newest delivery recorded for a connection."""
    table = webhook_events
    row = conn.execute(
        sa.select(
            table.c.scope,
            table.c.target_kind,
            table.c.target_id,
            table.c.created_at,
            table.c.received_at,
        )
        .where(table.c.connection_id == connection_id)
        .order_by(table.c.received_at.desc(), table.c.id.desc())
        .limit(1)
    ).first()
    return EventRow(**row._mapping) if row else None


def prune_events(
    conn: sa.Connection, *, received_before: datetime, connection_id: int | None = None
) -> int:
    """Forget deliveries received before `received_before` (of one connection, or all)."""
    statement = webhook_events.delete().where(webhook_events.c.received_at < received_before)
    if connection_id is not None:
        statement = statement.where(webhook_events.c.connection_id == connection_id)
    return conn.execute(statement).rowcount
