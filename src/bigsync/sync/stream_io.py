"""The ground every stream reader of the engine stands on: the state one run shares
between its streams, the engine's parts (database, client, options, lease owner, clock,
live progress), and the two ways a reader touches the outside world: `_get` (one counted
request) and `_commit` (a page's rows, the stream's state and a lease renewal in ONE
transaction, on the single writer thread)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from bigsync.errors import SyncLockLostError
from bigsync.store import mirror_repository as repo
from bigsync.streams.spec import Batch, Json, StreamSpec
from bigsync.sync.model import ProgressCallback, SkipReason, StoreApi, StreamProgress, SyncOptions
from bigsync.sync.pages import items_of, total_of


def default_owner() -> str:
    """A lease owner name unique to this process and run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class SkipStreamError(Exception):
    """A stream cannot run in this run (feature off, failed dependency)."""

    def __init__(self, reason: SkipReason) -> None:
        super().__init__(reason.text)
        self.reason = reason


@dataclass
class RunState:
    """State shared by the streams of one run."""

    started_at: datetime
    states: dict[str, repo.StreamState]
    full_streams: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    # Streams skipped for a reason that is no fault (a feature not enabled): their
    # dependents skip the same way.
    not_wanted: dict[str, str] = field(default_factory=dict)
    finished: dict[str, asyncio.Event] = field(default_factory=dict)
    # Per INCREMENTAL stream: every record modified before this instant is committed.
    frontier: dict[str, datetime | None] = field(default_factory=dict)
    advanced: dict[str, asyncio.Event] = field(default_factory=dict)

    def publish(self, stream: str, frontier: datetime | None) -> None:
        """A page of `stream` was committed: streams trailing it may go on."""
        self.frontier[stream] = frontier
        if stream in self.advanced:
            self.advanced[stream].set()


class StreamIO:
    """The engine's parts and its request/commit primitives (see the module doc)."""

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

    def _cascade(self, conn: sa.Connection, spec: StreamSpec, now: datetime) -> None:
        for child, column in spec.cascade:
            repo.soft_delete_orphans(
                conn, child, column, parent=spec.table, connection_id=self.connection_id, now=now
            )

    def _remover(
        self, spec: StreamSpec, since: datetime
    ) -> Callable[[sa.Connection, datetime], None]:
        def remove(conn: sa.Connection, now: datetime) -> None:
            self.progress[spec.name].deleted += repo.remove_unseen(
                conn, spec.table, connection_id=self.connection_id, since=since, now=now
            )

        return remove

    def _record_error(self, spec: StreamSpec, message: str, *, status: str = "failed") -> None:
        with self.db.begin() as conn:
            repo.save_state(
                conn,
                connection_id=self.connection_id,
                stream=spec.name,
                now=self.clock(),
                status=status,
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
