"""Paginators read answers and plan requests; no I/O, so every case is a plain function call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bigsync.bigcommerce.pagination import (
    CursorPaginator,
    IdScanPaginator,
    Keyset,
    ModifiedKeysetPaginator,
    PageRequest,
    PageScanPaginator,
    V2Paginator,
    V3OffsetPaginator,
    next_cursor_of,
    pages_for,
    records_of,
    total_of,
    with_limit,
)
from bigsync.errors import MalformedResponseError


def v3_body(page: int, *, total: int, per_page: int = 250) -> dict[str, Any]:
    total_pages = pages_for(total, per_page)
    start = (page - 1) * per_page
    data = [{"id": i} for i in range(start + 1, min(total, start + per_page) + 1)]
    return {
        "data": data,
        "meta": {
            "pagination": {
                "total": total,
                "count": len(data),
                "per_page": per_page,
                "current_page": page,
                "total_pages": total_pages,
                "links": {"current": f"?page={page}&limit={per_page}"},
            }
        },
    }


def numbers(requests: list[PageRequest]) -> list[int]:
    return [r.number for r in requests]


def test_limit_is_250_unless_the_caller_chose() -> None:
    assert with_limit({"include": "variants"}) == {"include": "variants", "limit": 250}
    assert with_limit({"limit": 10}) == {"limit": 10}
    assert with_limit(None) == {"limit": 250}


def test_v3_first_page_plans_every_other_page() -> None:
    paginator = V3OffsetPaginator({"include": "variants"})
    [first] = paginator.first()
    assert first.params == {"include": "variants", "limit": 250, "page": 1}
    page, more = paginator.read(first, 200, v3_body(1, total=1001))
    assert (page.number, len(page.items), page.total, page.total_pages) == (1, 250, 1001, 5)
    assert numbers(more) == [2, 3, 4, 5]
    assert more[-1].params["page"] == 5
    for request in more:
        _, again = paginator.read(request, 200, v3_body(request.number, total=1001))
        assert again == []


def test_v3_plans_more_pages_when_the_list_grows_during_the_crawl() -> None:
    paginator = V3OffsetPaginator()
    [first] = paginator.first()
    _, more = paginator.read(first, 200, v3_body(1, total=500))
    assert numbers(more) == [2]
    _, grown = paginator.read(more[0], 200, v3_body(2, total=760))
    assert numbers(grown) == [3, 4]


def test_v3_single_and_empty_lists() -> None:
    paginator = V3OffsetPaginator()
    [first] = paginator.first()
    page, more = paginator.read(first, 200, v3_body(1, total=3))
    assert (len(page.items), more) == (3, [])
    empty = V3OffsetPaginator()
    page, more = empty.read(empty.first()[0], 200, v3_body(1, total=0))
    assert (page.items, page.total, more) == ([], 0, [])


def test_v3_without_pagination_meta_goes_on_while_pages_are_full() -> None:
    paginator = V3OffsetPaginator({"limit": 2})
    [first] = paginator.first()
    _, more = paginator.read(first, 200, {"data": [{"id": 1}, {"id": 2}], "meta": {}})
    assert numbers(more) == [2]
    _, more = paginator.read(more[0], 200, {"data": [{"id": 3}], "meta": {}})
    assert more == []
    _, more = paginator.read(first, 204, None)
    assert more == []


def test_v3_resumes_at_a_start_page() -> None:
    paginator = V3OffsetPaginator(start_page=3)
    [first] = paginator.first()
    assert first.number == 3
    _, more = paginator.read(first, 200, v3_body(3, total=1100))
    assert numbers(more) == [4, 5]
    with pytest.raises(ValueError, match="start_page"):
        V3OffsetPaginator(start_page=0)


def cursor_body(ids: list[int], *, end: str | None, has_next: bool) -> dict[str, Any]:
    links = {"current": "?limit=250"} | ({"next": f"?limit=250&after={end}"} if has_next else {})
    cursor = {"count": len(ids), "per_page": 250, "links": links}
    if end:
        cursor |= {"start_cursor": "s", "end_cursor": end}
    return {"data": [{"id": i} for i in ids], "meta": {"cursor_pagination": cursor}}


def test_cursor_follows_end_cursor_until_no_next_link() -> None:
    paginator = CursorPaginator({"page": 4, "sort": "date_modified:asc"})
    [first] = paginator.first()
    assert first.params == {"sort": "date_modified:asc", "limit": 250}
    page, more = paginator.read(first, 200, cursor_body([1, 2], end="c1", has_next=True))
    assert page.next_cursor == "c1"
    assert [(r.number, r.params["after"]) for r in more] == [(2, "c1")]
    page, more = paginator.read(more[0], 200, cursor_body([3], end="c2", has_next=False))
    assert (page.next_cursor, more) == ("c2", [])


def test_cursor_stops_without_end_cursor_or_items() -> None:
    paginator = CursorPaginator()
    [first] = paginator.first()
    _, more = paginator.read(first, 200, cursor_body([], end=None, has_next=True))
    assert more == []
    _, more = paginator.read(first, 200, cursor_body([1], end=None, has_next=True))
    assert more == []


def test_cursor_resumes_after_a_given_cursor() -> None:
    [first] = CursorPaginator({"after": "c9"}).first()
    assert first.params["after"] == "c9"


def test_cursor_refuses_a_next_page_behind_a_cursor_already_followed() -> None:
    paginator = CursorPaginator({"after": "c0"})
    [first] = paginator.first()
    _, [second] = paginator.read(first, 200, cursor_body([1], end="c1", has_next=True))
    _, [third] = paginator.read(second, 200, cursor_body([2], end="c2", has_next=True))
    for repeated in ("c2", "c1", "c0"):  # the same cursor again, or an earlier one: a loop
        with pytest.raises(MalformedResponseError, match="already followed"):
            paginator.read(third, 200, cursor_body([3], end=repeated, has_next=True))


def test_a_list_that_ignores_page_ends_loudly_instead_of_looping() -> None:
    full = [{"id": i} for i in range(250)]
    for paginator in (V3OffsetPaginator(), V2Paginator()):
        [request] = paginator.first()
        body: Any = full if isinstance(paginator, V2Paginator) else {"data": full}
        _, [request] = paginator.read(request, 200, body)  # a full page: the next is asked for
        with pytest.raises(MalformedResponseError, match="repeats page 1"):
            paginator.read(request, 200, body)  # ... and is the same page again


def v2_items(n: int, *, page: int = 1) -> list[dict[str, int]]:
    return [{"id": i} for i in range((page - 1) * n, page * n)]


def test_v2_without_count_pages_until_a_short_page() -> None:
    paginator = V2Paginator()
    [first] = paginator.first()
    page, more = paginator.read(first, 200, v2_items(250))
    assert (page.total, numbers(more)) == (None, [2])
    _, more = paginator.read(more[0], 200, v2_items(249))
    assert more == []


@pytest.mark.parametrize("end", [(204, None), (200, []), (200, "")])
def test_v2_without_count_stops_on_204_or_empty(end: tuple[int, Any]) -> None:
    paginator = V2Paginator()
    [first] = paginator.first()
    _, more = paginator.read(first, 200, v2_items(250))
    page, after = paginator.read(more[0], *end)
    assert (page.items, after) == ([], [])


def test_v2_with_count_plans_every_page_and_asks_for_nothing_more() -> None:
    paginator = V2Paginator({"sort": "id:asc"}, count=750)
    planned = paginator.first()
    assert numbers(planned) == [1, 2, 3]
    for request in planned:
        page, more = paginator.read(request, 200, v2_items(250, page=request.number))
        assert (page.total, page.total_pages, more) == (750, 3, [])


def test_v2_with_count_goes_on_when_the_list_grew() -> None:
    paginator = V2Paginator(count=510)
    planned = paginator.first()
    assert numbers(planned) == [1, 2, 3]
    for request in planned[:2]:
        assert paginator.read(request, 200, v2_items(250, page=request.number))[1] == []
    _, more = paginator.read(planned[2], 200, v2_items(250, page=3))  # 10 predicted, 250 came
    assert numbers(more) == [4]
    assert paginator.read(more[0], 200, v2_items(3))[1] == []


def test_v2_with_zero_count_asks_for_nothing() -> None:
    assert V2Paginator(count=0).first() == []


def test_v2_resume_with_count() -> None:
    paginator = V2Paginator(count=1000, start_page=3)
    assert numbers(paginator.first()) == [3, 4]
    beyond = V2Paginator(count=100, start_page=2)
    assert numbers(beyond.first()) == [2]
    with pytest.raises(ValueError, match="start_page"):
        V2Paginator(start_page=0)


# --- envelopes ---------------------------------------------------------------------------------

V3 = {
    "data": [{"id": 1}],
    "meta": {
        "pagination": {"total": 7},
        "cursor_pagination": {"end_cursor": "aWQ6MQ", "links": {"next": "?after=aWQ6MQ"}},
    },
}


def test_records_of_reads_both_generations_and_empty_answers() -> None:
    assert records_of(V3) == [{"id": 1}]
    assert records_of([{"id": 2}]) == [{"id": 2}]
    assert records_of(None) == []  # 204
    assert records_of({"data": None}) == []


def test_totals_and_cursors() -> None:
    assert total_of(V3) == 7
    assert total_of([]) is None
    assert next_cursor_of(V3) == "aWQ6MQ"
    last = {"meta": {"cursor_pagination": {"end_cursor": "x", "links": {}}}}
    assert next_cursor_of(last) is None


# --- the sync engine's resumable reads ----------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def stamped(*seconds: int) -> list[dict[str, Any]]:
    return [{"id": i, "at": T0 + timedelta(seconds=s)} for i, s in enumerate(seconds, start=1)]


def keyset_paginator(keyset: Keyset | None = None) -> ModifiedKeysetPaginator:
    return ModifiedKeysetPaginator(
        {"sort": "date_modified"},
        limit=3,
        bound_param="date_modified:min",
        keyset=keyset or Keyset(),
        modified=lambda item: item["at"],
        format_bound=lambda moment: moment.isoformat(),
    )


def test_keyset_moves_its_bound_to_the_newest_record_of_each_page() -> None:
    paginator = keyset_paginator()
    (first,) = paginator.first()
    assert first.params == {"sort": "date_modified", "limit": 3, "page": 1}
    _, (second,) = paginator.read(first, 200, {"data": stamped(1, 2, 5)})
    assert second.params["date_modified:min"] == (T0 + timedelta(seconds=5)).isoformat()
    assert second.params["page"] == 1
    assert not paginator.done
    page, more = paginator.read(second, 200, {"data": stamped(5, 6)})
    assert more == []
    assert paginator.done
    assert len(page.items) == 2
    assert paginator.keyset.max_seen == T0 + timedelta(seconds=6)


def test_keyset_pages_through_a_tie_group_and_stops_at_the_total() -> None:
    start = Keyset(bound=T0, page=1)
    paginator = keyset_paginator(start)
    (first,) = paginator.first()
    _, (second,) = paginator.read(first, 200, {"data": stamped(0, 0, 0)})
    assert second.params["page"] == 2
    assert paginator.keyset.bound == T0
    body = {"data": stamped(0, 0, 0), "meta": {"pagination": {"total": 6}}}
    _, more = paginator.read(second, 200, body)
    assert more == []
    assert paginator.done


def test_id_scan_pages_by_id_keyset_or_by_cursor() -> None:
    by_id = IdScanPaginator({"sort": "id"}, limit=2, after_param="id:greater", after_id=4)
    (first,) = by_id.first()
    assert first.params == {"sort": "id", "limit": 2, "id:greater": 4}
    _, (second,) = by_id.read(first, 200, {"data": [{"id": 7}, {"id": 5}]})
    assert second.params["id:greater"] == 7
    assert by_id.after_id == 7
    _, more = by_id.read(second, 200, {"data": [{"id": 9}]})
    assert more == []
    assert by_id.done
    by_cursor = IdScanPaginator({}, limit=1, after_param=None)
    (first,) = by_cursor.first()
    _, (second,) = by_cursor.read(first, 200, V3)
    assert second.params == {"limit": 1, "after": "aWQ6MQ"}
    _, more = by_cursor.read(second, 200, {"data": [{"id": 2}], "meta": {}})
    assert more == []
    assert by_cursor.done


def test_page_scan_resumes_and_stops_at_a_short_page_or_the_total() -> None:
    paginator = PageScanPaginator({"x": "1"}, limit=2, start_page=3)
    (first,) = paginator.first()
    assert first.params == {"x": "1", "limit": 2, "page": 3}
    _, (second,) = paginator.read(first, 200, [{"id": 1}, {"id": 2}])
    assert second.number == 4
    _, more = paginator.read(second, 204, None)
    assert more == []
    assert paginator.done
    full_last = PageScanPaginator({}, limit=2)
    body = {"data": [{"id": 1}, {"id": 2}], "meta": {"pagination": {"total": 2}}}
    assert full_last.read(full_last.first()[0], 200, body)[1] == []
    unpaged = PageScanPaginator({"x": "1"}, limit=0)
    (only,) = unpaged.first()
    assert only.params == {}
    assert unpaged.read(only, 200, [{"id": 1}])[1] == []
