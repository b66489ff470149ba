"""Query-string filters and sorting for catalog and inventory lists.

Each `*_matching` function takes the request's query parameters (any str -> str mapping)
and returns the matching records in response order. Malformed values are refused with 422
naming the filter, as the catalog API does. Unknown parameters are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from bigsync.sandbox.catalog.models import Brand, Category, Location, Product, Variant
from bigsync.sandbox.catalog.state import CatalogState, InventoryItem
from bigsync.sandbox.dates import parse_filter_date
from bigsync.sandbox.responses import ApiProblem, parse_bool

Params = Mapping[str, str]
T = TypeVar("T")

PRODUCT_SORTS: dict[str, Callable[[CatalogState, Product], Any]] = {
    "id": lambda _, p: p.id,
    "name": lambda _, p: str(p.doc["name"]).lower(),
    "sku": lambda _, p: p.sku.lower(),
    "price": lambda _, p: p.doc["price"],
    "date_modified": lambda _, p: p.date_modified,
    "date_last_imported": lambda _, p: p.id,
    "inventory_level": lambda c, p: c.product_inventory_level(p),
    "is_visible": lambda _, p: p.doc["is_visible"],
    "total_sold": lambda _, p: p.doc["total_sold"],
    "calculated_price": lambda _, p: p.doc["sale_price"] or p.doc["price"],
}


def bad_filter(name: str) -> ApiProblem:
    return ApiProblem(422, f"The filter(s): {name} is invalid.", errors={name: "invalid value"})


def int_value(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_filter(name) from None


def int_set(params: Params, name: str) -> set[int] | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise bad_filter(name) from None


def str_set(params: Params, name: str, *, fold: bool = False) -> set[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    return {part.lower() if fold else part for part in raw.split(",") if part}


def bool_value(params: Params, name: str) -> bool | None:
    try:
        return parse_bool(params.get(name))
    except ValueError:
        raise bad_filter(name) from None


def date_value(params: Params, name: str, now: datetime) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_filter_date(raw, now=now)
    except ValueError:
        raise bad_filter(name) from None


def field_list(params: Params, name: str) -> frozenset[str]:
    raw = params.get(name)
    return (
        frozenset(part.strip() for part in raw.split(",") if part.strip()) if raw else frozenset()
    )


def id_filters(
    params: Params, key: Callable[[T], int], records: Iterable[T], *, prefix: str = "id"
) -> Iterable[T]:
    """`id`, `id:in`, `id:not_in`, `id:min`, `id:max`, `id:greater`, `id:less`."""
    exact = int_value(params, prefix)
    among = int_set(params, f"{prefix}:in")
    not_among = int_set(params, f"{prefix}:not_in")
    low = int_value(params, f"{prefix}:min")
    high = int_value(params, f"{prefix}:max")
    above = int_value(params, f"{prefix}:greater")
    below = int_value(params, f"{prefix}:less")
    if exact is not None:
        records = (r for r in records if key(r) == exact)
    if among is not None:
        records = (r for r in records if key(r) in among)
    if not_among is not None:
        records = (r for r in records if key(r) not in not_among)
    if low is not None:
        records = (r for r in records if key(r) >= low)
    if high is not None:
        records = (r for r in records if key(r) <= high)
    if above is not None:
        records = (r for r in records if key(r) > above)
    if below is not None:
        records = (r for r in records if key(r) < below)
    return records


def _sorted_products(catalog: CatalogState, sort: str, descending: bool) -> list[Product]:
    def build() -> list[Product]:
        key = PRODUCT_SORTS[sort]
        ordered = sorted(catalog.products.values(), key=lambda p: (key(catalog, p), p.id))
        return ordered[::-1] if descending else ordered

    if sort == "id":
        ordered = list(catalog.products.values())
        return ordered[::-1] if descending else ordered
    return catalog.derived(("products", sort, descending), build)


def products_matching(catalog: CatalogState, params: Params, *, now: datetime) -> list[Product]:
    """`GET /v3/catalog/products` filters and `sort`/`direction`; default order is id."""
    sort = params.get("sort") or "id"
    if sort not in PRODUCT_SORTS:
        raise bad_filter("sort")
    direction = (params.get("direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise bad_filter("direction")
    records: Iterable[Product] = _sorted_products(catalog, sort, direction == "desc")
    records = id_filters(params, lambda p: p.id, records)
    records = _field_filters(params, records)
    records = _date_filters(params, records, now=now)
    records = _inventory_filters(catalog, params, records)
    return list(records)


def _field_filters(params: Params, records: Iterable[Product]) -> Iterable[Product]:
    if (sku := params.get("sku")) is not None:
        records = (p for p in records if p.sku.lower() == sku.lower())
    if (skus := str_set(params, "sku:in", fold=True)) is not None:
        records = (p for p in records if p.sku.lower() in skus)
    if (name := params.get("name")) is not None:
        records = (p for p in records if str(p.doc["name"]).lower() == name.lower())
    if (keyword := params.get("keyword")) is not None:
        word = keyword.lower()
        records = (
            p for p in records if word in str(p.doc["name"]).lower() or word in p.sku.lower()
        )
    for flag in ("is_visible", "is_featured", "is_free_shipping"):
        if (wanted := bool_value(params, flag)) is not None:
            records = _where_field(records, flag, wanted)
    for exact_field in ("type", "availability"):
        if (value := params.get(exact_field)) is not None:
            records = _where_field(records, exact_field, value)
    if (condition := params.get("condition")) is not None:
        records = (p for p in records if str(p.doc["condition"]).lower() == condition.lower())
    if (brand_id := int_value(params, "brand_id")) is not None:
        records = (p for p in records if p.doc["brand_id"] == brand_id)
    if (category := int_value(params, "categories")) is not None:
        records = (p for p in records if category in p.doc["categories"])
    if (categories := int_set(params, "categories:in")) is not None:
        records = (p for p in records if categories.intersection(p.doc["categories"]))
    return records


def _where_field(records: Iterable[Any], name: str, value: Any) -> Iterator[Any]:
    """Records whose `doc[name]` equals `value` (booleans compared by identity)."""
    return (r for r in records if r.doc[name] == value and type(r.doc[name]) is type(value))


def _where_level(
    records: Iterable[Product],
    level: Callable[[Product], int],
    test: Callable[[int, int], bool],
    value: int,
) -> Iterator[Product]:
    return (p for p in records if test(level(p), value))


def _date_filters(
    params: Params, records: Iterable[Product], *, now: datetime
) -> Iterable[Product]:
    exact = date_value(params, "date_modified", now)
    low = date_value(params, "date_modified:min", now)
    high = date_value(params, "date_modified:max", now)
    if exact is not None:
        records = (p for p in records if p.date_modified.replace(microsecond=0) == exact)
    if low is not None:
        records = (p for p in records if p.date_modified >= low)
    if high is not None:
        records = (p for p in records if p.date_modified <= high)
    return records


def _inventory_filters(
    catalog: CatalogState, params: Params, records: Iterable[Product]
) -> Iterable[Product]:
    level = catalog.product_inventory_level
    bounds: dict[str, Callable[[int, int], bool]] = {
        "inventory_level": lambda a, b: a == b,
        "inventory_level:min": lambda a, b: a >= b,
        "inventory_level:max": lambda a, b: a <= b,
        "inventory_level:greater": lambda a, b: a > b,
        "inventory_level:less": lambda a, b: a < b,
    }
    for name, test in bounds.items():
        if (value := int_value(params, name)) is not None:
            records = _where_level(records, level, test, value)
    if bool_value(params, "out_of_stock"):
        records = (p for p in records if p.tracking != "none" and level(p) == 0)
    return records


def variants_matching(catalog: CatalogState, params: Params) -> list[Variant]:
    """`GET /v3/catalog/variants`: `id`, `id:in`, `sku`, `sku:in`, `upc`, `product_id:in`."""
    records: Iterable[Variant] = catalog.variants.values()
    records = id_filters(params, lambda v: v.id, records)
    if (sku := params.get("sku")) is not None:
        records = (v for v in records if v.sku.lower() == sku.lower())
    if (skus := str_set(params, "sku:in", fold=True)) is not None:
        records = (v for v in records if v.sku.lower() in skus)
    if (upc := params.get("upc")) is not None:
        records = (v for v in records if v.doc["upc"] == upc)
    if (product_ids := int_set(params, "product_id:in")) is not None:
        records = (v for v in records if v.product_id in product_ids)
    return list(records)


def categories_matching(
    catalog: CatalogState, params: Params, *, tree_form: bool
) -> list[Category]:
    """Categories for `/v3/catalog/categories` (`tree_form` False) or `/trees/categories`."""
    records: Iterable[Category] = catalog.categories.values()
    if tree_form:
        records = id_filters(params, lambda c: c.id, records, prefix="category_id")
        if (trees := int_set(params, "tree_id:in")) is not None:
            records = (c for c in records if c.tree_id in trees)
        if (uuids := str_set(params, "category_uuid:in")) is not None:
            records = (c for c in records if c.uuid in uuids)
    else:
        records = id_filters(params, lambda c: c.id, records)
    records = id_filters(params, lambda c: int(c.doc["parent_id"]), records, prefix="parent_id")
    records = _text_filters(params, records, "name")
    records = _text_filters(params, records, "page_title")
    if (keyword := params.get("keyword")) is not None:
        records = (c for c in records if keyword.lower() in str(c.doc["name"]).lower())
    if (visible := bool_value(params, "is_visible")) is not None:
        records = (c for c in records if c.doc["is_visible"] is visible)
    result = list(records)
    sort = params.get("sort")
    if sort and not tree_form:
        if sort not in ("name", "id", "parent_id", "sort_order"):
            raise bad_filter("sort")
        result.sort(key=lambda c: (c.id if sort == "id" else c.doc[sort], c.id))
    return result


def _text_filters(params: Params, records: Iterable[Any], name: str) -> Iterable[Any]:
    if (value := params.get(name)) is not None:
        records = (r for r in records if str(r.doc[name]).lower() == value.lower())
    if (like := params.get(f"{name}:like")) is not None:
        fragment = like.strip("%").lower()
        records = (r for r in records if fragment in str(r.doc[name]).lower())
    return records


def brands_matching(catalog: CatalogState, params: Params) -> list[Brand]:
    """`GET /v3/catalog/brands`: id filters, `name`, `name:like`, `page_title`, `sort=name`."""
    records: Iterable[Brand] = id_filters(params, lambda b: b.id, catalog.brands.values())
    records = _text_filters(params, records, "name")
    records = _text_filters(params, records, "page_title")
    result = list(records)
    sort = params.get("sort")
    if sort:
        if sort != "name":
            raise bad_filter("sort")
        result.sort(key=lambda b: (str(b.doc["name"]).lower(), b.id))
        if (params.get("direction") or "asc").lower() == "desc":
            result.reverse()
    return result


def items_matching(catalog: CatalogState, params: Params) -> list[InventoryItem]:
    """Inventory items by `sku:in`, `variant_id:in`, `product_id:in`."""
    records: Iterable[InventoryItem] = catalog.inventory_items()
    if (skus := str_set(params, "sku:in", fold=True)) is not None:
        records = (i for i in records if i.sku.lower() in skus)
    if (variant_ids := int_set(params, "variant_id:in")) is not None:
        records = (
            i
            for i in records
            if (i.variant.id if i.variant else i.product.doc["base_variant_id"]) in variant_ids
        )
    if (product_ids := int_set(params, "product_id:in")) is not None:
        records = (i for i in records if i.product.id in product_ids)
    return list(records)


def locations_matching(catalog: CatalogState, params: Params) -> list[Location]:
    """Locations by `location_id:in`, `location_code:in`, `is_default`, `type_id:in`, ... ."""
    records: Iterable[Location] = catalog.locations.values()
    if (ids := int_set(params, "location_id:in")) is not None:
        records = (loc for loc in records if loc.id in ids)
    if (codes := str_set(params, "location_code:in")) is not None:
        records = (loc for loc in records if loc.doc["code"] in codes)
    if (types := str_set(params, "type_id:in")) is not None:
        records = (loc for loc in records if loc.doc["type_id"] in types)
    if (is_default := bool_value(params, "is_default")) is not None:
        records = (loc for loc in records if (loc.id == 1) is is_default)
    for name, field in (
        ("is_active", "enabled"),
        ("managed_by_external_source", "managed_by_external_source"),
        ("storefront_visibility", "storefront_visibility"),
    ):
        if (wanted := bool_value(params, name)) is not None:
            records = _where_field(records, field, wanted)
    return list(records)
