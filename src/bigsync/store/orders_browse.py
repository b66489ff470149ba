"""Reads of mirrored orders for people browsing them: a newest-first list in keyset pages
(search, status and shipping filters), what has shipped per order, one order with its
lines, shipping addresses and transactions, and the outbox intents about one order.
Read-only; the caller owns the transaction.

Newest first is by order id, highest first: BigCommerce numbers orders in the order it
creates them. A page continues below the last id of the previous one (`before_id`), so page
1,000 costs what page 1 does; no OFFSET is ever used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bigsync.store.hub_schema import hub_shipments
from bigsync.store.mirror_schema import (
    order_shipping_addresses,
    orders,
    transactions,
)
from bigsync.store.outbox_repository import OutboxRow, get_intents
from bigsync.store.outbox_schema import outbox

SHIPPING_TO_SHIP = "to_ship"
SHIPPING_SHIPPED = "shipped"
SHIPPING_FILTERS = (SHIPPING_TO_SHIP, SHIPPING_SHIPPED)


@dataclass(frozen=True)
class OrderRecord:
    """An order of the mirror with its typed columns and its document (`raw`)."""

    id: int
    customer_id: int | None
    status_id: int
    status: str | None
    payment_status: str | None
    total_inc_tax: float | None
    currency_code: str | None
    items_total: int | None
    is_deleted: bool
    date_created: datetime | None
    date_modified: datetime | None
    billing_name: str | None
    billing_email: str | None
    synced_at: datetime
    raw: Mapping[str, Any]


_LIST_COLUMNS = (
    orders.c.id,
    orders.c.customer_id,
    orders.c.status_id,
    orders.c.status,
    orders.c.payment_status,
    orders.c.total_inc_tax,
    orders.c.currency_code,
    orders.c.items_total,
    orders.c.is_deleted,
    orders.c.date_created,
    orders.c.date_modified,
    orders.c.billing_name,
    orders.c.billing_email,
    orders.c.synced_at,
)


def _record(row: Any, raw: Mapping[str, Any] | None = None) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        customer_id=row.customer_id,
        status_id=row.status_id,
        status=row.status,
        payment_status=row.payment_status,
        total_inc_tax=row.total_inc_tax,
        currency_code=row.currency_code,
        items_total=row.items_total,
        is_deleted=bool(row.is_deleted),
        date_created=row.date_created,
        date_modified=row.date_modified,
        billing_name=row.billing_name,
        billing_email=row.billing_email,
        synced_at=row.synced_at,
        raw=raw if raw is not None else {},
    )


def _search_clause(text: str, dialect: str) -> sa.ColumnElement[bool]:
    """An order id (digits, `#` allowed before them), or part of the billing name/email,
    case-blind. SQLite's LIKE is case-blind already (ASCII, as its lower() is): without
    lower() on every row a search that matches nothing takes half the time."""
    needle = text.strip()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    columns = (orders.c.billing_name, orders.c.billing_email)
    matches: list[sa.ColumnElement[bool]] = [
        c.like(pattern, escape="\\") if dialect == "sqlite" else c.ilike(pattern, escape="\\")
        for c in columns
    ]
    digits = needle.removeprefix("#").strip()
    if digits.isdecimal() and len(digits) < 19:
        matches.append(orders.c.id == int(digits))
    return sa.or_(*matches)


def _unshipped_address(order_id: sa.ColumnElement[Any]) -> sa.Exists:
    table = order_shipping_addresses
    return sa.exists().where(
        table.c.connection_id == orders.c.connection_id,
        table.c.order_id == order_id,
        sa.func.coalesce(table.c.items_shipped, 0) < sa.func.coalesce(table.c.items_total, 0),
    )


def _any_address(order_id: sa.ColumnElement[Any]) -> sa.Exists:
    table = order_shipping_addresses
    return sa.exists().where(
        table.c.connection_id == orders.c.connection_id, table.c.order_id == order_id
    )


def list_orders(
    conn: sa.Connection,
    connection_id: int,
    *,
    search: str | None = None,
    status_id: int | None = None,
    shipping: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[OrderRecord]:
    """Orders newest first (highest id first), below `before_id` when given, at most
    `limit`. `shipping`: `to_ship` (a shipping address with items left to ship) or
    `shipped` (shipping addresses, all shipped). Records come without `raw`."""
    # The ids first, from the covering index `ix_orders_browse` (a search that matches
    # nothing reads the index, not the documents), then those orders' rows.
    ids = sa.select(orders.c.id).where(orders.c.connection_id == connection_id)
    if search and search.strip():
        ids = ids.where(_search_clause(search, conn.dialect.name))
    if status_id is not None:
        ids = ids.where(orders.c.status_id == status_id)
    if shipping == SHIPPING_TO_SHIP:
        ids = ids.where(_unshipped_address(orders.c.id))
    elif shipping == SHIPPING_SHIPPED:
        ids = ids.where(_any_address(orders.c.id), ~_unshipped_address(orders.c.id))
    elif shipping is not None:
        raise ValueError(f"unknown shipping filter {shipping!r}")
    if before_id is not None:
        ids = ids.where(orders.c.id < before_id)
    wanted = list(conn.execute(ids.order_by(orders.c.id.desc()).limit(limit)).scalars())
    if not wanted:
        return []
    query = (
        sa.select(*_LIST_COLUMNS)
        .where(orders.c.connection_id == connection_id, orders.c.id.in_(wanted))
        .order_by(orders.c.id.desc())
    )
    return [_record(r) for r in conn.execute(query)]


@dataclass(frozen=True)
class ShippedCount:
    """Items of an order's shipping addresses, and how many of them have shipped."""

    items_total: int
    items_shipped: int
    addresses: int


def shipped_counts(
    conn: sa.Connection, connection_id: int, order_ids: Iterable[int]
) -> dict[int, ShippedCount]:
    """Per order (those with a shipping address): items to ship and shipped, per the mirror."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return {}
    table = order_shipping_addresses
    query = (
        sa.select(
            table.c.order_id,
            sa.func.sum(sa.func.coalesce(table.c.items_total, 0)).label("total"),
            sa.func.sum(sa.func.coalesce(table.c.items_shipped, 0)).label("shipped"),
            sa.func.count().label("n"),
        )
        .where(table.c.connection_id == connection_id, table.c.order_id.in_(wanted))
        .group_by(table.c.order_id)
    )
    return {
        r.order_id: ShippedCount(int(r.total or 0), int(r.shipped or 0), int(r.n))
        for r in conn.execute(query)
    }


@dataclass(frozen=True)
class RecordedShipment:
    """A shipment the hub recorded for an order, with the state of the intent sending it."""

    order_id: int
    intent_id: int | None
    state: str | None
    confirmed_at: datetime | None


def recorded_shipments(
    conn: sa.Connection, connection_id: int, order_ids: Iterable[int]
) -> list[RecordedShipment]:
    """The hub's shipments of these orders (one query, the intents joined)."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return []
    query = (
        sa.select(
            hub_shipments.c.order_id,
            hub_shipments.c.intent_id,
            outbox.c.state,
            outbox.c.confirmed_at,
        )
        .select_from(hub_shipments.outerjoin(outbox, outbox.c.id == hub_shipments.c.intent_id))
        .where(
            hub_shipments.c.connection_id == connection_id,
            hub_shipments.c.order_id.in_(wanted),
        )
        .order_by(hub_shipments.c.id)
    )
    return [
        RecordedShipment(r.order_id, r.intent_id, r.state, r.confirmed_at)
        for r in conn.execute(query)
    ]


# --- one order --------------------------------------------------------------------------------


def get_order(conn: sa.Connection, connection_id: int, order_id: int) -> OrderRecord | None:
    """One order with its document, if the mirror has it."""
    query = sa.select(*_LIST_COLUMNS, orders.c.raw).where(
        orders.c.connection_id == connection_id, orders.c.id == order_id
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return _record(row, row.raw if isinstance(row.raw, dict) else {})


@dataclass(frozen=True)
class AddressRecord:
    """A shipping address (consignment) of an order with its document."""

    id: int
    shipping_method: str | None
    items_total: int
    items_shipped: int
    raw: Mapping[str, Any]


def order_addresses(conn: sa.Connection, connection_id: int, order_id: int) -> list[AddressRecord]:
    """The shipping addresses of one order, by id."""
    table = order_shipping_addresses
    query = sa.select(table).where(
        table.c.connection_id == connection_id, table.c.order_id == order_id
    )  # sorted here, as the lines are
    found = [
        AddressRecord(
            id=r.id,
            shipping_method=r.shipping_method,
            items_total=int(r.items_total or 0),
            items_shipped=int(r.items_shipped or 0),
            raw=r.raw if isinstance(r.raw, dict) else {},
        )
        for r in conn.execute(query)
    ]
    return sorted(found, key=lambda address: address.id)


@dataclass(frozen=True)
class TransactionRecord:
    """A payment transaction of an order."""

    id: int
    event: str | None
    method: str | None
    amount: float | None
    currency: str | None
    gateway: str | None
    status: str | None
    date_created: datetime | None


def order_transactions(
    conn: sa.Connection, connection_id: int, order_id: int
) -> list[TransactionRecord]:
    """The transactions of one order, oldest first."""
    table = transactions
    query = (
        sa.select(table)
        .where(table.c.connection_id == connection_id, table.c.order_id == order_id)
        .order_by(table.c.date_created, table.c.id)
    )
    return [
        TransactionRecord(
            r.id, r.event, r.method, r.amount, r.currency, r.gateway, r.status, r.date_created
        )
        for r in conn.execute(query)
    ]


def status_intents(conn: sa.Connection, connection_id: int, order_id: int) -> list[OutboxRow]:
    """The order-status intents of one order (its own and those after its shipments),
    newest first."""
    own = f"status:{order_id}"
    query = (
        sa.select(outbox.c.id)
        .where(
            outbox.c.connection_id == connection_id,
            sa.or_(outbox.c.dedupe_key == own, outbox.c.dedupe_key.like(f"{own}:%")),
        )
        .order_by(outbox.c.id.desc())
    )
    ids = list(conn.execute(query).scalars())
    found = get_intents(conn, ids)
    return [found[i] for i in ids if i in found]
