"""Reading API answers (pure): the records of a page, its totals and cursors, and merging
the batches of several requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bigsync.streams.spec import Api, Batch, Json, Owned


def items_of(body: Any, api: Api) -> list[Json]:
    """The records of a list response: v3 `data`, a v2 bare array; none for 204 / empty."""
    if not body:
        return []
    if api is Api.V3 and isinstance(body, dict):
        data = body.get("data")
        return list(data) if isinstance(data, list) else []
    return list(body) if isinstance(body, list) else []


def end_cursor_of(body: Any) -> str | None:
    """`meta.cursor_pagination.end_cursor` when the response has a next page."""
    if not isinstance(body, dict):
        return None
    cursor = (body.get("meta") or {}).get("cursor_pagination") or {}
    if not (cursor.get("links") or {}).get("next"):
        return None
    end = cursor.get("end_cursor")
    return str(end) if end else None


def total_of(body: Any) -> int | None:
    """`meta.pagination.total` of a v3 list response, when present."""
    if not isinstance(body, dict):
        return None
    pagination = (body.get("meta") or {}).get("pagination") or {}
    total = pagination.get("total")
    return int(total) if isinstance(total, int) else None


def merge_batches(batches: Sequence[Batch]) -> Batch:
    """One batch holding the rows and owned child sets of several."""
    rows: dict[str, list[Any]] = {}
    parents: dict[tuple[str, str], list[int]] = {}
    for batch in batches:
        for name, table_rows in batch.rows.items():
            rows.setdefault(name, []).extend(table_rows)
        for owned in batch.owned:
            parents.setdefault((owned.table, owned.parent_column), []).extend(owned.parent_ids)
    merged = tuple(Owned(table, column, tuple(ids)) for (table, column), ids in parents.items())
    return Batch(rows, merged)


def chunks(values: Sequence[int], size: int) -> list[list[int]]:
    """`values` cut into consecutive lists of at most `size`."""
    return [list(values[i : i + size]) for i in range(0, len(values), size)]
