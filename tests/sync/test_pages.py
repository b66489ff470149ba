"""Reading API answers: pure functions."""

from __future__ import annotations

from bigsync.streams.spec import Api, Batch, Owned
from bigsync.sync.pages import chunks, end_cursor_of, items_of, merge_batches, total_of

V3 = {
    "data": [{"id": 1}],
    "meta": {
        "pagination": {"total": 7},
        "cursor_pagination": {"end_cursor": "aWQ6MQ", "links": {"next": "?after=aWQ6MQ"}},
    },
}


def test_items_of_reads_both_generations_and_empty_answers() -> None:
    assert items_of(V3, Api.V3) == [{"id": 1}]
    assert items_of([{"id": 2}], Api.V2) == [{"id": 2}]
    assert items_of(None, Api.V2) == []  # 204
    assert items_of({"data": None}, Api.V3) == []


def test_totals_and_cursors() -> None:
    assert total_of(V3) == 7
    assert total_of([]) is None
    assert end_cursor_of(V3) == "aWQ6MQ"
    last = {"meta": {"cursor_pagination": {"end_cursor": "x", "links": {}}}}
    assert end_cursor_of(last) is None


def test_merge_batches_joins_rows_and_owned_parents() -> None:
    a = Batch({"t": [{"id": 1}]}, (Owned("t", "order_id", (10,)),))
    b = Batch({"t": [{"id": 2}]}, (Owned("t", "order_id", (11,)),))
    merged = merge_batches([a, b])
    assert merged.rows == {"t": [{"id": 1}, {"id": 2}]}
    assert merged.owned == (Owned("t", "order_id", (10, 11)),)


def test_chunks() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 3) == []
