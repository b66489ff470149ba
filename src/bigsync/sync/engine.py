"""The sync engine: runs every `StreamSpec` the same way, page by page.

Each page is written in ONE database transaction together with the stream's checkpoint,
its cursor and a renewal of the connection's lease, so at every instant the database holds
a consistent prefix of the sync: a killed process resumes from its last committed page and
re-fetches at most that one page per stream (`bookmark` explains the keyset reads).

One sync per connection at a time: the run takes the connection's lease row with a
conditional UPDATE (`mirror_repository.try_acquire`) and renews it in each page's
transaction; a sync whose lease expired and was taken by another cannot commit anything.

Deletes: full-scan streams remove what a complete scan did not see; products and customers
are soft-deleted when a full read did not write them, or when a periodic SCAN in id order
finds their id missing from a page's id range (`streams.catalog` explains the choice).

Streams run concurrently, each as soon as the streams it depends on are done; the client's
per-store governor bounds the requests in flight. Within a stream, the next page is fetched
while the current one is written. Transactions trail the orders stream: they read the
orders committed below its frontier while it runs, so the one-request-per-order cost
overlaps the orders read instead of following it. Pages are processed one at a time, so
memory does not grow with the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from bigsync.errors import (
    BigsyncError,
    NotFoundError,
    PermissionDeniedError,
    SyncLockedError,
    SyncLockLostError,
)
from bigsync.store import mirror_repository as repo
from bigsync.store.mirror import MIRROR_TABLES
from bigsync.streams.dates import format_filter, parse_timestamp
from bigsync.streams.spec import Api, Batch, Json, StreamKind, StreamSpec
from bigsync.sync import bookmark
from bigsync.sync.bookmark import Checkpoint
from bigsync.sync.model import (
    ProgressCallback,
    StoreApi,
    StreamProgress,
    SyncOptions,
    SyncResult,
)
from bigsync.sync.pages import chunks, end_cursor_of, items_of, merge_batches, total_of

log = logging.getLogger(__name__)


def default_owner() -> str:
    """A lease owner name unique to this process and run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class _SkipStreamError(Exception):
    """A stream cannot run in this run (missing scope, failed dependency)."""


@dataclass
class _Run:
    """State shared by the streams of one run."""

    started_at: datetime
    states: dict[str, repo.StreamState]
    full_streams: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    finished: dict[str, asyncio.Event] = field(default_factory=dict)
    # Per INCREMENTAL stream: every record modified before this instant is committed.
    frontier: dict[str, datetime | None] = field(default_factory=dict)
    advanced: dict[str, asyncio.Event] = field(default_factory=dict)

    def publish(self, stream: str, frontier: datetime | None) -> None:
        """A page of `stream` was committed: streams trailing it may go on."""
        self.frontier[stream] = frontier
        if stream in self.advanced:
            self.advanced[stream].set()


class SyncEngine:
    """Mirror one connection's store into the database."""

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
        """Run every selected stream once; raises SyncLockedError when another sync of the
        connection holds the lease. Stream errors are recorded, not raised."""
        self._acquire()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bigsync-writer")
        try:
            return await self._run()
        finally:
            self._writer.shutdown(wait=True)
            with self.db.begin() as conn:
                repo.release(conn, connection_id=self.connection_id, owner=self.owner)

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
        run = _Run(started_at=store_now, states=states)
        error: str | None = None
        try:
            await self._run_streams(run)
        except SyncLockLostError as lost:
            error = str(lost)
            raise
        finally:
            failed = [p for p in self.progress.values() if p.status == "failed"]
            status = "failed" if failed or error else "ok"
            if failed and not error:
                error = "; ".join(f"{p.name}: {p.error}" for p in failed)
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

    def _acquire(self) -> None:
        now = self.clock()
        with self.db.begin() as conn:
            taken = repo.try_acquire(
                conn,
                connection_id=self.connection_id,
                owner=self.owner,
                now=now,
                ttl=self.options.lease,
            )
            lease = repo.current_lease(conn, connection_id=self.connection_id)
        if not taken:
            until = lease.expires_at.isoformat(timespec="seconds") if lease.expires_at else "?"
            raise SyncLockedError(
                f"another sync of this connection is running ({lease.owner}, lease until {until})"
            )

    async def _store_time(self, fallback: datetime) -> datetime:
        """The store's clock (`GET /v2/time`), in whole seconds: cursors are capped in the
        store's time (this machine's clock when the store does not say)."""
        try:
            body = await self.api.get("/v2/time")
            return datetime.fromtimestamp(int(body["time"]), UTC)
        except (BigsyncError, KeyError, TypeError, ValueError):
            return fallback.replace(microsecond=0)

    async def _run_streams(self, run: _Run) -> None:
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

    async def _run_stream(self, spec: StreamSpec, run: _Run) -> None:
        progress = self.progress[spec.name]
        progress.status, progress.started = "running", asyncio.get_running_loop().time()
        self.on_progress(progress)
        try:
            blocked = [d for d in spec.depends_on if d in run.failed]
            if blocked:
                raise _SkipStreamError(f"skipped: {', '.join(blocked)} did not complete")
            await self._dispatch(spec, run, progress)
            if progress.status == "running":
                progress.status = "ok"
        except _SkipStreamError as skip:
            progress.status, progress.error = "skipped", str(skip)
            run.failed.add(spec.name)
        except PermissionDeniedError as denied:
            progress.status = "skipped"
            progress.error = f"the token lacks the scope for {spec.path} ({denied})"
            run.failed.add(spec.name)
            self._record_error(spec, progress.error)
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

    async def _dispatch(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
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

    def _record_error(self, spec: StreamSpec, message: str) -> None:
        with self.db.begin() as conn:
            repo.save_state(
                conn,
                connection_id=self.connection_id,
                stream=spec.name,
                now=self.clock(),
                status="failed",
                last_error=message[:2000],
            )

    # --- requests -----------------------------------------------------------------------------

    async def _get(self, progress: StreamProgress, path: str, params: Mapping[str, Any]) -> Any:
        progress.requests += 1
        return await self.api.get(path, params=params)

    async def _page(
        self, spec: StreamSpec, progress: StreamProgress, params: Mapping[str, Any]
    ) -> tuple[list[Json], int | None]:
        """One page of a collection: its items and, for v3, the total the filter matches."""
        body = await self._get(progress, spec.path, params)
        return items_of(body, spec.api), total_of(body)

    # --- commits ------------------------------------------------------------------------------

    async def _commit(
        self,
        spec: StreamSpec,
        progress: StreamProgress,
        batch: Batch,
        *,
        records: int,
        finish: Callable[[sa.Connection, datetime], None] | None = None,
        **state: Any,
    ) -> None:
        """Write a page's rows, the stream's state and a lease renewal in one transaction."""

        def write() -> int:
            now = self.clock()
            with self.db.begin() as conn:
                if not repo.renew(
                    conn,
                    connection_id=self.connection_id,
                    owner=self.owner,
                    now=now,
                    ttl=self.options.lease,
                ):
                    raise SyncLockLostError(
                        f"the sync lease of connection {self.connection_id} was taken over"
                    )
                written = repo.write_batch(conn, batch, connection_id=self.connection_id, now=now)
                if finish is not None:
                    finish(conn, now)
                repo.save_state(
                    conn, connection_id=self.connection_id, stream=spec.name, now=now, **state
                )
                repo.add_records(
                    conn, connection_id=self.connection_id, stream=spec.name, count=records
                )
                return written

        # One writer thread: pages of concurrent streams are written one after another.
        await asyncio.get_running_loop().run_in_executor(self._writer, write)
        progress.records += records
        self.on_progress(progress)

    def _begin_state(self, spec: StreamSpec, *, resumed: bool, **values: Any) -> None:
        with self.db.begin() as conn:
            extra = {} if resumed else {"last_run_records": 0}
            repo.save_state(
                conn,
                connection_id=self.connection_id,
                stream=spec.name,
                now=self.clock(),
                status="running",
                last_error=None,
                last_started_at=self.clock(),
                **extra,
                **values,
            )

    # --- INCREMENTAL --------------------------------------------------------------------------

    def _incremental_start(self, spec: StreamSpec, run: _Run) -> tuple[Checkpoint, bool]:
        state = run.states.get(spec.name)
        if state is not None and state.checkpoint:
            checkpoint = Checkpoint.from_json(state.checkpoint)
            if checkpoint.full or not self.options.full:
                return checkpoint, True
        cursor = state.cursor if state else None
        started = bookmark.start(
            cursor, started_at=run.started_at, full=self.options.full, overlap=self.options.overlap
        )
        return replace(started, wall_started_at=self.clock()), False

    async def _incremental(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        checkpoint, resumed = self._incremental_start(spec, run)
        previous = run.states[spec.name].cursor if spec.name in run.states else None
        if checkpoint.full:
            run.full_streams.add(spec.name)
        self._begin_state(spec, resumed=resumed, checkpoint=checkpoint.to_json())
        if spec.api is Api.V2:
            progress.expected = await self._v2_count(spec, progress, checkpoint)
        pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

        def fetch(cp: Checkpoint) -> None:
            params: dict[str, Any] = {**spec.params, **spec.sort, "limit": spec.page_size}
            params["page"] = cp.page
            if cp.bound is not None and spec.cursor_param:
                params[spec.cursor_param] = format_filter(cp.bound)
            pending.append(asyncio.ensure_future(self._page(spec, progress, params)))

        run.publish(spec.name, checkpoint.bound)
        fetch(checkpoint)
        try:
            done = False
            while not done:
                items, total = await pending.pop()
                if total is not None:
                    progress.expected = progress.records + total
                modified = [parse_timestamp(item.get(spec.cursor_field)) for item in items]
                next_cp, done = bookmark.advance(checkpoint, modified, page_size=spec.page_size)
                read = (checkpoint.page - 1) * spec.page_size + len(items)
                if total is not None and read >= total:
                    done = True  # a full last page: no need to ask for an empty one
                if not done:  # the next page is fetched while this one is written
                    fetch(next_cp)
                state: dict[str, Any] = {
                    "cursor": bookmark.final_cursor(next_cp, previous),
                    "checkpoint": None if done else next_cp.to_json(),
                }
                if done:
                    state.update(status="ok", last_success_at=self.clock())
                finish = self._finisher(spec, next_cp) if done else None
                batch = spec.to_batch(items, None)
                await self._commit(
                    spec, progress, batch, records=len(items), finish=finish, **state
                )
                checkpoint = next_cp
                run.publish(spec.name, next_cp.bound)
        finally:
            for future in pending:
                future.cancel()

    def _finisher(
        self, spec: StreamSpec, checkpoint: Checkpoint
    ) -> Callable[[sa.Connection, datetime], None] | None:
        """After a complete full read: soft-delete what the read did not write."""
        if not checkpoint.full or checkpoint.wall_started_at is None:
            return None
        if "deleted_at" not in MIRROR_TABLES[spec.table].c:
            return None
        since = checkpoint.wall_started_at

        def finish(conn: sa.Connection, now: datetime) -> None:
            removed = repo.remove_unseen(
                conn, spec.table, connection_id=self.connection_id, since=since, now=now
            )
            self.progress[spec.name].deleted += removed
            self._cascade(conn, spec, now)

        return finish

    async def _v2_count(
        self, spec: StreamSpec, progress: StreamProgress, checkpoint: Checkpoint
    ) -> int | None:
        params: dict[str, Any] = {}
        if checkpoint.bound is not None and spec.cursor_param:
            params[spec.cursor_param] = format_filter(checkpoint.bound)
        try:
            body = await self._get(progress, spec.path + "/count", params)
        except BigsyncError:
            return None
        return int(body["count"]) if isinstance(body, dict) and "count" in body else None

    def _cascade(self, conn: sa.Connection, spec: StreamSpec, now: datetime) -> None:
        for child, column in spec.cascade:
            repo.soft_delete_orphans(
                conn, child, column, parent=spec.table, connection_id=self.connection_id, now=now
            )

    # --- SCAN ---------------------------------------------------------------------------------

    def _scan_skipped(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> bool:
        """Whether the periodic scan can be skipped in this run (and why, in `note`)."""
        if spec.covered_by in run.full_streams:
            progress.note = f"covered by the full read of {spec.covered_by}"
            now = self.clock()
            with self.db.begin() as conn:
                repo.save_state(
                    conn,
                    connection_id=self.connection_id,
                    stream=spec.name,
                    now=now,
                    status="ok",
                    checkpoint=None,
                    last_scan_at=now,
                    last_success_at=now,
                )
            return True
        state = run.states.get(spec.name)
        if state is not None and state.checkpoint:
            return False  # an interrupted scan resumes
        last = state.last_scan_at if state else None
        if bookmark.is_due(last, every=self.options.scan_every, now=self.clock()):
            return False
        progress.note = "scan not due"
        return True

    async def _scan(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        """Read every record in id order; ids of the mirror missing from a page's id range
        were deleted in the store and are soft-deleted in that page's transaction."""
        if self._scan_skipped(spec, run, progress):
            return
        state = run.states.get(spec.name)
        position: dict[str, Any] = dict(state.checkpoint) if state and state.checkpoint else {}
        self._begin_state(spec, resumed=bool(position))
        while True:
            params: dict[str, Any] = {**spec.params, "limit": spec.page_size}
            if spec.after_param and position.get("after_id"):
                params[spec.after_param] = position["after_id"]
            elif position.get("cursor"):
                params["after"] = position["cursor"]
            body = await self._get(progress, spec.path, params)
            items = items_of(body, spec.api)
            ids = sorted(int(item["id"]) for item in items)
            end_cursor = end_cursor_of(body)
            done = len(items) < spec.page_size or (spec.after_param is None and not end_cursor)
            after = int(position.get("after_id") or 0)
            upto = None if done else ids[-1]
            finish = self._range_deleter(spec, after=after, upto=upto, listed=set(ids))
            position = {"after_id": ids[-1] if ids else after, "cursor": end_cursor}
            values: dict[str, Any] = {"checkpoint": None if done else position}
            if done:
                values.update(status="ok", last_scan_at=self.clock(), last_success_at=self.clock())
            batch = spec.to_batch(items, None)
            await self._commit(spec, progress, batch, records=len(items), finish=finish, **values)
            if done:
                return

    def _range_deleter(
        self, spec: StreamSpec, *, after: int, upto: int | None, listed: set[int]
    ) -> Callable[[sa.Connection, datetime], None]:
        def delete_missing(conn: sa.Connection, now: datetime) -> None:
            known = repo.live_ids_between(
                conn, spec.table, connection_id=self.connection_id, after=after, upto=upto
            )
            gone = [i for i in known if i not in listed]
            if gone:
                deleted = repo.soft_delete(
                    conn, spec.table, gone, connection_id=self.connection_id, now=now
                )
                self.progress[spec.name].deleted += deleted
                self._cascade(conn, spec, now)

        return delete_missing

    # --- FULL_SCAN ----------------------------------------------------------------------------

    async def _full_scan(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        state = run.states.get(spec.name)
        checkpoint = state.checkpoint if state and state.checkpoint else None
        resumed = checkpoint is not None and "scan_started_at" in checkpoint
        scan_started = (
            parse_timestamp(checkpoint["scan_started_at"]) if resumed and checkpoint else None
        ) or self.clock()
        page = int(checkpoint.get("page", 0)) + 1 if resumed and checkpoint else 1
        self._begin_state(spec, resumed=resumed)
        pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

        def fetch(number: int) -> None:
            params: dict[str, Any] = {}
            if spec.page_size:
                params = {**spec.params, "limit": spec.page_size, "page": number}
            pending.append(asyncio.ensure_future(self._page(spec, progress, params)))

        fetch(page)
        try:
            while True:
                items, total = await pending.pop()
                if total is not None:
                    progress.expected = total
                done = not spec.page_size or len(items) < spec.page_size
                if total is not None and (page - 1) * spec.page_size + len(items) >= total:
                    done = True  # the last page was full: no need to ask for an empty one
                if not done:  # the next page is fetched while this one is written
                    fetch(page + 1)
                batch = spec.to_batch(items, None)
                if done:
                    await self._commit(
                        spec,
                        progress,
                        batch,
                        records=len(items),
                        finish=self._remover(spec, scan_started),
                        checkpoint=None,
                        status="ok",
                        last_success_at=self.clock(),
                        last_scan_at=self.clock(),
                    )
                    return
                marker = {"scan_started_at": scan_started.isoformat(), "page": page}
                await self._commit(spec, progress, batch, records=len(items), checkpoint=marker)
                page += 1
        finally:
            for future in pending:
                future.cancel()

    def _remover(
        self, spec: StreamSpec, since: datetime
    ) -> Callable[[sa.Connection, datetime], None]:
        def remove(conn: sa.Connection, now: datetime) -> None:
            self.progress[spec.name].deleted += repo.remove_unseen(
                conn, spec.table, connection_id=self.connection_id, since=since, now=now
            )

        return remove

    # --- SINGLE -------------------------------------------------------------------------------

    async def _single(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        self._begin_state(spec, resumed=False)
        body = await self._get(progress, spec.path, {})
        batch = spec.to_batch([body] if isinstance(body, dict) else [], None)
        now = self.clock()
        await self._commit(
            spec, progress, batch, records=batch.count, status="ok", last_success_at=now
        )

    # --- PER_PARENT ---------------------------------------------------------------------------

    async def _children(
        self, spec: StreamSpec, progress: StreamProgress, parent_ids: Sequence[int]
    ) -> Batch:
        """Fetch the children of `parent_ids` concurrently and merge them into one batch."""

        async def one(parent_id: int) -> Batch:
            path = spec.path.replace("{id}", str(parent_id))
            params = {"limit": spec.page_size} if spec.api is Api.V3 else {}
            try:
                body = await self._get(progress, path, params)
            except NotFoundError:
                body = None
            return spec.to_batch(items_of(body, spec.api), parent_id)

        batches = await asyncio.gather(*(one(i) for i in parent_ids))
        return merge_batches(batches)

    async def _per_parent(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        assert spec.parent is not None
        self._begin_state(spec, resumed=False)
        scan_started = self.clock()
        with self.db.connect() as conn:
            parents = repo.parent_ids(conn, spec.parent, connection_id=self.connection_id)
        progress.expected_requests = len(parents)
        groups = chunks(parents, self.options.concurrency * 4) or [[]]
        for index, chunk in enumerate(groups):
            batch = await self._children(spec, progress, chunk)
            last = index == len(groups) - 1
            if last:
                await self._commit(
                    spec,
                    progress,
                    batch,
                    records=batch.count,
                    finish=self._remover(spec, scan_started),
                    status="ok",
                    last_success_at=self.clock(),
                )
            else:
                await self._commit(spec, progress, batch, records=batch.count)

    async def _transactions(self, spec: StreamSpec, run: _Run, progress: StreamProgress) -> None:
        """Transactions of the orders new or changed since the last run, in
        `(date_modified, id)` order; a first run only covers orders created in the window.

        It runs alongside the orders stream, behind that stream's committed frontier (orders
        modified before it are final for this run), and finishes after it. The requests of
        one chunk of orders are sent while the previous chunk is written."""
        state = run.states.get(spec.name)
        after: tuple[datetime, int] | None = None
        created_since: datetime | None = None
        if state is not None and state.cursor is not None and not self.options.full:
            after = (state.cursor, int((state.checkpoint or {}).get("after_id", 0)))
        else:
            created_since = run.started_at - self.options.transactions_window
        self._begin_state(spec, resumed=False)
        cap = (run.started_at, 0)  # orders stamped in the start's second are read again
        chunk_size = self.options.concurrency * 4
        parent = spec.trails or "orders"
        committed = after
        inflight: list[tuple[tuple[datetime, int] | None, asyncio.Future[Batch], bool]] = []

        async def commit() -> None:
            nonlocal committed
            keyset, task, final = inflight.pop()
            batch = await task
            committed = keyset or committed
            capped = min(committed, cap) if committed is not None else None
            values: dict[str, Any] = {
                "cursor": capped[0] if capped else None,
                "checkpoint": {"after_id": capped[1]} if capped else None,
            }
            if final:
                values.update(status="ok", last_success_at=self.clock())
                if capped is None:  # nothing read yet: start from the window next time
                    values = {"status": "ok", "last_success_at": self.clock()}
            await self._commit(spec, progress, batch, records=batch.count, **values)

        try:
            while True:
                if parent in run.advanced:  # cleared before reading: no progress is missed
                    run.advanced[parent].clear()
                orders, parent_done = self._next_orders(
                    run, parent, after=after, created_since=created_since, limit=chunk_size
                )
                final = parent_done and len(orders) < chunk_size
                if not orders and not final:
                    if inflight:
                        await commit()
                    await run.advanced[parent].wait()
                    continue
                keyset = (orders[-1][1], orders[-1][0]) if orders else None
                after = keyset or after
                ids = [order_id for order_id, _ in orders]
                task = asyncio.ensure_future(self._children(spec, progress, ids))
                if inflight:
                    await commit()
                inflight.append((keyset, task, final))
                if final:
                    await commit()
                    return
        finally:
            for _, pending, _ in inflight:
                pending.cancel()

    def _next_orders(
        self,
        run: _Run,
        parent: str,
        *,
        after: tuple[datetime, int] | None,
        created_since: datetime | None,
        limit: int,
    ) -> tuple[list[tuple[int, datetime]], bool]:
        """The next mirrored orders after `after` that are final for this run (below the
        orders stream's frontier while it runs), and whether that stream is done."""
        parent_done = run.finished[parent].is_set() if parent in run.finished else True
        before = None if parent_done else run.frontier.get(parent)
        if not parent_done and before is None:
            return [], False
        with self.db.connect() as conn:
            orders = repo.orders_after(
                conn,
                connection_id=self.connection_id,
                after=after,
                before=before,
                created_since=created_since,
                limit=limit,
            )
        return orders, parent_done


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
