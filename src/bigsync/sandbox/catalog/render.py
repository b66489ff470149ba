"""Records -> response JSON, in the exact shapes of the catalog, inventory and location specs.

Renderers copy the stored `doc` shallowly and add the computed fields; nested values are
shared with the record, which is safe because a response is serialized at once and writes
replace nested values instead of editing them in place.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import orjson

from bigsync.sandbox.catalog.models import Brand, Category, Location, Product, Stock, Variant
from bigsync.sandbox.catalog.state import CatalogState, InventoryItem, variant_price

PRODUCT_INCLUDES = frozenset(
    {
        "bulk_pricing_rules",
        "channels",
        "custom_fields",
        "images",
        "modifiers",
        "options",
        "parent_relations",
        "primary_image",
        "reviews",
        "variants",
        "videos",
    }
)


def project(
    doc: dict[str, Any], *, include: Collection[str] | None, exclude: Collection[str]
) -> dict[str, Any]:
    """Apply `include_fields` / `exclude_fields`; `id` is always kept."""
    if include:
        doc = {k: v for k, v in doc.items() if k == "id" or k in include}
    if exclude:
        doc = {k: v for k, v in doc.items() if k == "id" or k not in exclude}
    return doc


def product_json(
    catalog: CatalogState, product: Product, include: Collection[str] = ()
) -> dict[str, Any]:
    """A product as `product_Full`, plus the sub-resources named in `include`."""
    doc = product.doc
    out = {"id": product.id, **doc}
    out["inventory_level"] = catalog.product_inventory_level(product)
    sale = doc["sale_price"]
    out["calculated_price"] = sale if sale else doc["price"]
    if not include:
        return out
    if "variants" in include:
        out["variants"] = [variant_json(catalog, product, v) for v in catalog.variants_of(product)]
    if "images" in include:
        out["images"] = product.images
    if "primary_image" in include:  # left out when the product has no thumbnail
        thumbs = [image for image in product.images if image["is_thumbnail"]]
        if thumbs:
            out["primary_image"] = thumbs[0]
    if "custom_fields" in include:
        out["custom_fields"] = product.custom_fields
    if "options" in include:
        out["options"] = [option.as_json() for option in product.options]
    for name in ("modifiers", "bulk_pricing_rules", "videos", "parent_relations", "reviews"):
        if name in include:
            out[name] = []
    if "channels" in include:
        out["channels"] = [1]
    return out


def product_fragment(
    catalog: CatalogState, product: Product, include: frozenset[str]
) -> orjson.Fragment:
    """`product_json` already serialized, cached until the catalog next changes, so paging
    through an unchanged catalog serializes each product once."""
    cache: dict[int, orjson.Fragment] = catalog.derived(("product_json", include), dict)
    fragment = cache.get(product.id)
    if fragment is None:
        fragment = cache[product.id] = orjson.Fragment(
            orjson.dumps(product_json(catalog, product, include))
        )
    return fragment


def variant_json(catalog: CatalogState, product: Product, variant: Variant) -> dict[str, Any]:
    """A variant as `productVariant_Full`."""
    out = {"id": variant.id, "product_id": product.id, **variant.doc}
    out["inventory_level"] = catalog.variant_inventory_level(product, variant)
    out["calculated_price"] = variant_price(product, variant)
    weight = variant.doc["weight"]
    out["calculated_weight"] = weight if weight is not None else product.doc["weight"]
    return out


def category_json(category: Category) -> dict[str, Any]:
    """A category as `/v3/catalog/categories` renders it (`id`, `custom_url`)."""
    doc = dict(category.doc)
    url = doc.pop("url")
    return {
        "id": category.id,
        **doc,
        "custom_url": {"url": url["path"], "is_customized": url["is_customized"]},
    }


def tree_category_json(category: Category) -> dict[str, Any]:
    """A category as `/v3/catalog/trees/categories` renders it (`category_id`, `url.path`)."""
    return {
        "category_id": category.id,
        "category_uuid": category.uuid,
        "tree_id": category.tree_id,
        **category.doc,
    }


def category_nodes(
    categories: Iterable[Category], *, max_depth: int | None
) -> list[dict[str, Any]]:
    """The nested `GET /v3/catalog/trees/{id}/categories` form (roots first, by sort order)."""
    children: dict[int, list[Category]] = {}
    for category in categories:
        children.setdefault(int(category.doc["parent_id"]), []).append(category)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.doc["sort_order"], c.id))

    def nodes(parent_id: int, depth: int, path: list[int]) -> list[dict[str, Any]]:
        out = []
        for category in children.get(parent_id, []):
            node_path = [*path, category.id]
            kids = (
                []
                if max_depth is not None and depth >= max_depth
                else nodes(category.id, depth + 1, node_path)
            )
            out.append(
                {
                    "id": category.id,
                    "parent_id": parent_id,
                    "depth": depth,
                    "path": path,
                    "name": category.doc["name"],
                    "is_visible": category.doc["is_visible"],
                    "url": category.doc["url"]["path"],
                    "children": kids,
                }
            )
        return out

    return nodes(0, 1, [])


def brand_json(brand: Brand) -> dict[str, Any]:
    return {"id": brand.id, **brand.doc}


def location_json(location: Location) -> dict[str, Any]:
    return {"id": location.id, **location.doc}


def inventory_item_json(item: InventoryItem, locations: Iterable[Location]) -> dict[str, Any]:
    """An item of `GET /v3/inventory/items`: identity plus one row per location."""
    stock = item.stock
    rows = []
    for location in locations:
        level = stock.get(location.id) or Stock()
        rows.append(
            {
                "location_id": location.id,
                "location_code": location.doc["code"],
                "location_name": location.doc["label"],
                "available_to_sell": level.available_to_sell,
                "total_inventory_onhand": level.on_hand,
                "location_enabled": location.doc["enabled"],
                "settings": level.settings(),
            }
        )
    return {"identity": item.identity(), "locations": rows}


def location_item_json(item: InventoryItem, location_id: int) -> dict[str, Any]:
    """An item of `GET /v3/inventory/locations/{id}/items` (no per-location nesting)."""
    level = item.stock.get(location_id) or Stock()
    identity = item.identity()
    identity.pop("sku_id", None)
    return {
        "identity": identity,
        "available_to_sell": level.available_to_sell,
        "total_inventory_onhand": level.on_hand,
        "settings": level.settings(),
    }
