"""What the Integrations pages say about each connection: its state (connected, syncing,
failed with the reason, scope problems, not tested), its last sync, the next scheduled one,
its interval and its last webhook event — the figures of `bigsync status`, as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bigsync.jobs.scheduler import SchedulerOptions
from bigsync.jobs.tasks import SYNC
from bigsync.store import schedule_repository
from bigsync.sync.history import SyncProgress, live_progress
from bigsync.sync.model import feature_title

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bigsync.connections import ConnectionView
    from bigsync.store.schedule_repository import ScheduleRow

State = Literal["connected", "syncing", "failed", "scope_problems", "untested"]

STATE_TITLES: dict[str, str] = {
    "connected": "Connected",
    "syncing": "Syncing",
    "failed": "Failed",
    "scope_problems": "Scope problems",
    "untested": "Not tested",
}


@dataclass(frozen=True)
class IntegrationState:
    """One connection as the Integrations pages show it."""

    connection: ConnectionView
    state: State
    reason: str | None  # why it failed, or which scopes are missing
    progress: SyncProgress
    sync_every: timedelta
    sync_every_default: bool
    next_sync_at: datetime | None  # None: at once when `bigsync serve` runs
    last_sync_at: datetime | None
    last_sync_outcome: str | None
    last_webhook_at: datetime | None
    last_webhook_scope: str | None
    webhook_events: int

    @property
    def title(self) -> str:
        return STATE_TITLES[self.state]

    @property
    def scope_problems(self) -> dict[str, str]:
        """Features the last test turned off, with the missing scope."""
        return dict(self.connection.disabled_features)


def integration_state(
    db: Engine, view: ConnectionView, *, default_every: timedelta | None = None
) -> IntegrationState:
    """The state of one connection, from the database (any process's sync is seen)."""
    progress = live_progress(db, connection_id=view.id)
    with db.connect() as conn:
        sync = schedule_repository.load_schedule(conn, connection_id=view.id).get((view.id, SYNC))
        webhook = schedule_repository.get_webhook_activity(conn, view.id)
    state, reason = _state(view, progress, sync)
    every = view.sync_every or default_every or SchedulerOptions().sync_every
    run = progress.run
    last_sync_at = sync.last_finished_at if sync else None
    if run is not None and run.finished_at is not None:
        last_sync_at = max(filter(None, (last_sync_at, run.finished_at)))
    return IntegrationState(
        connection=view,
        state=state,
        reason=reason,
        progress=progress,
        sync_every=every,
        sync_every_default=view.sync_every is None,
        next_sync_at=sync.next_run_at if sync else None,
        last_sync_at=last_sync_at,
        last_sync_outcome=_last_outcome(sync, progress),
        last_webhook_at=webhook.last_event_at if webhook else None,
        last_webhook_scope=webhook.last_scope if webhook else None,
        webhook_events=webhook.events if webhook else 0,
    )


def _state(
    view: ConnectionView, progress: SyncProgress, sync: ScheduleRow | None
) -> tuple[State, str | None]:
    if view.is_failing:
        return "failed", view.failing_reason
    if progress.running:
        return "syncing", None
    if view.last_test is None:
        return "untested", "Test the connection: syncs start once a test passed."
    failure = _failure(view, sync)
    if failure is not None:
        return "failed", failure
    if view.disabled_features:
        reasons = "; ".join(
            f"{feature_title(f)}: {r}" for f, r in sorted(view.disabled_features.items())
        )
        return "scope_problems", reasons
    return "connected", None


def _failure(view: ConnectionView, sync: ScheduleRow | None) -> str | None:
    """Why the last test or the last scheduled sync failed; None when neither did."""
    if view.last_test is not None and not view.last_test.ok:
        failed = [c.message for c in view.last_test.checks if c.ok is False]
        return "; ".join(failed) or "the last test failed"
    if sync is not None and sync.last_outcome == "failed":
        return sync.last_error or "the last sync failed"
    return None


def _last_outcome(sync: ScheduleRow | None, progress: SyncProgress) -> str | None:
    run = progress.run
    if run is not None and not run.is_running:
        return run.status
    return sync.last_outcome if sync else None
