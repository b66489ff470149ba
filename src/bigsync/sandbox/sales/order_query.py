"""Filtering and sorting `GET /v2/orders` and `/v2/orders/count`.

All `min_*` / `max_*` bounds are inclusive (the docs do not say; inclusive is what an
incremental sync with overlap expects). Archived and incomplete orders are listed like any
other order (API-NOTES §7.5).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bigsync.sandbox.sales.records import Order
from bigsync.sandbox.sales.state import SalesState

SORT_FIELDS = frozenset(
    {"id", "customer_id", "date_created", "date_modified", "status_id", "channel_id", "external_id"}
)
RANGE_FIELDS = {"id": "id", "date_created": "date_created", "date_modified": "date_modified"}


@dataclass(frozen=True)
class OrderQuery:
    """The filters and sort of one orders request (money bounds in cents)."""

    min_id: int | None = None
    max_id: int | None = None
    min_total: int | None = None
    max_total: int | None = None
    customer_id: int | None = None
    email: str | None = None
    status_id: int | None = None
    cart_id: str | None = None
    payment_method: str | None = None
    min_date_created: datetime | None = None
    max_date_created: datetime | None = None
    min_date_modified: datetime | None = None
    max_date_modified: datetime | None = None
    channel_id: int | None = None
    external_order_id: str | None = None
    sort: str = "id"
    descending: bool = False


def _bounds(query: OrderQuery, name: str) -> tuple[Any, Any]:
    if name == "id":
        return query.min_id, query.max_id
    return getattr(query, f"min_{name}"), getattr(query, f"max_{name}")


def _at_least(name: str, low: Any) -> Callable[[Order], bool]:
    return lambda order: bool(getattr(order, name) >= low)


def _at_most(name: str, high: Any) -> Callable[[Order], bool]:
    return lambda order: bool(getattr(order, name) <= high)


def _equals(name: str, wanted: Any) -> Callable[[Order], bool]:
    return lambda order: bool(getattr(order, name) == wanted)


def _predicates(query: OrderQuery, *, skip: str) -> list[Callable[[Order], bool]]:
    checks: list[Callable[[Order], bool]] = []
    for name in RANGE_FIELDS:
        if name == skip:
            continue
        low, high = _bounds(query, name)
        if low is not None:
            checks.append(_at_least(name, low))
        if high is not None:
            checks.append(_at_most(name, high))
    if query.min_total is not None:
        checks.append(_at_least("total_inc_tax", query.min_total))
    if query.max_total is not None:
        checks.append(_at_most("total_inc_tax", query.max_total))
    for name in ("customer_id", "status_id", "channel_id", "cart_id", "external_order_id"):
        wanted = getattr(query, name)
        if wanted is not None:
            checks.append(_equals(name, wanted))
    if query.email is not None:
        email = query.email.lower()
        checks.append(lambda o: o.billing_address.email.lower() == email)
    if query.payment_method is not None:
        method = query.payment_method.lower()
        checks.append(lambda o: o.payment_method.lower() == method)
    return checks


def select_orders(state: SalesState, query: OrderQuery) -> Sequence[Order]:
    """The orders matching `query`, in its order. The sort field's own bounds are applied by
    bisecting the cached sorted view, so the common incremental query copies only its tail."""
    view = state.orders_sorted_by(query.sort)
    records: Sequence[Order] = view.records
    skip = ""
    if query.sort in RANGE_FIELDS:
        skip = query.sort
        low, high = _bounds(query, query.sort)
        start = bisect_left(view.keys, (low,)) if low is not None else 0
        end = bisect_right(view.keys, (high, math.inf)) if high is not None else len(records)
        if start or end != len(records):
            records = records[start:end]
    checks = _predicates(query, skip=skip)
    if checks:
        records = [o for o in records if all(check(o) for check in checks)]
    if query.descending:
        records = records[::-1]
    return records
