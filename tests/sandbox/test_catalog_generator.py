"""The seeded catalog generator (determinism, realism invariants) and the MUTATIONS registry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog import MUTATIONS
from bigsync.sandbox.catalog.models import DEFAULT_LOCATION_ID
from bigsync.sandbox.catalog.render import (
    PRODUCT_INCLUDES,
    category_json,
    inventory_item_json,
    product_json,
)
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.generator.catalog import generate_catalog

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def generated(seed: int, products: int = 300) -> StoreState:
    store = StoreState(hash="gen", store_id=1, name="Generated", plan="unlimited")
    generate_catalog(store, random.Random(seed), StoreSizes(products=products), NOW)
    return store


def snapshot(store: StoreState) -> bytes:
    catalog = store.catalog
    locations = list(catalog.locations.values())
    return orjson.dumps(
        {
            "products": [
                product_json(catalog, p, PRODUCT_INCLUDES) for p in catalog.products.values()
            ],
            "categories": [category_json(c) for c in catalog.categories.values()],
            "items": [inventory_item_json(i, locations) for i in catalog.inventory_items()],
        }
    )


def test_same_seed_same_catalog_and_other_seed_differs() -> None:
    assert snapshot(generated(11)) == snapshot(generated(11))
    assert snapshot(generated(11)) != snapshot(generated(12))


def test_catalog_is_realistic() -> None:
    store = generated(3)
    catalog = store.catalog
    products = list(catalog.products.values())
    skus = [p.sku.lower() for p in products] + [
        v.sku.lower() for v in catalog.variants.values() if not v.is_base
    ]
    assert len(skus) == len(set(skus))
    assert len({p.doc["name"] for p in products}) == len(products)
    depth = {0: 0}
    for category in sorted(catalog.categories.values(), key=lambda c: c.id):
        depth[category.id] = depth[category.doc["parent_id"]] + 1
    assert max(depth.values()) >= 2
    assert all(c in catalog.categories for p in products for c in p.doc["categories"])
    assert all(p.doc["brand_id"] in catalog.brands for p in products if p.doc["brand_id"])
    assert len(catalog.locations) >= 2
    assert {p.tracking for p in products} >= {"product", "variant"}
    assert any(not p.doc["is_visible"] for p in products)
    assert any(p.images for p in products)
    assert any(p.custom_fields for p in products)
    simple = [p for p in products if not p.options]
    optioned = [p for p in products if p.options]
    assert simple
    assert optioned
    assert all(p.doc["base_variant_id"] == p.variant_ids[0] for p in simple)
    assert all(p.doc["base_variant_id"] is None and len(p.variant_ids) >= 2 for p in optioned)
    assert any(
        2 in item.stock and DEFAULT_LOCATION_ID in item.stock for item in catalog.inventory_items()
    )
    oldest = min(p.date_created for p in products)
    assert NOW - timedelta(days=731) <= oldest
    assert oldest < NOW - timedelta(days=365)
    assert all(p.date_created <= p.date_modified <= NOW for p in products)
    assert [p.date_created for p in products] == sorted(p.date_created for p in products)


def test_sellable_items_are_real_variants() -> None:
    store = generated(5, products=40)
    items = store.catalog.sellable_items()
    assert len(items) == len(store.catalog.variants)
    for item in items:
        variant = store.catalog.variants[item.variant_id]
        assert variant.product_id == item.product_id
        assert variant.sku == item.sku
        assert item.price > 0


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_every_mutation_runs_and_reports_ids(
    sandbox: Sandbox, store: StoreState, kind: str, action: str
) -> None:
    scopes: list[str] = []
    sandbox.event_sinks.append(lambda _s, scope, _d: scopes.append(scope))
    touched = MUTATIONS[kind](sandbox, store, action, 3, random.Random(1))
    assert touched
    assert all(isinstance(i, int) for i in touched)
    if kind != "brand":  # brands have no webhook events
        assert scopes


def test_mutated_variant_keeps_product_date_but_product_update_moves_it(
    sandbox: Sandbox, store: StoreState
) -> None:
    sandbox.clock.freeze(NOW + timedelta(days=400))
    before = {p.id: p.date_modified for p in store.catalog.products.values()}
    (variant_id,) = MUTATIONS["variant"](sandbox, store, "update", 1, random.Random(2))
    product_id = store.catalog.variants[variant_id].product_id
    assert store.catalog.products[product_id].date_modified == before[product_id]
    (updated,) = MUTATIONS["product"](sandbox, store, "update", 1, random.Random(2))
    assert store.catalog.products[updated].date_modified == sandbox.now()


def test_unknown_action_is_refused(sandbox: Sandbox, store: StoreState) -> None:
    with pytest.raises(ValueError, match="unknown product mutation"):
        MUTATIONS["product"](sandbox, store, "explode", 1, random.Random(1))


def test_product_delete_mutation_removes_products(sandbox: Sandbox, store: StoreState) -> None:
    count = len(store.catalog.products)
    deleted: list[Any] = MUTATIONS["product"](sandbox, store, "delete", 2, random.Random(4))
    assert len(store.catalog.products) == count - 2
    assert not set(deleted) & set(store.catalog.products)


async def test_control_api_runs_catalog_mutations(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    body = {"store": store.hash, "kind": "inventory", "action": "update", "count": 2}
    response = await client.post("/_sandbox/mutate", json=body)
    assert response.status_code == 200
    touched = response.json()["ids"]
    assert len(touched) == 2
    known = set(store.catalog.products) | set(store.catalog.variants)
    assert set(touched) <= known
