"""The sync engine: runs every `StreamSpec` the same way, page by page.

Each page is written in ONE database transaction together with the stream's checkpoint,
its cursor and a renewal of the connection's lease, so at every instant the database holds
a consistent prefix of the sync: a killed process resumes from its last committed page and
re-fetches at most that one page per stream (`bookmark` explains the keyset reads).

One sync per connection at a time: the run holds a lock that dies with its process and the
connection's lease row (`store.sync_lock`), and renews the lease in each page's transaction;
a sync whose lease expired and was taken by another cannot commit anything.

Deletes: full-scan streams remove what a complete scan did not see; products and customers
are soft-deleted when a full read did not write them, or when a periodic SCAN in id order
finds their id missing from a page's id range (`streams.catalog` explains the choice).

Streams run concurrently, each as soon as the streams it depends on are done; the client's
per-store governor bounds the requests in flight. Within a stream, the next page is fetched
while the current one is written. Transactions trail the orders stream: they read the
orders committed below its frontier while it runs, so the one-request-per-order cost
overlaps the orders read instead of following it. Pages are processed one at a time, so
memory does not grow with the store.

This module runs the streams; each stream is read by the reader of its kind (`READERS`,
in `paged_readers` and `parent_readers`), given a `context.StreamContext`: the run's shared
state and the request/commit primitives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bigsync.errors import (
    AuthenticationError,
    BigsyncError,
    HttpStatusError,
    NotFoundError,
    PermissionDeniedError,
    SkipStreamError,
    StoreAccessError,
    SyncLockLostError,
)
from bigsync.store import mirror_repository as repo
from bigsync.store.sync_lock import hold_sync_lock
from bigsync.streams.spec import StreamKind, StreamSpec
from bigsync.sync.context import RunState, StreamContext, default_owner, run_tally, utcnow
from bigsync.sync.model import (
    ProgressCallback,
    StoreApi,
    StreamProgress,
    SyncOptions,
    SyncResult,
)
from bigsync.sync.paged_readers import read_full_scan, read_incremental, read_scan
from bigsync.sync.parent_readers import read_per_parent, read_single, read_transactions

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

Reader = Callable[[StreamContext, StreamSpec, StreamProgress], Awaitable[None]]
"""Reads one stream to the end, committing page by page through the context."""

READERS: dict[StreamKind, Reader] = {
    StreamKind.INCREMENTAL: read_incremental,
    StreamKind.SCAN: read_scan,
    StreamKind.FULL_SCAN: read_full_scan,
    StreamKind.SINGLE: read_single,
    StreamKind.PER_PARENT: read_per_parent,
}
"""The reader of each stream kind."""

STORE_PATHS = ("/v2/time", "/v2/store")
"""Answered by every store: a 404 there means there is no such store (hash or API URL)."""

INTERRUPTED = "interrupted before it finished; the next sync resumes from its last page"

TRAILING_READER: Reader = read_transactions
"""The reader of a PER_PARENT stream that trails another (`StreamSpec.trails`)."""


def reader_for(spec: StreamSpec) -> Reader:
    """The reader that runs `spec`."""
    if spec.kind is StreamKind.PER_PARENT and spec.trails is not None:
        return TRAILING_READER
    return READERS[spec.kind]


class SyncEngine:
    """Mirror one connection's store into the database (the readers are in
    `paged_readers` and `parent_readers`, their context in `context`)."""

    def __init__(
        self,
        db: Engine,
        api: StoreApi,
        *,
        connection_id: int,
        options: SyncOptions | None = None,
        on_progress: ProgressCallback | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.api = api
        self.connection_id = connection_id
        self.options = options or SyncOptions()
        self.on_progress = on_progress or (lambda _progress: None)
        self.owner = owner or default_owner()
        self.clock = clock
        self.progress = {spec.name: StreamProgress(spec.name) for spec in self.options.streams}
        self._writer = ThreadPoolExecutor(max_workers=1)

    # --- the run ------------------------------------------------------------------------------

    async def run(self) -> SyncResult:
        """Run every selected stream once; raises SyncLockedError when another live sync of
        the connection holds it (`store.sync_lock`). Stream errors are recorded, not raised."""
        with self._acquire():
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bigsync-writer")
            try:
                return await self._run()
            finally:
                self._writer.shutdown(wait=True)

    async def _run(self) -> SyncResult:
        started = self.clock()
        names = [spec.name for spec in self.options.streams]
        with self.db.begin() as conn:
            states = repo.load_states(conn, connection_id=self.connection_id)
            mode = self._mode(states)
            run_id = repo.start_run(
                conn, connection_id=self.connection_id, mode=mode, streams=names, now=started
            )
            number = repo.run_number(conn, run_id, connection_id=self.connection_id)
        error: str | None = None
        try:
            store_now = await self._store_time(started)
            run = RunState(started_at=store_now, states=states)
            context = StreamContext(
                db=self.db,
                api=self.api,
                connection_id=self.connection_id,
                options=self.options,
                owner=self.owner,
                clock=self.clock,
                on_progress=self.on_progress,
                run=run,
                writer=self._writer,
                run_id=run_id,
                streams=self.progress,
            )
            await self._run_streams(context)
        except (SyncLockLostError, StoreAccessError) as stopped:
            error = str(stopped)
            raise
        except asyncio.CancelledError:
            # Stopped between pages (a service shutting down): every committed page stays,
            # and the next run resumes from the streams' checkpoints.
            error = INTERRUPTED
            raise
        finally:
            failed = [p for p in self.progress.values() if p.status == "failed"]
            warnings = [p for p in self.progress.values() if p.warning]
            status = "failed" if failed or error else "warning" if warnings else "ok"
            status = "interrupted" if error == INTERRUPTED else status
            if (failed or warnings) and not error:
                error = "; ".join(f"{p.name}: {p.error}" for p in failed + warnings)
            finished = self.clock()
            with self.db.begin() as conn:
                repo.finish_run(
                    conn,
                    run_id,
                    status=status,
                    records=sum(p.changed for p in self.progress.values()),
                    requests=sum(p.requests for p in self.progress.values()),
                    error=error,
                    now=finished,
                    tally=run_tally(run_id, self.api, self.progress.values()),
                )
        return SyncResult(
            run_id=run_id,
            status=status,
            full=self.options.full,
            streams=tuple(self.progress.values()),
            started_at=started,
            finished_at=finished,
            mode=mode,
            number=number,
        )

    def _mode(self, states: dict[str, repo.StreamState]) -> str:
        """`full` when asked, `initial` while no selected stream has ever completed (the
        first sync reads everything), else `incremental`."""
        if self.options.full:
            return "full"
        names = {spec.name for spec in self.options.streams}
        done = any(s.last_success_at is not None for n, s in states.items() if n in names)
        return "incremental" if done else "initial"

    def _acquire(self) -> AbstractContextManager[None]:
        return hold_sync_lock(
            self.db,
            connection_id=self.connection_id,
            owner=self.owner,
            now=self.clock(),
            ttl=self.options.lease,
        )

    async def _store_time(self, fallback: datetime) -> datetime:
        """The store's clock (`GET /v2/time`), in whole seconds: cursors are capped in the
        store's time (this machine's clock when the store does not say)."""
        try:
            body = await self.api.get("/v2/time")
            return datetime.fromtimestamp(int(body["time"]), UTC)
        except (AuthenticationError, NotFoundError) as refused:
            raise self._access_error(refused, "/v2/time") from None
        except (BigsyncError, KeyError, TypeError, ValueError):
            return fallback.replace(microsecond=0)

    def _access_error(self, error: HttpStatusError, path: str) -> StoreAccessError:
        """The one-line error that stops a sync the store refuses: what is wrong, and the
        commands that fix it."""
        gate = self.options.features
        name = gate.connection if gate is not None else f"#{self.connection_id}"
        if isinstance(error, AuthenticationError):
            what = "the store refused the access token (401)"
            fix = f"bigsync connect {name} --update --token -"
        else:
            what = f"no such store ({path} answered 404: wrong store hash or API URL)"
            fix = f"bigsync connect {name} --update --store HASH"
        return StoreAccessError(
            f"sync of {name} stopped: {what}; fix: `{fix}`, then `bigsync test {name}`"
        )

    async def _run_streams(self, context: StreamContext) -> None:
        """Run every stream as soon as the streams it depends on are done (or at once, for a
        stream that trails another), concurrently with the others; the client bounds the
        requests in flight for the store."""
        run = context.run
        names = [spec.name for spec in self.options.streams]
        run.finished = {name: asyncio.Event() for name in names}
        run.advanced = {name: asyncio.Event() for name in names}

        async def one(spec: StreamSpec) -> None:
            for name in spec.depends_on:
                if name in run.finished and name != spec.trails:
                    await run.finished[name].wait()
            try:
                await self._run_stream(context, spec)
            finally:
                run.finished[spec.name].set()
                run.advanced[spec.name].set()

        try:
            async with asyncio.TaskGroup() as group:
                for spec in self.options.streams:
                    group.create_task(one(spec))
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None

    async def _run_stream(self, context: StreamContext, spec: StreamSpec) -> None:
        run = context.run
        progress = self.progress[spec.name]
        progress.status, progress.started = "running", asyncio.get_running_loop().time()
        self.on_progress(progress)
        try:
            self._check_runnable(spec, run)
            await reader_for(spec)(context, spec, progress)
            context.end_state(spec)
            if progress.status == "running":
                progress.status = "ok"
        except SkipStreamError as skip:
            progress.status = "skipped"
            if skip.warning:
                progress.error, progress.warning = f"skipped: {skip}", True
                run.failed.add(spec.name)
            else:
                progress.note = f"skipped: {skip}"
                run.not_wanted[spec.name] = str(skip)
            context.record_error(spec, f"skipped: {skip}", status="skipped")
        except PermissionDeniedError as denied:
            progress.status, progress.warning = "skipped", True
            gate = self.options.features
            progress.error = (
                gate.refused(spec.feature, spec.path)
                if gate is not None
                else f"the token lacks the scope for {spec.path} ({denied})"
            )
            run.failed.add(spec.name)
            context.record_error(spec, progress.error, status="skipped")
        except SyncLockLostError:
            progress.status, progress.error = "failed", "lease lost"
            raise
        except (AuthenticationError, NotFoundError) as refused:
            if isinstance(refused, NotFoundError) and spec.path not in STORE_PATHS:
                self._stream_failed(context, spec, progress, refused)
                return
            stopped = self._access_error(refused, spec.path)
            progress.status, progress.error = "failed", str(stopped)
            context.record_error(spec, progress.error)
            raise stopped from None
        except BigsyncError as error:
            self._stream_failed(context, spec, progress, error)
        finally:
            progress.finished = asyncio.get_running_loop().time()
            self.on_progress(progress)

    def _stream_failed(
        self,
        context: StreamContext,
        spec: StreamSpec,
        progress: StreamProgress,
        error: BigsyncError,
    ) -> None:
        progress.status, progress.error = "failed", f"{type(error).__name__}: {error}"
        context.run.failed.add(spec.name)
        context.record_error(spec, progress.error)
        log.warning("stream %s failed: %s", spec.name, error)

    def _check_runnable(self, spec: StreamSpec, run: RunState) -> None:
        """Raise SkipStreamError when the connection's features or a dependency rule out
        `spec` in this run."""
        gate = self.options.features
        reason = gate.skip_reason(spec.feature) if gate is not None else None
        if reason is not None:
            raise SkipStreamError(reason.text, warning=reason.warning)
        needs = [*spec.depends_on, *([spec.trails] if spec.trails else [])]
        failed = [d for d in needs if d in run.failed]
        if failed:
            raise SkipStreamError(f"{', '.join(failed)} did not complete", warning=True)
        unwanted = [d for d in needs if d in run.not_wanted]
        if unwanted:
            text = f"needs {unwanted[0]} ({run.not_wanted[unwanted[0]]})"
            raise SkipStreamError(text, warning=False)


async def run_sync(
    db: Engine,
    api: StoreApi,
    *,
    connection_id: int,
    options: SyncOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncResult:
    """Run one sync of a connection (see `SyncEngine`)."""
    engine = SyncEngine(
        db, api, connection_id=connection_id, options=options, on_progress=on_progress
    )
    return await engine.run()


__all__ = [
    "ProgressCallback",
    "StoreApi",
    "StreamProgress",
    "SyncEngine",
    "SyncOptions",
    "SyncResult",
    "run_sync",
]
