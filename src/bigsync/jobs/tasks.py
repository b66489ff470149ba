"""The job functions: plain async functions of (context, connection id, data), so that the
embedded scheduler and a procrastinate worker run the very same code. Each returns a
`JobOutcome`; a `BigsyncError` it raises is a failure with that error's message.

`DEFAULT_JOBS` is the table `bigsync serve` runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from bigsync.errors import DispatchLockedError, SyncLockedError
from bigsync.jobs.context import JobContext
from bigsync.jobs.model import JobOutcome, JobSpec
from bigsync.sync.history import clear_request, pending_request
from bigsync.sync.model import SyncOptions, SyncResult
from bigsync.sync.service import sync_connection
from bigsync.webhooks.refresh import run_pending_refreshes
from bigsync.webhooks.subscriptions import keep_connection_hooks
from bigsync.writeback.dispatcher import DispatchOptions
from bigsync.writeback.service import connections_with_due_intents, push_connection

SYNC = "sync"
DISPATCH_OUTBOX = "dispatch_outbox"
WEBHOOK_UPKEEP = "webhook_upkeep"
WEBHOOK_REFRESH = "webhook_refresh"  # the kind the webhook receiver nudges

SYNC_MODES = ("incremental", "full")
"""`incremental`: the latest changes (the first sync of a connection reads everything, and
the variant and delete scans run when the engine finds them due); `full`: read everything."""

SUMMARY_ERRORS = 3  # stream errors quoted in a failed sync's message


async def sync_connection_job(
    ctx: JobContext, connection_id: int, mode: str = "incremental"
) -> JobOutcome:
    """Sync one connection (`mode`: one of `SYNC_MODES`). A stored request (the web app's
    Full resync, `sync.history.request_sync`) makes it a full sync, and is cleared once the
    run is done. Another sync of the connection running elsewhere (the terminal, another
    worker) makes this run `busy`, and the request waits for the next run."""
    if mode not in SYNC_MODES:
        return JobOutcome("failed", f"unknown sync mode {mode!r}: one of {', '.join(SYNC_MODES)}")
    service = ctx.connections(actor="serve")
    view = service.get_by_id(connection_id)
    request = pending_request(ctx.engine, connection_id=connection_id)
    full = mode == "full" or (request is not None and request.full)
    options = SyncOptions(full=full)
    try:
        result = await sync_connection(
            service, view.name, options=options, client_options=ctx.client_options
        )
    except SyncLockedError as busy:
        return JobOutcome("busy", str(busy))
    if request is not None:
        clear_request(ctx.engine, request)
    return sync_outcome(result)


DISPATCH_ROUND_S = 60.0
"""How long one outbox job keeps dispatching (read-backs of stock it sent included) before it
leaves the rest to its next run."""


async def dispatch_outbox_job(ctx: JobContext, connection_id: int) -> JobOutcome:
    """Send the connection's due write intents; another dispatch of it running elsewhere
    (`bigsync push`, another worker) makes this run `busy`."""
    service = ctx.connections(actor="serve")
    view = service.get_by_id(connection_id)
    try:
        result = await push_connection(
            service,
            view.name,
            options=DispatchOptions(max_wait_s=DISPATCH_ROUND_S),
            client_options=ctx.client_options,
        )
    except DispatchLockedError as busy:
        return JobOutcome("busy", str(busy))
    # The orders it shipped or changed are read back into the mirror (queued by the outbox).
    await run_pending_refreshes(
        service, connection_id=connection_id, client_options=ctx.client_options
    )
    counts = result.to_json()["counts"]
    if not counts and not result.left:
        return JobOutcome("idle", "outbox: nothing due")
    text = ", ".join(f"{n:,} {state}" for state, n in counts.items())
    if counts.get("failed") or counts.get("mismatched"):
        return JobOutcome("warning", f"outbox: {text}")
    return JobOutcome("ok", f"outbox: {text}")


def outbox_with_work(ctx: JobContext, now: datetime) -> set[int]:
    """The connections whose outbox has intents due at `now`."""
    return connections_with_due_intents(ctx.engine, now=now)


async def webhook_refresh_job(ctx: JobContext, connection_id: int) -> JobOutcome:
    """Refresh the records the connection's webhook deliveries named (the durable queue)."""
    report = await run_pending_refreshes(
        ctx.connections(actor="webhook"),
        connection_id=connection_id,
        client_options=ctx.client_options,
    )
    if not report.done and not report.failed and not report.dropped:
        return JobOutcome("idle", "webhooks: nothing queued")
    text = (
        f"webhooks: {report.refreshed:,} refreshed, {report.removed:,} removed, "
        f"{report.failed:,} kept for later, {report.dropped:,} given up"
    )
    return JobOutcome("warning" if report.failed or report.dropped else "ok", text)


async def webhook_upkeep_job(ctx: JobContext, connection_id: int) -> JobOutcome:
    """Keep the connection's hooks registered, active and pointing at this hub."""
    report = await keep_connection_hooks(
        ctx.connections(actor="serve"),
        connection_id,
        public_url=ctx.settings.public_url,
        client_options=ctx.client_options,
    )
    verbs = ("created", "reactivated", "updated", "deleted")
    changes = [f"{verb} {len(getattr(report, verb))}" for verb in verbs if getattr(report, verb)]
    return JobOutcome("ok", "hooks: " + (", ".join(changes) or f"{len(report.kept)} in place"))


def sync_outcome(result: SyncResult) -> JobOutcome:
    """A sync's result as a job outcome: its status, and its stream errors when any."""
    troubled = [s for s in result.streams if s.status == "failed" or s.warning]
    message = "; ".join(f"{s.name}: {s.error}" for s in troubled[:SUMMARY_ERRORS])
    if len(troubled) > SUMMARY_ERRORS:
        message += f"; and {len(troubled) - SUMMARY_ERRORS} more streams"
    summary = f"sync #{result.number} ({result.mode}): {result.changed:,} rows changed"
    text = f"{summary}; {message}" if message else summary
    figures = {"records": result.records, "changed": result.changed}
    if result.status == "ok":
        return JobOutcome("ok", text, figures)
    return JobOutcome("warning" if result.status == "warning" else "failed", text, figures)


DEFAULT_JOBS: dict[str, JobSpec] = {
    SYNC: JobSpec(sync_connection_job),  # every connection, at its own interval
    # Every connection with intents due: those recorded by the CLI or the web app (which
    # nudge it at once) and retries wait at most a minute.
    DISPATCH_OUTBOX: JobSpec(
        dispatch_outbox_job, every=timedelta(minutes=1), with_work=outbox_with_work
    ),
    # Deliveries nudge the refresh at once; the timer retries refreshes that failed.
    WEBHOOK_REFRESH: JobSpec(
        webhook_refresh_job, every=timedelta(minutes=1), features=frozenset({"webhooks"})
    ),
    WEBHOOK_UPKEEP: JobSpec(
        webhook_upkeep_job, every=timedelta(hours=1), features=frozenset({"webhooks"})
    ),
}
"""The jobs `bigsync serve` runs, by kind."""

__all__ = [
    "DEFAULT_JOBS",
    "DISPATCH_OUTBOX",
    "SYNC",
    "WEBHOOK_REFRESH",
    "WEBHOOK_UPKEEP",
    "dispatch_outbox_job",
    "outbox_with_work",
    "sync_connection_job",
    "sync_outcome",
    "webhook_refresh_job",
    "webhook_upkeep_job",
]
