"""SQL for the scheduler of `bigsync serve`: its state per connection and job, the cheap
"did any connection change?" question it polls, and the last webhook event of a connection.

Every function takes an open `sqlalchemy.Connection`; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigsync.store.schedule_schema import schedule_state, webhook_activity
from bigsync.store.schema import connections


@dataclass(frozen=True)
class ScheduleRow:
    """One `schedule_state` row: where one job of one connection stands."""

    connection_id: int
    job: str
    next_run_at: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    failures: int = 0


@dataclass(frozen=True)
class WebhookActivity:
    """The last webhook event a connection received, and how many it received."""

    connection_id: int
    last_event_at: datetime
    last_scope: str
    events: int


def _upsert(conn: sa.Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {conn.dialect.name}")


def connections_signature(conn: sa.Connection) -> Hashable:
    """A value that changes whenever a connection is added, edited, tested or removed (one
    cheap aggregate query, polled by the scheduler)."""
    row = conn.execute(
        sa.select(
            sa.func.count(), sa.func.max(connections.c.id), sa.func.max(connections.c.updated_at)
        )
    ).one()
    return (int(row[0]), row[1], row[2])


def _schedule_row(row: sa.Row[Any]) -> ScheduleRow:
    m = row._mapping
    return ScheduleRow(**{key: m[key] for key in ScheduleRow.__dataclass_fields__})


def load_schedule(
    conn: sa.Connection, *, connection_id: int | None = None
) -> dict[tuple[int, str], ScheduleRow]:
    """Every `schedule_state` row (or those of one connection), by (connection id, job)."""
    query = schedule_state.select()
    if connection_id is not None:
        query = query.where(schedule_state.c.connection_id == connection_id)
    rows = (_schedule_row(r) for r in conn.execute(query))
    return {(r.connection_id, r.job): r for r in rows}


def save_schedule(conn: sa.Connection, row: ScheduleRow) -> None:
    """Insert or replace the row of (`row.connection_id`, `row.job`); a connection that no
    longer exists is skipped (it was purged while its job ran)."""
    exists = conn.execute(
        sa.select(connections.c.id).where(connections.c.id == row.connection_id)
    ).first()
    if exists is None:
        return
    values = {key: getattr(row, key) for key in ScheduleRow.__dataclass_fields__}
    statement = _upsert(conn, schedule_state).values(**values)
    changed = {k: v for k, v in values.items() if k not in ("connection_id", "job")}
    conn.execute(
        statement.on_conflict_do_update(index_elements=["connection_id", "job"], set_=changed)
    )


def note_webhook(conn: sa.Connection, connection_id: int, *, at: datetime, scope: str) -> None:
    """Record that a webhook event of `scope` for `connection_id` was accepted at `at` (call it
    in the transaction that records the delivery)."""
    table = webhook_activity
    statement = _upsert(conn, table).values(
        connection_id=connection_id, last_event_at=at, last_scope=scope[:100], events=1
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["connection_id"],
            set_={
                "last_event_at": sa.func.max(
                    table.c.last_event_at, statement.excluded.last_event_at
                )
                if conn.dialect.name == "sqlite"
                else sa.func.greatest(table.c.last_event_at, statement.excluded.last_event_at),
                "last_scope": statement.excluded.last_scope,
                "events": table.c.events + 1,
            },
        )
    )


def get_webhook_activity(conn: sa.Connection, connection_id: int) -> WebhookActivity | None:
    """The last webhook event of `connection_id`, if it ever received one."""
    row = conn.execute(
        webhook_activity.select().where(webhook_activity.c.connection_id == connection_id)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return WebhookActivity(
        connection_id=m["connection_id"],
        last_event_at=m["last_event_at"],
        last_scope=m["last_scope"],
        events=m["events"],
    )
