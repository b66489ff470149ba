"""Sync history, live progress and sync requests of one connection: what the web app shows
and asks for. The figures come from `sync_runs`, which the engine updates in every page's
transaction, so a sync running in any process is seen as it goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bigsync.store import mirror_repository, run_repository
from bigsync.store.run_repository import RunRow, SyncRequest

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "RunView",
    "StreamFigures",
    "SyncProgress",
    "SyncRequest",
    "clear_request",
    "live_progress",
    "pending_request",
    "request_sync",
    "run_history",
]


@dataclass(frozen=True)
class StreamFigures:
    """One stream of a run: its status and what it has read so far."""

    name: str
    status: str
    records: int
    changed: int
    requests: int
    expected: int | None
    error: str | None


@dataclass(frozen=True)
class RunView:
    """One sync run as people see it (`number`: #1 is the connection's first sync)."""

    id: int
    number: int
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
    streams: tuple[StreamFigures, ...]

    @property
    def duration_s(self) -> float | None:
        """How long the run took (None while it runs)."""
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    @property
    def is_running(self) -> bool:
        return self.status == "running"

    @property
    def streams_done(self) -> int:
        return sum(1 for s in self.streams if s.status in ("ok", "skipped", "failed"))


@dataclass(frozen=True)
class SyncProgress:
    """Where a connection's syncing stands: whether a sync holds it now, its newest run
    (the running one while it runs) and the sync someone asked for, if any."""

    connection_id: int
    running: bool
    run: RunView | None
    request: SyncRequest | None

    @property
    def done(self) -> bool:
        """Whether nothing runs and nothing is asked for."""
        return not self.running and self.request is None


def _streams(progress: dict[str, dict[str, Any]]) -> tuple[StreamFigures, ...]:
    return tuple(
        StreamFigures(
            name=name,
            status=str(f.get("status") or "pending"),
            records=int(f.get("records") or 0),
            changed=int(f.get("changed") or 0),
            requests=int(f.get("requests") or 0),
            expected=int(f["expected"]) if f.get("expected") is not None else None,
            error=f.get("error"),
        )
        for name, f in progress.items()
    )


def _view(row: RunRow, number: int) -> RunView:
    return RunView(
        id=row.id,
        number=number,
        mode=row.mode,
        status=row.status,
        records=row.records,
        records_read=row.records_read,
        requests=row.requests,
        rate_limited=row.rate_limited,
        waited_s=row.waited_s,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        updated_at=row.updated_at,
        streams=_streams(row.progress),
    )


def run_history(
    db: Engine, *, connection_id: int, limit: int = 20, before_id: int | None = None
) -> list[RunView]:
    """Runs of a connection, newest first (`before_id`: the page after that run)."""
    with db.connect() as conn:
        rows = run_repository.list_runs(
            conn, connection_id=connection_id, limit=limit, before_id=before_id
        )
        if not rows:
            return []
        first = run_repository.count_runs_before(
            conn, connection_id=connection_id, run_id=rows[-1].id
        )
    total = first + len(rows)
    return [_view(row, total - i) for i, row in enumerate(rows)]


def live_progress(db: Engine, *, connection_id: int) -> SyncProgress:
    """The connection's sync as it stands now."""
    with db.connect() as conn:
        lease = mirror_repository.current_lease(conn, connection_id=connection_id)
        rows = run_repository.list_runs(conn, connection_id=connection_id, limit=1)
        number = (
            run_repository.count_runs_before(conn, connection_id=connection_id, run_id=rows[0].id)
            + 1
            if rows
            else 0
        )
        request = run_repository.get_sync_request(conn, connection_id=connection_id)
    run = _view(rows[0], number) if rows else None
    running = lease.owner is not None and run is not None and run.is_running
    return SyncProgress(connection_id, running, run, request)


def request_sync(
    db: Engine, *, connection_id: int, full: bool = False, by: str = "web"
) -> SyncRequest:
    """Ask for a sync of the connection (a full resync with `full`): stored, so that the
    next sync job takes it in whichever process runs it; the caller nudges the scheduler."""
    with db.begin() as conn:
        return run_repository.put_sync_request(
            conn, connection_id=connection_id, full=full, by=by, now=datetime.now(UTC)
        )


def pending_request(db: Engine, *, connection_id: int) -> SyncRequest | None:
    """The sync someone asked for and no sync has taken yet."""
    with db.connect() as conn:
        return run_repository.get_sync_request(conn, connection_id=connection_id)


def clear_request(db: Engine, request: SyncRequest) -> bool:
    """Forget `request` once a sync ran for it (kept when asked again meanwhile)."""
    with db.begin() as conn:
        return run_repository.clear_sync_request(
            conn, connection_id=request.connection_id, requested_at=request.requested_at
        )
