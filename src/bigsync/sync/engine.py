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

This module runs the streams; `stream_io` holds the shared state and the request/commit
primitives, `paged_readers` and `parent_readers` the reader of each stream kind.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import Engine

from bigsync.errors import (
    BigsyncError,
    PermissionDeniedError,
    SyncLockLostError,
)
from bigsync.store import mirror_repository as repo
from bigsync.store.sync_lock import hold_sync_lock
from bigsync.streams.spec import StreamKind, StreamSpec
from bigsync.sync.model import (
    ProgressCallback,
    SkipReason,
    StoreApi,
    StreamProgress,
    SyncOptions,
    SyncResult,
)
from bigsync.sync.paged_readers import PagedReaders
from bigsync.sync.parent_readers import ParentReaders
from bigsync.sync.stream_io import RunState, SkipStreamError

log = logging.getLogger(__name__)


class SyncEngine(PagedReaders, ParentReaders):
    """Mirror one connection's store into the database (the readers are in
    `paged_readers` and `parent_readers`, their primitives in `stream_io`)."""

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
        store_now = await self._store_time(started)
        names = [spec.name for spec in self.options.streams]
        mode = "full" if self.options.full else "incremental"
        with self.db.begin() as conn:
            run_id = repo.start_run(
                conn, connection_id=self.connection_id, mode=mode, streams=names, now=started
            )
            states = repo.load_states(conn, connection_id=self.connection_id)
        run = RunState(started_at=store_now, states=states)
        error: str | None = None
        try:
            await self._run_streams(run)
        except SyncLockLostError as lost:
            error = str(lost)
            raise
        finally:
            failed = [p for p in self.progress.values() if p.status == "failed"]
            warnings = [p for p in self.progress.values() if p.warning]
            status = "failed" if failed or error else "warning" if warnings else "ok"
            if (failed or warnings) and not error:
                error = "; ".join(f"{p.name}: {p.error}" for p in failed + warnings)
            finished = self.clock()
            with self.db.begin() as conn:
                repo.finish_run(
                    conn,
                    run_id,
                    status=status,
                    records=sum(p.records for p in self.progress.values()),
                    requests=sum(p.requests for p in self.progress.values()),
                    error=error,
                    now=finished,
                )
        return SyncResult(
            run_id=run_id,
            status=status,
            full=self.options.full,
            streams=tuple(self.progress.values()),
            started_at=started,
            finished_at=finished,
        )

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
        except (BigsyncError, KeyError, TypeError, ValueError):
            return fallback.replace(microsecond=0)

    async def _run_streams(self, run: RunState) -> None:
        """Run every stream as soon as the streams it depends on are done (or at once, for a
        stream that trails another), concurrently with the others; the client bounds the
        requests in flight for the store."""
        names = [spec.name for spec in self.options.streams]
        run.finished = {name: asyncio.Event() for name in names}
        run.advanced = {name: asyncio.Event() for name in names}

        async def one(spec: StreamSpec) -> None:
            for name in spec.depends_on:
                if name in run.finished and name != spec.trails:
                    await run.finished[name].wait()
            try:
                await self._run_stream(spec, run)
            finally:
                run.finished[spec.name].set()
                run.advanced[spec.name].set()

        try:
            async with asyncio.TaskGroup() as group:
                for spec in self.options.streams:
                    group.create_task(one(spec))
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None

    async def _run_stream(self, spec: StreamSpec, run: RunState) -> None:
        progress = self.progress[spec.name]
        progress.status, progress.started = "running", asyncio.get_running_loop().time()
        self.on_progress(progress)
        try:
            self._check_runnable(spec, run)
            await self._dispatch(spec, run, progress)
            if progress.status == "running":
                progress.status = "ok"
        except SkipStreamError as skip:
            progress.status = "skipped"
            if skip.reason.warning:
                progress.error, progress.warning = f"skipped: {skip}", True
                run.failed.add(spec.name)
            else:
                progress.note = f"skipped: {skip}"
                run.not_wanted[spec.name] = str(skip)
            self._record_error(spec, f"skipped: {skip}", status="skipped")
        except PermissionDeniedError as denied:
            progress.status, progress.warning = "skipped", True
            gate = self.options.features
            progress.error = (
                gate.refused(spec.feature, spec.path)
                if gate is not None
                else f"the token lacks the scope for {spec.path} ({denied})"
            )
            run.failed.add(spec.name)
            self._record_error(spec, progress.error, status="skipped")
        except SyncLockLostError:
            progress.status, progress.error = "failed", "lease lost"
            raise
        except BigsyncError as error:
            progress.status, progress.error = "failed", f"{type(error).__name__}: {error}"
            run.failed.add(spec.name)
            self._record_error(spec, progress.error)
            log.warning("stream %s failed: %s", spec.name, error)
        finally:
            progress.finished = asyncio.get_running_loop().time()
            self.on_progress(progress)

    def _check_runnable(self, spec: StreamSpec, run: RunState) -> None:
        """Raise SkipStreamError when the connection's features or a dependency rule out
        `spec` in this run."""
        gate = self.options.features
        reason = gate.skip_reason(spec.feature) if gate is not None else None
        if reason is not None:
            raise SkipStreamError(reason)
        needs = [*spec.depends_on, *([spec.trails] if spec.trails else [])]
        failed = [d for d in needs if d in run.failed]
        if failed:
            text = f"{', '.join(failed)} did not complete"
            raise SkipStreamError(SkipReason(text, warning=True))
        unwanted = [d for d in needs if d in run.not_wanted]
        if unwanted:
            text = f"needs {unwanted[0]} ({run.not_wanted[unwanted[0]]})"
            raise SkipStreamError(SkipReason(text, warning=False))

    async def _dispatch(self, spec: StreamSpec, run: RunState, progress: StreamProgress) -> None:
        if spec.kind is StreamKind.INCREMENTAL:
            await self._incremental(spec, run, progress)
        elif spec.kind is StreamKind.SCAN:
            await self._scan(spec, run, progress)
        elif spec.kind is StreamKind.FULL_SCAN:
            await self._full_scan(spec, run, progress)
        elif spec.kind is StreamKind.SINGLE:
            await self._single(spec, run, progress)
        elif spec.trails is not None:  # transactions, behind the orders stream
            await self._transactions(spec, run, progress)
        else:
            await self._per_parent(spec, run, progress)


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
