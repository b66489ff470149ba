"""Incremental bookmarks: pure functions, no I/O.

An incremental stream is read as a keyset on `date_modified`: every request asks for
`date_modified >= bound` sorted ascending, 250 at a time, and the next bound is the newest
`date_modified` of the page just read. Because the bound is a value rather than a page
offset, records modified (moved to the end) or deleted while the sync runs cannot shift an
unread record onto an already-read page. The bound is inclusive, so records sharing the
boundary second are read twice and deduplicated by the upsert. When a whole page shares
one `date_modified` (a bulk import), the bound cannot move; the next request keeps it and
asks for the next page of that tie group instead.

After every page the engine commits the page's rows together with the `Checkpoint` below,
so a killed sync resumes where it stood and fetches at most one page again. When a stream
completes, its cursor becomes the newest `date_modified` seen, capped at the moment the sync
started (a record stamped later may still be changing), and the next sync starts from that
cursor minus an overlap window (clock skew, late commits on BigCommerce's side).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bigsync.bigcommerce.pagination import Keyset, advance_keyset
from bigsync.streams.dates import parse_timestamp

DEFAULT_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Checkpoint:
    """Where one stream's read stands within one sync run.

    `bound` is the inclusive lower bound of the next request (None: from the beginning),
    `page` the page within that bound (1 unless a tie group spans pages), `max_seen` the
    newest `date_modified` committed so far, `started_at` the start of the run in the
    store's clock (the cap), and `full` whether the run reads everything.
    """

    started_at: datetime
    bound: datetime | None = None
    page: int = 1
    max_seen: datetime | None = None
    full: bool = False
    # This machine's clock when the read began (rows written since carry a later synced_at).
    wall_started_at: datetime | None = None

    @property
    def keyset(self) -> Keyset:
        """Where the read stands, as its paginator sees it."""
        return Keyset(bound=self.bound, page=self.page, max_seen=self.max_seen)

    def at(self, keyset: Keyset) -> Checkpoint:
        """This checkpoint moved to `keyset`."""
        return replace(self, bound=keyset.bound, page=keyset.page, max_seen=keyset.max_seen)

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as JSON for `sync_state.checkpoint`."""
        return {
            "started_at": self.started_at.isoformat(),
            "bound": self.bound.isoformat() if self.bound else None,
            "page": self.page,
            "max_seen": self.max_seen.isoformat() if self.max_seen else None,
            "full": self.full,
            "wall_started_at": self.wall_started_at.isoformat() if self.wall_started_at else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        """The inverse of `to_json`."""
        started_at = parse_timestamp(data["started_at"])
        assert started_at is not None
        return cls(
            started_at=started_at,
            bound=parse_timestamp(data.get("bound")),
            page=int(data.get("page") or 1),
            max_seen=parse_timestamp(data.get("max_seen")),
            full=bool(data.get("full")),
            wall_started_at=parse_timestamp(data.get("wall_started_at")),
        )


def start(
    cursor: datetime | None,
    *,
    started_at: datetime,
    full: bool,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> Checkpoint:
    """The first checkpoint of a run: from the beginning when `full` or never synced, else
    from the stored cursor minus `overlap` (inclusive)."""
    if full or cursor is None:
        return Checkpoint(started_at=started_at, full=True)
    return Checkpoint(started_at=started_at, bound=cursor - overlap)


def advance(
    checkpoint: Checkpoint,
    modified: Iterable[datetime | None],
    *,
    page_size: int,
) -> tuple[Checkpoint, bool]:
    """The checkpoint after a page whose records have the `modified` timestamps (in the
    page's order, ascending), and whether the stream is complete (a short page)."""
    keyset, done = advance_keyset(checkpoint.keyset, list(modified), page_size=page_size)
    return checkpoint.at(keyset), done


def final_cursor(checkpoint: Checkpoint, previous: datetime | None) -> datetime | None:
    """The stream's cursor once the run is complete: the newest `date_modified` seen, capped
    at the start of the run; never earlier than the previous cursor of an incremental run."""
    seen = checkpoint.max_seen
    capped = min(seen, checkpoint.started_at) if seen is not None else None
    if checkpoint.full:
        return capped if capped is not None else previous
    return _latest(previous, capped)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def is_due(last: datetime | None, *, every: timedelta, now: datetime) -> bool:
    """Whether a periodic scan last run at `last` is due again (`every` 0: always)."""
    return last is None or every <= timedelta(0) or now - last >= every
