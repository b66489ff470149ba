"""What every stream reader is given: the state one run shares between its streams
(`RunState`) and a `StreamContext` holding the engine's parts (database, client, options,
lease owner, clock, live progress) with the two ways a reader touches the outside world:
`get` (one counted request) and `commit` (a page's rows, the stream's state and a lease
renewal in ONE transaction, `mirror_repository.commit_page`, on the single writer thread)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bigsync.store import mirror_repository as repo
from bigsync.streams.spec import Batch, StreamSpec
from bigsync.sync.model import ProgressCallback, StoreApi, StreamProgress, SyncOptions

if TYPE_CHECKING:
    from sqlalchemy import Engine


def default_owner() -> str:
    """A lease owner name unique to this process and run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True)
class StreamOpening:
    """A stream's state as its read begins (`StreamContext.begin_state`), written with its
    first page: `values` (columns of `sync_state`), and whether this run's record count
    starts over (a new read, not a resumed one)."""

    values: Mapping[str, Any]
    restart_run: bool


@dataclass
class StreamContext:
    """The engine's parts as one run's readers see them (see the module doc)."""

    db: Engine
    api: StoreApi
    connection_id: int
    options: SyncOptions
    owner: str
    clock: Callable[[], datetime]
    on_progress: ProgressCallback
    run: RunState
    writer: ThreadPoolExecutor
    # The run's `sync_runs` id and every stream's live figures: each page's transaction
    # records them (`tally`), so another process can show the run's progress.
    run_id: int | None = None
    streams: Mapping[str, StreamProgress] = field(default_factory=dict)
    # Per stream, its opening state until a write carries it (`begin_state`).
    opening: dict[str, StreamOpening] = field(default_factory=dict)

    async def get(self, progress: StreamProgress, path: str, params: Mapping[str, Any]) -> Any:
        """One request of `progress`'s stream, counted."""
        progress.requests += 1
        return await self.api.get(path, params=params)

    async def commit(
        self,
        spec: StreamSpec,
        progress: StreamProgress,
        batch: Batch,
        *,
        records: int,
        finish: repo.PageFinish | Sequence[repo.PageFinish] = (),
        **state: Any,
    ) -> None:
        """Write a page's rows, the stream's state and a lease renewal in one transaction
        (the stream's opening state too, on its first page: `begin_state`)."""
        opening = self.opening.get(spec.name)
        restart_run = opening is not None and opening.restart_run
        values = {**opening.values, **state} if opening is not None else state

        def write() -> repo.PageWritten:
            return repo.commit_page(
                self.db,
                connection_id=self.connection_id,
                owner=self.owner,
                lease=self.options.lease,
                stream=spec.name,
                table=spec.table,
                batch=batch,
                records=records,
                state=values,
                finish=finish,
                now=self.clock(),
                tally=self.tally(),
                restart_run=restart_run,
            )

        # One writer thread: pages of concurrent streams are written one after another.
        written = await asyncio.get_running_loop().run_in_executor(self.writer, write)
        self.opening.pop(spec.name, None)
        progress.deleted += written.removed
        progress.changed += written.changed
        progress.records += records
        self.on_progress(progress)

    def tally(self) -> repo.RunTally | None:
        """The run's live figures now (None outside a recorded run)."""
        if self.run_id is None:
            return None
        return run_tally(self.run_id, self.api, self.streams.values())

    def window_quota(self) -> int:
        """Requests per rate window: as the store's rate headers said (the client's
        governor), else `SyncOptions.quota_per_window`."""
        governor = getattr(self.api, "governor", None)
        budget = getattr(governor, "budget", None)
        quota = getattr(budget, "quota", None)
        if isinstance(quota, int) and quota > 0:
            return quota
        return self.options.quota_per_window

    def save_state(self, spec: StreamSpec, **values: Any) -> None:
        """Save `values` (columns of `sync_state`) for `spec`'s stream at once (with its
        opening state, when no page wrote it yet)."""
        opening = self.opening.pop(spec.name, None)
        if opening is not None:
            values = {**opening.values, **values}
            if opening.restart_run:
                values.setdefault("last_run_records", 0)
        with self.db.begin() as conn:
            repo.save_state(
                conn, connection_id=self.connection_id, stream=spec.name, now=self.clock(), **values
            )

    def begin_state(self, spec: StreamSpec, *, resumed: bool, **values: Any) -> None:
        """Mark the stream running (a new read starts its run's record count at 0) in the
        transaction of its first page, or of its next `save_state`: a stream costs no
        transaction of its own before its first page, and one killed before it leaves its
        state as the last run left it (nothing of this read was written)."""
        now = self.clock()
        opening = {"status": "running", "last_error": None, "last_started_at": now, **values}
        self.opening[spec.name] = StreamOpening(opening, restart_run=not resumed)

    def end_state(self, spec: StreamSpec) -> None:
        """Write the stream's opening state if no page did (a stream that ended without
        committing one)."""
        if spec.name in self.opening:
            self.save_state(spec)

    def record_error(self, spec: StreamSpec, message: str, *, status: str = "failed") -> None:
        self.save_state(spec, status=status, last_error=message[:2000])


def run_tally(run_id: int, api: object, streams: Iterable[StreamProgress]) -> repo.RunTally:
    """A run's figures: its streams' progress, and the 429s and waits of the client's
    `stats` (a `BigCommerceClient`'s `RequestStats`; none for other APIs)."""
    stats = getattr(api, "stats", None)
    progress = list(streams)
    figures = {
        p.name: {
            "status": p.status,
            "records": p.records,
            "changed": p.changed,
            "requests": p.requests,
            "expected": p.expected,
            "error": p.error,
        }
        for p in progress
    }
    return repo.RunTally(
        run_id=run_id,
        requests=sum(p.requests for p in progress),
        rate_limited=int(getattr(stats, "rate_limited", 0) or 0),
        waited_s=round(float(getattr(stats, "waited_s", 0.0) or 0.0), 3),
        streams=figures,
    )
