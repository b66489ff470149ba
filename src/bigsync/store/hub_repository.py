"""SQL of the hub (`store.hub_schema`): locations, managed items and their history, hub stock,
and the shipments the hub recorded. Reads of the mirror the hub needs live in
`store.hub_mirror`; shipping services and rules in `store.shipping_repository`.

Every function takes an open connection and the connection id; the caller owns the
transaction (a stock change and its outbox intent commit together).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigsync.errors import InputError
from bigsync.store.hub_schema import (
    hub_item_events,
    hub_items,
    hub_locations,
    hub_shipments,
    hub_stock,
)

# --- locations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubLocation:
    """One hub location and the store location it writes to (None: not written)."""

    id: int
    code: str
    name: str
    store_location_id: int | None
    is_default: bool


def _location(row: sa.Row[Any]) -> HubLocation:
    m = row._mapping
    return HubLocation(
        id=m["id"],
        code=m["code"],
        name=m["name"],
        store_location_id=m["store_location_id"],
        is_default=bool(m["is_default"]),
    )


def list_locations(conn: sa.Connection, connection_id: int) -> list[HubLocation]:
    """The hub's locations, the default first, then by code."""
    query = (
        hub_locations.select()
        .where(hub_locations.c.connection_id == connection_id)
        .order_by(hub_locations.c.is_default.desc(), hub_locations.c.code)
    )
    return [_location(row) for row in conn.execute(query)]


def insert_location(
    conn: sa.Connection,
    connection_id: int,
    *,
    code: str,
    name: str,
    store_location_id: int | None,
    is_default: bool,
    now: datetime,
) -> HubLocation:
    """Add a location (a taken code or store location raises InputError)."""
    statement = hub_locations.insert().values(
        connection_id=connection_id,
        code=code,
        name=name,
        store_location_id=store_location_id,
        is_default=is_default,
        created_at=now,
        updated_at=now,
    )
    try:
        key = conn.execute(statement).inserted_primary_key
    except sa.exc.IntegrityError:
        raise InputError(
            f"the hub already has a location {code!r} or one mapped to that store location"
        ) from None
    assert key is not None
    return HubLocation(int(key[0]), code, name, store_location_id, is_default)


def map_location(
    conn: sa.Connection,
    connection_id: int,
    location_id: int,
    *,
    store_location_id: int | None,
    now: datetime,
) -> None:
    """Point a hub location at a store location (None: unmap); the store location may have
    one hub location only (InputError otherwise)."""
    statement = (
        hub_locations.update()
        .where(hub_locations.c.connection_id == connection_id, hub_locations.c.id == location_id)
        .values(store_location_id=store_location_id, updated_at=now)
    )
    try:
        conn.execute(statement)
    except sa.exc.IntegrityError:
        raise InputError(
            f"store location {store_location_id} is mapped to another hub location already "
            "(unmap that one first)"
        ) from None


def set_default_location(
    conn: sa.Connection, connection_id: int, location_id: int, *, now: datetime
) -> None:
    """Make one location the default (and no other)."""
    mine = hub_locations.c.connection_id == connection_id
    conn.execute(
        hub_locations.update()
        .where(mine, hub_locations.c.is_default.is_(True), hub_locations.c.id != location_id)
        .values(is_default=False, updated_at=now)
    )
    conn.execute(
        hub_locations.update()
        .where(mine, hub_locations.c.id == location_id)
        .values(is_default=True, updated_at=now)
    )


def delete_location(conn: sa.Connection, connection_id: int, location_id: int) -> None:
    """Remove a hub location and its hub stock."""
    conn.execute(
        hub_locations.delete().where(
            hub_locations.c.connection_id == connection_id, hub_locations.c.id == location_id
        )
    )


# --- items ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubItem:
    """One hub item: a store variant the hub manages (or managed: `managed` false)."""

    id: int
    product_id: int
    variant_id: int
    sku: str | None
    name: str | None
    managed: bool
    managed_since: datetime | None
    unmanaged_at: datetime | None
    store_deleted_at: datetime | None


def _item(row: sa.Row[Any]) -> HubItem:
    m = row._mapping
    return HubItem(
        id=m["id"],
        product_id=m["product_id"],
        variant_id=m["variant_id"],
        sku=m["sku"],
        name=m["name"],
        managed=bool(m["managed"]),
        managed_since=m["managed_since"],
        unmanaged_at=m["unmanaged_at"],
        store_deleted_at=m["store_deleted_at"],
    )


def list_items(
    conn: sa.Connection, connection_id: int, *, managed: bool | None = None
) -> list[HubItem]:
    """Every hub item (only the managed ones, or only the others), by SKU then variant."""
    query = hub_items.select().where(hub_items.c.connection_id == connection_id)
    if managed is not None:
        query = query.where(hub_items.c.managed.is_(managed))
    return [_item(r) for r in conn.execute(query.order_by(hub_items.c.sku, hub_items.c.variant_id))]


def insert_items(
    conn: sa.Connection,
    connection_id: int,
    variants: Sequence[tuple[int, int, str | None, str | None]],
    *,
    now: datetime,
) -> dict[int, int]:
    """Add managed items, one statement for all: (product id, variant id, SKU, name) each;
    returns their ids by variant id."""
    if not variants:
        return {}
    statement = hub_items.insert()
    try:
        conn.execute(
            statement,
            [
                {
                    "connection_id": connection_id,
                    "product_id": product_id,
                    "variant_id": variant_id,
                    "sku": sku,
                    "name": name,
                    "managed": True,
                    "managed_since": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for product_id, variant_id, sku, name in variants
            ],
        )
    except sa.exc.IntegrityError:
        raise InputError(
            "another command managed some of these variants at the same time: run it again"
        ) from None
    wanted = {variant_id for _, variant_id, _, _ in variants}
    query = sa.select(hub_items.c.id, hub_items.c.variant_id).where(
        hub_items.c.connection_id == connection_id
    )
    return {r.variant_id: r.id for r in conn.execute(query) if r.variant_id in wanted}


def update_item(conn: sa.Connection, connection_id: int, item_id: int, **values: Any) -> None:
    """Set columns of one item (`updated_at` must be among them)."""
    conn.execute(
        hub_items.update()
        .where(hub_items.c.connection_id == connection_id, hub_items.c.id == item_id)
        .values(**values)
    )


@dataclass(frozen=True)
class ItemEvent:
    """One line of an item's history."""

    item_id: int
    at: datetime
    event: str
    detail: str


def add_events(conn: sa.Connection, connection_id: int, events: Sequence[ItemEvent]) -> None:
    """Append lines to items' histories."""
    if events:
        conn.execute(
            hub_item_events.insert(),
            [
                {
                    "connection_id": connection_id,
                    "item_id": e.item_id,
                    "at": e.at,
                    "event": e.event,
                    "detail": e.detail,
                }
                for e in events
            ],
        )


def item_events(
    conn: sa.Connection, connection_id: int, *, item_id: int | None = None
) -> list[ItemEvent]:
    """The history of one item (or of all), oldest first."""
    query = hub_item_events.select().where(hub_item_events.c.connection_id == connection_id)
    if item_id is not None:
        query = query.where(hub_item_events.c.item_id == item_id)
    rows = conn.execute(query.order_by(hub_item_events.c.id))
    return [ItemEvent(r.item_id, r.at, r.event, r.detail) for r in rows]


# --- stock ------------------------------------------------------------------------------------


def stock_levels(
    conn: sa.Connection, connection_id: int, *, item_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], int]:
    """Hub quantity by (item id, hub location id)."""
    query = sa.select(hub_stock.c.item_id, hub_stock.c.location_id, hub_stock.c.quantity).where(
        hub_stock.c.connection_id == connection_id
    )
    if item_ids is not None:
        query = query.where(hub_stock.c.item_id.in_(list(item_ids)))
    return {(r.item_id, r.location_id): r.quantity for r in conn.execute(query)}


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def set_stock(
    conn: sa.Connection,
    connection_id: int,
    quantities: Mapping[tuple[int, int], int],
    *,
    now: datetime,
) -> None:
    """Set the hub quantity of (item id, hub location id) pairs, in one statement."""
    if not quantities:
        return
    statement = _insert(conn, hub_stock)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id", "location_id"],
        set_={"quantity": statement.excluded.quantity, "updated_at": statement.excluded.updated_at},
    )
    conn.execute(
        statement,
        [
            {
                "connection_id": connection_id,
                "item_id": item_id,
                "location_id": location_id,
                "quantity": quantity,
                "updated_at": now,
            }
            for (item_id, location_id), quantity in quantities.items()
        ],
    )


# --- shipments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubShipment:
    """A shipment the hub recorded (sent by the outbox intent `intent_id`)."""

    id: int
    order_id: int
    order_address_id: int
    tracking_number: str
    carrier: str
    service_code: str | None
    items: tuple[tuple[int, int], ...]  # (order_product_id, quantity)
    status_id: int | None
    intent_id: int | None
    created_at: datetime


def insert_shipment(
    conn: sa.Connection,
    connection_id: int,
    *,
    order_id: int,
    order_address_id: int,
    tracking_number: str,
    carrier: str,
    service_code: str | None,
    items: Sequence[tuple[int, int]],
    status_id: int | None,
    intent_id: int | None,
    now: datetime,
) -> int:
    """Record a shipment; returns its id."""
    statement = hub_shipments.insert().values(
        connection_id=connection_id,
        order_id=order_id,
        order_address_id=order_address_id,
        tracking_number=tracking_number,
        carrier=carrier,
        service_code=service_code,
        items=[{"order_product_id": p, "quantity": q} for p, q in items],
        status_id=status_id,
        intent_id=intent_id,
        created_at=now,
    )
    key = conn.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def shipments_of_order(conn: sa.Connection, connection_id: int, order_id: int) -> list[HubShipment]:
    """The shipments the hub recorded for one order, oldest first."""
    query = (
        hub_shipments.select()
        .where(hub_shipments.c.connection_id == connection_id, hub_shipments.c.order_id == order_id)
        .order_by(hub_shipments.c.id)
    )
    return [
        HubShipment(
            id=r.id,
            order_id=r.order_id,
            order_address_id=r.order_address_id,
            tracking_number=r.tracking_number,
            carrier=r.carrier,
            service_code=r.service_code,
            items=tuple((int(i["order_product_id"]), int(i["quantity"])) for i in r.items),
            status_id=r.status_id,
            intent_id=r.intent_id,
            created_at=r.created_at,
        )
        for r in conn.execute(query)
    ]
