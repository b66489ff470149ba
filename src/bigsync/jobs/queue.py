"""The job queue of worker mode: procrastinate on bigsync's own PostgreSQL database (its schema
comes with bigsync's migrations, revision `0010_worker`). The only module, with
`jobs/worker.py`, that knows procrastinate.

What is queued is the same table of job functions `bigsync serve` runs (`DEFAULT_JOBS`): one
procrastinate task per kind (`bigsync.sync`, `bigsync.dispatch_outbox`, ...), whose job
arguments are the connection id and data. Every job of a connection is deferred with

- `queueing_lock = "bigsync:<kind>:<connection id>"`: at most one waiting job per (kind,
  connection), so a tick, a nudge and a retry never pile up duplicates;
- `lock = "bigsync:store:<api host>/<store hash>"` (`store_lock` of the connection's
  `store_key`): procrastinate starts no job while another job with the same lock is running,
  so at any moment ONE job of a store runs in the whole fleet: its sync, webhook refresh,
  outbox dispatch and hook upkeep take turns, and so do the jobs of every other connection
  to the same store (a store-level API account beside an app install, two integrations).
  That is how a store keeps one rate budget across many workers: all its API calls at a
  given moment come from one process, through that process's one `RateGovernor` of the
  store. Every path that queues a job (`enqueue`: the tick, `QueueNudge`, `retry_job`)
  gives it the store; a stalled job handed back keeps the lock it was queued with.

A periodic task, `bigsync.tick` (every `tick_every_s`, deferred once per instant by whichever
worker's periodic deferrer gets there first), enqueues the (kind, connection) pairs that are
due by `schedule_state` and hands the jobs of dead workers back to the queue.

Finished jobs do not pile up: a periodic `bigsync.remove_old_jobs` (hourly) has procrastinate
delete (`JobManager.delete_old_jobs`, what its builtin `remove_old_jobs` task calls) the jobs
that succeeded more than `keep_succeeded_h` ago, and those that failed, were cancelled or
aborted more than `keep_failed_h` ago (kept longer: someone may look into them).

Retries follow the error's own policy (`errors.is_retriable`): a retriable error is tried again
with exponential delays, up to `retry_attempts`; another error fails the job, and the
schedule's back-off decides the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import procrastinate
from procrastinate import exceptions as queue_errors
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from bigsync.errors import JobNotFoundError, SchemaMismatchError, is_retriable
from bigsync.jobs.tasks import DEFAULT_JOBS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from procrastinate.jobs import Job

    from bigsync.jobs.model import JobSpec

log = logging.getLogger(__name__)

TICK = "tick"
REMOVE_OLD_JOBS = "remove_old_jobs"
OWN_TASKS = (TICK, REMOVE_OLD_JOBS)  # the queue's upkeep, of no connection
TASK_PREFIX = "bigsync."
QUEUE = "bigsync"
TICK_PRIORITY = 10  # jobs default to 0; procrastinate starts higher priorities first


def task_name(kind: str) -> str:
    """The procrastinate task of job `kind`."""
    return f"{TASK_PREFIX}{kind}"


def store_lock(store: str) -> str:
    """The lock every job of one store (`bigcommerce.store_key`) holds while it runs, for
    every connection to the store."""
    if not store:
        raise ValueError("a job's store is its store_key, never empty")
    return f"bigsync:store:{store}"


def queueing_lock(kind: str, connection_id: int) -> str:
    """At most one waiting job per (kind, connection)."""
    return f"bigsync:{kind}:{connection_id}"


@dataclass(frozen=True)
class QueueOptions:
    """How the queue paces itself (seconds)."""

    tick_every_s: int = 5  # a divisor of 60
    stalled_after_s: float = 30.0  # a worker silent this long is dead: its jobs go back
    heartbeat_s: float = 10.0
    retry_base_s: float = 10.0
    retry_attempts: int = 5
    busy_retry_s: float = 30.0
    schema_retry_s: float = 30.0
    keep_succeeded_h: int = 24
    keep_failed_h: int = 7 * 24  # failed, cancelled and aborted jobs
    remove_old_cron: str = "17 * * * *"  # hourly

    def tick_cron(self) -> str:
        """The tick's cron line (six columns: the last one is seconds)."""
        every = self.tick_every_s
        if every < 1 or 60 % every:
            raise ValueError("tick_every_s must divide 60")
        return "* * * * * *" if every == 1 else f"* * * * * */{every}"


class JobBusy(Exception):  # noqa: N818 -- a state, not a failure
    """Another process runs the same work (a `bigsync sync` from the terminal): try later."""


class BigsyncRetry(BaseRetryStrategy):
    """Retry by the error's own policy: retriable errors with exponential delays, a worker of
    the wrong schema version hands the job back for another worker, busy tries again soon."""

    def __init__(self, options: QueueOptions) -> None:
        self.options = options

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        return retry_decision(exception, attempts=job.attempts, options=self.options)


def retry_decision(
    exception: BaseException, *, attempts: int, options: QueueOptions
) -> RetryDecision | None:
    """When to run a job again after `exception` on its attempt number `attempts` (0 first);
    None: the job fails."""
    if isinstance(exception, SchemaMismatchError):
        return RetryDecision(retry_in={"seconds": int(options.schema_retry_s)})
    if isinstance(exception, JobBusy):
        return RetryDecision(retry_in={"seconds": int(options.busy_retry_s)})
    if is_retriable(exception) and attempts + 1 < options.retry_attempts:
        delay = options.retry_base_s * 2**attempts
        return RetryDecision(retry_in={"seconds": int(delay)})
    return None


class QueueHandler(Protocol):
    """What runs the queued jobs in a worker (`jobs.worker.QueueWorker`)."""

    async def run_job(
        self,
        kind: str,
        connection_id: int,
        arguments: dict[str, Any],
        *,
        attempts: int,
        worker_id: int | None,
    ) -> None: ...

    async def tick(self) -> None: ...


def build_queue(
    conninfo: str,
    *,
    jobs: Mapping[str, JobSpec] = DEFAULT_JOBS,
    handler: QueueHandler | None = None,
    options: QueueOptions | None = None,
) -> procrastinate.App:
    """The procrastinate app over `conninfo` (libpq form), with a task per job kind and the
    periodic tick. Without `handler` the app can defer jobs, list and change them (the web
    tier, `bigsync jobs`), but its tasks refuse to run."""
    options = options or QueueOptions()
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    retry = BigsyncRetry(options)

    def runner(kind: str) -> Callable[..., Awaitable[None]]:
        async def run(context: procrastinate.JobContext, **arguments: Any) -> None:
            if handler is None:
                raise RuntimeError("this process defers jobs; `bigsync worker` runs them")
            connection_id = int(arguments.pop("connection_id"))
            job = context.job
            await handler.run_job(
                kind, connection_id, arguments, attempts=job.attempts, worker_id=job.worker_id
            )

        return run

    for kind in jobs:
        app.task(name=task_name(kind), queue=QUEUE, retry=retry, pass_context=True)(runner(kind))

    async def tick(timestamp: int) -> None:
        del timestamp  # the tick reads the clock of its handler
        if handler is None:
            raise RuntimeError("this process defers jobs; `bigsync worker` runs them")
        await handler.tick()

    name = task_name(TICK)
    # No `lock`: a tick a dead worker left running must not block the next one (which hands
    # it back to the queue with the other stalled jobs).
    # First in line when a worker's slot frees up (it waits for one like any job).
    registered = app.task(name=name, queue=QUEUE, queueing_lock=name, priority=TICK_PRIORITY)(tick)
    app.periodic(cron=options.tick_cron(), periodic_id=TICK, priority=TICK_PRIORITY)(registered)

    async def remove_old_jobs(timestamp: int) -> None:
        del timestamp
        await remove_finished_jobs(app, options)

    name = task_name(REMOVE_OLD_JOBS)
    cleanup = app.task(name=name, queue=QUEUE, queueing_lock=name)(remove_old_jobs)
    app.periodic(cron=options.remove_old_cron, periodic_id=REMOVE_OLD_JOBS)(cleanup)
    return app


async def remove_finished_jobs(app: procrastinate.App, options: QueueOptions) -> None:
    """Delete the queue's jobs that ended longer ago than `options` keeps them."""
    manager = app.job_manager
    await manager.delete_old_jobs(nb_hours=options.keep_succeeded_h, queue=QUEUE)
    await manager.delete_old_jobs(
        nb_hours=options.keep_failed_h,
        queue=QUEUE,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


async def enqueue(
    app: procrastinate.App,
    kind: str,
    connection_id: int,
    *,
    store: str,
    delay_s: float = 0.0,
    arguments: Mapping[str, Any] | None = None,
) -> int | None:
    """Queue job `kind` for `connection_id`, a connection to `store` (its `store_key`), after
    `delay_s`; its id, or None when one is already waiting (that one will do)."""
    deferrer = app.configure_task(
        task_name(kind),
        queue=QUEUE,
        lock=store_lock(store),
        queueing_lock=queueing_lock(kind, connection_id),
        schedule_in={"seconds": delay_s} if delay_s > 0 else None,
    )
    try:
        job_id: int = await deferrer.defer_async(connection_id=connection_id, **(arguments or {}))
    except queue_errors.AlreadyEnqueued:
        return None
    return job_id


class QueueNudge:
    """`Hub.nudge` of a web tier without jobs (`bigsync serve --no-jobs`): a nudge enqueues
    the job for a worker instead of waking an in-process scheduler. Safe from any thread.

    `store_of(connection_id)` (blocking: it runs in a thread) reads the connection's store
    (`store_key`), None for a connection that is gone (nothing is queued)."""

    def __init__(
        self,
        app: procrastinate.App,
        loop: asyncio.AbstractEventLoop,
        *,
        store_of: Callable[[int], str | None],
    ) -> None:
        self.app = app
        self.loop = loop
        self.store_of = store_of
        self._pending: set[asyncio.Future[Any]] = set()

    def __call__(self, kind: str, connection_id: int, *, delay_s: float = 0.0) -> None:
        if self.loop.is_closed():
            return
        coroutine = self._enqueue(kind, connection_id, delay_s)
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is not self.loop:
            asyncio.run_coroutine_threadsafe(coroutine, self.loop)
            return
        task = self.loop.create_task(coroutine)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _enqueue(self, kind: str, connection_id: int, delay_s: float) -> None:
        try:
            store = await asyncio.to_thread(self.store_of, connection_id)
            if store is not None:
                await enqueue(self.app, kind, connection_id, store=store, delay_s=delay_s)
        except Exception as error:  # the tick enqueues it at its next time anyway
            log.warning("could not queue %s of connection %d: %s", kind, connection_id, error)

    async def drain(self) -> None:
        """Wait for the nudges under way (before the app closes)."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=5.0)


# --- operations (`bigsync jobs`) ------------------------------------------------------------

JOB_STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


@dataclass(frozen=True)
class QueuedJob:
    """One job of the queue as `bigsync jobs` shows it."""

    id: int
    kind: str
    connection_id: int | None
    status: str
    attempts: int
    scheduled_at: str | None  # ISO 8601; None: as soon as a worker is free

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "connection_id": self.connection_id,
            "status": self.status,
            "attempts": self.attempts,
            "scheduled_at": self.scheduled_at,
        }


def _queued(job: Job) -> QueuedJob:
    kind = job.task_name.removeprefix(TASK_PREFIX)
    connection = job.task_kwargs.get("connection_id")
    scheduled = job.scheduled_at.isoformat(timespec="seconds") if job.scheduled_at else None
    status = job.status or "todo"
    return QueuedJob(
        id=job.id or 0,
        kind=kind,
        connection_id=int(connection) if isinstance(connection, int) else None,
        status=status,
        attempts=job.attempts,
        scheduled_at=scheduled,
    )


async def list_jobs(
    conninfo: str, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[QueuedJob]:
    """The newest `limit` jobs (of `status`, of `kind`), newest first; the queue's own
    upkeep (the tick, the removal of old jobs) is left out unless `kind` names it."""
    app = build_queue(conninfo)
    async with app.open_async():
        found = await app.job_manager.list_jobs_async(
            queue=QUEUE, status=status, task=task_name(kind) if kind else None
        )
    jobs = [_queued(job) for job in found]
    if kind is None:
        jobs = [job for job in jobs if job.kind not in OWN_TASKS]
    return sorted(jobs, key=lambda job: job.id, reverse=True)[:limit]


async def retry_job(conninfo: str, job_id: int, *, stores: Mapping[int, str]) -> QueuedJob:
    """Queue job `job_id`'s work again, at once: a new job of the same kind and connection,
    under the lock of the connection's store now (`stores`: `store_key` by connection id;
    None is never returned: a job already waiting for it is that job)."""
    app = build_queue(conninfo)
    async with app.open_async():
        found = list(await app.job_manager.list_jobs_async(id=job_id))
        if not found:
            raise JobNotFoundError(f"no job #{job_id} in the queue")
        job = _queued(found[0])
        if job.connection_id is None:
            raise JobNotFoundError(
                f"job #{job_id} is the queue's own {job.kind}: it runs by itself"
            )
        store = stores.get(job.connection_id)
        if store is None:
            raise JobNotFoundError(
                f"job #{job_id} is of connection #{job.connection_id}, which no longer exists"
            )
        await enqueue(app, job.kind, job.connection_id, store=store)
        waiting = list(
            await app.job_manager.list_jobs_async(
                status="todo", queueing_lock=queueing_lock(job.kind, job.connection_id)
            )
        )
    return _queued(waiting[0]) if waiting else job


async def cancel_job(conninfo: str, job_id: int) -> bool:
    """Cancel job `job_id`: a waiting job is cancelled, a running one is asked to stop
    (between pages); False when it had already ended."""
    app = build_queue(conninfo)
    async with app.open_async():
        found = list(await app.job_manager.list_jobs_async(id=job_id))
        if not found:
            raise JobNotFoundError(f"no job #{job_id} in the queue")
        return bool(await app.job_manager.cancel_job_by_id_async(job_id, abort=True))
