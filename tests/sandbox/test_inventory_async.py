"""Asynchronous inventory writes: accepted now, applied `inventory_delay_ms` later on the
sandbox clock, in order of arrival, with their webhooks at the moment they apply."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog.inventory import record_sale
from bigsync.sandbox.catalog.models import Product
from bigsync.sandbox.catalog.products import delete_product
from bigsync.sandbox.server import SandboxServer
from bigsync.sandbox.testing import SandboxFactory
from tests.sandbox.catalog_spec import assert_catalog_spec

ITEMS = "/v3/inventory/items"
ABSOLUTE = "/v3/inventory/adjustments/absolute"
RELATIVE = "/v3/inventory/adjustments/relative"
INVENTORY_SCOPES = {"store/sku/inventory/updated", "store/product/inventory/updated"}


@pytest.fixture
def by_variant(store: StoreState) -> Product:
    return next(p for p in store.catalog.products.values() if p.tracking == "variant" and p.options)


@pytest.fixture
def by_product(store: StoreState) -> Product:
    return next(p for p in store.catalog.products.values() if p.tracking == "product")


@pytest.fixture
def delayed(sandbox: Sandbox, store: StoreState) -> StoreState:
    """The store with a 500 ms inventory delay, on a frozen clock."""
    sandbox.clock.freeze()
    store.inventory_delay_ms = 500
    return store


async def level(client: httpx.AsyncClient, base: str, location_id: int, **identity: Any) -> int:
    ((key, value),) = identity.items()
    response = await client.get(
        f"{base}{ITEMS}", params={f"{key}:in": value, "location_id:in": location_id}
    )
    (item,) = response.json()["data"]
    return int(item["locations"][0]["total_inventory_onhand"])


def inventory_events(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [data for scope, data in events if scope in INVENTORY_SCOPES]


async def test_reads_show_old_values_until_the_delay_passes(
    *,
    client: httpx.AsyncClient,
    base: str,
    sandbox: Sandbox,
    delayed: StoreState,
    by_variant: Product,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    variant_id = by_variant.variant_ids[0]
    old = delayed.catalog.variants[variant_id].stock[1].on_hand
    body = {"items": [{"location_id": 1, "variant_id": variant_id, "quantity": old + 7}]}
    answer = await client.put(base + ABSOLUTE, json=body)
    assert answer.status_code == 200
    assert_catalog_spec(answer)
    transaction = answer.json()["transaction_id"]

    variant_url = f"{base}/v3/catalog/products/{by_variant.id}/variants/{variant_id}"
    assert await level(client, base, 1, variant_id=variant_id) == old
    location_items = await client.get(
        f"{base}/v3/inventory/locations/1/items", params={"variant_id:in": variant_id}
    )
    assert location_items.json()["data"][0]["total_inventory_onhand"] == old
    assert (await client.get(variant_url)).json()["data"]["inventory_level"] == old
    assert inventory_events(events) == []
    pending = delayed.inventory_queue.as_json()["pending"]
    assert [p["transaction_id"] for p in pending] == [transaction]

    sandbox.clock.advance(timedelta(milliseconds=499))
    assert await level(client, base, 1, variant_id=variant_id) == old
    sandbox.clock.advance(timedelta(milliseconds=1))
    assert await level(client, base, 1, variant_id=variant_id) == old + 7
    assert (await client.get(variant_url)).json()["data"]["inventory_level"] == old + 7
    (event,) = inventory_events(events)
    assert event["inventory"] == {
        "product_id": by_variant.id,
        "method": "absolute",
        "value": 7,
        "variant_id": variant_id,
    }
    assert len(delayed.inventory_queue) == 0
    assert delayed.inventory_queue.applied == 1


async def test_product_level_write_moves_inventory_level_and_date_when_it_applies(
    *,
    client: httpx.AsyncClient,
    base: str,
    sandbox: Sandbox,
    delayed: StoreState,
    by_product: Product,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    date_before = by_product.doc["date_modified"]
    body = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 4321}]}
    assert (await client.put(base + ABSOLUTE, json=body)).status_code == 200
    product_url = f"{base}/v3/catalog/products/{by_product.id}"
    product = (await client.get(product_url)).json()["data"]
    assert product["inventory_level"] != 4321
    assert product["date_modified"] == date_before
    assert ("store/product/updated", {"type": "product", "id": by_product.id}) not in events
    sandbox.clock.advance(timedelta(seconds=1))
    product = (await client.get(product_url)).json()["data"]
    assert product["inventory_level"] == 4321
    assert product["date_modified"] != date_before
    assert ("store/product/updated", {"type": "product", "id": by_product.id}) in events


async def test_writes_apply_in_order_of_arrival_even_when_the_delay_shrinks(
    client: httpx.AsyncClient, base: str, sandbox: Sandbox, delayed: StoreState, by_product: Product
) -> None:
    def body(quantity: int) -> dict[str, Any]:
        return {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": quantity}]}

    old = by_product.stock[1].on_hand
    assert (await client.put(base + ABSOLUTE, json=body(10))).status_code == 200
    delayed.inventory_delay_ms = 0
    assert (await client.put(base + ABSOLUTE, json=body(20))).status_code == 200
    assert await level(client, base, 1, product_id=by_product.id) == old  # waits for the first
    queue = delayed.inventory_queue.as_json()["pending"]
    assert queue[0]["applies_at"] == queue[1]["applies_at"]
    sandbox.clock.advance(timedelta(milliseconds=500))
    assert await level(client, base, 1, product_id=by_product.id) == 20


async def test_relative_after_pending_absolute_is_validated_on_the_projected_level(
    client: httpx.AsyncClient, base: str, sandbox: Sandbox, delayed: StoreState, by_product: Product
) -> None:
    by_product.stock.pop(2, None)  # no stock record at location 2 yet
    first = {"items": [{"location_id": 2, "product_id": by_product.id, "quantity": 5}]}
    down = {"items": [{"location_id": 2, "product_id": by_product.id, "quantity": -3}]}
    early = await client.post(base + RELATIVE, json=down)
    assert early.status_code == 422  # nothing to be relative to, not even pending
    assert (await client.put(base + ABSOLUTE, json=first)).status_code == 200
    assert (await client.post(base + RELATIVE, json=down)).status_code == 200  # 5 - 3 = 2
    refused = await client.post(base + RELATIVE, json=down)  # 2 - 3 < 0
    assert refused.status_code == 422
    assert_catalog_spec(refused)
    sandbox.clock.advance(timedelta(seconds=1))
    assert await level(client, base, 2, product_id=by_product.id) == 2


async def test_relative_applies_to_the_level_found_then_and_absolute_overwrites(
    client: httpx.AsyncClient, base: str, sandbox: Sandbox, delayed: StoreState, by_product: Product
) -> None:
    by_product.stock[1].on_hand = 50
    by_product.stock[1].safety_stock = 0
    variant_id = by_product.variant_ids[0]
    bump = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 10}]}
    assert (await client.post(base + RELATIVE, json=bump)).status_code == 200
    record_sale(sandbox, delayed, product_id=by_product.id, variant_id=variant_id, quantity=8)
    assert await level(client, base, 1, product_id=by_product.id) == 42  # sales are at once
    sandbox.clock.advance(timedelta(seconds=1))
    assert await level(client, base, 1, product_id=by_product.id) == 52  # the sale is kept
    overwrite = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 30}]}
    assert (await client.put(base + ABSOLUTE, json=overwrite)).status_code == 200
    record_sale(sandbox, delayed, product_id=by_product.id, variant_id=variant_id, quantity=2)
    sandbox.clock.advance(timedelta(seconds=1))
    assert await level(client, base, 1, product_id=by_product.id) == 30  # the sale is lost


async def test_write_for_a_product_deleted_meanwhile_is_skipped(
    client: httpx.AsyncClient, base: str, sandbox: Sandbox, delayed: StoreState, by_product: Product
) -> None:
    body = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 3}]}
    assert (await client.put(base + ABSOLUTE, json=body)).status_code == 200
    delete_product(sandbox, delayed, by_product)
    sandbox.clock.advance(timedelta(seconds=1))
    assert sandbox.settle() == 1
    assert by_product.id not in delayed.catalog.products


async def test_control_api_sets_the_delay_and_lists_pending_writes(
    *,
    control: httpx.AsyncClient,
    client: httpx.AsyncClient,
    base: str,
    sandbox: Sandbox,
    store: StoreState,
    by_product: Product,
) -> None:
    sandbox.clock.freeze()
    settings = f"/_sandbox/stores/{store.hash}/settings"
    assert (await control.put(settings, json={"inventory_delay_ms": -1})).status_code == 400
    answer = await control.put(settings, json={"inventory_delay_ms": 2000})
    assert answer.json()["inventory_delay_ms"] == 2000
    assert store.inventory_delay_ms == 2000
    body = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 77}]}
    transaction = (await client.put(base + ABSOLUTE, json=body)).json()["transaction_id"]
    listing = (await control.get(f"/_sandbox/stores/{store.hash}/inventory")).json()
    assert listing["delay_ms"] == 2000
    assert [(p["transaction_id"], p["method"], p["items"]) for p in listing["pending"]] == [
        (transaction, "absolute", 1)
    ]
    await control.post("/_sandbox/clock", json={"advance_seconds": 2})
    listing = (await control.get(f"/_sandbox/stores/{store.hash}/inventory")).json()
    assert listing == {"delay_ms": 2000, "pending": [], "applied": 1}
    assert by_product.stock[1].on_hand == 77
    missing = await control.get("/_sandbox/stores/nope/inventory")
    assert missing.status_code == 404


def test_make_sandbox_sets_the_delay_on_every_store(make_sandbox: SandboxFactory) -> None:
    built = make_sandbox(inventory_delay_ms=250)
    assert {s.inventory_delay_ms for s in built.stores.values()} == {250}


def test_a_running_server_applies_due_writes_without_any_request(
    sandbox: Sandbox, store: StoreState, by_product: Product
) -> None:
    applied = threading.Event()
    sandbox.event_sinks.append(
        lambda _store, scope, _data: (
            applied.set() if scope == "store/product/inventory/updated" else None
        )
    )
    store.inventory_delay_ms = 50
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    body = {"items": [{"location_id": 1, "product_id": by_product.id, "quantity": 9}]}
    with SandboxServer(sandbox) as url:
        answer = httpx.put(
            f"{url}/stores/{store.hash}{ABSOLUTE}", json=body, headers={"X-Auth-Token": token}
        )
        assert answer.status_code == 200
        assert applied.wait(timeout=10)  # the ticker applied it: no request came in
        assert by_product.stock[1].on_hand == 9
