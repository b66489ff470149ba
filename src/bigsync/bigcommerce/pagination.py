"""Paginators: they read one page's answer and say which pages to ask for next. No I/O here.

    V3OffsetPaginator   `page`/`limit`; the first answer's `total_pages` plans every other page,
                        so the client can fetch them concurrently
    CursorPaginator     `after=<end_cursor>` (GET /v3/customers); strictly one page after another
    V2Paginator         bare arrays; with a count (from `/count`) every page is planned up
                        front, without one it pages until 204, an empty array or a short page

A paginator hands out `PageRequest`s (page number + query) and turns each answer into a `Page`
with `read(request, status, body)`, which also returns the requests that answer made known.
The client fetches them in any order but must `read` them in page order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
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


def _records(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping) and isinstance(body.get("data"), list):
        return list(body["data"])
    return []


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
        items = _records(body)
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
        items = _records(body)
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
        items = [] if status == 204 else _records(body)
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
