"""`bigsync worker`: runs the queued jobs (`jobs.queue`) on PostgreSQL, any number of processes
on any number of machines.

- Each job runs the job function of its kind (`DEFAULT_JOBS`) with this process's one
  `JobContext`, and keeps `schedule_state` as the embedded scheduler does (started, finished,
  outcome, failures, next run), so `bigsync status` reads the same, and the tick knows what
  is due: the next slot (`timing.next_run_after`) after a success, the back-off
  after a failure, `busy_retry` after `busy`.
- A job whose worker died (SIGKILL, a lost machine) is handed back to the queue by the next
  tick once the worker's heartbeat is `stalled_after_s` old and the database server says
  its process is gone (`store.worker_lock`: a lock its session held is free): no job is lost
  for longer than about `stalled_after_s + tick_every_s`, and a worker that is only slow to
  beat never has its job run twice. The sync it was running resumes from its last
  committed page (the sync lock dies with its holder's database session).
- SIGTERM / SIGINT: procrastinate's graceful stop (no new job; running jobs get
  `shutdown_grace_s`, then are cancelled between pages and marked to run again at once).
- Versions: at start and before every job the worker compares the database's schema revision
  with its own. A database migrated by a newer bigsync (or not yet migrated) makes it refuse
  with both revisions and bigsync's version named; the job it was handed goes back to the
  queue for a worker of the right version, and this worker stops.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import TYPE_CHECKING, Any

from procrastinate import exceptions as queue_errors
from procrastinate.jobs import Status

from bigsync.errors import BigsyncError, SchemaMismatchError
from bigsync.jobs import metrics
from bigsync.jobs.model import JobOutcome
from bigsync.jobs.queue import (
    QUEUE,
    JobBusy,
    QueueOptions,
    build_queue,
    enqueue,
    queueing_lock,
)
from bigsync.jobs.scheduler import SchedulerOptions
from bigsync.jobs.source import DatabaseScheduleStore
from bigsync.jobs.tasks import DEFAULT_JOBS
from bigsync.jobs.timing import backoff_delay, next_run_after
from bigsync.store import schedule_repository
from bigsync.store.db import SchemaState, libpq_conninfo, schema_state
from bigsync.store.schedule_repository import ScheduleRow
from bigsync.store.worker_lock import WorkerLiveness, is_worker_alive

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from bigsync.jobs.context import JobContext
    from bigsync.jobs.model import JobSpec

log = logging.getLogger(__name__)

FORGET_AFTER_S = 300.0
SCHEMA_CHECK_EVERY_S = 2.0  # "before every job", at most one schema read per this interval


def utcnow() -> datetime:
    return datetime.now(UTC)


def bigsync_version() -> str:
    try:
        return metadata.version("bigsync")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def schema_refusal(state: SchemaState, *, version: str) -> str | None:
    """Why a worker of bigsync `version` must not run jobs on a database in `state`; None
    when the schema is this version's (or the database cannot be reached: that is not a
    version question, and the job's own error will say so)."""
    if not state.reachable or state.is_current:
        return None
    have = ", ".join(state.current) or "none"
    need = ", ".join(state.heads)
    if state.is_newer:
        return (
            f"the database schema is at revision {have}, written by a newer bigsync; this "
            f"worker is bigsync {version} (schema {need}): upgrade this worker's bigsync and "
            "start it again (its jobs wait in the queue for workers of the new version)"
        )
    return (
        f"the database schema is at revision {have}, older than this worker's (bigsync "
        f"{version}, schema {need}): start `bigsync worker` without --no-migrate once "
        "to migrate it"
    )


@dataclass(frozen=True)
class WorkerOptions:
    """How one worker process runs."""

    concurrency: int = 8  # jobs at once (each of a different store)
    shutdown_grace_s: float = 20.0
    name: str | None = None
    queue: QueueOptions = field(default_factory=QueueOptions)
    schedule: SchedulerOptions = field(default_factory=SchedulerOptions)


class QueueWorker:
    """Runs queued jobs with one `JobContext` (see the module doc)."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        jobs: Mapping[str, JobSpec] = DEFAULT_JOBS,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ctx = ctx
        self.jobs = dict(jobs)
        self.options = options or WorkerOptions()
        self.clock = clock
        self.version = bigsync_version()
        self.store = DatabaseScheduleStore(ctx.engine)
        conninfo = libpq_conninfo(ctx.settings.resolved_database_url)
        self.app = build_queue(conninfo, jobs=self.jobs, handler=self, options=self.options.queue)
        self.liveness = WorkerLiveness(ctx.engine)
        self.refusal: str | None = None
        self._checked_at = -float("inf")
        self._worker_task: asyncio.Task[None] | None = None

    # --- the process ----------------------------------------------------------------------

    async def run(self, *, on_started: Callable[[], None] | None = None) -> None:
        """Run jobs until SIGTERM / SIGINT; `SchemaMismatchError` when this worker's version
        is not the database's (at start, or later, once a newer bigsync migrated it)."""
        await self.check_schema(force=True)
        queue = self.options.queue
        async with self.app.open_async():
            self._worker_task = asyncio.create_task(
                self.app.run_worker_async(
                    queues=[QUEUE],
                    name=self.options.name or "bigsync",
                    concurrency=self.options.concurrency,
                    shutdown_graceful_timeout=self.options.shutdown_grace_s,
                    update_heartbeat_interval=queue.heartbeat_s,
                    # Workers are forgotten (their jobs' worker cleared) only long after
                    # they went silent; `recover_stalled` decides well before, by liveness.
                    stalled_worker_timeout=max(10 * queue.stalled_after_s, FORGET_AFTER_S),
                    install_signal_handlers=True,
                )
            )
            if on_started is not None:
                on_started()
            try:
                await self._worker_task
            except asyncio.CancelledError:
                if self.refusal is None:
                    raise
            finally:
                await asyncio.to_thread(self.liveness.release)
        if self.refusal is not None:
            raise SchemaMismatchError(self.refusal)

    async def check_schema(self, *, force: bool = False) -> None:
        """Refuse (`SchemaMismatchError`, and stop taking jobs) when the database's schema is
        not this bigsync's."""
        now = time.monotonic()
        if self.refusal is None and not force and now - self._checked_at < SCHEMA_CHECK_EVERY_S:
            return
        if self.refusal is None:
            state = await asyncio.to_thread(schema_state, self.ctx.engine)
            self._checked_at = now
            self.refusal = schema_refusal(state, version=self.version)
        if self.refusal is not None:
            self._stop_soon()
            raise SchemaMismatchError(self.refusal)

    def _stop_soon(self) -> None:
        task = self._worker_task
        if task is not None and not task.done():
            log.error("bigsync worker stops: %s", self.refusal)
            asyncio.get_running_loop().call_soon(task.cancel)

    # --- one job --------------------------------------------------------------------------

    async def run_job(
        self,
        kind: str,
        connection_id: int,
        arguments: dict[str, Any],
        *,
        attempts: int = 0,
        worker_id: int | None = None,
    ) -> None:
        """Run job `kind` of `connection_id` and record its state; raises what the job raised
        (the queue's retry policy decides), `JobBusy` for a `busy` outcome."""
        if worker_id is not None and self.liveness.worker_id != worker_id:
            await asyncio.to_thread(self.liveness.hold, worker_id)
        await self.check_schema()
        spec = self.jobs[kind]
        every_s = arguments.pop("every_s", None)
        every = spec.every or (
            timedelta(seconds=float(every_s)) if every_s else self.options.schedule.sync_every
        )
        row = await asyncio.to_thread(self._start_row, connection_id, kind, every)
        began = time.monotonic()
        try:
            outcome = await spec.function(
                self.ctx, connection_id, **{**spec.arguments, **arguments}
            )
        except asyncio.CancelledError:  # a stop past its grace: run it again at once
            done = self.clock()
            row = replace(row, last_finished_at=done, last_outcome="interrupted", next_run_at=done)
            await asyncio.shield(asyncio.to_thread(self.store.save_state, row))
            metrics.job_finished(kind, "interrupted", time.monotonic() - began)
            raise
        except BigsyncError as error:
            await self._finish(row, JobOutcome("failed", str(error)), every)
            metrics.job_finished(kind, "failed", time.monotonic() - began)
            raise
        await self._finish(row, outcome, every)
        metrics.job_finished(kind, outcome.status, time.monotonic() - began, outcome)
        if outcome.status == "busy":
            raise JobBusy(outcome.message)
        if attempts:
            log.info("%s of connection %d done on attempt %d", kind, connection_id, attempts + 1)

    def _start_row(self, connection_id: int, kind: str, every: timedelta) -> ScheduleRow:
        """Record the job as started (its next run as if it succeeds now: a job whose worker
        dies is due again then), in one transaction; the row as saved."""
        started = self.clock()
        with self.ctx.engine.begin() as conn:
            rows = schedule_repository.load_schedule(conn, connection_id=connection_id)
            row = rows.get((connection_id, kind)) or ScheduleRow(connection_id, kind)
            row = replace(
                row,
                last_started_at=started,
                next_run_at=next_run_after(connection_id, every, finished=started, kind=kind),
            )
            schedule_repository.save_schedule(conn, row)
        return row

    async def _finish(self, row: ScheduleRow, outcome: JobOutcome, every: timedelta) -> None:
        done = self.clock()
        schedule = self.options.schedule
        failures = 0 if outcome.succeeded else row.failures + (outcome.status == "failed")
        if outcome.status == "failed":
            wait = backoff_delay(failures, base=schedule.backoff_base, cap=schedule.backoff_cap)
            next_run = done + wait
        elif outcome.status == "busy":
            next_run = done + schedule.busy_retry
        else:
            next_run = next_run_after(row.connection_id, every, finished=done, kind=row.job)
        row = replace(
            row,
            last_finished_at=done,
            last_outcome=outcome.status,
            last_error=None if outcome.succeeded else outcome.message,
            failures=failures,
            next_run_at=next_run,
        )
        await asyncio.to_thread(self.store.save_state, row)
        if outcome.status == "failed":
            log.warning(
                "%s of connection %d failed: %s", row.job, row.connection_id, outcome.message
            )

    # --- the tick -------------------------------------------------------------------------

    async def tick(self) -> None:
        """Queue every due (kind, connection) not already waiting; hand the jobs of dead
        workers back to the queue."""
        await self.check_schema()
        await self.recover_stalled()
        now = self.clock()
        connections, states, with_work = await asyncio.to_thread(self._read_schedule, now)
        waiting = await self._waiting_locks()
        queued = 0
        for connection in connections:
            if not connection.ready:
                continue
            for kind, spec in self.jobs.items():
                if not spec.applies_to(connection):
                    continue
                if kind in with_work and connection.id not in with_work[kind]:
                    continue  # nothing waits for it: no job (it stays due for later)
                row = states.get((connection.id, kind))
                due = row.next_run_at if row and row.next_run_at else now
                if due > now or queueing_lock(kind, connection.id) in waiting:
                    continue
                arguments: dict[str, Any] = {}
                if spec.every is None and connection.sync_every is not None:
                    arguments["every_s"] = connection.sync_every.total_seconds()
                store = connection.store
                if await enqueue(self.app, kind, connection.id, store=store, arguments=arguments):
                    queued += 1
        metrics.tick_queued(queued)

    def _read_schedule(
        self, now: datetime
    ) -> tuple[list[Any], dict[tuple[int, str], ScheduleRow], dict[str, set[int]]]:
        """The connections, their jobs' states, and per job kind with `with_work` the
        connections with work at `now`."""
        with_work = {
            kind: spec.with_work(self.ctx, now)
            for kind, spec in self.jobs.items()
            if spec.with_work is not None
        }
        return self.store.connections(), self.store.load_state(), with_work

    async def _waiting_locks(self) -> set[str]:
        """The queueing locks of the jobs waiting or running: a job that runs has not yet
        moved its schedule on (a worker may even have died before it could), so it is not
        queued again beside itself."""
        manager = self.app.job_manager
        locks: set[str] = set()
        for status in ("todo", "doing"):
            jobs = await manager.list_jobs_async(queue=QUEUE, status=status)
            locks.update(job.queueing_lock for job in jobs if job.queueing_lock)
        return locks

    async def recover_stalled(self) -> int:
        """Put the running jobs of workers silent for `stalled_after_s` back in the queue;
        how many."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.options.queue.stalled_after_s
        )
        recovered = 0
        for job in stalled:
            if job.worker_id is not None and await asyncio.to_thread(
                is_worker_alive, self.ctx.engine, job.worker_id
            ):
                continue  # late heartbeats, live process: its job runs on
            try:
                await manager.retry_job(job)
                fate = "is back in the queue"
            except queue_errors.UniqueViolation:
                # The same job (its queueing lock) already waits, queued by a nudge while
                # this one ran: that one does the work, and this one ends so that the
                # store's lock frees up for it.
                await manager.finish_job(job, Status.ABORTED, delete_job=False)
                fate = "ended: the same job waits in the queue"
            except Exception as error:  # another tick got there first
                log.debug("could not hand job %s back: %s", job.id, error)
                continue
            recovered += 1
            log.warning(
                "job %s (%s) of a worker silent for %.0f s %s",
                job.id,
                job.task_name,
                self.options.queue.stalled_after_s,
                fate,
            )
        metrics.jobs_recovered(recovered)
        return recovered
