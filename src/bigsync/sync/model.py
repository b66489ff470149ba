"""The values the sync engine takes and gives: the client it needs, its options, and what it
reports while it runs and when it is done."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bigsync.streams.catalog import STREAMS
from bigsync.streams.spec import StreamSpec
from bigsync.sync import bookmark


class StoreApi(Protocol):
    """The part of `BigCommerceClient` the engine uses."""

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET a store path (`/v3/...`, `/v2/...`); the decoded body, None for 204."""
        ...


@dataclass(frozen=True)
class SyncOptions:
    """How a sync runs.

    Everything whose `date_modified` moves is exact after every sync; what does not move it
    (variant edits, deletes) is caught by the periodic scans, every `scan_every`.
    """

    full: bool = False
    streams: tuple[StreamSpec, ...] = STREAMS
    # Re-read window below the cursor (clock skew, late commits on BigCommerce's side).
    overlap: timedelta = bookmark.DEFAULT_OVERLAP
    # Transactions cost one request per order: a first sync reads them for this window.
    transactions_window: timedelta = timedelta(days=90)
    # Periodic re-reads (products with variants, customers): variant edits and deletes.
    # 0 = every sync; between scans, incremental syncs cost only what changed.
    scan_every: timedelta = timedelta(hours=1)
    # The connection's lease, renewed with every page written.
    lease: timedelta = timedelta(minutes=2)
    # Per-parent requests (transactions, shipping methods) are grouped by 4 x this.
    concurrency: int = 8


@dataclass
class StreamProgress:
    """Live figures of one stream in a run (sent to the progress callback)."""

    name: str
    status: str = "pending"  # pending | running | ok | skipped | failed
    records: int = 0  # API records read (products, not products + variants)
    requests: int = 0
    expected: int | None = None  # records the stream expects to read, when known
    expected_requests: int | None = None  # for one-request-per-parent streams
    deleted: int = 0
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SyncResult:
    """How a run went."""

    run_id: int
    status: str  # ok | failed
    full: bool
    streams: tuple[StreamProgress, ...]
    started_at: datetime
    finished_at: datetime

    @property
    def records(self) -> int:
        return sum(s.records for s in self.streams)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.streams)


ProgressCallback = Callable[[StreamProgress], None]
