"""`/v3/customers` (offset and cursor pagination, filters, batch writes) and
`/v2/customer_groups` (specs: customers.v3.yml, customers.v2.yml)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.dates import iso8601_z
from tests.sandbox.schema import assert_matches_spec

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def url(store_hash: str) -> str:
    return f"/stores/{store_hash}/v3/customers"


async def walk_forward(
    client: httpx.AsyncClient, url: str, **params: Any
) -> tuple[list[int], dict[str, Any], list[int]]:
    """Every customer id through `after` cursors; also the last page's meta and ids."""
    first = (await client.get(url, params={**params, "limit": 3})).json()
    batch = [c["id"] for c in first["data"]]
    ids, meta = list(batch), first["meta"]["cursor_pagination"]
    while "next" in meta["links"]:
        response = await client.get(url, params={**params, "limit": 3, "after": meta["end_cursor"]})
        assert_matches_spec(response)
        assert set(response.json()["meta"]) == {"cursor_pagination"}
        meta = response.json()["meta"]["cursor_pagination"]
        batch = [c["id"] for c in response.json()["data"]]
        ids += batch
    return ids, meta, batch


async def walk_backward(
    client: httpx.AsyncClient, url: str, meta: dict[str, Any], **params: Any
) -> list[int]:
    """The ids before the page `meta` describes, through `before` cursors."""
    ids: list[int] = []
    while "previous" in meta["links"]:
        response = await client.get(
            url, params={**params, "limit": 3, "before": meta["start_cursor"]}
        )
        assert_matches_spec(response)
        meta = response.json()["meta"]["cursor_pagination"]
        ids = [c["id"] for c in response.json()["data"]] + ids
    return ids


async def test_first_page_has_both_paginations(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    response = await client.get(url, params={"limit": 5})
    assert_matches_spec(response)
    meta = response.json()["meta"]
    assert set(meta) == {"pagination", "cursor_pagination"}
    assert meta["pagination"]["total"] == len(store.sales.customers)
    cursor = meta["cursor_pagination"]
    assert (cursor["count"], cursor["per_page"]) == (5, 5)
    assert "next" in cursor["links"]
    assert "previous" not in cursor["links"]
    second = await client.get(url, params={"limit": 5, "page": 2})
    assert_matches_spec(second)
    assert set(second.json()["meta"]) == {"pagination"}


async def test_cursor_walk_visits_every_customer_once(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    ids, _, _ = await walk_forward(client, url)
    assert ids == sorted(store.sales.customers)


async def test_backward_walk_visits_every_customer_once(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    _, last_meta, last_page = await walk_forward(client, url)
    ids = await walk_backward(client, url, last_meta)
    assert ids + last_page == sorted(store.sales.customers)


async def test_cursor_walk_in_date_modified_desc_order(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    ids, last_meta, last_page = await walk_forward(client, url, sort="date_modified:desc")
    back = await walk_backward(client, url, last_meta, sort="date_modified:desc")
    assert back + last_page == ids
    expected = sorted(
        store.sales.customers.values(), key=lambda c: (c.date_modified, c.id), reverse=True
    )
    assert ids == [c.id for c in expected]


async def test_cursors_survive_inserts_and_deletes(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    first = (await client.get(url, params={"limit": 4})).json()
    end = first["meta"]["cursor_pagination"]["end_cursor"]
    last_seen = first["data"][-1]["id"]
    await client.delete(url, params={"id:in": str(last_seen)})
    new = {"email": "late@example.com", "first_name": "Late", "last_name": "Comer"}
    created = (await client.post(url, json=[new])).json()["data"][0]["id"]
    rest: list[int] = []
    cursor: str | None = end
    while cursor:
        page = (await client.get(url, params={"limit": 4, "after": cursor})).json()
        rest += [c["id"] for c in page["data"]]
        meta = page["meta"]["cursor_pagination"]
        cursor = meta["end_cursor"] if "next" in meta["links"] else None
    assert rest == sorted(i for i in store.sales.customers if i > last_seen)
    assert rest[-1] == created


async def test_bad_cursor_is_422(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url, params={"after": "not-a-cursor"})
    assert response.status_code == 422
    assert_matches_spec(response)


@pytest.mark.parametrize("render", [iso8601_z, lambda m: m.strftime("%Y-%m-%dT%H:%M:%S")])
async def test_date_modified_min_filter(
    client: httpx.AsyncClient, url: str, store: StoreState, render: Any
) -> None:
    moments = sorted(c.date_modified for c in store.sales.customers.values())
    since = moments[len(moments) // 2]
    response = await client.get(
        url,
        params={"date_modified:min": render(since.astimezone(UTC)), "sort": "date_modified:asc"},
    )
    assert_matches_spec(response)
    got = [c["id"] for c in response.json()["data"]]
    expected = [
        c.id
        for c in sorted(store.sales.customers.values(), key=lambda c: (c.date_modified, c.id))
        if c.date_modified >= since
    ]
    assert got == expected


async def test_id_and_email_filters_and_addresses_include(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    picked = list(store.sales.customers.values())[2:5]
    ids = ",".join(str(c.id) for c in picked)
    response = await client.get(url, params={"id:in": ids, "include": "addresses,storecredit"})
    assert_matches_spec(response)
    data = response.json()["data"]
    assert [c["id"] for c in data] == [c.id for c in picked]
    assert all(len(c["addresses"]) == c["address_count"] >= 1 for c in data)
    assert all("store_credit_amounts" in c for c in data)
    by_email = await client.get(url, params={"email:in": picked[0].email.upper()})
    assert [c["id"] for c in by_email.json()["data"]] == [picked[0].id]
    plain = (await client.get(url, params={"limit": 1})).json()["data"][0]
    assert "addresses" not in plain


async def test_sort_by_last_name(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url, params={"sort": "last_name:asc", "limit": 250})
    names = [c["last_name"].lower() for c in response.json()["data"]]
    assert names == sorted(names)
    bad = await client.get(url, params={"sort": "email:asc"})
    assert bad.status_code == 422


async def test_create_update_delete(
    client: httpx.AsyncClient, url: str, store: StoreState, sandbox: Sandbox, events: Events
) -> None:
    body = [
        {
            "email": "jane.smith@example.com",
            "first_name": "Jane",
            "last_name": "Smith",
            "addresses": [
                {
                    "first_name": "Jane",
                    "last_name": "Smith",
                    "address1": "Addr 1",
                    "city": "Austin",
                    "country_code": "US",
                    "state_or_province": "Texas",
                    "postal_code": "78701",
                }
            ],
        }
    ]
    created = await client.post(url, json=body)
    assert created.status_code == 200
    assert_matches_spec(created)
    customer = created.json()["data"][0]
    assert customer["addresses"][0]["customer_id"] == customer["id"]
    sandbox.clock.advance(timedelta(minutes=1))
    updated = await client.put(url, json=[{"id": customer["id"], "company": "Acme"}])
    assert_matches_spec(updated)
    assert updated.json()["data"][0]["company"] == "Acme"
    assert updated.json()["data"][0]["date_modified"] > customer["date_modified"]
    deleted = await client.delete(url, params={"id:in": str(customer["id"])})
    assert deleted.status_code == 204
    assert_matches_spec(deleted)
    assert customer["id"] not in store.sales.customers
    assert [scope for scope, _ in events] == [
        "store/customer/created",
        "store/customer/updated",
        "store/customer/deleted",
    ]


async def test_delete_without_filter_deletes_nothing(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    before = len(store.sales.customers)
    response = await client.delete(url)
    assert response.status_code == 204
    assert len(store.sales.customers) == before


async def test_batch_above_ten_is_413(client: httpx.AsyncClient, url: str) -> None:
    body = [{"email": f"c{i}@example.com", "first_name": "A", "last_name": "B"} for i in range(11)]
    response = await client.post(url, json=body)
    assert response.status_code == 413
    assert "maximum number of items" in response.json()["title"]


async def test_duplicate_email_and_missing_fields_are_422(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    taken = next(iter(store.sales.customers.values())).email
    duplicate = await client.post(
        url, json=[{"email": taken.upper(), "first_name": "A", "last_name": "B"}]
    )
    assert duplicate.status_code == 422
    assert_matches_spec(duplicate)
    twice = [{"email": "same@example.com", "first_name": "A", "last_name": "B"}] * 2
    assert (await client.post(url, json=twice)).status_code == 422
    missing = await client.post(url, json=[{"email": "x@example.com"}])
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"0.first_name", "0.last_name"}
    unknown = await client.put(url, json=[{"id": 999999, "company": "X"}])
    assert unknown.status_code == 422


def without_discount_rules(body: Any) -> Any:
    """customers.v2.yml declares `discount_rules` as oneOf four array schemas whose items
    have no required fields and are not closed, so every array (`[]` included) matches all
    four and oneOf can never pass; the rest of each group is validated without it."""
    if isinstance(body, list):
        return [without_discount_rules(item) for item in body]
    return {k: v for k, v in body.items() if k != "discount_rules"}


async def test_customer_groups(client: httpx.AsyncClient, store_hash: str) -> None:
    base = f"/stores/{store_hash}/v2/customer_groups"
    groups = await client.get(base)
    assert_matches_spec(groups, body=without_discount_rules(groups.json()))
    assert [g["name"] for g in groups.json()] == ["Retail", "Wholesale", "VIP", "Staff"]
    assert all(g["discount_rules"] == [] for g in groups.json())
    count = await client.get(f"{base}/count")
    assert_matches_spec(count)
    assert count.json() == {"count": 4}
    single = await client.get(f"{base}/2")
    assert_matches_spec(single, body=without_discount_rules(single.json()))
    assert single.json()["date_created"].endswith("+0000")
    created = await client.post(base, json={"name": "Partners"})
    assert_matches_spec(created, body=without_discount_rules(created.json()))
    assert (await client.get(f"{base}/count")).json() == {"count": 5}
    assert (await client.get(f"{base}/99")).status_code == 404


async def test_customers_belong_to_groups_and_orders_to_customers(store: StoreState) -> None:
    groups = {c.customer_group_id for c in store.sales.customers.values()}
    assert groups <= {0, *store.sales.customer_groups}
    buyers = {o.customer_id for o in store.sales.orders.values()}
    assert 0 in buyers  # guest orders
    assert buyers - {0} <= set(store.sales.customers)


@pytest.mark.parametrize(
    ("field", "value"),
    [("customer_group_id", "gold"), ("channel_ids", []), ("email", 7), ("notes", None)],
)
async def test_fields_of_the_wrong_type_are_422(
    client: httpx.AsyncClient, url: str, field: str, value: Any
) -> None:
    body = [{"email": "typed@example.com", "first_name": "A", "last_name": "B", field: value}]
    response = await client.post(url, json=body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [f"0.{field}"]


async def test_offset_pages_in_descending_order(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    ids: list[int] = []
    for page in (1, 2, 3):
        response = await client.get(
            url, params={"sort": "date_created:desc", "limit": 7, "page": page}
        )
        ids += [c["id"] for c in response.json()["data"]]
    expected = sorted(
        store.sales.customers.values(), key=lambda c: (c.date_created, c.id), reverse=True
    )
    assert ids == [c.id for c in expected][:21]


async def test_v2_customers_crawl_page_by_page_until_204(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    v2 = f"/stores/{store.hash}/v2/customers"
    ids: list[int] = []
    page = 1
    while True:
        response = await client.get(v2, params={"limit": 7, "page": page})
        if response.status_code == 204:
            break
        assert response.status_code == 200
        batch = response.json()
        assert 0 < len(batch) <= 7
        ids += [c["id"] for c in batch]
        page += 1
    assert ids == sorted(store.sales.customers)
    assert page == -(-len(ids) // 7) + 1
    count = await client.get(f"{v2}/count")
    assert count.json() == {"count": len(store.sales.customers)}


async def test_v2_and_v3_are_two_views_of_one_customer(
    client: httpx.AsyncClient, url: str, store: StoreState
) -> None:
    customer = next(c for c in store.sales.customers.values() if c.addresses)
    v2 = f"/stores/{store.hash}/v2/customers/{customer.id}"
    updated = await client.put(url, json=[{"id": customer.id, "company": "Acme"}])
    assert updated.status_code == 200
    seen = (await client.get(v2)).json()
    assert (seen["id"], seen["email"], seen["company"]) == (customer.id, customer.email, "Acme")
    assert seen["addresses"]["resource"] == f"/customers/{customer.id}/addresses"
    addresses = (await client.get(f"{v2}/addresses")).json()
    assert [a["id"] for a in addresses] == [a.id for a in customer.addresses]
    first = customer.addresses[0]
    one = (await client.get(f"{v2}/addresses/{first.id}")).json()
    assert (one["street_1"], one["zip"], one["country_iso2"]) == (
        first.address1,
        first.postal_code,
        first.country_code,
    )
    count = (await client.get(f"{v2}/addresses/count")).json()
    assert count == {"count": len(customer.addresses)}
    assert (await client.get(f"{v2}/addresses/999999")).status_code == 404
    deleted = await client.delete(url, params={"id:in": str(customer.id)})
    assert deleted.status_code == 204
    assert (await client.get(v2)).status_code == 404
