"""Merging the batches of several per-parent requests: pure functions."""

from __future__ import annotations

from bigsync.streams.spec import Batch, Owned
from bigsync.sync.parent_readers import chunks, merge_batches


def test_merge_batches_joins_rows_and_owned_parents() -> None:
    a = Batch({"t": [{"id": 1}]}, (Owned("t", "order_id", (10,)),))
    b = Batch({"t": [{"id": 2}]}, (Owned("t", "order_id", (11,)),))
    merged = merge_batches([a, b])
    assert merged.rows == {"t": [{"id": 1}, {"id": 2}]}
    assert merged.owned == (Owned("t", "order_id", (10, 11)),)


def test_chunks() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 3) == []
