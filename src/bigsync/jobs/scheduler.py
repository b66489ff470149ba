"""The embedded scheduler of `bigsync serve`: decides when each job of each connection runs,
on the process's event loop. What a job does is its function's business (`tasks`); the table
of jobs is data (`JobSpec` by kind), so the same functions can run on other workers.

Rules:

- A connection is scheduled once its test passed, including a connection another process
  adds while this one runs: the scheduler polls a cheap signature of the connections table
  (`ScheduleStore.signature`) and reloads the connections only when it changed.
- A job that never ran runs at once (the initial sync starts by itself). Then it runs on its
  connection's slots (`timing.next_run_after`): every `JobSpec.every`, or the connection's
  own sync interval, shifted by a phase fixed per connection, so stores do not start
  together, and never sooner than half an interval after the run before.
- One run per (job, connection) at a time, and at most `max_running` runs at once.
- `nudge(kind, connection_id)` asks for a run soon: nudges before the run starts make one
  run; nudges during a run make one more run right after it.
- A failed run backs off exponentially (`backoff_base` doubling up to `backoff_cap`); the
  error is saved for `bigsync status`; other connections are not affected. Editing or
  testing the connection (a new token, say) ends its back-off: the next run is at once.
  A run that finds another process doing the same (`busy`) is tried again after
  `busy_retry`.
- The state of every (job, connection) is saved (`schedule_state`) so that a restart keeps
  the schedule, the back-off, and runs again at once what was running when it stopped.
- `stop()` takes no new work, cancels the running jobs (a sync cancelled between pages keeps
  every page it committed and resumes from there) and waits for them within a bound.

Time comes from the injected `clock` and `sleep`, and database calls go through the injected
`run_blocking` (a thread by default), so tests of schedules take no real time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigsync.errors import BigsyncError
from bigsync.jobs.model import JobOutcome, JobSpec, ScheduledConnection
from bigsync.jobs.timing import backoff_delay, next_run_after
from bigsync.store.schedule_repository import ScheduleRow

if TYPE_CHECKING:
    from bigsync.jobs.context import JobContext
    from bigsync.jobs.source import ScheduleStore

log = logging.getLogger(__name__)

INTERRUPTED = "bigsync stopped while this job ran; it runs again when bigsync serve starts"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SchedulerOptions:
    """How the scheduler paces its work."""

    poll_every: timedelta = timedelta(seconds=2)  # connections added by other processes
    sync_every: timedelta = timedelta(minutes=15)  # a connection's default sync interval
    backoff_base: timedelta = timedelta(minutes=1)
    backoff_cap: timedelta = timedelta(hours=1)
    busy_retry: timedelta = timedelta(seconds=30)
    max_running: int = 8


@dataclass
class _Entry:
    """One job of one connection, as the scheduler tracks it."""

    kind: str
    connection: ScheduledConnection
    due: datetime
    failures: int = 0
    not_before: datetime | None = None  # the end of a back-off
    task: asyncio.Task[None] | None = None
    again: bool = False  # nudged while running
    retired: bool = False  # the connection is gone: do not run again
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = None
    last_error: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, self.connection.id

    def ready_at(self) -> datetime:
        """When the entry may start: when due, and not before its back-off ends."""
        if self.not_before is not None and self.not_before > self.due:
            return self.not_before
        return self.due

    def row(self) -> ScheduleRow:
        return ScheduleRow(
            connection_id=self.connection.id,
            job=self.kind,
            next_run_at=self.ready_at(),
            last_started_at=self.last_started_at,
            last_finished_at=self.last_finished_at,
            last_outcome=self.last_outcome,
            last_error=self.last_error,
            failures=self.failures,
        )


@dataclass(frozen=True)
class JobView:
    """One job of one connection as the scheduler has it now (start-up printout, tests)."""

    kind: str
    connection_id: int
    connection: str
    next_run_at: datetime
    running: bool
    failures: int
    last_outcome: str | None
    last_error: str | None


class Scheduler:
    """Runs the `jobs` table for every ready connection (see the module doc)."""

    def __init__(
        self,
        ctx: JobContext | Any,
        *,
        jobs: Mapping[str, JobSpec],
        store: ScheduleStore,
        options: SchedulerOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        run_blocking: Callable[..., Awaitable[Any]] = asyncio.to_thread,
    ) -> None:
        self.ctx = ctx
        self.jobs = dict(jobs)
        self.store = store
        self.options = options or SchedulerOptions()
        self.clock = clock
        self.sleep = sleep
        self.run_blocking = run_blocking  # database calls, off the event loop
        self._entries: dict[tuple[str, int], _Entry] = {}
        self._saved: dict[tuple[int, str], ScheduleRow] = {}
        self._signature: Hashable = object()
        self._next_poll: datetime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._started = asyncio.Event()
        self._stopping = False
        self._running = False
        self.last_poll_error: str | None = None

    # --- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Schedule until `stop()`."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._running = True
        try:
            while not self._stopping:
                if self._next_poll is None or self.clock() >= self._next_poll:
                    await self._poll()
                    self._next_poll = self.clock() + self.options.poll_every
                    self._started.set()
                self._start_due(self.clock())
                await self._wait_until(self._next_wake())
        finally:
            self._running = False
            self._started.set()

    @property
    def is_running(self) -> bool:
        """Whether the loop runs (and has not been asked to stop)."""
        return self._running and not self._stopping

    async def wait_started(self) -> None:
        """Return once the first look at the connections is done."""
        await self._started.wait()

    async def stop(self, *, grace_s: float = 20.0) -> bool:
        """Take no new work, cancel running jobs and wait for them at most `grace_s`; whether
        every job ended in time."""
        self._stopping = True
        self._poke()
        tasks = [entry.task for entry in self._entries.values() if entry.task is not None]
        for task in tasks:
            task.cancel()
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=grace_s)
        if pending:
            log.warning("%d jobs did not stop within %.0f s", len(pending), grace_s)
        return not pending

    def nudge(self, kind: str, connection_id: int, *, delay_s: float = 0.0) -> None:
        """Have `kind` run for `connection_id` soon (after `delay_s`, so a burst gathers);
        safe from any thread; ignored for a connection or kind that is not scheduled."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self._nudge(kind, connection_id, delay_s)
        else:
            loop.call_soon_threadsafe(self._nudge, kind, connection_id, delay_s)

    def snapshot(self) -> list[JobView]:
        """Every scheduled job, soonest first."""
        views = [
            JobView(
                kind=e.kind,
                connection_id=e.connection.id,
                connection=e.connection.name,
                next_run_at=e.ready_at(),
                running=e.task is not None,
                failures=e.failures,
                last_outcome=e.last_outcome,
                last_error=e.last_error,
            )
            for e in self._entries.values()
            if not e.retired
        ]
        return sorted(views, key=lambda v: (v.next_run_at, v.connection, v.kind))

    # --- connections ----------------------------------------------------------------------

    async def _poll(self) -> None:
        """Reload the connections when the table changed (errors are logged and retried)."""
        try:
            if not self._saved and not self._entries:
                self._saved = await self.run_blocking(self.store.load_state)
            signature = await self.run_blocking(self.store.signature)
            if signature == self._signature:
                return
            connections = await self.run_blocking(self.store.connections)
        except Exception as error:  # the database may be down: keep the loop alive
            first_line = (str(error).splitlines() or [""])[0][:200]
            self.last_poll_error = f"{type(error).__name__}: {first_line}"
            log.warning("could not read the connections: %s", self.last_poll_error)
            return
        self.last_poll_error = None
        self._signature = signature
        self._apply(connections, self.clock())

    def _apply(self, connections: list[ScheduledConnection], now: datetime) -> None:
        seen: set[tuple[str, int]] = set()
        for connection in connections:
            if not connection.ready:
                continue
            for kind, spec in self.jobs.items():
                if spec.applies_to(connection):
                    seen.add((kind, connection.id))
                    self._place(kind, spec, connection, now)
        for key, entry in list(self._entries.items()):
            if key in seen:
                continue
            if entry.task is None:
                del self._entries[key]
            else:
                entry.retired = True

    def _place(
        self, kind: str, spec: JobSpec, connection: ScheduledConnection, now: datetime
    ) -> None:
        entry = self._entries.get((kind, connection.id))
        if entry is None:
            self._entries[(kind, connection.id)] = self._restore(kind, connection, now)
            return
        previous = entry.connection
        entry.connection, entry.retired = connection, False
        if entry.task is not None:
            return
        if entry.failures and connection.version != previous.version:
            entry.not_before, entry.due = None, now  # edited since it failed: try it now
            return
        every = self._every(spec, connection)
        if every != self._every(spec, previous) and entry.last_finished_at is not None:
            entry.due = next_run_after(
                connection.id, every, finished=entry.last_finished_at, kind=kind
            )

    def _restore(self, kind: str, connection: ScheduledConnection, now: datetime) -> _Entry:
        """A new entry, from the saved state when there is one."""
        row = self._saved.get((connection.id, kind))
        if row is None:
            return _Entry(kind, connection, due=now)
        entry = _Entry(
            kind,
            connection,
            due=row.next_run_at or now,
            failures=row.failures,
            last_started_at=row.last_started_at,
            last_finished_at=row.last_finished_at,
            last_outcome=row.last_outcome,
            last_error=row.last_error,
        )
        unfinished = row.last_started_at is not None and (
            row.last_finished_at is None or row.last_finished_at < row.last_started_at
        )
        if unfinished or row.last_outcome == "interrupted":
            entry.due = now  # it was running when the process stopped: go on at once
        if row.failures and row.last_finished_at is not None:
            entry.not_before = row.last_finished_at + self._backoff(row.failures)
        return entry

    def _every(self, spec: JobSpec, connection: ScheduledConnection) -> timedelta:
        return spec.every or connection.sync_every or self.options.sync_every

    def _backoff(self, failures: int) -> timedelta:
        return backoff_delay(failures, base=self.options.backoff_base, cap=self.options.backoff_cap)

    # --- running jobs ---------------------------------------------------------------------

    def _start_due(self, now: datetime) -> None:
        if self._stopping:
            return
        running = sum(1 for e in self._entries.values() if e.task is not None)
        idle = [e for e in self._entries.values() if e.task is None and not e.retired]
        for entry in sorted(idle, key=lambda e: (e.ready_at(), e.connection.id)):
            if entry.ready_at() > now or running >= self.options.max_running:
                break
            entry.task = asyncio.create_task(
                self._run_entry(entry), name=f"bigsync {entry.kind} #{entry.connection.id}"
            )
            running += 1

    async def _run_entry(self, entry: _Entry) -> None:
        spec = self.jobs[entry.kind]
        try:
            entry.last_started_at, entry.last_outcome, entry.again = self.clock(), None, False
            await self._save(entry)
            try:
                outcome = await spec.function(self.ctx, entry.connection.id, **spec.arguments)
            except asyncio.CancelledError:
                entry.last_finished_at = self.clock()
                entry.last_outcome, entry.last_error = "interrupted", INTERRUPTED
                await self._save(entry)
                raise
            except BigsyncError as error:
                outcome = JobOutcome("failed", str(error))
            except Exception as error:  # a bug in one job must not stop the others
                log.exception("%s of connection %d crashed", entry.kind, entry.connection.id)
                outcome = JobOutcome("failed", f"{type(error).__name__}: {error}")
            self._settle(entry, spec, outcome, self.clock())
            await self._save(entry)
        finally:
            entry.task = None
            if entry.retired:
                self._entries.pop(entry.key, None)
            self._poke()

    def _settle(self, entry: _Entry, spec: JobSpec, outcome: JobOutcome, now: datetime) -> None:
        """The entry's next run after `outcome`."""
        entry.last_finished_at, entry.last_outcome = now, outcome.status
        entry.last_error = None if outcome.status in ("ok", "idle") else outcome.message or None
        every = self._every(spec, entry.connection)
        if outcome.succeeded:
            entry.failures, entry.not_before = 0, None
            entry.due = next_run_after(entry.connection.id, every, finished=now, kind=entry.kind)
        elif outcome.status == "busy":
            entry.due = now + self.options.busy_retry
        else:
            entry.failures += 1
            entry.not_before = now + self._backoff(entry.failures)
            entry.due = entry.not_before
            log.warning(
                "%s of %s failed (%d in a row, next try %s): %s",
                entry.kind,
                entry.connection.name,
                entry.failures,
                entry.not_before.isoformat(timespec="seconds"),
                outcome.message,
            )
        if entry.again:
            entry.again, entry.due = False, now

    async def _save(self, entry: _Entry) -> None:
        row = entry.row()
        try:
            await self.run_blocking(self.store.save_state, row)
        except Exception as error:  # the schedule lives on in memory
            log.warning("could not save the schedule of %s: %s", entry.connection.name, error)
        self._saved[(row.connection_id, row.job)] = replace(row)

    # --- nudges and waiting ---------------------------------------------------------------

    def _nudge(self, kind: str, connection_id: int, delay_s: float) -> None:
        entry = self._entries.get((kind, connection_id))
        if entry is None or entry.retired or self._stopping:
            return
        if entry.task is not None:
            entry.again = True
            return
        entry.due = min(entry.due, self.clock() + timedelta(seconds=max(0.0, delay_s)))
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _next_wake(self) -> datetime:
        running = sum(1 for e in self._entries.values() if e.task is not None)
        times: list[datetime] = []
        if running < self.options.max_running:  # else a finishing job wakes the loop
            idle = (e for e in self._entries.values() if e.task is None and not e.retired)
            times = [e.ready_at() for e in idle]
        if self._next_poll is not None:
            times.append(self._next_poll)
        return min(times) if times else self.clock() + self.options.poll_every

    async def _wait_until(self, when: datetime) -> None:
        """Sleep until `when`, or until a nudge, a finished job or `stop()` wakes the loop."""
        assert self._wake is not None
        delay = (when - self.clock()).total_seconds()
        if self._wake.is_set() or delay <= 0:
            self._wake.clear()
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (sleeper, waker):
                future.cancel()
            self._wake.clear()
