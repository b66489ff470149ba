"""The sales generator (deterministic, realistic, consistent with the catalog) and the sales
mutations behind `/_sandbox/mutate`."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.generator.catalog import generate_catalog
from bigsync.sandbox.generator.sales import generate_sales
from bigsync.sandbox.sales import MUTATIONS
from bigsync.sandbox.sales.customers import customer_json
from bigsync.sandbox.sales.views import order_json, order_product_json, shipment_json

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SIZES = StoreSizes(products=60, orders=1500, customers=150)


def generated(seed: int, sizes: StoreSizes = SIZES) -> StoreState:
    store = StoreState(hash="gen", store_id=1, name="Generated", plan="unlimited")
    rng = random.Random(seed)
    generate_catalog(store, rng, sizes, NOW)
    generate_sales(store, rng, sizes, NOW)
    return store


def rendered(store: StoreState) -> list[Any]:
    out: list[Any] = []
    for order in store.sales.orders.values():
        out.append(order_json(store.hash, order))
        out += [order_product_json(p) for p in order.products]
        out += [shipment_json(order, s) for s in order.shipments]
    out += [customer_json(c, frozenset({"addresses"})) for c in store.sales.customers.values()]
    return out


@pytest.fixture(scope="module")
def big() -> StoreState:
    return generated(3)


def test_same_seed_same_data_other_seed_other_data() -> None:
    small = StoreSizes(products=20, orders=120, customers=30)
    assert rendered(generated(5, small)) == rendered(generated(5, small))
    assert rendered(generated(5, small)) != rendered(generated(6, small))


def test_ids_and_dates_grow_together_within_two_years(big: StoreState) -> None:
    orders = list(big.sales.orders.values())
    assert len(orders) == SIZES.orders
    assert [o.id for o in orders] == sorted(o.id for o in orders)
    created = [o.date_created for o in orders]
    assert created == sorted(created)
    assert (NOW - created[0]).days > 600
    assert all(o.date_created <= o.date_modified <= NOW for o in orders)
    assert all(o.date_modified.microsecond == 0 for o in orders)


def test_status_mix_has_incomplete_and_archived_orders(big: StoreState) -> None:
    orders = list(big.sales.orders.values())
    statuses = {o.status_id for o in orders}
    assert {0, 1, 2, 3, 5, 7, 10, 11} <= statuses
    assert 5 <= sum(o.status_id == 0 for o in orders) <= 100
    assert 3 <= sum(o.is_deleted for o in orders) <= 60
    guests = sum(o.customer_id == 0 for o in orders)
    assert 0.08 < guests / len(orders) < 0.25
    several = sum(len(o.shipping_addresses) > 1 for o in orders)
    assert several >= 20


def test_line_items_sell_real_catalog_variants(big: StoreState) -> None:
    catalog = big.catalog
    for order in big.sales.orders.values():
        assert order.products
        for line in order.products:
            variant = catalog.variants[line.variant_id]
            product = catalog.products[line.product_id]
            assert variant.product_id == product.id
            assert line.sku == variant.sku
            assert line.name == product.doc["name"]
            assert product.date_created <= order.date_created or product.id == 1
            addresses = {a.id for a in order.shipping_addresses}
            assert line.order_address_id in addresses


def test_shipments_and_transactions_follow_the_status(big: StoreState) -> None:
    for order in big.sales.orders.values():
        shipped = sum(p.quantity_shipped for p in order.products)
        in_shipments = sum(i.quantity for s in order.shipments for i in s.items)
        assert shipped == in_shipments
        if order.status_id in (2, 10):
            assert shipped == order.items_total
            assert order.date_shipped is not None
        elif order.status_id == 3:
            assert 0 < shipped < order.items_total
            assert order.date_shipped is None
        elif order.status_id in (0, 1, 7, 11):
            assert shipped == 0
        if order.status_id in (0, 1, 5, 6, 7, 12):
            assert not order.transactions
        elif order.status_id in (2, 10, 11):
            assert [t.event for t in order.transactions] == ["purchase"]
            assert order.transactions[0].amount == order.total_inc_tax
        if order.status_id == 4:
            assert [t.event for t in order.transactions] == ["purchase", "refund"]


def test_customers_are_unique_by_email_and_buy_after_registering(big: StoreState) -> None:
    customers = big.sales.customers
    assert len({c.email for c in customers.values()}) == len(customers)
    for order in big.sales.orders.values():
        if order.customer_id:
            assert customers[order.customer_id].date_created <= order.date_created


@pytest.fixture
def seen(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    sandbox.event_sinks.append(lambda _store, scope, data: events.append((scope, data)))
    return events


def test_order_mutations(sandbox: Sandbox, store: StoreState, seen: list[Any]) -> None:
    rng = random.Random(1)
    created = MUTATIONS["order"](sandbox, store, "create", 3, rng)
    assert len(created) == 3
    assert all(store.sales.orders[i].status_id == 11 for i in created)
    assert [s for s, _ in seen] == ["store/order/created"] * 3
    updated = MUTATIONS["order"](sandbox, store, "update", 2, rng)
    assert all(store.sales.orders[i].staff_notes for i in updated)
    archived = MUTATIONS["order"](sandbox, store, "delete", 2, rng)
    assert all(store.sales.orders[i].is_deleted for i in archived)
    with pytest.raises(ValueError, match="unknown"):
        MUTATIONS["order_status"](sandbox, store, "delete", 1, rng)


def test_incomplete_orders_are_created_then_completed(
    sandbox: Sandbox, store: StoreState, seen: list[Any]
) -> None:
    rng = random.Random(2)
    waiting = MUTATIONS["incomplete_order"](sandbox, store, "create", 2, rng)
    assert all(store.sales.orders[i].status_id == 0 for i in waiting)
    before = {o.id for o in store.sales.orders.values() if o.status_id == 0}
    done = MUTATIONS["incomplete_order"](sandbox, store, "update", len(before), rng)
    assert set(done) == before
    assert all(store.sales.orders[i].status_id == 11 for i in done)
    changes = [d["status"] for s, d in seen if s == "store/order/statusUpdated"]
    assert changes == [{"previous_status_id": 0, "new_status_id": 11}] * len(before)


def test_status_shipment_and_customer_mutations(
    sandbox: Sandbox, store: StoreState, seen: list[Any]
) -> None:
    rng = random.Random(3)
    before = {o.id: o.status_id for o in store.sales.orders.values()}
    moved = MUTATIONS["order_status"](sandbox, store, "update", 4, rng)
    assert all(store.sales.orders[i].status_id != before[i] for i in moved)
    shipped = MUTATIONS["shipment"](sandbox, store, "create", 3, rng)
    assert len(shipped) == 3
    assert sum(1 for s, _ in seen if s == "store/shipment/created") == 3
    paid = MUTATIONS["transaction"](sandbox, store, "create", 2, rng)
    assert all(store.sales.orders[i].payment_status == "captured" for i in paid)
    assert all(len(store.sales.orders[i].transactions) == 1 for i in paid)
    created = [d for s, d in seen if s == "store/order/transaction/created"]
    assert [d["order_id"] for d in created] == [str(i) for i in paid]
    customers = MUTATIONS["customer"](sandbox, store, "create", 12, rng)
    assert len(customers) == len(set(customers)) == 12
    MUTATIONS["customer"](sandbox, store, "update", 11, rng)
    gone = MUTATIONS["customer"](sandbox, store, "delete", 2, rng)
    assert not set(gone) & set(store.sales.customers)


async def test_mutate_through_the_control_api(client: httpx.AsyncClient, store: StoreState) -> None:
    body = {"store": store.hash, "kind": "incomplete_order", "action": "create", "count": 2}
    response = await client.post("/_sandbox/mutate", json=body)
    assert response.status_code == 200
    ids = response.json()["ids"]
    listed = await client.get(
        f"/stores/{store.hash}/v2/orders", params={"status_id": 0, "min_id": ids[0]}
    )
    assert [o["id"] for o in listed.json()] == ids
