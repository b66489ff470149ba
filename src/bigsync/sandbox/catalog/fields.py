"""Stored field defaults and request-body validation for catalog records.

A field spec is a tuple of accepted JSON types, or a frozenset of accepted string values
(an enum). `invalid_fields` reports every bad field at once, as the API's 422s do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FieldSpec = tuple[type, ...] | frozenset[str]

STR: FieldSpec = (str,)
INT: FieldSpec = (int,)
NUM: FieldSpec = (int, float)
BOOL: FieldSpec = (bool,)
LIST: FieldSpec = (list,)
OBJ: FieldSpec = (dict,)
OPT_STR: FieldSpec = (str, type(None))
OPT_NUM: FieldSpec = (int, float, type(None))
OPT_INT: FieldSpec = (int, type(None))

PRODUCT_FIELDS: dict[str, FieldSpec] = {
    "name": STR,
    "type": frozenset({"physical", "digital"}),
    "sku": STR,
    "description": STR,
    "weight": NUM,
    "width": NUM,
    "depth": NUM,
    "height": NUM,
    "price": NUM,
    "cost_price": NUM,
    "retail_price": NUM,
    "sale_price": NUM,
    "map_price": NUM,
    "tax_class_id": INT,
    "product_tax_code": STR,
    "categories": LIST,
    "brand_id": INT,
    "inventory_warning_level": INT,
    "inventory_tracking": frozenset({"none", "product", "variant"}),
    "fixed_cost_shipping_price": NUM,
    "is_free_shipping": BOOL,
    "is_visible": BOOL,
    "is_featured": BOOL,
    "related_products": LIST,
    "warranty": STR,
    "bin_picking_number": STR,
    "layout_file": STR,
    "upc": STR,
    "search_keywords": STR,
    "availability_description": STR,
    "availability": frozenset({"available", "disabled", "preorder"}),
    "gift_wrapping_options_type": frozenset({"any", "none", "list"}),
    "gift_wrapping_options_list": LIST,
    "sort_order": INT,
    "condition": frozenset({"New", "Used", "Refurbished"}),
    "is_condition_shown": BOOL,
    "order_quantity_minimum": INT,
    "order_quantity_maximum": INT,
    "page_title": STR,
    "meta_keywords": LIST,
    "meta_description": STR,
    "view_count": INT,
    "preorder_release_date": OPT_STR,
    "preorder_message": STR,
    "is_preorder_only": BOOL,
    "is_price_hidden": BOOL,
    "price_hidden_label": STR,
    "custom_url": OBJ,
    "open_graph_type": frozenset(
        {"product", "album", "book", "drink", "food", "game", "movie", "song", "tv_show"}
    ),
    "open_graph_title": STR,
    "open_graph_description": STR,
    "open_graph_use_meta_description": BOOL,
    "open_graph_use_product_name": BOOL,
    "open_graph_use_image": BOOL,
    "gtin": STR,
    "mpn": STR,
    "reviews_rating_sum": INT,
    "reviews_count": INT,
    "total_sold": INT,
}

PRODUCT_DEFAULTS: dict[str, Any] = {
    "name": "",
    "type": "physical",
    "sku": "",
    "description": "",
    "weight": 0,
    "width": 0,
    "depth": 0,
    "height": 0,
    "price": 0,
    "cost_price": 0,
    "retail_price": 0,
    "sale_price": 0,
    "map_price": 0,
    "tax_class_id": 0,
    "product_tax_code": "",
    "categories": [],
    "brand_id": 0,
    "inventory_warning_level": 0,
    "inventory_tracking": "none",
    "fixed_cost_shipping_price": 0,
    "is_free_shipping": False,
    "is_visible": True,
    "is_featured": False,
    "related_products": [],
    "warranty": "",
    "bin_picking_number": "",
    "layout_file": "product.html",
    "upc": "",
    "search_keywords": "",
    "availability_description": "",
    "availability": "available",
    "gift_wrapping_options_type": "any",
    "gift_wrapping_options_list": [],
    "sort_order": 0,
    "condition": "New",
    "is_condition_shown": False,
    "order_quantity_minimum": 0,
    "order_quantity_maximum": 0,
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "view_count": 0,
    "preorder_release_date": None,
    "preorder_message": "",
    "is_preorder_only": False,
    "is_price_hidden": False,
    "price_hidden_label": "",
    "custom_url": {"url": "/", "is_customized": False},
    "open_graph_type": "product",
    "open_graph_title": "",
    "open_graph_description": "",
    "open_graph_use_meta_description": True,
    "open_graph_use_product_name": True,
    "open_graph_use_image": True,
    "gtin": "",
    "mpn": "",
    "reviews_rating_sum": 0,
    "reviews_count": 0,
    "total_sold": 0,
    "date_created": "",
    "date_modified": "",
    "base_variant_id": None,
}
"""Every stored product field (the computed ones, `inventory_level` and `calculated_price`,
are added when rendering). Lists here are shared: writes replace them, never append."""

VARIANT_FIELDS: dict[str, FieldSpec] = {
    "sku": STR,
    "cost_price": OPT_NUM,
    "price": OPT_NUM,
    "sale_price": OPT_NUM,
    "retail_price": OPT_NUM,
    "map_price": OPT_NUM,
    "weight": OPT_NUM,
    "width": OPT_NUM,
    "height": OPT_NUM,
    "depth": OPT_NUM,
    "is_free_shipping": BOOL,
    "fixed_cost_shipping_price": OPT_NUM,
    "purchasing_disabled": BOOL,
    "purchasing_disabled_message": STR,
    "image_url": STR,
    "upc": STR,
    "inventory_warning_level": OPT_INT,
    "bin_picking_number": OPT_STR,
    "mpn": STR,
    "gtin": STR,
}

VARIANT_DEFAULTS: dict[str, Any] = {
    "sku": "",
    "sku_id": None,
    "cost_price": 0,
    "price": None,
    "sale_price": None,
    "retail_price": None,
    "map_price": 0,
    "weight": None,
    "width": None,
    "height": None,
    "depth": None,
    "is_free_shipping": False,
    "fixed_cost_shipping_price": None,
    "purchasing_disabled": False,
    "purchasing_disabled_message": "",
    "image_url": "",
    "upc": "",
    "inventory_warning_level": 0,
    "bin_picking_number": "",
    "mpn": "",
    "gtin": "",
    "option_values": [],
}

CATEGORY_FIELDS: dict[str, FieldSpec] = {
    "parent_id": INT,
    "name": STR,
    "description": STR,
    "views": INT,
    "sort_order": INT,
    "page_title": STR,
    "meta_keywords": LIST,
    "meta_description": STR,
    "layout_file": STR,
    "image_url": STR,
    "is_visible": BOOL,
    "search_keywords": STR,
    "default_product_sort": frozenset(
        {
            "use_store_settings",
            "featured",
            "newest",
            "best_selling",
            "alpha_asc",
            "alpha_desc",
            "avg_customer_review",
            "price_asc",
            "price_desc",
        }
    ),
}

CATEGORY_DEFAULTS: dict[str, Any] = {
    "parent_id": 0,
    "name": "",
    "description": "",
    "views": 0,
    "sort_order": 0,
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "layout_file": "category.html",
    "image_url": "",
    "is_visible": True,
    "search_keywords": "",
    "default_product_sort": "use_store_settings",
    "url": {"path": "/", "is_customized": False},
}

BRAND_FIELDS: dict[str, FieldSpec] = {
    "name": STR,
    "page_title": STR,
    "meta_keywords": LIST,
    "meta_description": STR,
    "search_keywords": STR,
    "image_url": STR,
    "custom_url": OBJ,
}

BRAND_DEFAULTS: dict[str, Any] = {
    "name": "",
    "page_title": "",
    "meta_keywords": [],
    "meta_description": "",
    "search_keywords": "",
    "image_url": "",
    "custom_url": {"url": "/", "is_customized": False},
}


def invalid_fields(body: Mapping[str, Any], specs: Mapping[str, FieldSpec]) -> dict[str, str]:
    """Field -> message for every field of `body` whose value does not fit its spec."""
    errors: dict[str, str] = {}
    for name, value in body.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if isinstance(spec, frozenset):
            if value not in spec:
                errors[name] = f"{name} must be one of: {', '.join(sorted(spec))}."
        elif (isinstance(value, bool) and bool not in spec) or not isinstance(value, spec):
            errors[name] = f"{name} has the wrong type."
    return errors


def is_int(value: Any) -> bool:
    """A JSON integer (`true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def writable(body: Mapping[str, Any], specs: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """The fields of `body` a write stores (unknown and read-only fields are dropped)."""
    return {name: value for name, value in body.items() if name in specs}


def slug(text: str) -> str:
    """`/smith-journal-13/`: the storefront path BigCommerce derives from a name."""
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in text).split()
    return "/" + "-".join(words) + "/"
