"""Inventory per location: absolute and relative adjustments, item settings, order sales.

Choices where the docs are silent or contradict each other:
- The catalog's `inventory_level` shows on-hand stock at the default location (location 1),
  as the catalog specs say.
- An adjustment of a product-tracked product at location 1 changes the product's
  `inventory_level`, so it moves the product's `date_modified` and fires
  `store/product/updated`. A variant-tracked adjustment changes a variant, and variant
  changes never move the product's `date_modified`; `store/sku/inventory/updated` is how a
  client learns about it.
- Adjustments are asynchronous, as the real API's: they apply `inventory_delay_ms` after
  they are accepted (0 by default: at once); see `inventory_queue` for the rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.inventory_queue import Change, ItemKey, PendingWrite
from bigsync.sandbox.catalog.models import DEFAULT_LOCATION_ID, Product, Stock, Variant
from bigsync.sandbox.responses import PROBLEM_JSON, ApiProblem

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState
    from bigsync.sandbox.catalog.state import CatalogState

MAX_ITEMS = 2000
MAX_QUANTITY = 2_147_483_647
IDENTITY_KEYS = ("sku", "variant_id", "product_id")
TRACKED_BY_VARIANT = "is tracked by variant, please update stock by variant id"
TRACKED_BY_PRODUCT = "is tracked by product, please update stock by product id"
ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


def problem(status: int, title: str, errors: Mapping[str, Any] | None = None) -> ApiProblem:
    """An Inventory API error: `application/problem+json` with the absolute `type` URL."""
    return ApiProblem(
        status,
        title,
        media_type=PROBLEM_JSON,
        body={"status": status, "title": title, "type": ERROR_TYPE, "errors": dict(errors or {})},
    )


@dataclass(frozen=True)
class Target:
    """The item an adjustment or a setting addresses: a product or one of its variants."""

    product: Product
    variant: Variant | None  # None: product-level stock

    @property
    def stock(self) -> dict[int, Stock]:
        return self.variant.stock if self.variant is not None else self.product.stock


def resolve(catalog: CatalogState, identity: Mapping[str, Any]) -> Target:
    """The item named by exactly one of `sku`, `variant_id`, `product_id` (422 otherwise)."""
    keys = [k for k in IDENTITY_KEYS if identity.get(k) is not None]
    if len(keys) != 1:
        raise problem(422, "Exactly one of sku, variant_id or product_id must identify an item.")
    key = keys[0]
    value = identity[key]
    if key == "product_id":
        product = catalog.product(value) if isinstance(value, int) else None
        if product is None:
            raise problem(422, f"[Item with product_id {value} not found]")
        if product.tracking == "variant" and product.doc["base_variant_id"] is None:
            raise problem(
                422,
                f"[Item with product_id {value} {TRACKED_BY_VARIANT}]",
            )
        return Target(product, None)
    if key == "variant_id":
        variant = catalog.variant(value) if isinstance(value, int) else None
        if variant is None:
            raise problem(422, f"[Item with variant_id {value} not found]")
        owner: tuple[int, int | None] = (variant.product_id, variant.id)
    else:
        found = catalog.find_sku(str(value))
        if found is None:
            raise problem(422, f"[Item with sku {value} not found]")
        owner = found
    product = catalog.products[owner[0]]
    variant = catalog.variants[owner[1]] if owner[1] is not None else None
    if variant is None or variant.is_base:
        if product.tracking == "variant" and variant is None:
            raise problem(
                422,
                f"[Item with {key} {value} {TRACKED_BY_VARIANT}]",
            )
        return Target(product, None)
    if product.tracking != "variant":
        raise problem(
            422,
            f"[Item with {key} {value} {TRACKED_BY_PRODUCT}]",
        )
    return Target(product, variant)


def _items(body: Any, key: str = "items") -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise problem(
            422, "JSON data is missing or invalid", {key: f"{key} must be an array of objects."}
        )
    if len(items) > MAX_ITEMS:
        raise problem(
            413,
            "The request payload is too large. "
            f"The maximum items allowed in the array is {MAX_ITEMS}.",
        )
    return items


def _int(item: Mapping[str, Any], name: str) -> int:
    value = item.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise problem(422, "JSON data is missing or invalid", {name: f"{name} must be an integer."})
    return value


def adjust(
    sandbox: Sandbox, store: StoreState, body: Any, *, relative: bool, queued: bool = True
) -> str:
    """Validate an absolute or relative adjustment, all items or none, and queue it; returns
    a transaction id.

    The write applies `store.inventory_delay_ms` later on the sandbox clock (at once by
    default); see `inventory_queue` for the rules. `queued=False` applies it now, ahead of
    any pending write (a change made in the control panel, not through the API).
    """
    catalog = store.catalog
    queue = store.inventory_queue
    changes: dict[ItemKey, Change] = {}
    targets: dict[ItemKey, Target] = {}
    for item in _items(body):
        location_id = _int(item, "location_id")
        quantity = _int(item, "quantity")
        if location_id not in catalog.locations:
            raise problem(422, f"[Location with id {location_id} not found]")
        target = resolve(catalog, item)
        key = _key(target, location_id)
        level = target.stock.get(location_id)
        visible = level.on_hand if level is not None else None
        before = queue.projected(key, visible, ceiling=MAX_QUANTITY) if queued else visible
        earlier = changes.get(key)
        if earlier is not None:
            before = earlier.applied_to(before or 0, ceiling=MAX_QUANTITY)
        if relative:
            if before is None:
                raise problem(
                    422,
                    f"Items with identity: [{_describe(item)}] "
                    "requires absolute adjustment before relative",
                )
            new = before + quantity
            safety = level.safety_stock if level is not None else 0
            if new < safety:
                raise problem(
                    422,
                    f"[Inventory of item {_describe(item)} at location {location_id} "
                    "can't go below its safety stock]",
                )
        else:
            new = quantity
        if not 0 <= new <= MAX_QUANTITY:
            raise problem(
                422, f"[Quantity of item {_describe(item)} must be between 0 and {MAX_QUANTITY}]"
            )
        total = quantity + (earlier.value if earlier is not None and earlier.relative else 0)
        changes[key] = Change(total, relative=True) if relative else Change(new, relative=False)
        targets[key] = target
    method = "relative" if relative else "absolute"

    def apply() -> None:
        _apply(sandbox, store, targets, changes, method)

    transaction = transaction_id()
    if not queued:
        apply()
        return transaction
    now = sandbox.now()
    write = PendingWrite(
        transaction_id=transaction,
        received_at=now,
        applies_at=queue.due_time(now, store.inventory_delay_ms),
        method=method,
        changes=changes,
        apply=apply,
    )
    queue.push(write)
    queue.settle(now)
    return transaction


def _still_there(catalog: CatalogState, target: Target) -> bool:
    if catalog.products.get(target.product.id) is not target.product:
        return False
    return target.variant is None or catalog.variants.get(target.variant.id) is target.variant


def _key(target: Target, location_id: int) -> ItemKey:
    variant_id = target.variant.id if target.variant is not None else None
    return (target.product.id, variant_id, location_id)


def _apply(
    sandbox: Sandbox,
    store: StoreState,
    targets: Mapping[ItemKey, Target],
    changes: Mapping[ItemKey, Change],
    method: str,
) -> None:
    """Write the levels of one adjustment and announce them (its items all at once)."""
    catalog = store.catalog
    now = sandbox.now()
    touched: set[int] = set()
    for key, change in changes.items():
        target = targets[key]
        if not _still_there(catalog, target):
            continue  # deleted while the write was pending
        location_id = key[2]
        level = target.stock.setdefault(location_id, Stock())
        before = level.on_hand
        level.on_hand = change.applied_to(before, ceiling=MAX_QUANTITY)
        _announce(sandbox, store, target, level.on_hand - before, method)
        is_catalog_level = target.variant is None and location_id == DEFAULT_LOCATION_ID
        if is_catalog_level and level.on_hand != before:
            touched.add(target.product.id)
    for product_id in sorted(touched):
        catalog.products[product_id].touch(now)
        sandbox.emit(store, "store/product/updated", {"type": "product", "id": product_id})
    catalog.changed()


def _describe(item: Mapping[str, Any]) -> str:
    key = next(k for k in IDENTITY_KEYS if item.get(k) is not None)
    return f"{key} {item[key]}"


def _announce(sandbox: Sandbox, store: StoreState, target: Target, delta: int, method: str) -> None:
    product, variant = target.product, target.variant
    if variant is None:
        inventory = {"product_id": product.id, "method": method, "value": delta}
        sandbox.emit(
            store,
            "store/product/inventory/updated",
            {"type": "product", "id": product.id, "inventory": inventory},
        )
        return
    sku_id = variant.doc["sku_id"]
    inventory = {
        "product_id": product.id,
        "method": method,
        "value": delta,
        "variant_id": variant.id,
    }
    sandbox.emit(
        store,
        "store/sku/inventory/updated",
        {"type": "sku", "id": sku_id if sku_id is not None else variant.id, "inventory": inventory},
    )


def record_sale(
    sandbox: Sandbox,
    store: StoreState,
    *,
    product_id: int,
    variant_id: int,
    quantity: int,
    location_id: int = DEFAULT_LOCATION_ID,
) -> None:
    """Move stock because of an order: `quantity` sold (negative: restocked).

    For the sales side of the sandbox. The item is the variant when its product tracks
    inventory by variant, else the product; untracked products are left alone. Stock never
    goes below zero. Fires `store/product/inventory/order/updated` or
    `store/sku/inventory/order/updated` with method `relative`, as orders do.
    """
    catalog = store.catalog
    product = catalog.product(product_id)
    variant = catalog.variant(variant_id)
    if product is None or product.tracking == "none" or quantity == 0:
        return
    by_variant = product.tracking == "variant" and variant is not None and not variant.is_base
    target = Target(product, variant if by_variant else None)
    level = target.stock.setdefault(location_id, Stock())
    before = level.on_hand
    level.on_hand = max(0, before - quantity)
    catalog.changed()
    delta = level.on_hand - before
    if target.variant is None:
        inventory = {"product_id": product.id, "method": "relative", "value": delta}
        data = {"type": "product", "id": product.id, "inventory": inventory}
        sandbox.emit(store, "store/product/inventory/order/updated", data)
        return
    sku_id = target.variant.doc["sku_id"]
    inventory = {
        "product_id": product.id,
        "method": "relative",
        "value": delta,
        "variant_id": target.variant.id,
    }
    data = {
        "type": "sku",
        "id": sku_id if sku_id is not None else variant_id,
        "inventory": inventory,
    }
    sandbox.emit(store, "store/sku/inventory/order/updated", data)


def transaction_id() -> str:
    return str(uuid.uuid4())


SETTING_KEYS = ("safety_stock", "is_in_stock", "warning_level", "bin_picking_number")


def update_settings(store: StoreState, location_id: int, body: Any) -> str:
    """`PUT /v3/inventory/locations/{id}/items`: settings per item; omitted ones unchanged."""
    catalog = store.catalog
    if location_id not in catalog.locations:
        raise problem(404, f"Location {location_id} not found.")
    changes = []
    for index, item in enumerate(_items(body, "settings")):
        if not any(k in item for k in SETTING_KEYS):
            raise problem(
                422,
                "Payload contains invalid fields",
                {
                    f"setting.{index}.settings": "At least one setting must be specified: "
                    "warning_level, is_in_stock or safety_stock"
                },
            )
        identity = item.get("identity")
        target = resolve(catalog, identity if isinstance(identity, dict) else {})
        for name in ("safety_stock", "warning_level"):
            if name in item:
                _int(item, name)
        if "is_in_stock" in item and not isinstance(item["is_in_stock"], bool):
            raise problem(
                422,
                "Payload contains invalid fields",
                {f"setting.{index}.is_in_stock": "must be a boolean"},
            )
        changes.append((target, item))
    for target, item in changes:
        level = target.stock.setdefault(location_id, Stock())
        for name in SETTING_KEYS:
            if name in item:
                setattr(
                    level, name, str(item[name]) if name == "bin_picking_number" else item[name]
                )
    catalog.changed()
    return transaction_id()
