"""Order shipments (`/v2/orders/{id}/shipments`) and transactions
(`/v3/orders/{id}/transactions`): shapes, status codes and their effect on the order."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.faults import ConnectionDropped
from bigsync.sandbox.sales.records import Order
from tests.sandbox.schema import assert_matches_spec

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def base(store_hash: str) -> str:
    return f"/stores/{store_hash}/v2/orders"


@pytest.fixture
def unshipped(store: StoreState) -> Order:
    """An order with nothing shipped and more than one unit to ship."""
    return next(
        o
        for o in store.sales.orders.values()
        if o.status_id == 11 and not o.shipments and o.items_total > 1
    )


async def test_no_shipments_is_204(client: httpx.AsyncClient, base: str, unshipped: Order) -> None:
    response = await client.get(f"{base}/{unshipped.id}/shipments")
    assert (response.status_code, response.content) == (204, b"")
    assert_matches_spec(response)
    count = await client.get(f"{base}/{unshipped.id}/shipments/count")
    assert_matches_spec(count)
    assert count.json() == {"count": 0}


async def test_generated_shipments_match_spec(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if o.status_id == 2)
    response = await client.get(f"{base}/{order.id}/shipments")
    assert_matches_spec(response)
    shipped = sum(i["quantity"] for s in response.json() for i in s["items"])
    assert shipped == order.items_total
    single = await client.get(f"{base}/{order.id}/shipments/{order.shipments[0].id}")
    assert_matches_spec(single)


async def test_shipment_ships_items_without_changing_status(
    client: httpx.AsyncClient,
    base: str,
    unshipped: Order,
    sandbox: Sandbox,
    events: Events,
) -> None:
    line = unshipped.products[0]
    before = unshipped.date_modified
    sandbox.clock.advance(timedelta(minutes=10))
    body = {
        "order_address_id": str(line.order_address_id),  # the guide sends it as a string
        "tracking_number": "EJ958083578US",
        "shipping_provider": "usps",
        "items": [{"order_product_id": line.id, "quantity": 1}],
    }
    response = await client.post(f"{base}/{unshipped.id}/shipments", json=body)
    assert response.status_code == 201
    assert_matches_spec(response, validate_request=False)  # the string id, see above
    shipment = response.json()
    assert shipment["items"] == [
        {"order_product_id": line.id, "product_id": line.product_id, "quantity": 1}
    ]
    assert shipment["generated_tracking_link"]
    assert shipment["shipping_provider_display_name"] == "USPS"
    order = (await client.get(f"{base}/{unshipped.id}")).json()
    assert order["status_id"] == 11  # shipments never change the status (API-NOTES §8.8)
    assert order["items_shipped"] == 1
    assert order["date_shipped"] == ""  # not everything has shipped
    assert parsedate_to_datetime(order["date_modified"]) > before
    lines = (await client.get(f"{base}/{unshipped.id}/products")).json()
    assert lines[0]["quantity_shipped"] == 1
    assert events == [
        (
            "store/shipment/created",
            {"type": "shipment", "id": shipment["id"], "orderId": unshipped.id},
        )
    ]


async def test_shipping_everything_sets_date_shipped(
    client: httpx.AsyncClient, base: str, unshipped: Order
) -> None:
    for address in unshipped.shipping_addresses:
        items = [
            {"order_product_id": p.id, "quantity": p.quantity}
            for p in unshipped.products
            if p.order_address_id == address.id
        ]
        body = {"order_address_id": address.id, "items": items}
        response = await client.post(f"{base}/{unshipped.id}/shipments", json=body)
        assert response.status_code == 201
        assert_matches_spec(response)
    order = (await client.get(f"{base}/{unshipped.id}")).json()
    assert order["items_shipped"] == order["items_total"]
    assert order["date_shipped"] != ""
    count = (await client.get(f"{base}/{unshipped.id}/shipments/count")).json()
    assert count == {"count": len(unshipped.shipping_addresses)}


async def test_shipping_more_than_ordered_is_400(
    client: httpx.AsyncClient, base: str, unshipped: Order
) -> None:
    line = unshipped.products[0]
    body = {
        "order_address_id": line.order_address_id,
        "items": [{"order_product_id": line.id, "quantity": line.quantity + 1}],
    }
    response = await client.post(f"{base}/{unshipped.id}/shipments", json=body)
    assert response.status_code == 400
    assert response.json()[0]["status"] == 400
    missing = await client.post(f"{base}/{unshipped.id}/shipments", json={"items": []})
    assert missing.status_code == 400


async def test_update_and_delete_a_shipment(
    client: httpx.AsyncClient, base: str, unshipped: Order, events: Events
) -> None:
    line = unshipped.products[0]
    body = {
        "order_address_id": line.order_address_id,
        "items": [{"order_product_id": line.id, "quantity": line.quantity}],
    }
    created = (await client.post(f"{base}/{unshipped.id}/shipments", json=body)).json()
    url = f"{base}/{unshipped.id}/shipments/{created['id']}"
    updated = await client.put(url, json={"tracking_number": "1Z999", "comments": "Late"})
    assert_matches_spec(updated)
    assert (updated.json()["tracking_number"], updated.json()["comments"]) == ("1Z999", "Late")
    refused = await client.put(url, json={"items": []})
    assert refused.status_code == 400
    deleted = await client.delete(url)
    assert deleted.status_code == 204
    assert_matches_spec(deleted)
    assert (await client.get(url)).status_code == 404
    lines = (await client.get(f"{base}/{unshipped.id}/products")).json()
    assert lines[0]["quantity_shipped"] == 0
    assert [scope for scope, _ in events] == [
        "store/shipment/created",
        "store/shipment/updated",
        "store/shipment/deleted",
    ]


async def test_delete_all_shipments(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if o.status_id == 2)
    response = await client.delete(f"{base}/{order.id}/shipments")
    assert response.status_code == 204
    assert (await client.get(f"{base}/{order.id}/shipments")).status_code == 204
    assert (await client.get(f"{base}/{order.id}")).json()["status_id"] == 2


async def test_transactions_of_a_paid_order(
    client: httpx.AsyncClient, store_hash: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if o.transactions)
    response = await client.get(f"/stores/{store_hash}/v3/orders/{order.id}/transactions")
    assert_matches_spec(response)
    body = response.json()
    assert body["data"][0]["order_id"] == str(order.id)  # a string here, as documented
    assert body["data"][0]["event"] == "purchase"
    assert body["meta"]["pagination"]["total"] == len(order.transactions)


async def test_transactions_none_is_204_and_unknown_order_404(
    client: httpx.AsyncClient, store_hash: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if not o.transactions)
    response = await client.get(f"/stores/{store_hash}/v3/orders/{order.id}/transactions")
    assert (response.status_code, response.content) == (204, b"")
    missing = await client.get(f"/stores/{store_hash}/v3/orders/999999/transactions")
    assert missing.status_code == 404
    assert_matches_spec(missing)
    assert missing.json()["status"] == 404


@pytest.mark.parametrize(
    "items",
    [["one"], [{"order_product_id": "x", "quantity": 1}], [{"order_product_id": 999999}]],
)
async def test_malformed_shipment_items_are_400(
    client: httpx.AsyncClient, base: str, unshipped: Order, items: list[Any]
) -> None:
    body = {"order_address_id": unshipped.shipping_addresses[0].id, "items": items}
    response = await client.post(f"{base}/{unshipped.id}/shipments", json=body)
    assert response.status_code == 400


async def test_shipping_to_the_wrong_address_or_twice_the_same_line_is_400(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if len(o.shipping_addresses) > 1)
    assert (await client.delete(f"{base}/{order.id}/shipments")).status_code == 204
    line = order.products[0]
    other = next(a.id for a in order.shipping_addresses if a.id != line.order_address_id)
    wrong = {"order_address_id": other, "items": [{"order_product_id": line.id, "quantity": 1}]}
    assert (await client.post(f"{base}/{order.id}/shipments", json=wrong)).status_code == 400
    unknown = {**wrong, "order_address_id": 999999}
    assert (await client.post(f"{base}/{order.id}/shipments", json=unknown)).status_code == 400
    twice = {
        "order_address_id": line.order_address_id,
        "items": [{"order_product_id": line.id, "quantity": line.quantity}] * 2,
    }
    assert (await client.post(f"{base}/{order.id}/shipments", json=twice)).status_code == 400
    assert line.quantity_shipped == 0


async def test_dropped_answer_of_a_shipment_post_still_created_it(
    client: httpx.AsyncClient, base: str, unshipped: Order, store: StoreState
) -> None:
    """The `drop` fault runs the handler first: the shipment exists, only its answer is lost,
    so a client must look for it before posting again (with `run_handler: false` it does
    not exist)."""
    line = unshipped.products[0]
    body = {
        "order_address_id": line.order_address_id,
        "tracking_number": "TRACK-LOST-1",
        "items": [{"order_product_id": line.id, "quantity": 1}],
    }
    path = f"/v2/orders/{unshipped.id}/shipments"
    fault = {"kind": "drop", "path": path, "methods": ["POST"], "count": 1}
    assert (await client.post("/_sandbox/faults", json=fault)).status_code == 201
    with pytest.raises(ConnectionDropped):
        await client.post(f"{base}/{unshipped.id}/shipments", json=body)
    listed = (await client.get(f"{base}/{unshipped.id}/shipments")).json()
    assert [s["tracking_number"] for s in listed] == ["TRACK-LOST-1"]
    assert line.quantity_shipped == 1
    before = {**fault, "run_handler": False}
    assert (await client.post("/_sandbox/faults", json=before)).status_code == 201
    with pytest.raises(ConnectionDropped):
        await client.post(f"{base}/{unshipped.id}/shipments", json=body)
    assert len(unshipped.shipments) == 1  # dropped before it acted
    assert (await client.post(f"{base}/{unshipped.id}/shipments", json=body)).status_code == 201
    assert [s.tracking_number for s in unshipped.shipments] == ["TRACK-LOST-1"] * 2
    stats = (await client.get("/_sandbox/stats")).json()["stores"][store.hash]
    assert stats["endpoints"]["POST /v2/orders/{order_id:int}/shipments"]["statuses"] == {
        "0": 2,
        "201": 1,
    }
