"""Cursor pagination of the `/api/v1` lists.

A cursor is opaque to clients: url-safe base64 of a small JSON object the list's code
chose (typically the last id it returned). A cursor that does not decode is a 400 problem.

    @router.get("/things", response_model=CursorPage[Thing])
    def things(page: PageParams, user: ApiUser) -> CursorPage[Thing]:
        after = page.after.get("id") if page.after else None
        rows = list_things(after_id=after, limit=page.limit + 1)
        return CursorPage.from_rows(rows, page.limit, lambda row: {"id": row.id}, Thing.of)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from bigsync.web.problems import Problem

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 1024


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque, url-safe cursor for `position` (JSON values)."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position a cursor of `encode_cursor` holds; a 400 problem for anything else."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        value = None
    if not isinstance(value, dict):
        raise Problem(400, "Invalid cursor", detail="use the next_cursor of a previous page")
    return value


class CursorPage(BaseModel, Generic[T]):
    """One page of a list: its items, and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = None

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[R],
        limit: int,
        position: Callable[[R], dict[str, Any]],
        item: Callable[[R], T],
    ) -> CursorPage[T]:
        """A page from up to `limit + 1` rows (one more than the page shows tells whether
        there is a next page); `position(row)` is what the next page starts after."""
        shown = list(rows[:limit])
        more = len(rows) > limit and bool(shown)
        return cls(
            items=[item(row) for row in shown],
            next_cursor=encode_cursor(position(shown[-1])) if more else None,
        )


@dataclass(frozen=True)
class PageRequest:
    """The `cursor` and `limit` query parameters, the cursor decoded (None: first page)."""

    after: dict[str, Any] | None
    limit: int


def page_request(
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
) -> PageRequest:
    return PageRequest(after=decode_cursor(cursor) if cursor else None, limit=limit)


PageParams = Annotated[PageRequest, Depends(page_request)]
