"""Paginators: they read one page's answer and say which pages to ask for next. No I/O here.

    V3OffsetPaginator   `page`/`limit`; the first answer's `total_pages` plans every other page,
                        so the client can fetch them concurrently
    CursorPaginator     `after=<end_cursor>` (GET /v3/customers); strictly one page after another
    V2Paginator         bare arrays; with a count (from `/count`) every page is planned up
                        front, without one it pages until 204, an empty array or a short page

The sync engine's resumable reads, one page after another (each page is committed with the
position the paginator reached, so a crawl resumes from any page):

    ModifiedKeysetPaginator  `date_modified >= bound` ascending: the incremental read
    IdScanPaginator          every record in id order, `id:greater=<last id>` or cursor `after`
    PageScanPaginator        every page by number, v2 or v3, until a short page or the total

A paginator hands out `PageRequest`s (page number + query) and turns each answer into a `Page`
with `read(request, status, body)`, which also returns the requests that answer made known.
The client fetches them in any order but must `read` them in page order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bigsync.errors import MalformedResponseError

MAX_LIMIT = 250
"""The largest `limit` BigCommerce allows on the lists bigsync reads (API-NOTES §6)."""

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of a list, in the order the API returned it.

    `total` and `total_pages` are known for v3 offset lists and for v2 lists crawled with a
    count; `next_cursor` (cursor lists) resumes the crawl after this page when sent as `after`.
    """

    items: list[dict[str, Any]]
    number: int
    total: int | None = None
    total_pages: int | None = None
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """A page to fetch: its number in the crawl and its full query."""

    number: int
    params: Mapping[str, Any] = field(default_factory=dict)


def with_limit(params: Params | None, limit: int = MAX_LIMIT) -> dict[str, Any]:
    """`params` with `limit` set, unless the caller chose one."""
    query = dict(params or {})
    query.setdefault("limit", limit)
    return query


def pages_for(count: int, limit: int) -> int:
    """How many pages of `limit` hold `count` records."""
    return math.ceil(max(count, 0) / limit)


def records_of(body: Any) -> list[dict[str, Any]]:
    """The records of a list answer: v3 `data`, a v2 bare array; none for 204 / empty."""
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping) and isinstance(body.get("data"), list):
        return list(body["data"])
    return []


def total_of(body: Any) -> int | None:
    """`meta.pagination.total` of a v3 list answer, when present."""
    return _int_or_none(_meta(body, "pagination").get("total"))


def next_cursor_of(body: Any) -> str | None:
    """`meta.cursor_pagination.end_cursor` when the answer names a next page."""
    cursor = _meta(body, "cursor_pagination")
    links = cursor.get("links")
    end = cursor.get("end_cursor")
    if not (isinstance(links, Mapping) and links.get("next")) or not end:
        return None
    return str(end)


def _meta(body: Any, key: str) -> Mapping[str, Any]:
    meta = body.get("meta") if isinstance(body, Mapping) else None
    value = meta.get(key) if isinstance(meta, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _refuse_repeat(
    items: list[dict[str, Any]], previous: list[dict[str, Any]], *, number: int
) -> None:
    """A full page equal to the one before it means the endpoint ignores `page`: paging on
    while pages come back full would never end."""
    if items and items == previous:
        raise MalformedResponseError(
            f"page {number} repeats page {number - 1}: the list ignores `page`, so paging "
            f"through it would never end"
        )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class V3OffsetPaginator:
    """v3 `page`/`limit` lists: every page up to the latest `total_pages` seen, once (without
    `meta.pagination`, the next page whenever a page comes back full)."""

    def __init__(self, params: Params | None = None, *, start_page: int = 1) -> None:
        if start_page < 1:
            raise ValueError("start_page must be 1 or more")
        self.params = with_limit(params)
        self.limit = int(self.params["limit"])
        self.start_page = start_page
        self.planned_to = start_page
        self.previous: list[dict[str, Any]] = []

    def first(self) -> list[PageRequest]:
        """The first request of the crawl."""
        return [self._request(self.start_page)]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the pages it newly makes known."""
        pagination = _meta(body, "pagination")
        total_pages = _int_or_none(pagination.get("total_pages"))
        items = records_of(body)
        page = Page(
            items=items,
            number=request.number,
            total=_int_or_none(pagination.get("total")),
            total_pages=total_pages,
        )
        if total_pages is None:  # no pagination meta: go on while pages come back full
            _refuse_repeat(items, self.previous, number=request.number)
            total_pages = self.planned_to + 1 if len(items) >= self.limit else 0
        self.previous = items
        if not items or total_pages <= self.planned_to:
            return page, []
        more = [self._request(n) for n in range(self.planned_to + 1, total_pages + 1)]
        self.planned_to = total_pages
        return page, more

    def _request(self, number: int) -> PageRequest:
        return PageRequest(number, {**self.params, "page": number})


class CursorPaginator:
    """v3 cursor lists: `after=<end_cursor>` until a page names no next page. A next page
    behind a cursor already followed would repeat the crawl forever: that is refused."""

    def __init__(self, params: Params | None = None) -> None:
        self.params = with_limit(params)
        self.params.pop("page", None)  # ignored by the API once a cursor is sent
        after = self.params.get("after")
        self.followed: set[str] = {str(after)} if after else set()

    def first(self) -> list[PageRequest]:
        """The first request (from the start, or after the `after` cursor in params)."""
        return [PageRequest(1, dict(self.params))]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the next page's request if there is one."""
        cursor = _meta(body, "cursor_pagination")
        links = cursor.get("links")
        end = cursor.get("end_cursor")
        items = records_of(body)
        has_next = bool(items and end and isinstance(links, Mapping) and links.get("next"))
        pagination = _meta(body, "pagination")
        page = Page(
            items=items,
            number=request.number,
            total=_int_or_none(pagination.get("total")),
            total_pages=_int_or_none(pagination.get("total_pages")),
            next_cursor=str(end) if end else None,
        )
        if not has_next:
            return page, []
        if str(end) in self.followed:
            raise MalformedResponseError(
                f"page {request.number} of the cursor list names a next page after cursor "
                f"{str(end)[:40]!r}, which was already followed"
            )
        self.followed.add(str(end))
        return page, [PageRequest(request.number + 1, {**self.params, "after": str(end)})]


class V2Paginator:
    """v2 lists (bare arrays; 204 or `[]` past the end).

    With `count` (the total from the list's `/count` endpoint, same filters) all pages are
    planned at once; should the last one come back fuller than the count predicted (records
    were added meanwhile), paging goes on one page at a time. Without a count, the next page is
    asked for only while pages come back full.
    """

    def __init__(
        self, params: Params | None = None, *, start_page: int = 1, count: int | None = None
    ) -> None:
        if start_page < 1:
            raise ValueError("start_page must be 1 or more")
        self.params = with_limit(params)
        self.limit = int(self.params["limit"])
        self.start_page = start_page
        self.count = count
        self.total_pages = None if count is None else pages_for(count, self.limit)
        self.last_planned = start_page
        self.previous: list[dict[str, Any]] = []

    def first(self) -> list[PageRequest]:
        """The first requests: every counted page, or just the first page."""
        if self.total_pages is None:
            return [self._request(self.start_page)]
        if self.total_pages == 0:
            return []
        self.last_planned = max(self.total_pages, self.start_page)
        return [self._request(n) for n in range(self.start_page, self.last_planned + 1)]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the next page's request if paging must go on."""
        items = [] if status == 204 else records_of(body)
        page = Page(
            items=items, number=request.number, total=self.count, total_pages=self.total_pages
        )
        _refuse_repeat(items, self.previous, number=request.number)
        self.previous = items
        if request.number != self.last_planned or len(items) < self.limit:
            return page, []
        if self.count is not None and request.number == self.total_pages:
            expected_last = self.count - (self.total_pages - 1) * self.limit
            if len(items) <= expected_last:
                return page, []  # exactly as counted: no need to ask for an empty page
        self.last_planned += 1
        return page, [self._request(self.last_planned)]

    def _request(self, number: int) -> PageRequest:
        return PageRequest(number, {**self.params, "page": number})


# --- the sync engine's resumable reads -------------------------------------------------------


@dataclass(frozen=True)
class Keyset:
    """Where a `date_modified` keyset read stands: `bound` is the inclusive lower bound of the
    next request (None: from the beginning), `page` the page within that bound (1 unless a
    tie group spans pages), `max_seen` the newest `date_modified` read so far."""

    bound: datetime | None = None
    page: int = 1
    max_seen: datetime | None = None


def advance_keyset(
    keyset: Keyset, modified: list[datetime | None], *, page_size: int
) -> tuple[Keyset, bool]:
    """The keyset after a page whose records have the `modified` timestamps (in the page's
    order, ascending), and whether the read is complete (a short page).

    The next bound is the newest `date_modified` of the page; when the whole page shares the
    bound (a bulk import), the bound cannot move and the next page of that tie group is asked
    for instead."""
    newest = max((m for m in modified if m is not None), default=None)
    max_seen = keyset.max_seen if newest is None else max(newest, keyset.max_seen or newest)
    done = len(modified) < page_size if page_size else True
    if done or newest is None:
        return replace(keyset, max_seen=max_seen), True
    if keyset.bound is not None and newest <= keyset.bound:
        return replace(keyset, page=keyset.page + 1, max_seen=max_seen), False
    return Keyset(bound=newest, page=1, max_seen=max_seen), False


class ModifiedKeysetPaginator:
    """The incremental read: `bound_param >= bound`, sorted by `date_modified` ascending
    (`params` carry the sort), `limit` at a time; `keyset` is where the read stands after the
    last page read, `done` whether it is complete.

    `modified(record)` reads a record's `date_modified`, `format_bound(moment)` writes a
    bound as the filter wants it (both from the caller, who knows the resource)."""

    def __init__(
        self,
        params: Params,
        *,
        limit: int,
        bound_param: str,
        keyset: Keyset,
        modified: Callable[[Mapping[str, Any]], datetime | None],
        format_bound: Callable[[datetime], str],
    ) -> None:
        self.params = dict(params)
        self.limit = limit
        self.bound_param = bound_param
        self.keyset = keyset
        self.modified = modified
        self.format_bound = format_bound
        self.done = False

    def first(self) -> list[PageRequest]:
        """The request at the keyset the read starts from."""
        return [self._request(self.keyset, number=1)]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the next request unless the read is complete."""
        items = [] if status == 204 else records_of(body)
        total = total_of(body)
        page = Page(items=items, number=request.number, total=total)
        before = self.keyset
        self.keyset, self.done = advance_keyset(
            before, [self.modified(item) for item in items], page_size=self.limit
        )
        if total is not None and (before.page - 1) * self.limit + len(items) >= total:
            self.done = True  # a full last page: no need to ask for an empty one
        if self.done:
            return page, []
        return page, [self._request(self.keyset, number=request.number + 1)]

    def _request(self, keyset: Keyset, *, number: int) -> PageRequest:
        query: dict[str, Any] = {**self.params, "limit": self.limit, "page": keyset.page}
        if keyset.bound is not None:
            query[self.bound_param] = self.format_bound(keyset.bound)
        return PageRequest(number, query)


class IdScanPaginator:
    """Every record in id order, `limit` at a time: by the id keyset `after_param` (such as
    `id:greater`) after `after_id`, or, when `after_param` is None, by cursor pagination's
    `after`. `after_id` and `cursor` are where the scan stands after the last page read;
    `range_of(page)` is the id range that page covered (records missing from it are gone)."""

    def __init__(
        self,
        params: Params,
        *,
        limit: int,
        after_param: str | None,
        after_id: int = 0,
        cursor: str | None = None,
    ) -> None:
        self.params = dict(params)
        self.limit = limit
        self.after_param = after_param
        self.after_id = after_id
        self.cursor = cursor
        self.done = False

    def first(self) -> list[PageRequest]:
        """The request after the position the scan starts from."""
        return [self._request(number=1)]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the next request unless the scan is complete."""
        items = [] if status == 204 else records_of(body)
        end_cursor = next_cursor_of(body)
        page = Page(items=items, number=request.number, next_cursor=end_cursor)
        ids = sorted(int(item["id"]) for item in items)
        self.done = len(items) < self.limit or (self.after_param is None and not end_cursor)
        self.after_id = ids[-1] if ids else self.after_id
        self.cursor = end_cursor
        if self.done:
            return page, []
        return page, [self._request(number=request.number + 1)]

    def _request(self, *, number: int) -> PageRequest:
        query: dict[str, Any] = {**self.params, "limit": self.limit}
        if self.after_param and self.after_id:
            query[self.after_param] = self.after_id
        elif self.cursor:
            query["after"] = self.cursor
        return PageRequest(number, query)


class PageScanPaginator:
    """Every page of a list by number, one after another, from `start_page`: until a short
    page, or the v3 `total` is reached; `limit` 0 is a list that is not paginated (one
    request, no query). `done` says whether the last page read was the last."""

    def __init__(self, params: Params, *, limit: int, start_page: int = 1) -> None:
        if start_page < 1:
            raise ValueError("start_page must be 1 or more")
        self.params = dict(params)
        self.limit = limit
        self.start_page = start_page
        self.total: int | None = None
        self.done = False

    def first(self) -> list[PageRequest]:
        """The request of the first page to read."""
        return [self._request(self.start_page)]

    def read(self, request: PageRequest, status: int, body: Any) -> tuple[Page, list[PageRequest]]:
        """The page in `body`, and the next page's request unless it was the last."""
        items = [] if status == 204 else records_of(body)
        self.total = total_of(body)
        page = Page(items=items, number=request.number, total=self.total)
        self.done = not self.limit or len(items) < self.limit
        if self.total is not None and (request.number - 1) * self.limit + len(items) >= self.total:
            self.done = True  # the last page was full: no need to ask for an empty one
        if self.done:
            return page, []
        return page, [self._request(request.number + 1)]

    def _request(self, number: int) -> PageRequest:
        if not self.limit:
            return PageRequest(number, {})
        return PageRequest(number, {**self.params, "limit": self.limit, "page": number})
