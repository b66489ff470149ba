"""Managed products: the store's variants as the mirror has them, which of them the hub
manages, and keeping hub items in step with the mirror.

A hub item is one store variant (a simple product is its own base variant), found again by
its variant id: a SKU renamed in BigCommerce is followed the next time the hub looks at the
mirror, a variant deleted there is flagged (the item stays, with its history and stock), and
one that comes back is unflagged. Unmanaging keeps the item, its stock and its history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.fulfillment import locations
from bigsync.fulfillment.hub import Hub
from bigsync.store import hub_mirror, hub_repository
from bigsync.store.hub_repository import HubItem, ItemEvent

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from bigsync.bigcommerce import ClientOptions
    from bigsync.connections import ConnectionService
    from bigsync.sync.model import SyncResult

# What `products --refresh` reads: the catalog with every variant (edits, SKU renames and
# deletes included), and stock per location.
REFRESH_STREAMS = "products,products_scan,locations,inventory_levels"


@dataclass(frozen=True)
class Selection:
    """Which variants a manage / unmanage acts on: all, or by SKU, product id or variant id
    (the web app's selections)."""

    all: bool = False
    skus: tuple[str, ...] = ()
    product_ids: tuple[int, ...] = ()
    variant_ids: tuple[int, ...] = ()

    def check(self) -> Selection:
        """The selection, or InputError when it names nothing or mixes `all` with names."""
        named = self.skus or self.product_ids or self.variant_ids
        if self.all and named:
            raise InputError("choose either --all or --sku/--product, not both")
        if not (self.all or named):
            raise InputError("say which variants: --all, --sku SKU or --product ID")
        return self


# --- following the mirror ---------------------------------------------------------------------


def reconcile(conn: Connection, hub: Hub, *, now: datetime) -> list[ItemEvent]:
    """Bring every hub item in step with the mirror's variant of the same id: follow a SKU
    renamed in the store, flag a variant deleted there (unflag it when it is back). Returns
    the history lines it wrote."""
    items = hub_repository.list_items(conn, hub.connection_id)
    if not items:
        return []
    variants = {
        v.variant_id: v
        for v in hub_mirror.store_variants(conn, hub.connection_id, include_deleted=True)
    }
    events: list[ItemEvent] = []
    for item in items:
        variant = variants.get(item.variant_id)
        gone = variant is None or variant.deleted
        values: dict[str, object] = {}
        if gone and item.store_deleted_at is None:
            values["store_deleted_at"] = now
            events.append(ItemEvent(item.id, now, "deleted_in_store", _label(item)))
        elif not gone and item.store_deleted_at is not None:
            values["store_deleted_at"] = None
            events.append(ItemEvent(item.id, now, "back_in_store", _label(item)))
        if variant is not None and not gone and variant.sku != item.sku:
            values["sku"] = variant.sku
            detail = f"{item.sku or '(none)'} -> {variant.sku or '(none)'}"
            events.append(ItemEvent(item.id, now, "sku_renamed", detail))
        if variant is not None and variant.product_name and variant.product_name != item.name:
            values["name"] = variant.product_name
        if values:
            hub_repository.update_item(conn, hub.connection_id, item.id, updated_at=now, **values)
    hub_repository.add_events(conn, hub.connection_id, events)
    return events


def _label(item: HubItem) -> str:
    return f"SKU {item.sku or '(none)'}, variant {item.variant_id} of product {item.product_id}"


def managed_items(conn: Connection, hub: Hub) -> list[HubItem]:
    """The managed items, after `reconcile` (call inside a write transaction)."""
    reconcile(conn, hub, now=hub.now())
    return hub_repository.list_items(conn, hub.connection_id, managed=True)


# --- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductLine:
    """One variant as `bigsync products` lists it.

    `hub_quantity`: the total of the hub's levels at locations mapped to the store (None: not
    managed, or no level set); `store_quantity`: the store's on-hand total, managed or not (see
    `store_quantity`; None: unknown); `differs`: at some mapped location
    the hub has a level the store does not show (as `stock show --differs`)."""

    product_id: int
    variant_id: int
    sku: str | None
    name: str
    options: str
    managed: bool
    deleted_in_store: bool
    hub_quantity: int | None
    store_quantity: int | None
    differs: bool = False


def list_products(
    hub: Hub, *, search: str | None = None, managed_only: bool = False, differs_only: bool = False
) -> list[ProductLine]:
    """The store's variants from the mirror, with what the hub manages (managed variants that
    the store deleted are listed too, flagged) and the store's quantity of each, at the store
    locations the hub maps (the hub's default location is made, as `locations list` does)."""
    with hub.db.write() as conn:
        reconcile(conn, hub, now=hub.now())
        locations.ensure_default(conn, hub, now=hub.now())  # what "store" counts from the start
        items = {i.variant_id: i for i in hub_repository.list_items(conn, hub.connection_id)}
        variants = hub_mirror.store_variants(conn, hub.connection_id, search=search)
        mapped = {
            loc.id: loc.store_location_id
            for loc in hub_repository.list_locations(conn, hub.connection_id)
            if loc.store_location_id is not None
        }
        hub_stock = hub_repository.stock_levels(conn, hub.connection_id)
        store_stock = hub_mirror.store_stock(conn, hub.connection_id)
    by_variant: dict[int, dict[int, int]] = {}
    for (variant_id, store_location), level in store_stock.items():
        if level is not None:
            by_variant.setdefault(variant_id, {})[store_location] = level
    lines = [
        _line(v, items.get(v.variant_id), mapped, hub_stock, by_variant.get(v.variant_id, {}))
        for v in variants
    ]
    seen = {v.variant_id for v in variants}
    needle = (search or "").lower()
    for item in items.values():
        if item.variant_id in seen or not item.managed or item.store_deleted_at is None:
            continue
        if needle and needle not in f"{item.sku or ''} {item.name or ''}".lower():
            continue
        lines.append(
            ProductLine(
                product_id=item.product_id,
                variant_id=item.variant_id,
                sku=item.sku,
                name=item.name or "",
                options="",
                managed=True,
                deleted_in_store=True,
                hub_quantity=_total(item, mapped, hub_stock),
                store_quantity=None,
                differs=_total(item, mapped, hub_stock) is not None,
            )
        )
    if managed_only:
        lines = [line for line in lines if line.managed]
    if differs_only:
        lines = [line for line in lines if line.differs]
    return sorted(lines, key=lambda line: (line.product_id, line.variant_id))


def _total(
    item: HubItem, mapped: dict[int, int], hub_stock: dict[tuple[int, int], int]
) -> int | None:
    levels = [hub_stock[(item.id, loc)] for loc in mapped if (item.id, loc) in hub_stock]
    return sum(levels) if levels else None


def _line(
    variant: hub_mirror.StoreVariant,
    item: HubItem | None,
    mapped: dict[int, int],
    hub_stock: dict[tuple[int, int], int],
    levels: dict[int, int],
) -> ProductLine:
    """The line of `variant` (`levels`: its mirrored on-hand quantity by store location)."""
    managed = item is not None and item.managed
    differs = managed and any(
        hub_stock[(item.id, loc)] != levels.get(store_id, 0)
        for loc, store_id in mapped.items()
        if item is not None and (item.id, loc) in hub_stock
    )
    return ProductLine(
        product_id=variant.product_id,
        variant_id=variant.variant_id,
        sku=variant.sku,
        name=variant.product_name,
        options=variant.options,
        managed=managed,
        deleted_in_store=False,
        hub_quantity=_total(item, mapped, hub_stock) if managed and item else None,
        store_quantity=store_quantity(variant, levels, set(mapped.values())),
        differs=differs,
    )


def store_quantity(
    variant: hub_mirror.StoreVariant, levels: dict[int, int], mapped_store_locations: set[int]
) -> int | None:
    """What the store has of `variant`: its mirrored on-hand `levels` (by store location)
    summed over the store locations the hub maps (over all of them when the hub maps none;
    None when it has none there); the catalog's `inventory_level` when the mirror has no
    level of it at all (None when the product tracks no inventory)."""
    if not levels:
        return None if variant.inventory_tracking == "none" else variant.inventory_level
    if mapped_store_locations:
        levels = {loc: n for loc, n in levels.items() if loc in mapped_store_locations}
    return sum(levels.values()) if levels else None


# --- managing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManageResult:
    """What a manage or unmanage did, by SKU (or `variant N` when a variant has none)."""

    changed: tuple[str, ...]  # newly (un)managed
    unchanged: tuple[str, ...]  # already so


def manage(hub: Hub, selection: Selection) -> ManageResult:
    """Start managing the selected store variants (live in the mirror): a hub item per variant,
    or the earlier item again, with its history."""
    selection.check()
    now = hub.now()
    with hub.db.write() as conn:
        reconcile(conn, hub, now=now)
        variants = _select_variants(conn, hub, selection)
        items = {i.variant_id: i for i in hub_repository.list_items(conn, hub.connection_id)}
        changed: list[str] = []
        unchanged: list[str] = []
        events: list[ItemEvent] = []
        new: list[hub_mirror.StoreVariant] = []
        for variant in variants:
            item = items.get(variant.variant_id)
            label = variant.sku or f"variant {variant.variant_id}"
            if item is not None and item.managed:
                unchanged.append(label)
                continue
            changed.append(label)
            if item is None:
                new.append(variant)
                continue
            hub_repository.update_item(
                conn,
                hub.connection_id,
                item.id,
                managed=True,
                managed_since=now,
                unmanaged_at=None,
                updated_at=now,
            )
            events.append(ItemEvent(item.id, now, "managed", f"SKU {variant.sku or '(none)'}"))
        ids = hub_repository.insert_items(
            conn,
            hub.connection_id,
            [(v.product_id, v.variant_id, v.sku, v.product_name) for v in new],
            now=now,
        )
        events += [
            ItemEvent(ids[v.variant_id], now, "managed", f"SKU {v.sku or '(none)'}") for v in new
        ]
        hub_repository.add_events(conn, hub.connection_id, events)
    return ManageResult(tuple(changed), tuple(unchanged))


def unmanage(hub: Hub, selection: Selection) -> ManageResult:
    """Stop managing the selected items; they keep their stock and history (and `manage`
    takes them up again)."""
    selection.check()
    now = hub.now()
    with hub.db.write() as conn:
        reconcile(conn, hub, now=now)
        items = hub_repository.list_items(conn, hub.connection_id)
        chosen = _select_items(items, selection, hint=hub)
        changed: list[str] = []
        unchanged: list[str] = []
        events: list[ItemEvent] = []
        for item in chosen:
            label = item.sku or f"variant {item.variant_id}"
            if not item.managed:
                unchanged.append(label)
                continue
            hub_repository.update_item(
                conn, hub.connection_id, item.id, managed=False, unmanaged_at=now, updated_at=now
            )
            events.append(ItemEvent(item.id, now, "unmanaged", f"SKU {item.sku or '(none)'}"))
            changed.append(label)
        hub_repository.add_events(conn, hub.connection_id, events)
    return ManageResult(tuple(changed), tuple(unchanged))


def _select_variants(
    conn: Connection, hub: Hub, selection: Selection
) -> list[hub_mirror.StoreVariant]:
    variants = hub_mirror.store_variants(conn, hub.connection_id)
    if not variants:
        raise InputError(
            f"the mirror has no products of {hub.name} yet: {hub.sync_hint('products')}"
        )
    if selection.all:
        return variants
    by_sku = {(v.sku or "").casefold(): v for v in variants if v.sku}
    chosen: dict[int, hub_mirror.StoreVariant] = {}
    for sku in selection.skus:
        variant = by_sku.get(sku.casefold())
        if variant is None:
            raise InputError(
                f"no variant with SKU {sku!r} in the mirror of {hub.name} (see "
                f"`bigsync products {hub.name} --search {sku}`, or {hub.sync_hint('products')})"
            )
        chosen[variant.variant_id] = variant
    for product_id in selection.product_ids:
        of_product = [v for v in variants if v.product_id == product_id]
        if not of_product:
            raise InputError(
                f"no product {product_id} in the mirror of {hub.name} "
                f"(see `bigsync products {hub.name}`, or {hub.sync_hint('products')})"
            )
        chosen.update((v.variant_id, v) for v in of_product)
    if selection.variant_ids:
        by_id = {v.variant_id: v for v in variants}
        missing = [i for i in selection.variant_ids if i not in by_id]
        if missing:
            raise InputError(
                f"no variant {missing[0]} in the mirror of {hub.name} (deleted in the store?"
                f" {hub.sync_hint('products')})"
            )
        chosen.update((i, by_id[i]) for i in selection.variant_ids)
    return sorted(chosen.values(), key=lambda v: (v.product_id, v.variant_id))


def _select_items(items: Sequence[HubItem], selection: Selection, *, hint: Hub) -> list[HubItem]:
    if selection.all:
        return list(items)
    by_sku = {(i.sku or "").casefold(): i for i in items if i.sku}
    chosen: dict[int, HubItem] = {}
    for sku in selection.skus:
        item = by_sku.get(sku.casefold())
        if item is None:
            raise InputError(
                f"the hub has no item with SKU {sku!r} (see `bigsync products {hint.name} "
                "--managed`)"
            )
        chosen[item.id] = item
    for product_id in selection.product_ids:
        of_product = [i for i in items if i.product_id == product_id]
        if not of_product:
            raise InputError(f"the hub manages no variant of product {product_id}")
        chosen.update((i.id, i) for i in of_product)
    if selection.variant_ids:
        wanted = set(selection.variant_ids)
        chosen.update((i.id, i) for i in items if i.variant_id in wanted)
    return list(chosen.values())


def item_history(hub: Hub, sku: str) -> list[ItemEvent]:
    """The history of the hub item with this SKU (InputError when there is none)."""
    with hub.db.read() as conn:
        items = hub_repository.list_items(conn, hub.connection_id)
        item = next((i for i in items if (i.sku or "").casefold() == sku.casefold()), None)
        if item is None:
            raise InputError(
                f"the hub has no item with SKU {sku!r} (see `bigsync products {hub.name} "
                "--managed`)"
            )
        return hub_repository.item_events(conn, hub.connection_id, item_id=item.id)


async def refresh(
    service: ConnectionService, name: str, *, client_options: ClientOptions | None = None
) -> SyncResult:
    """Sync the catalog (every variant re-read) and stock per location of `name` now."""
    from bigsync.streams import select_streams  # noqa: PLC0415 -- the engine only when asked
    from bigsync.sync.model import SyncOptions  # noqa: PLC0415
    from bigsync.sync.service import sync_connection  # noqa: PLC0415

    options = replace(SyncOptions(streams=select_streams(REFRESH_STREAMS)), scan_every=timedelta(0))
    return await sync_connection(service, name, options=options, client_options=client_options)
