"""Writes to products, with the platform's rules and webhook events.

Rules kept on purpose: `date_modified` of a product moves on every change to the product,
but not when one of its variants changes (variants.py; as on the real platform, so a sync
that reads products by `date_modified` misses variant edits unless it listens to
`store/sku/*`). SKUs are unique across products and variants, case-insensitively (409).
Product names are unique (409). A simple product has one base variant (no option values)
whose id is the product's `base_variant_id`; a product with options has it null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.fields import (
    PRODUCT_DEFAULTS,
    PRODUCT_FIELDS,
    invalid_fields,
    is_int,
    slug,
    writable,
)
from bigsync.sandbox.catalog.models import (
    DEFAULT_LOCATION_ID,
    Product,
    Stock,
)
from bigsync.sandbox.catalog.variants import add_variant, attach_base_variant, sku_event
from bigsync.sandbox.dates import iso8601
from bigsync.sandbox.responses import ApiProblem

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState
    from bigsync.sandbox.catalog.state import CatalogState

PRODUCT_REQUIRED = {
    "name": "Please provide a name.",
    "type": "Please provide a type.",
    "weight": "Please provide a weight.",
    "price": "Please provide a price.",
}


def product_event(product_id: int) -> dict[str, Any]:
    return {"type": "product", "id": product_id}


def _check_product_body(
    catalog: CatalogState, body: Mapping[str, Any], *, product_id: int | None
) -> None:
    """422 for malformed fields, 409 for a taken name or SKU or an unknown category/brand."""
    errors = invalid_fields(body, PRODUCT_FIELDS)
    if "name" in body and isinstance(body["name"], str) and not 1 <= len(body["name"]) <= 250:
        errors["name"] = "name must be 1 to 250 characters long."
    if "inventory_level" in body and not is_int(body["inventory_level"]):
        errors["inventory_level"] = "inventory_level has the wrong type."
    if errors:
        raise ApiProblem(422, "JSON data is missing or invalid", errors=errors)
    if "name" in body and catalog.is_name_taken(body["name"], product_id=product_id):
        raise ApiProblem(
            409,
            f"The product name is a duplicate: {body['name']}",
            errors={"name": "The product name is a duplicate"},
        )
    sku = body.get("sku")
    if sku and catalog.is_sku_taken(sku, product_id=product_id or 0, variant_id=None):
        raise ApiProblem(409, f"Sku '{sku}' is not unique.", errors={"sku": "Sku is not unique"})
    unknown = [c for c in body.get("categories", ()) if c not in catalog.categories]
    if unknown:
        raise ApiProblem(
            409,
            f"Invalid categories: {', '.join(map(str, unknown))}",
            errors={"categories": "One or more categories do not exist."},
        )
    brand_id = body.get("brand_id")
    if brand_id and brand_id not in catalog.brands:
        raise ApiProblem(
            409, f"Invalid brand_id: {brand_id}", errors={"brand_id": "Invalid brand."}
        )


def create_product(sandbox: Sandbox, store: StoreState, body: Mapping[str, Any]) -> Product:
    """`POST /v3/catalog/products`: a product, its base variant or its variants, its stock."""
    catalog = store.catalog
    missing = {k: msg for k, msg in PRODUCT_REQUIRED.items() if k not in body}
    if missing:
        raise ApiProblem(422, "Missing Required Fields", errors=missing)
    _check_product_body(catalog, body, product_id=None)
    variant_bodies = body.get("variants") or []
    if not isinstance(variant_bodies, list):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"variants": "must be an array"}
        )
    now = sandbox.now()
    doc = {**PRODUCT_DEFAULTS, **writable(body, PRODUCT_FIELDS)}
    if "custom_url" not in body:
        doc["custom_url"] = {"url": slug(doc["name"]), "is_customized": False}
    doc["date_created"] = doc["date_modified"] = iso8601(now)
    product = Product(id=store.next_id("product"), doc=doc, date_created=now, date_modified=now)
    product.stock[DEFAULT_LOCATION_ID] = Stock(on_hand=int(body.get("inventory_level", 0)))
    catalog.products[product.id] = product
    catalog.product_names[doc["name"].lower()] = product.id
    try:
        if variant_bodies:
            if product.sku:
                catalog.skus[product.sku.lower()] = (product.id, None)
            for variant_body in variant_bodies:
                add_variant(sandbox, store, product, variant_body, emit=False)
        else:
            attach_base_variant(store, product)
    except ApiProblem:
        _forget_product(catalog, product)
        raise
    for field in ("images", "custom_fields"):
        if isinstance(body.get(field), list):
            _set_children(store, product, field, body[field], now=iso8601(now))
    catalog.changed()
    sandbox.emit(store, "store/product/created", product_event(product.id))
    return product


def _set_children(
    store: StoreState, product: Product, field: str, items: Sequence[Any], *, now: str
) -> None:
    """Replace a product's images or custom fields from a request body."""
    if field == "custom_fields":
        product.custom_fields = [
            {
                "id": store.next_id("custom_field"),
                "name": str(i.get("name", "")),
                "value": str(i.get("value", "")),
            }
            for i in items
            if isinstance(i, dict)
        ]
        return
    images = []
    for index, item in enumerate(i for i in items if isinstance(i, dict)):
        url = str(item.get("image_url", ""))
        images.append(image_doc(store.next_id("image"), product.id, url, index=index, now=now))
        images[-1]["is_thumbnail"] = bool(item.get("is_thumbnail", index == 0))
    product.images = images


def image_doc(image_id: int, product_id: int, url: str, *, index: int, now: str) -> dict[str, Any]:
    """A `productImage_Full` document."""
    return {
        "id": image_id,
        "product_id": product_id,
        "is_thumbnail": index == 0,
        "sort_order": index,
        "description": "",
        "image_url": url,
        "url_zoom": url,
        "url_standard": url,
        "url_thumbnail": url,
        "url_tiny": url,
        "date_modified": now,
    }


def _forget_product(catalog: CatalogState, product: Product) -> None:
    for variant_id in product.variant_ids:
        variant = catalog.variants.pop(variant_id, None)
        if variant is not None:
            catalog.skus.pop(variant.sku.lower(), None)
    if product.sku:
        catalog.skus.pop(product.sku.lower(), None)
    catalog.product_names.pop(str(product.doc["name"]).lower(), None)
    catalog.products.pop(product.id, None)


def check_product_update(catalog: CatalogState, body: Any) -> Product:
    """The product a batch item updates, after checking its fields (404/409/422)."""
    if not isinstance(body, dict) or not is_int(body.get("id")):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"id": "Please provide an id."}
        )
    product = catalog.product(body["id"])
    if product is None:
        raise ApiProblem(404, f"Product {body['id']} not found.")
    _check_product_body(catalog, body, product_id=product.id)
    return product


def update_product(
    sandbox: Sandbox, store: StoreState, product: Product, body: Mapping[str, Any]
) -> None:
    """Apply a checked update; moves `date_modified` and emits `store/product/updated`."""
    catalog = store.catalog
    changes = writable(body, PRODUCT_FIELDS)
    if "name" in changes:
        catalog.product_names.pop(str(product.doc["name"]).lower(), None)
        catalog.product_names[changes["name"].lower()] = product.id
    if "sku" in changes and changes["sku"] != product.sku:
        _rename_product_sku(catalog, product, changes["sku"])
    product.doc.update(changes)
    if "inventory_level" in body and product.tracking != "variant":
        product.stock.setdefault(DEFAULT_LOCATION_ID, Stock()).on_hand = body["inventory_level"]
    now = sandbox.now()
    for field in ("images", "custom_fields"):
        if isinstance(body.get(field), list):
            _set_children(store, product, field, body[field], now=iso8601(now))
    product.touch(now)
    catalog.changed()
    sandbox.emit(store, "store/product/updated", product_event(product.id))


def _rename_product_sku(catalog: CatalogState, product: Product, sku: str) -> None:
    owner = catalog.skus.pop(product.sku.lower(), None) if product.sku else None
    base_id = product.doc["base_variant_id"]
    if base_id is not None:
        catalog.variants[base_id].doc["sku"] = sku
        owner = (product.id, base_id)
    if sku:
        catalog.skus[sku.lower()] = owner or (product.id, None)


def delete_product(sandbox: Sandbox, store: StoreState, product: Product) -> None:
    """Remove a product with its variants; emits `store/product/deleted`."""
    catalog = store.catalog
    option_variants = [v for v in catalog.variants_of(product) if not v.is_base]
    _forget_product(catalog, product)
    catalog.changed()
    for variant in option_variants:
        sandbox.emit(store, "store/sku/deleted", sku_event(variant))
    sandbox.emit(store, "store/product/deleted", product_event(product.id))
