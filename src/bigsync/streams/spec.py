"""What a stream is: a declarative `StreamSpec`, and the `Batch` of rows a page turns into.

A spec says where a resource lives (path, API version, fixed params), how it is read
(`kind`), how its records are keyed and ordered for incremental reads, and how each page of
API documents becomes rows of one or more mirror tables (`to_batch`, a pure function).
The engine (`bigsync.sync`) runs every spec the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
Row = dict[str, Any]


class StreamKind(enum.StrEnum):
    """How the engine reads a stream."""

    # Keyset on `date_modified` (inclusive lower bound, ascending): full and incremental.
    INCREMENTAL = "incremental"
    # Periodic re-read of every record in id order (keyset `id:greater`, or cursor `after`):
    # catches what does not move `date_modified`, and finds deletes (ids missing in a range).
    SCAN = "scan"
    # Every page of the collection on every sync; rows not seen are deleted (or soft-deleted).
    FULL_SCAN = "full_scan"
    # One object (GET /v2/store).
    SINGLE = "single"
    # One request per parent row already in the mirror (transactions per order, methods per zone).
    PER_PARENT = "per_parent"


class Api(enum.StrEnum):
    """The API generation of a path: v3 answers `{data, meta}`, v2 a bare array (204 = end)."""

    V2 = "v2"
    V3 = "v3"


@dataclass(frozen=True)
class Owned:
    """Rows of `table` that belong to the parents in `parent_ids`: after the batch is written,
    exactly the batch's rows of `table` exist for those parents (others are deleted, or
    soft-deleted when the table has `deleted_at`)."""

    table: str
    parent_column: str
    parent_ids: tuple[int, ...]


@dataclass(frozen=True)
class Batch:
    """Rows per mirror table produced from one page, and the child sets it replaces."""

    rows: Mapping[str, Sequence[Row]]
    owned: tuple[Owned, ...] = ()

    @property
    def count(self) -> int:
        """Rows across every table."""
        return sum(len(rows) for rows in self.rows.values())


ToBatch = Callable[[Sequence[Json], int | None], Batch]
"""(page items, parent id for PER_PARENT streams) -> rows."""


@dataclass(frozen=True)
class StreamSpec:
    """One mirrored resource, declared.

    `cursor_param` names the inclusive `date_modified` lower-bound filter and `sort` the
    params that order the collection by `date_modified` ascending (INCREMENTAL only).
    A SCAN stream pages by `after_param` (an id keyset filter such as `id:greater`) or, when
    that is None, by the cursor pagination's `after`; it runs when due
    (`SyncOptions.scan_every`) and is skipped in a run where `covered_by` was read in full.
    `parent` is the mirror table whose ids a PER_PARENT stream iterates; `{id}` in `path` is
    replaced by each id. `cascade` lists `(child table, parent column)` pairs whose rows are
    soft-deleted with their parent.
    """

    name: str
    path: str
    table: str
    kind: StreamKind
    to_batch: ToBatch
    api: Api = Api.V3
    params: Mapping[str, str] = field(default_factory=dict)
    page_size: int = 250
    cursor_field: str = "date_modified"
    cursor_param: str | None = None
    sort: Mapping[str, str] = field(default_factory=dict)
    after_param: str | None = None
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    covered_by: str | None = None
    cascade: tuple[tuple[str, str], ...] = ()
    # Runs alongside this INCREMENTAL stream, behind its committed frontier.
    trails: str | None = None
    # After a complete read (inventory levels), the catalog's `inventory_level` columns of
    # variants and products are set from the default location's stock it read.
    sets_catalog_stock: bool = False
    # The connection feature (`bigcommerce.scopes.Feature` value) the stream belongs to;
    # None: read whatever features are enabled.
    feature: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind is StreamKind.INCREMENTAL and not (self.cursor_param and self.sort):
            raise ValueError(f"incremental stream {self.name!r} needs cursor_param and sort")
        if self.kind is StreamKind.PER_PARENT and not self.parent:
            raise ValueError(f"per-parent stream {self.name!r} needs a parent table")
