"""Inventory v3 and locations: item reads, absolute and relative adjustments (413/422 paths,
all-or-nothing), settings, locations CRUD, and adjustments reflected in the catalog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog.inventory import adjust, record_sale
from bigsync.sandbox.catalog.models import Product
from tests.sandbox.catalog_spec import assert_catalog_spec
from tests.sandbox.samples import LOCATION_ADDRESS

ITEMS = "/v3/inventory/items"
ABSOLUTE = "/v3/inventory/adjustments/absolute"
RELATIVE = "/v3/inventory/adjustments/relative"
LOCATIONS = "/v3/inventory/locations"
SETTINGS_IDENTITY_IS_AMBIGUOUS_IN_SPEC = False  # see tests/sandbox/catalog_spec.py


@pytest.fixture
def by_variant(store: StoreState) -> Product:
    return next(p for p in store.catalog.products.values() if p.tracking == "variant" and p.options)


@pytest.fixture
def by_product(store: StoreState) -> Product:
    return next(p for p in store.catalog.products.values() if p.tracking == "product" and p.options)


async def onhand(client: httpx.AsyncClient, base: str, location_id: int, **identity: Any) -> int:
    ((key, value),) = identity.items()
    response = await client.get(
        f"{base}{ITEMS}", params={f"{key}:in": value, "location_id:in": location_id}
    )
    (item,) = response.json()["data"]
    (row,) = item["locations"]
    return int(row["total_inventory_onhand"])


async def test_items_list_shape_and_filters(
    client: httpx.AsyncClient, base: str, store: StoreState, by_variant: Product
) -> None:
    response = await client.get(base + ITEMS, params={"limit": 250})
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert len(data) == len(store.catalog.inventory_items())
    assert all(len(item["locations"]) == len(store.catalog.locations) for item in data)
    row = data[0]["locations"][0]
    assert row["available_to_sell"] == max(
        0, row["total_inventory_onhand"] - row["settings"]["safety_stock"]
    )
    variants = await client.get(base + ITEMS, params={"product_id:in": by_variant.id})
    assert_catalog_spec(variants)
    assert [i["identity"]["variant_id"] for i in variants.json()["data"]] == by_variant.variant_ids
    sku = store.catalog.variants[by_variant.variant_ids[0]].sku
    by_sku = await client.get(base + ITEMS, params={"sku:in": sku})
    assert [i["identity"]["sku"] for i in by_sku.json()["data"]] == [sku]
    at_two = await client.get(base + ITEMS, params={"location_id:in": 2, "limit": 5})
    assert all([r["location_id"] for r in i["locations"]] == [2] for i in at_two.json()["data"])


async def test_location_items(client: httpx.AsyncClient, base: str, store: StoreState) -> None:
    response = await client.get(f"{base}{LOCATIONS}/2/items", params={"limit": 5})
    assert_catalog_spec(response)
    first = response.json()["data"][0]
    assert set(first) == {"identity", "available_to_sell", "total_inventory_onhand", "settings"}
    missing = await client.get(f"{base}{LOCATIONS}/99/items")
    assert missing.status_code == 404
    assert_catalog_spec(missing)


async def test_absolute_by_variant_reflects_everywhere_but_product_date(
    client: httpx.AsyncClient,
    base: str,
    sandbox: Sandbox,
    by_variant: Product,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    variant_id = by_variant.variant_ids[0]
    sandbox.clock.freeze(by_variant.date_modified + timedelta(days=1))
    before = by_variant.doc["date_modified"]
    body = {"reason": "count", "items": [
        {"location_id": 1, "variant_id": variant_id, "quantity": 321},
        {"location_id": 2, "variant_id": variant_id, "quantity": 9},
    ]}  # fmt: skip
    response = await client.put(base + ABSOLUTE, json=body)
    assert response.status_code == 200
    assert_catalog_spec(response)
    assert set(response.json()) == {"transaction_id"}
    assert await onhand(client, base, 1, variant_id=variant_id) == 321
    assert await onhand(client, base, 2, variant_id=variant_id) == 9
    variant = (
        await client.get(f"{base}/v3/catalog/products/{by_variant.id}/variants/{variant_id}")
    ).json()
    assert variant["data"]["inventory_level"] == 321  # the default location only
    product = (await client.get(f"{base}/v3/catalog/products/{by_variant.id}")).json()["data"]
    assert product["date_modified"] == before
    assert product["inventory_level"] == sum(
        sandbox.stores[next(iter(sandbox.stores))].catalog.variants[v].stock[1].on_hand
        for v in by_variant.variant_ids
    )
    inventory_events = [data for scope, data in events if scope == "store/sku/inventory/updated"]
    assert inventory_events[0]["inventory"]["variant_id"] == variant_id
    assert inventory_events[0]["inventory"]["method"] == "absolute"


async def test_absolute_by_product_moves_product_date(
    client: httpx.AsyncClient,
    base: str,
    sandbox: Sandbox,
    by_product: Product,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    sandbox.clock.freeze(by_product.date_modified + timedelta(days=1))
    body = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 55}]}
    assert (await client.put(base + ABSOLUTE, json=body)).status_code == 200
    product = (await client.get(f"{base}/v3/catalog/products/{by_product.id}")).json()["data"]
    assert product["inventory_level"] == 55
    assert product["date_modified"] == sandbox.now().replace(microsecond=0).isoformat()
    assert ("store/product/updated", {"type": "product", "id": by_product.id}) in events
    assert any(scope == "store/product/inventory/updated" for scope, _ in events)


async def test_variant_of_product_tracked_item_is_the_documented_422(
    client: httpx.AsyncClient, base: str, by_product: Product
) -> None:
    variant_id = by_product.variant_ids[0]
    body = {"items": [{"location_id": 1, "variant_id": variant_id, "quantity": 1}]}
    response = await client.put(base + ABSOLUTE, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert_catalog_spec(response)
    assert response.json() == {
        "status": 422,
        "title": f"[Item with variant_id {variant_id} is tracked by product, "
        "please update stock by product id]",
        "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        "errors": {},
    }


async def test_relative_below_safety_stock_fails_the_whole_request(
    client: httpx.AsyncClient, base: str, store: StoreState, by_variant: Product
) -> None:
    first, second = by_variant.variant_ids[:2]
    settings = {"settings": [{"identity": {"variant_id": second}, "safety_stock": 5}]}
    response = await client.put(f"{base}{LOCATIONS}/1/items", json=settings)
    assert response.status_code == 200
    assert_catalog_spec(response, validate_request=SETTINGS_IDENTITY_IS_AMBIGUOUS_IN_SPEC)
    await client.put(base + ABSOLUTE, json={"items": [
        {"location_id": 1, "variant_id": first, "quantity": 10},
        {"location_id": 1, "variant_id": second, "quantity": 8},
    ]})  # fmt: skip
    body = {"items": [
        {"location_id": 1, "variant_id": first, "quantity": -3},
        {"location_id": 1, "variant_id": second, "quantity": -4},
    ]}  # fmt: skip
    response = await client.post(base + RELATIVE, json=body)
    assert response.status_code == 422
    assert_catalog_spec(response)
    assert await onhand(client, base, 1, variant_id=first) == 10
    assert await onhand(client, base, 1, variant_id=second) == 8
    body["items"][1]["quantity"] = -3
    assert (await client.post(base + RELATIVE, json=body)).status_code == 200
    assert await onhand(client, base, 1, variant_id=first) == 7
    assert await onhand(client, base, 1, variant_id=second) == 5


async def test_relative_needs_an_absolute_first(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    item = next(i for i in store.catalog.inventory_items() if 2 not in i.stock)
    identity = {"variant_id": item.variant.id} if item.variant else {"product_id": item.product.id}
    body = {"items": [{"location_id": 2, "quantity": 1, **identity}]}
    response = await client.post(base + RELATIVE, json=body)
    assert response.status_code == 422
    assert "requires absolute adjustment before relative" in response.json()["title"]


async def test_adjustment_errors(client: httpx.AsyncClient, base: str, by_variant: Product) -> None:
    variant_id = by_variant.variant_ids[0]
    item = {"location_id": 1, "variant_id": variant_id, "quantity": 1}
    too_many = await client.put(base + ABSOLUTE, json={"items": [item] * 2001})
    assert too_many.status_code == 413
    two_keys = {**item, "sku": "X"}
    response = await client.put(base + ABSOLUTE, json={"items": [two_keys]})
    assert response.status_code == 422
    unknown_location = await client.put(
        base + ABSOLUTE, json={"items": [{**item, "location_id": 77}]}
    )
    assert unknown_location.status_code == 422
    negative = await client.put(base + ABSOLUTE, json={"items": [{**item, "quantity": -1}]})
    assert negative.status_code == 422
    ok = await client.put(base + ABSOLUTE, json={"items": [item] * 2000})
    assert ok.status_code == 200


async def test_settings_update_available_to_sell(
    client: httpx.AsyncClient, base: str, by_variant: Product
) -> None:
    variant_id = by_variant.variant_ids[0]
    await client.put(
        base + ABSOLUTE,
        json={"items": [{"location_id": 2, "variant_id": variant_id, "quantity": 30}]},
    )
    body = {
        "settings": [
            {
                "identity": {"variant_id": variant_id},
                "safety_stock": 10,
                "bin_picking_number": "A-7",
            }
        ]
    }
    response = await client.put(f"{base}{LOCATIONS}/2/items", json=body)
    assert response.status_code == 200
    assert_catalog_spec(response, validate_request=SETTINGS_IDENTITY_IS_AMBIGUOUS_IN_SPEC)
    items = await client.get(f"{base}{LOCATIONS}/2/items", params={"variant_id:in": variant_id})
    (item,) = items.json()["data"]
    assert (item["total_inventory_onhand"], item["available_to_sell"]) == (30, 20)
    assert item["settings"]["bin_picking_number"] == "A-7"
    empty = {"settings": [{"identity": {"variant_id": variant_id}}]}
    bad = await client.put(f"{base}{LOCATIONS}/2/items", json=empty)
    assert bad.status_code == 422
    assert_catalog_spec(bad, validate_request=SETTINGS_IDENTITY_IS_AMBIGUOUS_IN_SPEC)


async def test_locations_crud(
    client: httpx.AsyncClient,
    base: str,
    store: StoreState,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    listed = await client.get(base + LOCATIONS)
    assert_catalog_spec(listed)
    assert [loc["id"] for loc in listed.json()["data"]] == [1, 2]
    address = LOCATION_ADDRESS
    created = await client.post(
        base + LOCATIONS, json=[{"code": "PIER-9", "label": "Pier 9", "address": address}]
    )
    assert created.status_code == 200
    assert_catalog_spec(created)
    found = await client.get(base + LOCATIONS, params={"location_code:in": "PIER-9"})
    (pier,) = found.json()["data"]
    assert ("store/inventory/location/created", {"location_id": pier["id"]}) in events
    duplicate = await client.post(
        base + LOCATIONS, json=[{"code": "PIER-9", "label": "Again", "address": address}]
    )
    assert duplicate.status_code == 422
    updated = await client.put(base + LOCATIONS, json=[{"id": pier["id"], "label": "Pier Nine"}])
    assert updated.status_code == 200
    assert store.catalog.locations[pier["id"]].doc["label"] == "Pier Nine"
    default = await client.delete(base + LOCATIONS, params={"location_id:in": 1})
    assert default.status_code == 422
    assert_catalog_spec(default)
    deleted = await client.delete(base + LOCATIONS, params={"location_id:in": pier["id"]})
    assert deleted.status_code == 200
    assert_catalog_spec(deleted)
    assert pier["id"] not in store.catalog.locations
    defaults = await client.get(base + LOCATIONS, params={"is_default": "true"})
    assert [loc["id"] for loc in defaults.json()["data"]] == [1]


async def test_record_sale_moves_the_tracked_item(
    sandbox: Sandbox,
    store: StoreState,
    by_variant: Product,
    by_product: Product,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    variant_id = by_variant.variant_ids[0]
    body = {"items": [
        {"location_id": 1, "variant_id": variant_id, "quantity": 10},
        {"location_id": 1, "product_id": by_product.id, "quantity": 3},
    ]}  # fmt: skip
    adjust(sandbox, store, body, relative=False)
    record_sale(sandbox, store, product_id=by_variant.id, variant_id=variant_id, quantity=4)
    assert store.catalog.variants[variant_id].stock[1].on_hand == 6
    any_variant = by_product.variant_ids[1]
    record_sale(sandbox, store, product_id=by_product.id, variant_id=any_variant, quantity=5)
    assert by_product.stock[1].on_hand == 0  # never below zero
    assert store.catalog.variants[any_variant].stock.get(1) is None  # the product holds it
    scopes = [scope for scope, _ in events]
    assert "store/sku/inventory/order/updated" in scopes
    assert "store/product/inventory/order/updated" in scopes
