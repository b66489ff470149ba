"""The read-only aggregates `/metrics` reports (a few cheap queries per scrape): the outbox's
depth and age by state, the webhook refresh queue's depth and lag, and the job queue's
jobs by status (PostgreSQL with worker mode)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bigsync.store.outbox_schema import outbox
from bigsync.store.webhook_schema import webhook_refreshes


@dataclass(frozen=True)
class Backlog:
    """How many rows wait in one state, and since when the oldest one waits."""

    state: str
    count: int
    oldest: datetime | None


def outbox_backlog(conn: sa.Connection) -> list[Backlog]:
    """Outbox rows by state (all connections), with the oldest `created_at` of each."""
    rows = conn.execute(
        sa.select(outbox.c.state, sa.func.count(), sa.func.min(outbox.c.created_at)).group_by(
            outbox.c.state
        )
    )
    return [Backlog(state, int(count), oldest) for state, count, oldest in rows]


def webhook_backlog(conn: sa.Connection) -> Backlog:
    """Records webhook deliveries named that wait for their refresh, and the oldest request."""
    count, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(webhook_refreshes.c.first_requested_at))
    ).one()
    return Backlog("queued", int(count), oldest)


_QUEUE_JOBS = sa.text(
    "SELECT task_name, status::text, count(*), min(scheduled_at) FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') GROUP BY task_name, status"
)


def queue_backlog(conn: sa.Connection) -> list[tuple[str, str, int]]:
    """(task, status, count) of the job queue's waiting and running jobs; [] without a queue
    (SQLite, or a PostgreSQL database never migrated to worker mode)."""
    if conn.dialect.name != "postgresql":
        return []
    exists = conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
    if not exists:
        return []
    return [(task, status, int(count)) for task, status, count, _at in conn.execute(_QUEUE_JOBS)]
