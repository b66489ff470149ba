"""Reads of the mirror that the hub needs: variants with their products, store locations and
inventory levels, orders with their lines and shipping addresses, order statuses, and every
shipping method the store uses. Read-only; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bigsync.store.mirror_schema import (
    inventory_levels,
    locations,
    order_products,
    order_shipping_addresses,
    order_statuses,
    orders,
    products,
    shipping_methods,
    shipping_zones,
    sync_state,
    variants,
)


@dataclass(frozen=True)
class StoreVariant:
    """A variant of the mirror with its product (`deleted`: gone from the store)."""

    product_id: int
    variant_id: int
    sku: str | None
    product_name: str
    options: str  # "Blue, S" (option values), "" for a product's base variant
    inventory_level: int | None
    deleted: bool
    inventory_tracking: str | None = None  # the product's: none, product or variant


def _options(raw: Any) -> str:
    values = raw.get("option_values") if isinstance(raw, dict) else None
    return ", ".join(str(v.get("label", "")) for v in values or () if isinstance(v, dict))


def store_variants(
    conn: sa.Connection,
    connection_id: int,
    *,
    search: str | None = None,
    variant_ids: Iterable[int] | None = None,
    include_deleted: bool = False,
) -> list[StoreVariant]:
    """Variants of the mirror (search: in SKU or product name, case-blind), by product and
    variant id."""
    query = (
        sa.select(
            variants.c.product_id,
            variants.c.id,
            variants.c.sku,
            variants.c.inventory_level,
            variants.c.raw,
            variants.c.deleted_at,
            products.c.name,
            products.c.inventory_tracking,
            products.c.deleted_at.label("product_deleted_at"),
        )
        .select_from(
            variants.outerjoin(
                products,
                sa.and_(
                    products.c.connection_id == variants.c.connection_id,
                    products.c.id == variants.c.product_id,
                ),
            )
        )
        .where(variants.c.connection_id == connection_id)
        .order_by(variants.c.product_id, variants.c.id)
    )
    if not include_deleted:
        query = query.where(variants.c.deleted_at.is_(None), products.c.deleted_at.is_(None))
    if search:
        needle = f"%{search.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(variants.c.sku).like(needle),
                sa.func.lower(products.c.name).like(needle),
            )
        )
    if variant_ids is not None:
        query = query.where(variants.c.id.in_(list(variant_ids)))
    return [
        StoreVariant(
            product_id=r.product_id,
            variant_id=r.id,
            sku=r.sku,
            product_name=r.name or "",
            options=_options(r.raw),
            inventory_level=r.inventory_level,
            deleted=r.deleted_at is not None or r.product_deleted_at is not None,
            inventory_tracking=r.inventory_tracking,
        )
        for r in conn.execute(query)
    ]


@dataclass(frozen=True)
class StoreLocation:
    """An inventory location of the store, as mirrored."""

    id: int
    code: str | None
    label: str | None
    enabled: bool | None


def store_locations(conn: sa.Connection, connection_id: int) -> dict[int, StoreLocation]:
    """The store's inventory locations by id."""
    query = sa.select(locations).where(locations.c.connection_id == connection_id)
    return {
        r.id: StoreLocation(r.id, r.code, r.label, r.enabled)
        for r in conn.execute(query.order_by(locations.c.id))
    }


def store_stock(
    conn: sa.Connection, connection_id: int, *, variant_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], int | None]:
    """On-hand quantity in the store by (variant id, store location id)."""
    query = sa.select(
        inventory_levels.c.variant_id,
        inventory_levels.c.location_id,
        inventory_levels.c.total_inventory_onhand,
    ).where(inventory_levels.c.connection_id == connection_id)
    if variant_ids is not None:
        query = query.where(inventory_levels.c.variant_id.in_(list(variant_ids)))
    return {(r.variant_id, r.location_id): r.total_inventory_onhand for r in conn.execute(query)}


def stream_synced_at(conn: sa.Connection, connection_id: int, stream: str) -> datetime | None:
    """When `stream` last finished a sync (None: never)."""
    query = sa.select(sync_state.c.last_success_at).where(
        sync_state.c.connection_id == connection_id, sync_state.c.stream == stream
    )
    return conn.execute(query).scalar_one_or_none()


# --- orders -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreOrder:
    """An order of the mirror (`synced_at`: when the mirror last read it)."""

    id: int
    status_id: int
    status: str | None
    is_deleted: bool
    synced_at: datetime


@dataclass(frozen=True)
class OrderLine:
    """A line (order product) of an order, with what the store says has shipped."""

    id: int
    order_address_id: int | None
    product_id: int | None
    variant_id: int | None
    sku: str | None
    name: str | None
    quantity: int
    quantity_shipped: int
    type: str | None  # physical, digital, giftcertificate
    total_inc_tax: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)  # its document


@dataclass(frozen=True)
class OrderAddress:
    """A shipping address (consignment) of an order."""

    id: int
    shipping_method: str | None
    shipping_zone_id: int | None


def store_order(conn: sa.Connection, connection_id: int, order_id: int) -> StoreOrder | None:
    """The order with this id in the mirror, if any."""
    query = sa.select(orders).where(
        orders.c.connection_id == connection_id, orders.c.id == order_id
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return StoreOrder(row.id, row.status_id, row.status, bool(row.is_deleted), row.synced_at)


def order_lines(conn: sa.Connection, connection_id: int, order_id: int) -> list[OrderLine]:
    """The lines of one order, by id."""
    query = sa.select(order_products).where(
        order_products.c.connection_id == connection_id, order_products.c.order_id == order_id
    )  # sorted here: an ORDER BY id leads SQLite to scan the primary key, not the order's index
    lines = [
        OrderLine(
            id=r.id,
            order_address_id=r.order_address_id or None,
            product_id=r.product_id,
            variant_id=r.variant_id,
            sku=r.sku,
            name=r.name,
            quantity=int(r.quantity or 0),
            quantity_shipped=int(r.quantity_shipped or 0),
            type=r.raw.get("type") if isinstance(r.raw, dict) else None,
            total_inc_tax=r.total_inc_tax,
            raw=r.raw if isinstance(r.raw, dict) else {},
        )
        for r in conn.execute(query)
    ]
    return sorted(lines, key=lambda line: line.id)


def order_addresses(conn: sa.Connection, connection_id: int, order_id: int) -> list[OrderAddress]:
    """The shipping addresses of one order, by id."""
    table = order_shipping_addresses
    query = sa.select(table.c.id, table.c.shipping_method, table.c.shipping_zone_id).where(
        table.c.connection_id == connection_id, table.c.order_id == order_id
    )  # sorted here, as the lines are
    found = [OrderAddress(r.id, r.shipping_method, r.shipping_zone_id) for r in conn.execute(query)]
    return sorted(found, key=lambda address: address.id)


@dataclass(frozen=True)
class OrderStatus:
    """One of the store's order statuses (`custom_label`: the merchant's own name)."""

    id: int
    name: str
    custom_label: str | None


def store_order_statuses(conn: sa.Connection, connection_id: int) -> list[OrderStatus]:
    """The store's order statuses, by id."""
    query = (
        sa.select(order_statuses.c.id, order_statuses.c.name, order_statuses.c.custom_label)
        .where(order_statuses.c.connection_id == connection_id)
        .order_by(order_statuses.c.id)
    )
    return [OrderStatus(r.id, r.name, r.custom_label) for r in conn.execute(query)]


# --- shipping methods -------------------------------------------------------------------------


@dataclass(frozen=True)
class UsedMethod:
    """A shipping method name the store has: in which zones it is set up, and on how many
    order shipping addresses it appears."""

    name: str
    zones: tuple[str, ...]
    orders: int


def store_shipping_methods(conn: sa.Connection, connection_id: int) -> list[UsedMethod]:
    """Every shipping method name of the store: from its zones' methods and from its orders'
    shipping addresses, by name (names differing only in case are one method)."""
    zone_query = (
        sa.select(shipping_methods.c.name, shipping_zones.c.name.label("zone"))
        .select_from(
            shipping_methods.outerjoin(
                shipping_zones,
                sa.and_(
                    shipping_zones.c.connection_id == shipping_methods.c.connection_id,
                    shipping_zones.c.id == shipping_methods.c.zone_id,
                ),
            )
        )
        .where(shipping_methods.c.connection_id == connection_id)
    )
    table = order_shipping_addresses
    order_query = (
        sa.select(table.c.shipping_method, sa.func.count().label("n"))
        .where(table.c.connection_id == connection_id, table.c.shipping_method.is_not(None))
        .group_by(table.c.shipping_method)
    )
    names: dict[str, str] = {}
    zones: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for row in conn.execute(zone_query):
        if row.name:
            key = row.name.casefold()
            names.setdefault(key, row.name)
            zones.setdefault(key, set()).add(row.zone or "")
    for row in conn.execute(order_query):
        if row.shipping_method:
            key = row.shipping_method.casefold()
            names.setdefault(key, row.shipping_method)
            counts[key] = counts.get(key, 0) + int(row.n)
    return [
        UsedMethod(names[key], tuple(sorted(zones.get(key, ()))), counts.get(key, 0))
        for key in sorted(names)
    ]
