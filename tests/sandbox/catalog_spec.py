"""Spec checks for catalog and inventory answers, with the upstream spec bugs worked around.

Known bugs in the official specs (the files stay untouched; the sandbox follows the API):

- products_catalog.v3.yml `product_Full.base_variant_id` is a non-nullable integer, but the
  same spec and the catalog docs say it is null for products with options.
- `sku_id` (variants) is a non-nullable integer, but inventory.v3.yml and the catalog docs
  say it is null for a base variant.
- product-variants_catalog.v3.yml marks `price`, `sale_price`, `retail_price`, `cost_price`,
  `weight`, `width`, `height`, `depth`, `fixed_cost_shipping_price`, `inventory_level`,
  `inventory_warning_level` and `bin_picking_number` with the OpenAPI 2 `x-nullable: true`,
  which OpenAPI 3 ignores; null there means "inherit from the product" (products spec
  declares them `nullable: true`).

- inventory.v3.yml `LocationItemsSettingsRequest` identity is a `oneOf` of three objects
  with no required keys, so every identity matches all three and no request validates.

Inventory and location errors are `application/problem+json`; besides the spec check, their
body must be exactly the `ErrorResponse` fields, with the answer's status.

`assert_catalog_spec` validates a copy of the body in which exactly those nulls are replaced
by a value of the declared type; every other field is validated as received.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.schema import assert_matches_spec

DOCUMENTED_NULLS: dict[str, Any] = {
    "base_variant_id": 0,
    "sku_id": 0,
    "price": 0,
    "sale_price": 0,
    "retail_price": 0,
    "cost_price": 0,
    "map_price": 0,
    "weight": 0,
    "width": 0,
    "height": 0,
    "depth": 0,
    "fixed_cost_shipping_price": 0,
    "inventory_level": 0,
    "inventory_warning_level": 0,
    "bin_picking_number": "",
}


def fill_documented_nulls(node: Any) -> Any:
    """A copy of `node` with the documented nulls replaced (see the module docstring)."""
    if isinstance(node, dict):
        return {
            key: DOCUMENTED_NULLS[key]
            if value is None and key in DOCUMENTED_NULLS
            else fill_documented_nulls(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [fill_documented_nulls(item) for item in node]
    return node


def assert_catalog_spec(response: httpx.Response, *, validate_request: bool = True) -> None:
    """`assert_matches_spec`, with only the documented spec bugs worked around."""
    if response.status_code == 204:
        assert response.content == b""
        assert_matches_spec(response, validate_request=validate_request)
        return
    body = response.json()
    if response.headers["content-type"] == "application/problem+json":
        assert_matches_spec(response, validate_request=validate_request)
        assert set(body) == {"status", "title", "type", "errors"}
        assert body["status"] == response.status_code
        assert isinstance(body["title"], str)
        assert isinstance(body["type"], str)
        assert isinstance(body["errors"], dict)
        return
    corrected = fill_documented_nulls(body)
    assert_matches_spec(
        response, body=corrected if corrected != body else None, validate_request=validate_request
    )
