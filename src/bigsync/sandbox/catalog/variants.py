"""Writes to variants and the options their option values come from.

Editing a variant never moves its product's `date_modified` (as on the real platform).
SKUs are unique across products and variants, case-insensitively (409). A product's first
variant with option values replaces its base variant; removing its last variant gives it a
base variant again. Variant writes emit `store/sku/created|updated|deleted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.fields import (
    VARIANT_DEFAULTS,
    VARIANT_FIELDS,
    invalid_fields,
    is_int,
    writable,
)
from bigsync.sandbox.catalog.models import (
    DEFAULT_LOCATION_ID,
    Option,
    OptionValue,
    Product,
    Stock,
    Variant,
)
from bigsync.sandbox.responses import ApiProblem

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState
    from bigsync.sandbox.catalog.state import CatalogState


def sku_event(variant: Variant) -> dict[str, Any]:
    sku_id = variant.doc["sku_id"]
    return {
        "type": "sku",
        "id": sku_id if sku_id is not None else variant.id,
        "sku": {"product_id": variant.product_id, "variant_id": variant.id},
    }


def attach_base_variant(store: StoreState, product: Product) -> Variant:
    """Give a product without options its base variant, sharing the product's SKU and stock."""
    variant = Variant(
        id=store.next_id("variant"),
        product_id=product.id,
        doc={**VARIANT_DEFAULTS, "sku": product.sku},
        stock=product.stock,
    )
    catalog = store.catalog
    catalog.variants[variant.id] = variant
    product.variant_ids = [variant.id]
    product.doc["base_variant_id"] = variant.id
    if product.sku:
        catalog.skus[product.sku.lower()] = (product.id, variant.id)
    return variant


def create_variant(sandbox: Sandbox, store: StoreState, product: Product, body: Any) -> Variant:
    """`POST /v3/catalog/products/{id}/variants`: a variant with option values."""
    variant = add_variant(sandbox, store, product, body, emit=True)
    store.catalog.changed()
    return variant


def add_variant(
    sandbox: Sandbox, store: StoreState, product: Product, body: Any, *, emit: bool
) -> Variant:
    catalog = store.catalog
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"variant": "must be an object"}
        )
    errors = invalid_fields(body, VARIANT_FIELDS)
    if not body.get("sku"):
        errors["sku"] = "sku is required."
    if not isinstance(body.get("option_values"), list) or not body["option_values"]:
        errors["option_values"] = "option_values is required."
    if errors:
        raise ApiProblem(422, "JSON data is missing or invalid", errors=errors)
    if catalog.find_sku(body["sku"]):
        raise ApiProblem(
            409, f"Sku '{body['sku']}' is not unique.", errors={"sku": "Sku is not unique"}
        )
    option_values = _resolve_option_values(store, product, body["option_values"])
    combination = sorted(v["id"] for v in option_values)
    for existing in catalog.variants_of(product):
        if sorted(v["id"] for v in existing.doc["option_values"]) == combination:
            raise ApiProblem(409, "A variant with the same option values already exists.")
    if product.doc["base_variant_id"] is not None:  # the product stops being simple
        base = catalog.variants.pop(product.doc["base_variant_id"])
        product.variant_ids.remove(base.id)
        product.doc["base_variant_id"] = None
        product.stock = {loc: Stock(**_stock_fields(s)) for loc, s in base.stock.items()}
        if product.sku:
            catalog.skus[product.sku.lower()] = (product.id, None)
    variant = Variant(
        id=store.next_id("variant"),
        product_id=product.id,
        doc={
            **VARIANT_DEFAULTS,
            **writable(body, VARIANT_FIELDS),
            "sku_id": store.next_id("sku"),
            "option_values": option_values,
        },
    )
    variant.stock[DEFAULT_LOCATION_ID] = Stock(on_hand=int(body.get("inventory_level") or 0))
    catalog.variants[variant.id] = variant
    product.variant_ids.append(variant.id)
    catalog.skus[variant.sku.lower()] = (product.id, variant.id)
    if emit:
        sandbox.emit(store, "store/sku/created", sku_event(variant))
    return variant


def _stock_fields(stock: Stock) -> dict[str, Any]:
    return {
        "on_hand": stock.on_hand,
        "safety_stock": stock.safety_stock,
        "warning_level": stock.warning_level,
        "is_in_stock": stock.is_in_stock,
        "bin_picking_number": stock.bin_picking_number,
    }


def _resolve_option_values(
    store: StoreState, product: Product, values: list[Any]
) -> list[dict[str, Any]]:
    """`[{id, option_id}]` or `[{option_display_name, label}]` -> variant option values.

    The second form creates the option and the value when the product lacks them, as
    product creation with variants does.
    """
    resolved = []
    for value in values:
        if not isinstance(value, dict):
            raise ApiProblem(
                422, "JSON data is missing or invalid", errors={"option_values": "bad item"}
            )
        option, option_value = _find_option_value(store, product, value)
        resolved.append(
            {
                "id": option_value.id,
                "option_id": option.id,
                "label": option_value.label,
                "option_display_name": option.display_name,
            }
        )
    return resolved


def _find_option_value(
    store: StoreState, product: Product, value: dict[str, Any]
) -> tuple[Option, OptionValue]:
    if "option_id" in value and "id" in value:
        for option in product.options:
            if option.id == value["option_id"]:
                for option_value in option.values:
                    if option_value.id == value["id"]:
                        return option, option_value
        raise ApiProblem(
            422,
            "JSON data is missing or invalid",
            errors={
                "option_values": (
                    f"Option value {value['id']} of option {value['option_id']} not found."
                )
            },
        )
    name, label = value.get("option_display_name"), value.get("label")
    if not isinstance(name, str) or not isinstance(label, str) or not name or not label:
        raise ApiProblem(
            422,
            "JSON data is missing or invalid",
            errors={
                "option_values": (
                    "Each option value needs id and option_id, or option_display_name and label."
                )
            },
        )
    found = next((o for o in product.options if o.display_name == name), None)
    option = found or Option(
        id=store.next_id("option"),
        product_id=product.id,
        display_name=name,
        sort_order=len(product.options),
    )
    if found is None:
        product.options.append(option)
    found_value = next((v for v in option.values if v.label == label), None)
    option_value = found_value or OptionValue(
        id=store.next_id("option_value"), label=label, sort_order=len(option.values)
    )
    if found_value is None:
        option.values.append(option_value)
    return option, option_value


def check_variant_update(
    catalog: CatalogState, product: Product, variant: Variant, body: Any
) -> None:
    """422 for malformed fields, 409 for a SKU that belongs to another record."""
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"variant": "must be an object"}
        )
    errors = invalid_fields(body, VARIANT_FIELDS)
    if "inventory_level" in body and not is_int(body["inventory_level"]):
        errors["inventory_level"] = "inventory_level has the wrong type."
    if "sku" in body and not body["sku"]:
        errors["sku"] = "sku must not be empty."
    if errors:
        raise ApiProblem(422, "JSON data is missing or invalid", errors=errors)
    sku = body.get("sku")
    if sku and catalog.is_sku_taken(sku, product_id=product.id, variant_id=variant.id):
        raise ApiProblem(409, f"Sku '{sku}' is not unique.", errors={"sku": "Sku is not unique"})


def update_variant(
    sandbox: Sandbox, store: StoreState, product: Product, variant: Variant, body: Mapping[str, Any]
) -> None:
    """Apply a checked variant update. The product's `date_modified` does not move."""
    catalog = store.catalog
    changes = writable(body, VARIANT_FIELDS)
    if "sku" in changes and changes["sku"] != variant.sku:
        catalog.skus.pop(variant.sku.lower(), None)
        catalog.skus[changes["sku"].lower()] = (product.id, variant.id)
        if variant.is_base:
            product.doc["sku"] = changes["sku"]
    variant.doc.update(changes)
    if "inventory_level" in body:
        variant.stock.setdefault(DEFAULT_LOCATION_ID, Stock()).on_hand = body["inventory_level"]
    catalog.changed()
    sandbox.emit(store, "store/sku/updated", sku_event(variant))


def delete_variant(sandbox: Sandbox, store: StoreState, product: Product, variant: Variant) -> None:
    """Remove a variant; removing the last one leaves the product simple again."""
    catalog = store.catalog
    catalog.variants.pop(variant.id, None)
    catalog.skus.pop(variant.sku.lower(), None)
    product.variant_ids.remove(variant.id)
    if variant.is_base:
        product.doc["base_variant_id"] = None
    if not product.variant_ids:
        product.options = []
        attach_base_variant(store, product)
    catalog.changed()
    sandbox.emit(store, "store/sku/deleted", sku_event(variant))
