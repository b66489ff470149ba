"""Pure functions turning pages of API documents into mirror rows (`Batch`).

Each row carries the typed columns of its table plus `raw`, the API document as received.
Orders arrive with `include=consignments.line_items&consignment_structure=object`: their
line items and shipping addresses are split out into `order_products` and
`order_shipping_addresses` (the address rows keep the consignment's shape, plus `order_id`),
and the order's own `raw` is stored without the `consignments` key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from bigsync.streams.dates import parse_timestamp
from bigsync.streams.spec import Batch, Json, Owned, Row


def content_hash(doc: Json) -> str:
    """A stable digest of a document (key order does not matter)."""
    return hashlib.blake2b(
        orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


def money(value: Any) -> float | None:
    """A v2 money string (`"62.6793"`) or v3 number as a float; None when absent."""
    if value is None or value == "":
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if type(value) is int:  # what the API sends almost always: no comparisons
        return value
    if value is None or value == "":
        return None
    return int(value)


def _without(doc: Json, key: str) -> Json:
    """`doc` without `key` (a shallow copy in C, not a comprehension over every key)."""
    raw = dict(doc)
    raw.pop(key, None)
    return raw


def product_row(doc: Json) -> Row:
    raw = _without(doc, "variants")
    return {
        "id": doc["id"],
        "name": doc.get("name") or "",
        "sku": doc.get("sku"),
        "type": doc.get("type"),
        "price": money(doc.get("price")),
        "is_visible": doc.get("is_visible"),
        "brand_id": _int(doc.get("brand_id")),
        "inventory_level": doc.get("inventory_level"),
        "inventory_tracking": doc.get("inventory_tracking"),
        "date_created": parse_timestamp(doc.get("date_created")),
        "date_modified": parse_timestamp(doc.get("date_modified")),
        "raw": raw,
        "deleted_at": None,
    }


def variant_row(doc: Json) -> Row:
    return {
        "id": doc["id"],
        "product_id": doc["product_id"],
        "sku": doc.get("sku"),
        "price": money(doc.get("price")),
        "calculated_price": money(doc.get("calculated_price")),
        "inventory_level": doc.get("inventory_level"),
        "purchasing_disabled": doc.get("purchasing_disabled"),
        "content_hash": content_hash(doc),
        "raw": doc,
        "deleted_at": None,
    }


def products_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """Products fetched with `include=variants`: the product rows, and each product's exact
    set of variants (variants that disappeared from a product are soft-deleted)."""
    variants = [variant_row(v) for doc in items for v in doc.get("variants") or ()]
    owned: tuple[Owned, ...] = ()
    if items and "variants" in items[0]:
        owned = (Owned("variants", "product_id", tuple(doc["id"] for doc in items)),)
    return Batch({"products": [product_row(d) for d in items], "variants": variants}, owned)


def variants_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """A page of `GET /v3/catalog/variants`."""
    return Batch({"variants": [variant_row(d) for d in items]})


def categories_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "parent_id": d.get("parent_id"),
            "name": d.get("name") or "",
            "is_visible": d.get("is_visible"),
            "sort_order": d.get("sort_order"),
            "raw": d,
            "deleted_at": None,
        }
        for d in items
    ]
    return Batch({"categories": rows})


def brands_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {"id": d["id"], "name": d.get("name") or "", "raw": d, "deleted_at": None} for d in items
    ]
    return Batch({"brands": rows})


def locations_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "code": d.get("code"),
            "label": d.get("label"),
            "type_id": d.get("type_id"),
            "enabled": d.get("enabled"),
            "raw": d,
        }
        for d in items
    ]
    return Batch({"locations": rows})


def inventory_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """`GET /v3/inventory/items`: one row per item and location."""
    rows = []
    for doc in items:
        identity = doc.get("identity") or {}
        for level in doc.get("locations") or ():
            settings = level.get("settings") or {}
            rows.append(
                {
                    "location_id": level["location_id"],
                    "product_id": identity.get("product_id") or 0,
                    "variant_id": identity.get("variant_id") or 0,
                    "sku": identity.get("sku"),
                    "available_to_sell": level.get("available_to_sell"),
                    "total_inventory_onhand": level.get("total_inventory_onhand"),
                    "safety_stock": settings.get("safety_stock"),
                    "is_in_stock": settings.get("is_in_stock"),
                    "raw": {"identity": identity, **level},
                }
            )
    return Batch({"inventory_levels": rows})


def _order_product_row(doc: Json, order_id: int) -> Row:
    return {
        "id": doc["id"],
        "order_id": _int(doc.get("order_id")) or order_id,
        "product_id": _int(doc.get("product_id")),
        "variant_id": _int(doc.get("variant_id")),
        "order_address_id": _int(doc.get("order_address_id")),
        "sku": doc.get("sku"),
        "name": doc.get("name"),
        "quantity": doc.get("quantity"),
        "quantity_shipped": doc.get("quantity_shipped"),
        "total_inc_tax": money(doc.get("total_inc_tax")),
        "raw": doc,
    }


def _address_row(doc: Json, order_id: int) -> Row:
    raw = _without(doc, "line_items")
    raw["order_id"] = order_id
    return {
        "id": doc["id"],
        "order_id": order_id,
        "country_iso2": doc.get("country_iso2"),
        "city": doc.get("city"),
        "zip": doc.get("zip"),
        "shipping_method": doc.get("shipping_method"),
        "shipping_zone_id": _int(doc.get("shipping_zone_id")),
        "items_total": doc.get("items_total"),
        "items_shipped": doc.get("items_shipped"),
        "raw": raw,
    }


def _billing(doc: Json) -> tuple[str | None, str | None]:
    """(name, email) of an order's billing address."""
    billing = doc.get("billing_address")
    if not isinstance(billing, dict):
        return None, None
    first, last = billing.get("first_name"), billing.get("last_name")
    first = str(first).strip() if first else ""
    last = str(last).strip() if last else ""
    name = f"{first} {last}" if first and last else first or last
    email = str(billing.get("email") or "").strip()
    return name[:255] or None, email[:255] or None


def order_row(doc: Json) -> Row:
    raw = _without(doc, "consignments")
    billing_name, billing_email = _billing(doc)
    return {
        "id": doc["id"],
        "customer_id": _int(doc.get("customer_id")),
        "status_id": int(doc["status_id"]),
        "status": doc.get("status"),
        "payment_status": doc.get("payment_status"),
        "total_inc_tax": money(doc.get("total_inc_tax")),
        "currency_code": doc.get("currency_code"),
        "channel_id": _int(doc.get("channel_id")),
        "items_total": doc.get("items_total"),
        "is_deleted": bool(doc.get("is_deleted")),
        "date_created": parse_timestamp(doc.get("date_created")),
        "date_modified": parse_timestamp(doc.get("date_modified")),
        "billing_name": billing_name,
        "billing_email": billing_email,
        "raw": raw,
    }


def orders_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """Orders with their consignments: line items from every consignment kind, and one
    shipping address per shipping consignment; each order's children are replaced."""
    lines: list[Row] = []
    addresses: list[Row] = []
    for doc in items:
        consignments = doc.get("consignments")
        if not isinstance(consignments, dict):
            continue
        for kind in ("shipping", "pickups", "downloads"):
            for consignment in consignments.get(kind) or ():
                lines += [
                    _order_product_row(li, doc["id"]) for li in consignment.get("line_items") or ()
                ]
                if kind == "shipping":
                    addresses.append(_address_row(consignment, doc["id"]))
    ids = tuple(doc["id"] for doc in items)
    return Batch(
        {
            "orders": [order_row(d) for d in items],
            "order_products": lines,
            "order_shipping_addresses": addresses,
        },
        (
            Owned("order_products", "order_id", ids),
            Owned("order_shipping_addresses", "order_id", ids),
        ),
    )


def order_statuses_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "name": d.get("name") or "",
            "custom_label": d.get("custom_label"),
            "raw": d,
        }
        for d in items
    ]
    return Batch({"order_statuses": rows})


def transactions_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """The transactions of one order (`parent_id`); they replace the order's previous set."""
    rows = [
        {
            "id": d["id"],
            "order_id": _int(d.get("order_id")) or parent_id,
            "event": d.get("event"),
            "method": d.get("method"),
            "amount": money(d.get("amount")),
            "currency": d.get("currency"),
            "gateway": d.get("gateway"),
            "status": d.get("status"),
            "date_created": parse_timestamp(d.get("date_created")),
            "raw": d,
        }
        for d in items
    ]
    owned = (Owned("transactions", "order_id", (parent_id,)),) if parent_id is not None else ()
    return Batch({"transactions": rows}, owned)


def customers_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "email": d.get("email"),
            "first_name": d.get("first_name"),
            "last_name": d.get("last_name"),
            "company": d.get("company"),
            "customer_group_id": _int(d.get("customer_group_id")),
            "date_created": parse_timestamp(d.get("date_created")),
            "date_modified": parse_timestamp(d.get("date_modified")),
            "raw": d,
            "deleted_at": None,
        }
        for d in items
    ]
    return Batch({"customers": rows})


def customer_groups_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {"id": d["id"], "name": d.get("name") or "", "is_default": d.get("is_default"), "raw": d}
        for d in items
    ]
    return Batch({"customer_groups": rows})


def shipping_zones_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "name": d.get("name") or "",
            "type": d.get("type"),
            "enabled": d.get("enabled"),
            "raw": d,
        }
        for d in items
    ]
    return Batch({"shipping_zones": rows})


def shipping_methods_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """The methods of one zone (`parent_id`), which replace the zone's previous set."""
    rows = [
        {
            "id": d["id"],
            "zone_id": parent_id,
            "name": d.get("name"),
            "type": d.get("type"),
            "enabled": d.get("enabled"),
            "raw": d,
        }
        for d in items
    ]
    owned = (Owned("shipping_methods", "zone_id", (parent_id,)),) if parent_id is not None else ()
    return Batch({"shipping_methods": rows}, owned)


def channels_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    rows = [
        {
            "id": d["id"],
            "name": d.get("name") or "",
            "type": d.get("type"),
            "platform": d.get("platform"),
            "status": d.get("status"),
            "raw": d,
        }
        for d in items
    ]
    return Batch({"channels": rows})


def store_info_batch(items: Sequence[Json], parent_id: int | None = None) -> Batch:
    """`GET /v2/store` (one document)."""
    rows = [
        {
            "store_hash": d.get("id") or "",
            "name": d.get("name"),
            "domain": d.get("domain"),
            "currency": d.get("currency"),
            "plan_name": d.get("plan_name"),
            "raw": d,
        }
        for d in items
    ]
    return Batch({"store_info": rows})
