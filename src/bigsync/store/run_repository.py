"""The SQL of sync history, live progress and stored sync requests: the `sync_runs` rows as
pages of history, and `sync_requests` (a Sync now or Full resync someone asked for, read by
the connection's next sync job)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bigsync.store.mirror_schema import sync_requests, sync_runs


@dataclass(frozen=True)
class RunRow:
    """One `sync_runs` row."""

    id: int
    connection_id: int
    mode: str
    status: str
    records: int  # rows new or changed
    records_read: int
    requests: int
    rate_limited: int
    waited_s: float
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    updated_at: datetime | None
    progress: dict[str, dict[str, Any]]


def _run(row: sa.Row[Any]) -> RunRow:
    m = row._mapping
    return RunRow(
        id=m["id"],
        connection_id=m["connection_id"],
        mode=m["mode"],
        status=m["status"],
        records=int(m["records"] or 0),
        records_read=int(m["records_read"] or 0),
        requests=int(m["requests"] or 0),
        rate_limited=int(m["rate_limited"] or 0),
        waited_s=float(m["waited_s"] or 0.0),
        error=m["error"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        updated_at=m["updated_at"],
        progress=dict(m["progress"] or {}),
    )


def list_runs(
    conn: sa.Connection, *, connection_id: int, limit: int, before_id: int | None = None
) -> list[RunRow]:
    """Runs of a connection, newest first; with `before_id`, those older than that run."""
    query = sync_runs.select().where(sync_runs.c.connection_id == connection_id)
    if before_id is not None:
        query = query.where(sync_runs.c.id < before_id)
    query = query.order_by(sync_runs.c.id.desc()).limit(limit)
    return [_run(row) for row in conn.execute(query)]


def count_runs_before(conn: sa.Connection, *, connection_id: int, run_id: int) -> int:
    """How many runs of the connection started before `run_id` (its number is this + 1)."""
    query = sa.select(sa.func.count()).where(
        sync_runs.c.connection_id == connection_id, sync_runs.c.id < run_id
    )
    return int(conn.scalar(query) or 0)


@dataclass(frozen=True)
class SyncRequest:
    """A sync someone asked for and no sync has taken yet."""

    connection_id: int
    full: bool
    requested_at: datetime
    requested_by: str


def put_sync_request(
    conn: sa.Connection, *, connection_id: int, full: bool, by: str, now: datetime
) -> SyncRequest:
    """Ask for a sync of the connection; a full one stays full when asked again lightly."""
    existing = get_sync_request(conn, connection_id=connection_id)
    full = full or (existing.full if existing else False)
    values = {"full": full, "requested_at": now, "requested_by": by[:128]}
    if existing is None:
        conn.execute(sync_requests.insert().values(connection_id=connection_id, **values))
    else:
        conn.execute(
            sync_requests.update()
            .where(sync_requests.c.connection_id == connection_id)
            .values(**values)
        )
    return SyncRequest(connection_id, full, now, by[:128])


def get_sync_request(conn: sa.Connection, *, connection_id: int) -> SyncRequest | None:
    """The connection's pending request, if any."""
    row = conn.execute(
        sync_requests.select().where(sync_requests.c.connection_id == connection_id)
    ).first()
    if row is None:
        return None
    return SyncRequest(row.connection_id, bool(row.full), row.requested_at, row.requested_by)


def clear_sync_request(conn: sa.Connection, *, connection_id: int, requested_at: datetime) -> bool:
    """Delete the request a sync took, unless it was asked again since (`requested_at`
    moved): a request made while a sync ran is kept for the next one."""
    result = conn.execute(
        sync_requests.delete().where(
            sync_requests.c.connection_id == connection_id,
            sync_requests.c.requested_at == requested_at,
        )
    )
    return bool(result.rowcount)
