"""Categories (both forms), category trees and brands: lists, filters, writes, webhooks."""

from __future__ import annotations

from typing import Any

import httpx

from bigsync.sandbox.backend import StoreState
from tests.sandbox.catalog_spec import assert_catalog_spec

CATEGORIES = "/v3/catalog/categories"
TREE_CATEGORIES = "/v3/catalog/trees/categories"
BRANDS = "/v3/catalog/brands"


async def test_categories_list_and_filters(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(base + CATEGORIES, params={"limit": 250})
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert [c["id"] for c in data] == sorted(store.catalog.categories)
    top = [c for c in data if c["parent_id"] == 0]
    children = await client.get(base + CATEGORIES, params={"parent_id:in": top[0]["id"]})
    assert_catalog_spec(children)
    assert children.json()["data"]
    assert all(c["parent_id"] == top[0]["id"] for c in children.json()["data"])
    named = await client.get(base + CATEGORIES, params={"name": top[0]["name"]})
    assert [c["id"] for c in named.json()["data"]] == [top[0]["id"]]
    single = await client.get(f"{base}{CATEGORIES}/{top[0]['id']}")
    assert_catalog_spec(single)
    assert single.json()["data"]["custom_url"]["url"] == top[0]["custom_url"]["url"]


async def test_tree_categories_filters_and_limit(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(base + TREE_CATEGORIES, params={"limit": 250})
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert len(data) == len(store.catalog.categories)
    first = data[0]
    assert {"category_id", "category_uuid", "tree_id", "url"} <= set(first)
    assert first["url"]["path"].startswith("/")
    picked = [c["category_id"] for c in data[:3]]
    by_id = await client.get(
        base + TREE_CATEGORIES, params={"category_id:in": ",".join(map(str, picked))}
    )
    assert_catalog_spec(by_id)
    assert [c["category_id"] for c in by_id.json()["data"]] == picked
    by_tree = await client.get(base + TREE_CATEGORIES, params={"tree_id:in": 1, "limit": 250})
    assert len(by_tree.json()["data"]) == len(data)
    hidden = await client.get(base + TREE_CATEGORIES, params={"is_visible": "false"})
    assert all(not c["is_visible"] for c in hidden.json()["data"])
    too_many = await client.get(base + TREE_CATEGORIES, params={"limit": 251})
    assert too_many.status_code == 413


async def test_trees_and_nested_nodes(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    trees = await client.get(base + "/v3/catalog/trees")
    assert_catalog_spec(trees)
    assert trees.json()["data"] == [{"id": 1, "name": "Default", "channels": [1]}]
    nodes = await client.get(base + "/v3/catalog/trees/1/categories")
    assert_catalog_spec(nodes)
    roots = nodes.json()["data"]
    assert all(node["depth"] == 1 and node["parent_id"] == 0 for node in roots)
    assert any(child["depth"] == 2 for node in roots for child in node["children"])

    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 + count(item["children"]) for item in items)

    assert count(roots) == len(store.catalog.categories)
    shallow = await client.get(base + "/v3/catalog/trees/1/categories", params={"depth": 1})
    assert all(node["children"] == [] for node in shallow.json()["data"])
    assert (await client.get(base + "/v3/catalog/trees/9/categories")).status_code == 404


async def test_category_writes_and_webhooks(
    client: httpx.AsyncClient,
    base: str,
    store: StoreState,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    created = await client.post(base + CATEGORIES, json={"name": "Gift Ideas", "parent_id": 0})
    assert created.status_code == 200
    assert_catalog_spec(created)
    category_id = created.json()["data"]["id"]
    assert ("store/category/created", {"type": "category", "id": category_id}) in events
    duplicate = await client.post(base + CATEGORIES, json={"name": "gift ideas", "parent_id": 0})
    assert duplicate.status_code == 409
    assert_catalog_spec(duplicate)
    no_name = await client.post(base + CATEGORIES, json={"parent_id": 0})
    assert no_name.status_code == 422
    child = await client.post(
        base + CATEGORIES, json={"name": "Under 20", "parent_id": category_id}
    )
    child_id = child.json()["data"]["id"]
    updated = await client.put(
        f"{base}{CATEGORIES}/{category_id}",
        json={"name": "Gift Ideas", "parent_id": 0, "is_visible": False},
    )
    assert_catalog_spec(updated)
    assert updated.json()["data"]["is_visible"] is False
    product = next(iter(store.catalog.products.values()))
    await client.put(f"{base}/v3/catalog/products/{product.id}", json={"categories": [child_id]})
    deleted = await client.delete(f"{base}{CATEGORIES}/{category_id}")
    assert deleted.status_code == 204
    assert category_id not in store.catalog.categories
    assert child_id not in store.catalog.categories  # the subtree goes too
    assert product.doc["categories"] == []
    assert ("store/category/deleted", {"type": "category", "id": child_id}) in events


async def test_tree_category_create_is_201(client: httpx.AsyncClient, base: str) -> None:
    response = await client.post(
        base + TREE_CATEGORIES, json=[{"name": "Clearance", "parent_id": 0, "tree_id": 1}]
    )
    assert response.status_code == 201
    assert response.json()["data"][0]["name"] == "Clearance"


async def test_brands_list_filters_and_sort(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(base + BRANDS, params={"limit": 250})
    assert_catalog_spec(response)
    data = response.json()["data"]
    assert [b["id"] for b in data] == sorted(store.catalog.brands)
    like = await client.get(base + BRANDS, params={"name:like": data[0]["name"][:4]})
    assert_catalog_spec(like)
    assert data[0]["id"] in [b["id"] for b in like.json()["data"]]
    assert all(data[0]["name"][:4].lower() in b["name"].lower() for b in like.json()["data"])
    picked = [data[0]["id"], data[-1]["id"]]
    by_id = await client.get(base + BRANDS, params={"id:in": f"{picked[0]},{picked[1]}"})
    assert [b["id"] for b in by_id.json()["data"]] == picked
    ordered = await client.get(base + BRANDS, params={"sort": "name", "direction": "desc"})
    names = [b["name"].lower() for b in ordered.json()["data"]]
    assert names == sorted(names, reverse=True)


async def test_brand_writes(client: httpx.AsyncClient, base: str, store: StoreState) -> None:
    created = await client.post(base + BRANDS, json={"name": "Sandbox Works"})
    assert created.status_code == 200
    assert_catalog_spec(created)
    brand_id = created.json()["data"]["id"]
    assert created.json()["data"]["custom_url"]["url"] == "/sandbox-works/"
    duplicate = await client.post(base + BRANDS, json={"name": "SANDBOX WORKS"})
    assert duplicate.status_code == 409
    assert_catalog_spec(duplicate)
    updated = await client.put(
        f"{base}{BRANDS}/{brand_id}", json={"name": "Sandbox Works", "page_title": "Works"}
    )
    assert_catalog_spec(updated)
    assert updated.json()["data"]["page_title"] == "Works"
    assert (await client.delete(base + BRANDS)).status_code == 422
    deleted = await client.delete(base + BRANDS, params={"name": "Sandbox Works"})
    assert deleted.status_code == 204
    assert brand_id not in store.catalog.brands
    assert (await client.get(f"{base}{BRANDS}/{brand_id}")).status_code == 404
