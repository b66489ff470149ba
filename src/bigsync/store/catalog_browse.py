"""Reads behind the web app's Products page: the mirror's variants with the hub's items, one
page at a time in (product id, variant id) order (keyset: a page starts after the last key of
the previous one, never at an OFFSET), with the hub's and the store's stock of that page.

Filters (`status`):

    all        live variants, and managed variants the store deleted (flagged)
    managed    the variants the hub manages (deleted in the store or not)
    unmanaged  live variants the hub does not manage
    differs    managed variants with a hub level, at a mapped location, that the store does
               not show (as `bigsync stock NAME show --differs`: no store level counts as 0)
    deleted    managed variants the store deleted (or whose product it deleted)

`search`: case-blind, in the SKU or the product name. Read-only; the caller owns the
transaction. "Deleted in the store" is read from the mirror here, so a page needs no write
(`fulfillment.catalog.reconcile` brings the hub items in step when the hub next writes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bigsync.store.hub_schema import hub_items, hub_locations, hub_stock
from bigsync.store.mirror_schema import inventory_levels, products, variants

STATUSES = ("all", "managed", "unmanaged", "differs", "deleted")
IN_CHUNK = 500  # ids per IN list (the databases' limits on bound parameters)


@dataclass(frozen=True)
class BrowseRow:
    """One variant of a page: the mirror's fields and the hub item's (`item_id` None: the hub
    never managed it)."""

    product_id: int
    variant_id: int
    sku: str | None
    product_name: str
    options: str
    inventory_level: int | None
    inventory_tracking: str | None
    deleted: bool  # the variant or its product is deleted in the store
    item_id: int | None
    managed: bool


def _live() -> sa.ColumnElement[bool]:
    return sa.and_(variants.c.deleted_at.is_(None), products.c.deleted_at.is_(None))


def _item_of_variant(connection_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        hub_items.c.connection_id == connection_id,
        hub_items.c.variant_id == variants.c.id,
        hub_items.c.managed.is_(True),
    )


def _managed(connection_id: int) -> sa.ColumnElement[bool]:
    """The hub manages the variant (EXISTS: the planners read it as a semi-join)."""
    return (
        sa.select(sa.literal(1))
        .where(_item_of_variant(connection_id))
        .correlate_except(hub_items)
        .exists()
    )


def _differs(connection_id: int) -> sa.ColumnElement[bool]:
    """The joined hub item has a level at a mapped location other than the store's level."""
    levels = inventory_levels
    mismatch = (
        sa.select(sa.literal(1))
        .select_from(
            hub_stock.join(
                hub_locations,
                sa.and_(
                    hub_locations.c.id == hub_stock.c.location_id,
                    hub_locations.c.store_location_id.is_not(None),
                ),
            ).outerjoin(
                levels,
                sa.and_(
                    levels.c.connection_id == connection_id,
                    levels.c.variant_id == hub_items.c.variant_id,
                    levels.c.location_id == hub_locations.c.store_location_id,
                ),
            )
        )
        .where(
            hub_stock.c.item_id == hub_items.c.id,
            hub_stock.c.quantity != sa.func.coalesce(levels.c.total_inventory_onhand, 0),
        )
        .correlate_except(hub_stock, hub_locations, levels)
    )
    return mismatch.exists()


ITEM_STATUSES = ("managed", "differs", "deleted")  # joined to the managed items


def _condition(connection_id: int, status: str) -> sa.ColumnElement[bool]:
    if status == "all":
        return sa.or_(_live(), _managed(connection_id))
    if status == "managed":
        return sa.true()
    if status == "unmanaged":
        return sa.and_(_live(), sa.not_(_managed(connection_id)))
    if status == "differs":
        return _differs(connection_id)
    if status == "deleted":
        return sa.not_(_live())
    raise ValueError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")


def _joined(connection_id: int, status: str) -> sa.FromClause:
    # Inner joins: the mirror reads variants with their products (a variant without its
    # product row is not listed); the statuses about managed items join those items, so
    # a count can start from the (fewer) items.
    of_product = sa.and_(
        products.c.connection_id == variants.c.connection_id,
        products.c.id == variants.c.product_id,
    )
    if status in ITEM_STATUSES:
        return variants.join(products, of_product).join(hub_items, _item_of_variant(connection_id))
    return variants.join(products, of_product)


def _filtered(
    conn: sa.Connection,
    columns: Sequence[Any],
    connection_id: int,
    *,
    status: str,
    search: str | None,
) -> sa.Select[Any]:
    query = (
        sa.select(*columns)
        .select_from(_joined(connection_id, status))
        .where(variants.c.connection_id == connection_id, _condition(connection_id, status))
    )
    if search and search.strip():
        query = query.where(_search(conn, search))
    return query


def _search(conn: sa.Connection, search: str) -> sa.ColumnElement[bool]:
    needle = "%" + _escape_like(search.strip().lower()) + "%"
    sqlite = conn.dialect.name == "sqlite"
    return sa.or_(
        _contains(variants.c.sku, needle, sqlite=sqlite),
        _contains(products.c.name, needle, sqlite=sqlite),
    )


def _contains(
    column: sa.ColumnElement[Any], needle: str, *, sqlite: bool
) -> sa.ColumnElement[bool]:
    """Case-blind LIKE: SQLite's LIKE already ignores ASCII case (as its lower() only
    knows ASCII), so no function per row there; ILIKE on PostgreSQL."""
    if sqlite:
        return column.like(needle, escape="\\")
    return column.ilike(needle, escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _options(raw: Any) -> str:
    values = raw.get("option_values") if isinstance(raw, dict) else None
    return ", ".join(str(v.get("label", "")) for v in values or () if isinstance(v, dict))


def browse_page(
    conn: sa.Connection,
    connection_id: int,
    *,
    status: str = "all",
    search: str | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 50,
) -> tuple[list[BrowseRow], bool]:
    """Up to `limit` variants after the key `after` (product id, variant id), and whether
    more follow."""
    columns = (
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
    query = _filtered(conn, columns, connection_id, status=status, search=search)
    if after is not None:
        product_id, variant_id = after
        # A row-value comparison: both databases read it as a range of the index.
        query = query.where(
            sa.tuple_(variants.c.product_id, variants.c.id) > sa.tuple_(product_id, variant_id)
        )
    query = query.order_by(variants.c.product_id, variants.c.id).limit(limit + 1)
    found = list(conn.execute(query))[: limit + 1]
    items = _items_of(conn, connection_id, [r.id for r in found])
    rows = [
        BrowseRow(
            product_id=r.product_id,
            variant_id=r.id,
            sku=r.sku,
            product_name=r.name or "",
            options=_options(r.raw),
            inventory_level=r.inventory_level,
            inventory_tracking=r.inventory_tracking,
            deleted=r.deleted_at is not None or r.product_deleted_at is not None,
            item_id=items[r.id][0] if r.id in items else None,
            managed=items[r.id][1] if r.id in items else False,
        )
        for r in found
    ]
    return rows[:limit], len(rows) > limit


def _items_of(
    conn: sa.Connection, connection_id: int, variant_ids: Sequence[int]
) -> dict[int, tuple[int, bool]]:
    """(item id, managed) of the hub items of these variants, by variant id."""
    found: dict[int, tuple[int, bool]] = {}
    for chunk in _chunks(list(variant_ids)):
        query = sa.select(hub_items.c.variant_id, hub_items.c.id, hub_items.c.managed).where(
            hub_items.c.connection_id == connection_id, hub_items.c.variant_id.in_(chunk)
        )
        found.update({r.variant_id: (r.id, bool(r.managed)) for r in conn.execute(query)})
    return found


def count_matching(
    conn: sa.Connection,
    connection_id: int,
    *,
    status: str = "all",
    search: str | None = None,
    cap: int | None = None,
) -> int:
    """How many variants the filter matches (at most `cap` + 1: counting stops there)."""
    inner = _filtered(
        conn, [sa.literal(1).label("one")], connection_id, status=status, search=search
    )
    if status in ITEM_STATUSES:
        # Counted from the (fewer) managed items: a planner without statistics (SQLite)
        # would otherwise walk every variant.
        variant = (
            sa.select(sa.literal(1))
            .select_from(
                variants.join(
                    products,
                    sa.and_(
                        products.c.connection_id == variants.c.connection_id,
                        products.c.id == variants.c.product_id,
                    ),
                )
            )
            .where(
                variants.c.connection_id == connection_id,
                variants.c.id == hub_items.c.variant_id,
            )
            .correlate_except(variants, products)
        )
        if status == "deleted":
            variant = variant.where(sa.not_(_live()))
        if search and search.strip():
            variant = variant.where(_search(conn, search))
        inner = sa.select(sa.literal(1).label("one")).where(
            hub_items.c.connection_id == connection_id,
            hub_items.c.managed.is_(True),
            variant.exists(),
        )
        if status == "differs":
            inner = inner.where(_differs(connection_id))
    if cap is not None:
        inner = inner.limit(cap + 1)
    query = sa.select(sa.func.count()).select_from(inner.subquery())
    return int(conn.execute(query).scalar_one())


def matching_variant_ids(
    conn: sa.Connection,
    connection_id: int,
    *,
    status: str = "all",
    search: str | None = None,
    live_only: bool = False,
) -> list[int]:
    """The ids of every variant the filter matches (`live_only`: not deleted in the store),
    in page order."""
    query = _filtered(conn, [variants.c.id], connection_id, status=status, search=search)
    if live_only:
        query = query.where(_live())
    return list(conn.execute(query.order_by(variants.c.product_id, variants.c.id)).scalars())


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def hub_levels(
    conn: sa.Connection, connection_id: int, item_ids: Sequence[int]
) -> dict[tuple[int, int], int]:
    """Hub quantity by (item id, hub location id) of these items."""
    found: dict[tuple[int, int], int] = {}
    for chunk in _chunks(list(item_ids)):
        query = sa.select(hub_stock.c.item_id, hub_stock.c.location_id, hub_stock.c.quantity).where(
            hub_stock.c.connection_id == connection_id, hub_stock.c.item_id.in_(chunk)
        )
        found.update({(r.item_id, r.location_id): r.quantity for r in conn.execute(query)})
    return found


def store_levels(
    conn: sa.Connection, connection_id: int, variant_ids: Sequence[int]
) -> dict[tuple[int, int], int | None]:
    """The store's on-hand quantity by (variant id, store location id) of these variants."""
    found: dict[tuple[int, int], int | None] = {}
    table = inventory_levels
    for chunk in _chunks(list(variant_ids)):
        query = sa.select(
            table.c.variant_id, table.c.location_id, table.c.total_inventory_onhand
        ).where(table.c.connection_id == connection_id, table.c.variant_id.in_(chunk))
        found.update(
            {(r.variant_id, r.location_id): r.total_inventory_onhand for r in conn.execute(query)}
        )
    return found
