"""`/v2/orders`: lists, filters, sorting, pagination, counts, single orders, includes,
create / update / archive, and the order statuses (spec: orders.v2.oas2.yml)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.dates import rfc2822
from tests.sandbox.samples import ORDER_ADDRESS
from tests.sandbox.schema import assert_matches_spec

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def base(store_hash: str) -> str:
    return f"/stores/{store_hash}/v2"


def dates(orders: list[dict[str, Any]], name: str) -> list[datetime]:
    return [parsedate_to_datetime(o[name]) for o in orders]


async def all_orders(client: httpx.AsyncClient, base: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await client.get(f"{base}/orders", params={**params, "page": page, "limit": 7})
        if response.status_code == 204:
            return out
        out += response.json()
        page += 1


async def test_list_matches_spec_and_defaults_to_id_order(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(f"{base}/orders")
    assert response.status_code == 200
    assert_matches_spec(response)
    orders = response.json()
    assert [o["id"] for o in orders] == sorted(store.sales.orders)[:50]
    first = orders[0]
    assert first["products"] == {
        "url": f"https://api.bigcommerce.com/stores/{store.hash}/v2/orders/{first['id']}/products",
        "resource": f"/orders/{first['id']}/products",
    }
    assert first["shipping_addresses"]["resource"] == f"/orders/{first['id']}/shippingaddresses"
    assert first["coupons"]["resource"] == f"/orders/{first['id']}/coupons"
    assert first["subtotal_ex_tax"].count(".") == 1
    assert len(first["subtotal_ex_tax"].split(".")[1]) == 4
    assert first["date_created"].endswith("+0000")


async def test_unshipped_orders_have_an_empty_date_shipped(
    client: httpx.AsyncClient, base: str
) -> None:
    orders = await all_orders(client, base)
    unshipped = [o for o in orders if o["items_shipped"] < o["items_total"]]
    assert unshipped
    assert all(o["date_shipped"] == "" for o in unshipped)
    shipped = [o for o in orders if o["status_id"] == 2]
    assert all(o["date_shipped"] for o in shipped)


async def test_pages_walk_everything_then_204_or_empty_200(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    orders = await all_orders(client, base)
    assert [o["id"] for o in orders] == list(store.sales.orders)
    past = await client.get(f"{base}/orders", params={"page": 99})
    assert (past.status_code, past.content) == (204, b"")
    store.v2_empty_as_200 = True
    past = await client.get(f"{base}/orders", params={"page": 99})
    assert (past.status_code, past.json()) == (200, [])


async def test_limit_above_250_is_413(client: httpx.AsyncClient, base: str) -> None:
    response = await client.get(f"{base}/orders", params={"limit": 251})
    assert response.status_code == 413
    assert response.json()[0]["status"] == 413


@pytest.mark.parametrize(("field", "direction"), [("date_modified", "asc"), ("id", "desc")])
async def test_sort(client: httpx.AsyncClient, base: str, field: str, direction: str) -> None:
    orders = await all_orders(client, base, sort=f"{field}:{direction}")
    values = dates(orders, field) if field.startswith("date") else [o[field] for o in orders]
    assert values == sorted(values, reverse=direction == "desc")


async def test_unknown_sort_is_400(client: httpx.AsyncClient, base: str) -> None:
    response = await client.get(f"{base}/orders", params={"sort": "total:asc"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "render",
    [
        rfc2822,
        lambda moment: moment.astimezone(UTC).isoformat(),  # `+00:00`, sent as %2B by httpx
        lambda moment: moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
    ],
    ids=["rfc2822", "iso8601-offset", "iso8601-z", "iso8601-millis"],
)
async def test_date_modified_filters_in_both_formats(
    client: httpx.AsyncClient, base: str, store: StoreState, render: Any
) -> None:
    moments = sorted(o.date_modified for o in store.sales.orders.values())
    low, high = moments[10], moments[30]
    params = {"min_date_modified": render(low), "max_date_modified": render(high)}
    orders = await all_orders(client, base, sort="date_modified:asc", **params)
    expected = [o.id for o in store.sales.orders_sorted_by("date_modified").records]
    inside = [
        oid
        for oid in expected
        if low.replace(microsecond=0)
        <= store.sales.orders[oid].date_modified
        <= high.replace(microsecond=0)
    ]
    assert [o["id"] for o in orders] == inside
    assert len(inside) >= 19  # both bounds are inclusive


async def test_an_unencoded_plus_in_an_iso_date_is_refused(
    client: httpx.AsyncClient, base: str, store_hash: str
) -> None:
    # what a client that forgets to encode `+` as %2B sends: the `+` becomes a space
    url = f"{base}/orders?min_date_modified=2025-01-01T00:00:00+00:00"
    response = await client.get(url)
    assert response.status_code == 400
    assert "%2B" in response.json()[0]["message"]


async def test_filters_by_id_status_customer_and_created(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    orders = list(store.sales.orders.values())
    some = orders[5]
    by_id = await all_orders(client, base, min_id=orders[3].id, max_id=orders[8].id)
    assert [o["id"] for o in by_id] == [o.id for o in orders[3:9]]
    by_status = await all_orders(client, base, status_id=some.status_id)
    assert {o["status_id"] for o in by_status} == {some.status_id}
    assert len(by_status) == sum(o.status_id == some.status_id for o in orders)
    buyer = next(o.customer_id for o in orders if o.customer_id)
    by_customer = await all_orders(client, base, customer_id=buyer)
    assert by_customer
    assert {o["customer_id"] for o in by_customer} == {buyer}
    since = orders[20].date_created
    created = await all_orders(client, base, min_date_created=rfc2822(since))
    assert [o["id"] for o in created] == [o.id for o in orders[20:]]


async def test_count_has_the_status_breakdown_and_takes_filters(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(f"{base}/orders/count")
    assert_matches_spec(response)
    body = response.json()
    assert body["count"] == len(store.sales.orders)
    assert len(body["statuses"]) == 15
    assert sum(s["count"] for s in body["statuses"]) == body["count"]
    middle = list(store.sales.orders)[20]
    filtered = (await client.get(f"{base}/orders/count", params={"min_id": middle})).json()
    assert filtered["count"] == sum(1 for oid in store.sales.orders if oid >= middle)


async def test_single_order_and_404(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order_id = next(iter(store.sales.orders))
    response = await client.get(f"{base}/orders/{order_id}")
    assert_matches_spec(response)
    assert response.json()["id"] == order_id
    missing = await client.get(f"{base}/orders/999999")
    assert missing.status_code == 404
    assert missing.json() == [{"status": 404, "message": "The requested resource was not found."}]


async def test_consignments_include_carries_line_items_per_shipping_address(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    params = {"include": "consignments.line_items", "consignment_structure": "object"}
    response = await client.get(f"{base}/orders", params={**params, "limit": 250})
    body = response.json()
    # The spec types `consignments` and `line_items` as oneOf over open schemas; the
    # validator does not look inside them, so the shapes are checked here and the line
    # items against the (strictly validated) /products answer in the next test.
    assert_matches_spec(response)
    by_id = store.sales.orders
    for order in body:
        consignments = order["consignments"]
        assert set(consignments) == {"pickups", "shipping", "downloads", "email"}
        record = by_id[order["id"]]
        assert [c["id"] for c in consignments["shipping"]] == [
            a.id for a in record.shipping_addresses
        ]
        lines = [line for c in consignments["shipping"] for line in c["line_items"]]
        assert sorted(line["id"] for line in lines) == sorted(p.id for p in record.products)
        for shipping in consignments["shipping"]:
            lines_here = shipping["line_items"]
            assert all(line["order_address_id"] == shipping["id"] for line in lines_here)
            assert shipping["items_total"] == sum(line["quantity"] for line in lines_here)
            assert isinstance(shipping["cost_inc_tax"], int | float)  # numbers, not strings
            assert shipping["shipping_quotes"]["resource"].endswith("/shipping_quotes")
    several = [o for o in body if len(o["consignments"]["shipping"]) > 1]
    assert several, "the generator gives some orders several shipping addresses"


async def test_consignment_line_items_are_order_products(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order_id = next(iter(store.sales.orders))
    params = {"include": "consignments.line_items", "consignment_structure": "object"}
    single = (await client.get(f"{base}/orders/{order_id}", params=params)).json()
    products = (await client.get(f"{base}/orders/{order_id}/products")).json()
    lines = [line for c in single["consignments"]["shipping"] for line in c["line_items"]]
    assert sorted(lines, key=lambda line: line["id"]) == products
    links = (
        await client.get(
            f"{base}/orders/{order_id}",
            params={"include": "consignments", "consignment_structure": "object"},
        )
    ).json()
    link = links["consignments"]["shipping"][0]["line_items"][0]
    assert link["resource"] == f"/orders/{order_id}/products/{products[0]['id']}"
    legacy = await client.get(f"{base}/orders/{order_id}", params={"include": "consignments"})
    assert legacy.json()["consignments"]["resource"] == f"/orders/{order_id}/consignments"
    own = await client.get(f"{base}/orders/{order_id}/consignments")
    assert_matches_spec(own)  # line items as links: only products_Resource[] matches
    assert own.json()["shipping"] == links["consignments"]["shipping"]


async def test_order_products_and_shipping_addresses_match_spec(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if len(o.shipping_addresses) > 1)
    products = await client.get(f"{base}/orders/{order.id}/products")
    assert_matches_spec(products)
    assert [p["id"] for p in products.json()] == [p.id for p in order.products]
    line = order.products[0]
    item = store.catalog.variants[line.variant_id]
    assert (products.json()[0]["sku"], products.json()[0]["variant_id"]) == (item.sku, item.id)
    one = await client.get(f"{base}/orders/{order.id}/products/{line.id}")
    assert_matches_spec(one)
    addresses = await client.get(f"{base}/orders/{order.id}/shipping_addresses")
    assert_matches_spec(addresses)
    assert len(addresses.json()) == 2
    totals = sum(a["items_total"] for a in addresses.json())
    assert totals == sum(p.quantity for p in order.products)
    address_id = order.shipping_addresses[1].id
    single = await client.get(f"{base}/orders/{order.id}/shipping_addresses/{address_id}")
    assert_matches_spec(single)
    quotes = await client.get(
        f"{base}/orders/{order.id}/shipping_addresses/{address_id}/shipping_quotes"
    )
    assert quotes.status_code == 204


async def test_editing_a_shipping_address_moves_date_modified(
    client: httpx.AsyncClient, base: str, store: StoreState, sandbox: Sandbox, events: Events
) -> None:
    order = next(iter(store.sales.orders.values()))
    address_id = order.shipping_addresses[0].id
    sandbox.clock.freeze()
    sandbox.clock.advance(timedelta(minutes=5))
    response = await client.put(
        f"{base}/orders/{order.id}/shipping_addresses/{address_id}",
        json={"street_1": "1 New Street", "shipping_method": "Omniva"},
    )
    assert_matches_spec(response)
    assert response.json()["street_1"] == "1 New Street"
    assert order.date_modified == sandbox.now().replace(microsecond=0)
    assert events == [("store/order/updated", {"type": "order", "id": order.id})]
    refused = await client.put(
        f"{base}/orders/{order.id}/shipping_addresses/{address_id}", json={"items_total": 3}
    )
    assert refused.status_code == 400


async def test_create_order_with_catalog_and_custom_products(
    client: httpx.AsyncClient, base: str, store: StoreState, events: Events
) -> None:
    item = store.catalog.sellable_items()[0]
    address = ORDER_ADDRESS
    body = {
        "customer_id": 0,
        "billing_address": address,
        "shipping_addresses": [address],
        "products": [
            {"product_id": item.product_id, "variant_id": item.variant_id, "quantity": 2},
            {"name": "Gift wrap", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 4},
        ],
    }
    response = await client.post(f"{base}/orders", json=body)
    assert response.status_code == 200
    assert_matches_spec(response)
    order = response.json()
    assert order["status_id"] == 1
    assert order["items_total"] == 3
    assert events == [("store/order/created", {"type": "order", "id": order["id"]})]
    lines = (await client.get(f"{base}/orders/{order['id']}/products")).json()
    assert (lines[0]["sku"], lines[0]["name"]) == (item.sku, item.name)
    assert lines[0]["price_ex_tax"] == f"{item.price:.2f}00"
    assert lines[1]["product_id"] == 0
    missing = await client.post(f"{base}/orders", json={"products": body["products"]})
    assert missing.status_code == 400
    unknown = await client.post(
        f"{base}/orders", json={**body, "products": [{"product_id": 999999, "quantity": 1}]}
    )
    assert unknown.status_code == 400


async def test_status_change_moves_date_modified_and_announces_it(
    client: httpx.AsyncClient, base: str, store: StoreState, sandbox: Sandbox, events: Events
) -> None:
    order = next(o for o in store.sales.orders.values() if o.status_id == 11)
    before = order.date_modified
    sandbox.clock.advance(timedelta(hours=1))
    response = await client.put(f"{base}/orders/{order.id}", json={"status_id": 2})
    assert_matches_spec(response)
    body = response.json()
    assert (body["status_id"], body["status"]) == (2, "Shipped")
    assert parsedate_to_datetime(body["date_modified"]) > before
    assert events == [
        (
            "store/order/statusUpdated",
            {
                "type": "order",
                "id": order.id,
                "status": {"previous_status_id": 11, "new_status_id": 2},
            },
        ),
        ("store/order/updated", {"type": "order", "id": order.id}),
    ]
    newest = await client.get(f"{base}/orders", params={"sort": "date_modified:desc", "limit": 1})
    assert newest.json()[0]["id"] == order.id


async def test_incomplete_orders_are_listed_and_become_real_orders(
    client: httpx.AsyncClient, base: str, store: StoreState, events: Events
) -> None:
    incomplete = await all_orders(client, base, status_id=0)
    if not incomplete:  # the small test store may not have drawn one: make one
        order = next(iter(store.sales.orders.values()))
        order.status_id = 0
        incomplete = await all_orders(client, base, status_id=0)
    order_id = incomplete[0]["id"]
    response = await client.put(f"{base}/orders/{order_id}", json={"status_id": 11})
    assert response.json()["status_id"] == 11
    assert events[0][1]["status"] == {"previous_status_id": 0, "new_status_id": 11}
    left = await all_orders(client, base, status_id=0)
    assert order_id not in {o["id"] for o in left}


async def test_archiving_keeps_the_order_listed_with_is_deleted(
    client: httpx.AsyncClient, base: str, store: StoreState, events: Events
) -> None:
    first, second = list(store.sales.orders)[:2]
    response = await client.delete(f"{base}/orders/{first}")
    assert (response.status_code, response.content) == (204, b"")
    assert_matches_spec(response)
    put = await client.put(f"{base}/orders/{second}", json={"is_deleted": True})
    assert put.json()["is_deleted"] is True
    listed = {o["id"]: o for o in await all_orders(client, base)}
    assert listed[first]["is_deleted"] is True
    assert listed[second]["is_deleted"] is True
    assert [scope for scope, _ in events] == ["store/order/archived", "store/order/archived"]


async def test_read_only_fields_are_refused(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order_id = next(iter(store.sales.orders))
    response = await client.put(f"{base}/orders/{order_id}", json={"date_modified": "x"})
    assert response.status_code == 400
    assert "cannot be written to" in response.json()[0]["message"]


async def test_line_item_edits_add_change_and_remove(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order = next(o for o in store.sales.orders.values() if o.items_shipped == 0)
    line = order.products[0]
    body = {
        "products": [
            {"id": line.id, "quantity": 0},
            {"name": "Extra", "quantity": 2, "price_ex_tax": 3, "price_inc_tax": 3},
        ]
    }
    response = await client.put(f"{base}/orders/{order.id}", json=body)
    assert response.status_code == 200
    lines = (await client.get(f"{base}/orders/{order.id}/products")).json()
    assert line.id not in {p["id"] for p in lines}
    assert lines[-1]["name"] == "Extra"


async def test_order_statuses(client: httpx.AsyncClient, base: str) -> None:
    response = await client.get(f"{base}/order_statuses")
    assert_matches_spec(response)
    statuses = response.json()
    assert [s["id"] for s in statuses] == list(range(15))
    assert statuses[0]["name"] == "Incomplete"
    single = await client.get(f"{base}/order_statuses/11")
    assert_matches_spec(single)
    assert single.json()["name"] == "Awaiting Fulfillment"


async def test_coupons_list_is_empty(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    response = await client.get(f"{base}/orders/{next(iter(store.sales.orders))}/coupons")
    assert response.status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"status_id": "soon"},
        {"status_id": 99},
        {"customer_id": [1]},
        {"products": [{"id": "x", "quantity": 1}]},
        {"products": "all"},
    ],
)
async def test_malformed_updates_are_400(
    client: httpx.AsyncClient, base: str, store: StoreState, body: dict[str, Any]
) -> None:
    order_id = next(iter(store.sales.orders))
    response = await client.put(f"{base}/orders/{order_id}", json=body)
    assert response.status_code == 400
    assert response.json()[0]["status"] == 400


async def test_a_body_that_is_not_json_is_400(
    client: httpx.AsyncClient, base: str, store: StoreState
) -> None:
    order_id = next(iter(store.sales.orders))
    response = await client.put(f"{base}/orders/{order_id}", content=b"{not json")
    assert response.status_code == 400


SCOPE_CASES = [
    ("read-only", "GET", "/v2/orders", 200),
    ("read-only", "PUT", "/v2/orders/100", 403),
    ("catalog-only", "GET", "/v2/orders", 403),
    ("catalog-only", "GET", "/v3/customers", 403),
    ("catalog-only", "GET", "/v2/shipping/zones", 403),
    ("read-only", "GET", "/v2/shipping/zones", 200),
]


@pytest.mark.parametrize("case", SCOPE_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in SCOPE_CASES])
async def test_sales_paths_need_their_scopes(
    app: Any, store_hash: str, tokens: dict[str, str], case: tuple[str, str, str, int]
) -> None:
    token, method, path, status = case
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Auth-Token": tokens[token]}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as other:
        url = f"/stores/{store_hash}{path}"
        response = await other.request(method, url, headers=headers, json={"staff_notes": "x"})
    assert response.status_code == status
