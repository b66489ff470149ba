"""What `bigsync status` says about a connection's schedule: its interval, its next run,
how the last scheduled runs went, and the last webhook event (plain JSON-able data)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigsync.jobs.scheduler import SchedulerOptions
from bigsync.jobs.tasks import SYNC
from bigsync.store import schedule_repository

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def schedule_status(
    db: Engine, *, connection_id: int, sync_every: timedelta | None, ready: bool
) -> dict[str, Any]:
    """The schedule of one connection. `next_run_at` is when `bigsync serve` runs the job
    next (None: as soon as serve runs, for a connection never scheduled yet)."""
    every = sync_every or SchedulerOptions().sync_every
    with db.connect() as conn:
        rows = schedule_repository.load_schedule(conn, connection_id=connection_id)
        webhook = schedule_repository.get_webhook_activity(conn, connection_id)
    jobs = {}
    for (_id, kind), row in sorted(rows.items()):
        jobs[kind] = {
            "next_run_at": _iso(row.next_run_at),
            "last_started_at": _iso(row.last_started_at),
            "last_finished_at": _iso(row.last_finished_at),
            "last_outcome": row.last_outcome,
            "last_error": row.last_error,
            "failures": row.failures,
        }
    sync = jobs.get(SYNC)
    return {
        "ready": ready,
        "sync_every_s": int(every.total_seconds()),
        "sync_every_default": sync_every is None,
        "next_sync_at": sync["next_run_at"] if sync else None,
        "jobs": jobs,
        "last_webhook": None
        if webhook is None
        else {
            "at": _iso(webhook.last_event_at),
            "scope": webhook.last_scope,
            "events": webhook.events,
        },
    }
