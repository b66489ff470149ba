"""The values the sync engine takes and gives: the client it needs, its options, and what it
reports while it runs and when it is done."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bigsync.connections.features import FEATURE_TITLES, Feature
from bigsync.streams.catalog import STREAMS
from bigsync.streams.spec import StreamSpec
from bigsync.sync import bookmark


class StoreApi(Protocol):
    """The part of `BigCommerceClient` the engine uses."""

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET a store path (`/v3/...`, `/v2/...`); the decoded body, None for 204."""
        ...


DEFAULT_QUOTA_PER_WINDOW = 150
"""Requests per 30 s window of BigCommerce's Standard plan, the smallest (API-NOTES §4)."""


def scan_cost(rows: int, page_size: int) -> int:
    """Requests a SCAN of `rows` records costs (one per page)."""
    return max(1, math.ceil(rows / page_size)) if page_size else 1


def scan_every_sync(cost: int, *, quota: int, share: float) -> bool:
    """Whether a scan of `cost` requests is cheap enough to run on every sync."""
    return cost <= quota * share


@dataclass(frozen=True)
class SkipReason:
    """Why a stream does not run. A `warning` is something the user asked for that cannot
    be read (a feature the last Test disabled, a 403); the rest is what they did not ask for."""

    text: str
    warning: bool


@dataclass(frozen=True)
class FeatureGate:
    """What a connection lets a sync read: its enabled features, minus the ones its last
    Test disabled (feature -> reason, such as `missing scope: Customers: read-only`)."""

    connection: str
    enabled: frozenset[str]
    disabled: Mapping[str, str] = field(default_factory=dict)

    def skip_reason(self, feature: str | None) -> SkipReason | None:
        """Why a stream of `feature` must not run; None when it may."""
        if feature is None:
            return None
        title = feature_title(feature)
        if feature in self.disabled:
            return SkipReason(
                f"feature {title} is disabled — {self.disabled[feature]}; "
                f"run `bigsync test {self.connection}` after fixing",
                warning=True,
            )
        if feature not in self.enabled:
            return SkipReason(f"feature {title} is not enabled on this connection", warning=False)
        return None

    def refused(self, feature: str | None, path: str) -> str:
        """The reason recorded on a stream whose request was refused with a 403."""
        what = f"feature {feature_title(feature)}" if feature else "this stream"
        return (
            f"the store refused {path} (403): the token lacks a scope {what} needs; "
            f"run `bigsync test {self.connection}` after fixing"
        )


def feature_title(feature: str) -> str:
    """A feature as the user sees it (`Read customers`)."""
    try:
        return FEATURE_TITLES[Feature(feature)]
    except ValueError:
        return feature


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
    # Re-reads in id order (products with variants, customers): variant edits and deletes.
    # A scan runs on every sync while it costs at most `scan_share` of one quota window's
    # requests (ceil(rows / 250) requests; the quota as the store's rate headers say, else
    # `quota_per_window`); above that, every `scan_every` (0 = every sync).
    scan_every: timedelta = timedelta(hours=1)
    scan_share: float = 0.1
    quota_per_window: int = DEFAULT_QUOTA_PER_WINDOW
    # The connection's lease, renewed with every page written.
    lease: timedelta = timedelta(minutes=2)
    # Per-parent requests (transactions, shipping methods) are grouped by 4 x this.
    concurrency: int = 8
    # The connection's features (`service.sync_connection` sets them); None: every stream.
    features: FeatureGate | None = None


@dataclass
class StreamProgress:
    """Live figures of one stream in a run (sent to the progress callback)."""

    name: str
    status: str = "pending"  # pending | running | ok | skipped | failed
    records: int = 0  # API records read (products, not products + variants)
    changed: int = 0  # rows of the stream's table new or changed (re-reads left out)
    requests: int = 0
    expected: int | None = None  # records the stream expects to read, when known
    expected_requests: int | None = None  # for one-request-per-parent streams
    deleted: int = 0
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    note: str | None = None
    warning: bool = False  # skipped for a reason the user must fix (see `SkipReason`)


@dataclass(frozen=True)
class SyncResult:
    """How a run went."""

    run_id: int
    status: str  # ok | warning (streams skipped for a reason to fix) | failed
    full: bool
    streams: tuple[StreamProgress, ...]
    started_at: datetime
    finished_at: datetime
    # initial (the connection's first sync) | incremental | full
    mode: str = "incremental"
    number: int = 0  # the run's number among its connection's runs (#1 first)

    @property
    def records(self) -> int:
        """API records read, re-reads (the overlap window, scans) included."""
        return sum(s.records for s in self.streams)

    @property
    def changed(self) -> int:
        """Rows that were new to the mirror or changed."""
        return sum(s.changed for s in self.streams)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.streams)


ProgressCallback = Callable[[StreamProgress], None]
