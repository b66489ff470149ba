"""Products v3: list filters, sorting, pagination, includes, sparse fields, single and batch
writes, deletes, and the error paths (413, 409, 422) — each answer checked against the spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from tests.sandbox.catalog_spec import assert_catalog_spec

PRODUCTS = "/v3/catalog/products"
# products_catalog.v3.yml's batch PUT items reuse `product_Full`, whose `id` is read-only,
# although the same operation requires `id` in every item: batch requests cannot validate.
BATCH_IDS_ARE_READ_ONLY_IN_SPEC = False


async def get_products(client: httpx.AsyncClient, base: str, **params: Any) -> httpx.Response:
    response = await client.get(base + PRODUCTS, params=params)
    assert_catalog_spec(response)
    return response


def ids(response: httpx.Response) -> list[int]:
    return [item["id"] for item in response.json()["data"]]


async def test_list_defaults_to_id_order_with_full_pagination_meta(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await get_products(client, base)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert ids(response) == sorted(store.catalog.products)
    meta = response.json()["meta"]["pagination"]
    assert meta["total"] == len(store.catalog.products) == meta["count"]
    assert (meta["per_page"], meta["current_page"], meta["total_pages"]) == (50, 1, 1)
    assert set(meta["links"]) == {"current"}


async def test_pages_cover_the_collection_once(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    seen: list[int] = []
    page = 1
    while True:
        response = await get_products(client, base, limit=7, page=page)
        meta = response.json()["meta"]["pagination"]
        seen += ids(response)
        if page == 2:
            assert meta["links"]["previous"].startswith("?")
            assert "page=3" in meta["links"]["next"]
        if meta["current_page"] >= meta["total_pages"]:
            break
        page += 1
    assert seen == sorted(store.catalog.products)
    assert page == -(-len(store.catalog.products) // 7)


async def test_limit_above_250_is_413_and_250_is_fine(client: httpx.AsyncClient, base: str) -> None:
    assert (await client.get(base + PRODUCTS, params={"limit": 251})).status_code == 413
    assert (await get_products(client, base, limit=250)).status_code == 200


async def test_include_options_limits_pages_to_10(client: httpx.AsyncClient, base: str) -> None:
    response = await get_products(client, base, include="options", limit=50)
    assert len(response.json()["data"]) == 10
    assert response.json()["meta"]["pagination"]["per_page"] == 10
    assert all("options" in item for item in response.json()["data"])


async def test_id_filters(client: httpx.AsyncClient, base: str, store: StoreState) -> None:
    all_ids = sorted(store.catalog.products)
    picked = all_ids[3:6]
    response = await get_products(client, base, **{"id:in": ",".join(map(str, picked))})
    assert ids(response) == picked
    response = await get_products(client, base, **{"id:min": all_ids[2], "id:max": all_ids[4]})
    assert ids(response) == all_ids[2:5]
    response = await get_products(client, base, **{"id:greater": all_ids[2], "id:less": all_ids[5]})
    assert ids(response) == all_ids[3:5]
    assert ids(await get_products(client, base, id=all_ids[7])) == [all_ids[7]]


async def test_sku_and_name_filters(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    first, second = list(store.catalog.products.values())[:2]
    assert ids(await get_products(client, base, sku=first.sku.lower())) == [first.id]
    both = f"{first.sku},{second.sku}"
    assert ids(await get_products(client, base, **{"sku:in": both})) == [first.id, second.id]
    assert ids(await get_products(client, base, name=first.doc["name"])) == [first.id]


async def test_is_visible_filter(client: httpx.AsyncClient, base: str, store: StoreState) -> None:
    target = next(iter(store.catalog.products))
    put = await client.put(f"{base}{PRODUCTS}/{target}", json={"is_visible": False})
    assert put.status_code == 200
    hidden = ids(await get_products(client, base, is_visible="false"))
    assert target in hidden
    assert all(not store.catalog.products[i].doc["is_visible"] for i in hidden)
    shown = ids(await get_products(client, base, is_visible="true"))
    assert set(hidden).isdisjoint(shown)
    assert len(hidden) + len(shown) == len(store.catalog.products)


async def test_date_modified_filters(
    client: httpx.AsyncClient, base: str, store: StoreState, sandbox: Sandbox
) -> None:
    stamps = sorted(p.date_modified for p in store.catalog.products.values())
    middle = stamps[len(stamps) // 2].replace(microsecond=0)
    expected = {p.id for p in store.catalog.products.values() if p.date_modified >= middle}
    response = await get_products(
        client, base, **{"date_modified:min": middle.isoformat(), "limit": 250}
    )
    assert set(ids(response)) == expected
    upper = await get_products(
        client, base, **{"date_modified:max": middle.isoformat(), "limit": 250}
    )
    assert set(ids(upper)) == {
        p.id for p in store.catalog.products.values() if p.date_modified <= middle
    }


async def test_bare_date_takes_the_time_of_day_of_now(
    client: httpx.AsyncClient, base: str, store: StoreState, sandbox: Sandbox
) -> None:
    now = datetime(2026, 5, 10, 15, 30, tzinfo=UTC)
    sandbox.clock.freeze(now)
    product = next(iter(store.catalog.products.values()))
    product.touch(datetime(2026, 5, 9, 16, 0, tzinfo=UTC))  # after 15:30 on the 9th
    other = list(store.catalog.products.values())[1]
    other.touch(datetime(2026, 5, 9, 15, 0, tzinfo=UTC))  # before 15:30 on the 9th
    store.catalog.changed()
    found = ids(await get_products(client, base, **{"date_modified:min": "2026-05-09"}))
    assert product.id in found
    assert other.id not in found


async def test_bad_filter_value_is_422(client: httpx.AsyncClient, base: str) -> None:
    response = await client.get(base + PRODUCTS, params={"date_modified:min": "yesterday"})
    assert response.status_code == 422
    assert (await client.get(base + PRODUCTS, params={"sort": "colour"})).status_code == 422


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("price", lambda p: p["price"]),
        ("name", lambda p: p["name"].lower()),
        ("sku", lambda p: p["sku"].lower()),
        ("date_modified", lambda p: p["date_modified"]),
        ("inventory_level", lambda p: p["inventory_level"]),
    ],
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_sort_and_direction(
    client: httpx.AsyncClient, base: str, sort: str, key: Any, direction: str
) -> None:
    response = await get_products(client, base, sort=sort, direction=direction, limit=250)
    values = [key(p) for p in response.json()["data"]]
    assert values == sorted(values, reverse=direction == "desc")


async def test_include_fields_and_exclude_fields(client: httpx.AsyncClient, base: str) -> None:
    response = await get_products(client, base, include_fields="name,price", limit=3)
    assert all(set(p) == {"id", "name", "price"} for p in response.json()["data"])
    response = await get_products(client, base, exclude_fields="id,description", limit=3)
    assert all("id" in p and "description" not in p for p in response.json()["data"])


async def test_include_variants_images_custom_fields(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    include = "variants,images,custom_fields,primary_image"
    response = await get_products(client, base, include=include, limit=250)
    products = response.json()["data"]
    assert all(("primary_image" in p) == bool(p["images"]) for p in products)
    assert all({"variants", "images", "custom_fields"} <= set(p) for p in products)
    simple = [p for p in products if p["base_variant_id"] is not None]
    optioned = [p for p in products if p["base_variant_id"] is None]
    assert simple
    assert optioned
    for product in simple:
        assert [v["id"] for v in product["variants"]] == [product["base_variant_id"]]
        assert product["variants"][0]["option_values"] == []
        assert product["variants"][0]["sku"] == product["sku"]
    for product in optioned:
        assert len(product["variants"]) >= 2
        assert all(v["option_values"] for v in product["variants"])
    assert any(p["images"] for p in products)
    assert any(p["custom_fields"] for p in products)
    without = (await get_products(client, base, limit=1)).json()["data"][0]
    assert "variants" not in without


async def test_get_one_product_and_404(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    product_id = next(iter(store.catalog.products))
    response = await client.get(f"{base}{PRODUCTS}/{product_id}", params={"include": "variants"})
    assert_catalog_spec(response)
    assert response.json()["data"]["id"] == product_id
    assert response.json()["meta"] == {}
    missing = await client.get(f"{base}{PRODUCTS}/999999")
    assert missing.status_code == 404
    assert_catalog_spec(missing)


async def test_create_product_with_defaults(
    client: httpx.AsyncClient, base: str, events: list[tuple[str, dict[str, Any]]]
) -> None:
    body = {"name": "Sandbox Kettle", "type": "physical", "weight": 1.5, "price": 39.5}
    response = await client.post(base + PRODUCTS, json=body)
    assert response.status_code == 200
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert data["price"] == 39.5
    assert data["custom_url"]["url"] == "/sandbox-kettle/"
    assert data["base_variant_id"] is not None
    assert data["date_created"] == data["date_modified"]
    assert ("store/product/created", {"type": "product", "id": data["id"]}) in events


async def test_create_product_with_variants_builds_options(
    client: httpx.AsyncClient, base: str
) -> None:
    body = {
        "name": "Sandbox Tee",
        "type": "physical",
        "weight": 0.2,
        "price": 20,
        "sku": "TEE",
        "inventory_tracking": "variant",
        "variants": [
            {"sku": "TEE-S", "option_values": [{"option_display_name": "Size", "label": "S"}]},
            {"sku": "TEE-M", "option_values": [{"option_display_name": "Size", "label": "M"}]},
        ],
    }
    response = await client.post(base + PRODUCTS, json=body, params={"include": "variants,options"})
    assert response.status_code == 200
    # products_catalog.v3.yml `product_Base_POST.variants` items require `id` and `product_id`,
    # which a variant being created cannot have; only the answer is checked here.
    assert_catalog_spec(response, validate_request=False)
    data = response.json()["data"]
    assert data["base_variant_id"] is None
    assert [v["sku"] for v in data["variants"]] == ["TEE-S", "TEE-M"]
    (option,) = data["options"]
    assert option["display_name"] == "Size"
    assert [v["label"] for v in option["option_values"]] == ["S", "M"]


async def test_create_product_missing_fields_is_422(client: httpx.AsyncClient, base: str) -> None:
    response = await client.post(base + PRODUCTS, json={"sku": "X-1"})
    assert response.status_code == 422
    assert_catalog_spec(response, validate_request=False)  # the request is invalid on purpose
    assert set(response.json()["errors"]) == {"name", "type", "weight", "price"}
    bad = await client.post(
        base + PRODUCTS, json={"name": "A", "type": "vinyl", "weight": 1, "price": 1}
    )
    assert bad.status_code == 422
    assert "type" in bad.json()["errors"]


async def test_duplicate_name_or_sku_is_409(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    existing = next(iter(store.catalog.products.values()))
    body = {"name": existing.doc["name"], "type": "physical", "weight": 1, "price": 1}
    response = await client.post(base + PRODUCTS, json=body)
    assert response.status_code == 409
    assert_catalog_spec(response)
    variant_sku = next(v.sku for v in store.catalog.variants.values() if not v.is_base)
    body = {
        "name": "Unique",
        "type": "physical",
        "weight": 1,
        "price": 1,
        "sku": variant_sku.lower(),
    }
    assert (await client.post(base + PRODUCTS, json=body)).status_code == 409


async def test_update_moves_date_modified_and_emits(
    client: httpx.AsyncClient,
    base: str,
    store: StoreState,
    sandbox: Sandbox,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    product = next(iter(store.catalog.products.values()))
    sandbox.clock.freeze(product.date_modified + timedelta(days=1))
    response = await client.put(f"{base}{PRODUCTS}/{product.id}", json={"price": 12.25})
    assert response.status_code == 200
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert data["price"] == 12.25
    assert datetime.fromisoformat(data["date_modified"]) == sandbox.now().replace(microsecond=0)
    assert ("store/product/updated", {"type": "product", "id": product.id}) in events


async def test_update_product_inventory_level_sets_default_location(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    product = next(p for p in store.catalog.products.values() if p.tracking == "product")
    response = await client.put(f"{base}{PRODUCTS}/{product.id}", json={"inventory_level": 77})
    assert response.json()["data"]["inventory_level"] == 77
    items = await client.get(
        f"{base}/v3/inventory/items", params={"product_id:in": product.id, "location_id:in": 1}
    )
    assert items.json()["data"][0]["locations"][0]["total_inventory_onhand"] == 77


async def test_batch_update(client: httpx.AsyncClient, base: str, store: StoreState) -> None:
    first, second = list(store.catalog.products)[:2]
    body = [{"id": first, "price": 10}, {"id": second, "is_featured": True}]
    response = await client.put(base + PRODUCTS, json=body)
    assert response.status_code == 200
    assert_catalog_spec(response, validate_request=BATCH_IDS_ARE_READ_ONLY_IN_SPEC)
    data = response.json()["data"]
    assert [p["id"] for p in data] == [first, second]
    assert data[0]["price"] == 10
    assert data[1]["is_featured"] is True


async def test_batch_over_10_is_413_with_the_documented_body(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    body = [{"id": product_id, "price": 1} for product_id in list(store.catalog.products)[:11]]
    response = await client.put(base + PRODUCTS, json=body)
    assert response.status_code == 413
    assert_catalog_spec(response, validate_request=BATCH_IDS_ARE_READ_ONLY_IN_SPEC)
    assert response.json() == {
        "status": 413,
        "title": "The request payload is too large. The maximum items allowed in the array is 10.",
        "type": "/api-docs/getting-started/api-status-codes",
        "errors": {},
    }
    assert all(
        store.catalog.products[i].doc["price"] != 1 for i in list(store.catalog.products)[:11]
    )


async def test_batch_errors_change_nothing(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    first, second = list(store.catalog.products.values())[:2]
    before = first.doc["price"]
    no_id = await client.put(base + PRODUCTS, json=[{"id": first.id, "price": 3}, {"price": 4}])
    assert no_id.status_code == 422
    assert_catalog_spec(no_id, validate_request=BATCH_IDS_ARE_READ_ONLY_IN_SPEC)
    taken = await client.put(
        base + PRODUCTS, json=[{"id": first.id, "price": 3}, {"id": second.id, "sku": first.sku}]
    )
    assert taken.status_code == 409
    assert_catalog_spec(taken, validate_request=BATCH_IDS_ARE_READ_ONLY_IN_SPEC)
    assert first.doc["price"] == before


async def test_delete_needs_a_filter_and_deletes(
    client: httpx.AsyncClient,
    base: str,
    store: StoreState,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    unfiltered = await client.delete(base + PRODUCTS)
    assert unfiltered.status_code == 422
    doomed = list(store.catalog.products)[:2]
    response = await client.delete(base + PRODUCTS, params={"id:in": f"{doomed[0]},{doomed[1]}"})
    assert response.status_code == 204
    assert_catalog_spec(response)
    assert response.content == b""
    for product_id in doomed:
        assert (await client.get(f"{base}{PRODUCTS}/{product_id}")).status_code == 404
        assert ("store/product/deleted", {"type": "product", "id": product_id}) in events
    assert not any(v.product_id in doomed for v in store.catalog.variants.values())


async def test_list_pages_reflect_every_change(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    product = next(p for p in store.catalog.products.values() if p.tracking == "product")
    params = {"include": "variants", "id:in": product.id}
    first = (await get_products(client, base, **params)).json()["data"][0]
    await client.put(f"{base}{PRODUCTS}/{product.id}", json={"price": first["price"] + 1})
    body = {"items": [{"location_id": 1, "product_id": product.id, "quantity": 4321}]}
    await client.put(f"{base}/v3/inventory/adjustments/absolute", json=body)
    second = (await get_products(client, base, **params)).json()["data"][0]
    assert second["price"] == first["price"] + 1
    assert second["inventory_level"] == 4321


async def test_images_and_custom_fields_lists(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    with_images = next(p for p in store.catalog.products.values() if p.images)
    images = await client.get(f"{base}{PRODUCTS}/{with_images.id}/images")
    assert_catalog_spec(images)
    assert [i["id"] for i in images.json()["data"]] == [i["id"] for i in with_images.images]
    assert sum(i["is_thumbnail"] for i in images.json()["data"]) == 1
    without = next(p for p in store.catalog.products.values() if not p.images)
    empty = await client.get(f"{base}{PRODUCTS}/{without.id}/images")
    assert empty.status_code == 204
    assert_catalog_spec(empty)
    with_fields = next(p for p in store.catalog.products.values() if p.custom_fields)
    fields = await client.get(f"{base}{PRODUCTS}/{with_fields.id}/custom-fields")
    assert_catalog_spec(fields)
    assert fields.json()["data"] == with_fields.custom_fields
