"""v2 customer writes: `POST /v2/customers`, `PUT|DELETE /v2/customers/{id}` write the same
customers as `/v3/customers`, with v2 errors and the `store/customer/*` events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from tests.sandbox.schema import assert_matches_spec

Events = list[tuple[str, dict[str, Any]]]
NEW = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


@pytest.fixture
def v2(store_hash: str) -> str:
    return f"/stores/{store_hash}/v2/customers"


async def test_create_is_seen_by_v2_and_v3_and_announced(
    client: httpx.AsyncClient, v2: str, store: StoreState, events: Events
) -> None:
    body = {
        **NEW,
        "phone": "555-0100",
        "store_credit": 20,
        "_authentication": {"force_reset": True},
    }
    created = await client.post(v2, json=body)
    assert created.status_code == 200
    assert_matches_spec(created)
    customer = created.json()
    assert (customer["email"], customer["phone"]) == ("grace@example.com", "555-0100")
    assert customer["store_credit"] == "20.0000"
    assert customer["reset_pass_on_login"] is True
    read = await client.get(f"{v2}/{customer['id']}")
    assert read.json() == customer
    v3 = await client.get(f"/stores/{store.hash}/v3/customers", params={"id:in": customer["id"]})
    assert v3.json()["data"][0]["email"] == "grace@example.com"
    assert events == [("store/customer/created", {"type": "customer", "id": customer["id"]})]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"first_name": "A", "last_name": "B"}, 400, "'email' was not supplied"),
        ({**NEW, "email": "not-an-email"}, 400, "'email' is invalid"),
        ({**NEW, "customer_group_id": "x"}, 400, "'customer_group_id' is invalid"),
        ({**NEW, "customer_group_id": 999999}, 400, "'customer_group_id' is invalid"),
        ({**NEW, "date_created": "today"}, 400, "'date_created' cannot be written"),
        ([NEW], 400, "must be a JSON object"),
    ],
)
async def test_bad_creates_are_v2_errors_and_create_nothing(
    *,
    client: httpx.AsyncClient,
    v2: str,
    store: StoreState,
    body: Any,
    status: int,
    fragment: str,
) -> None:
    before = len(store.sales.customers)
    response = await client.post(v2, json=body)
    assert response.status_code == status
    ((error),) = response.json()
    assert error["status"] == status
    assert fragment in error["message"]
    assert len(store.sales.customers) == before


async def test_a_used_email_is_409_on_create_and_update(
    client: httpx.AsyncClient, v2: str, store: StoreState
) -> None:
    first, second = list(store.sales.customers.values())[:2]
    taken = await client.post(v2, json={**NEW, "email": first.email.upper()})
    assert taken.status_code == 409
    assert taken.json()[0]["status"] == 409
    moved = await client.put(f"{v2}/{second.id}", json={"email": first.email})
    assert moved.status_code == 409
    same = await client.put(f"{v2}/{first.id}", json={"email": first.email, "id": first.id})
    assert same.status_code == 200  # its own email, and its own id, are fine


async def test_update_changes_only_the_given_fields(
    client: httpx.AsyncClient, v2: str, sandbox: Sandbox, store: StoreState, events: Events
) -> None:
    customer = next(iter(store.sales.customers.values()))
    before = customer.date_modified
    last_name = customer.last_name
    sandbox.clock.advance(timedelta(minutes=5))
    response = await client.put(f"{v2}/{customer.id}", json={"email": "new@example.com"})
    assert response.status_code == 200
    assert_matches_spec(response)
    assert (response.json()["email"], response.json()["last_name"]) == (
        "new@example.com",
        last_name,
    )
    assert customer.date_modified > before
    assert store.sales.customer_ids_by_email["new@example.com"] == customer.id
    assert events == [("store/customer/updated", {"type": "customer", "id": customer.id})]
    missing = await client.put(f"{v2}/999999", json={"notes": "x"})
    assert missing.status_code == 404


async def test_delete_one_then_404_and_the_collection_delete_is_not_served(
    client: httpx.AsyncClient, v2: str, store: StoreState, events: Events
) -> None:
    customer_id = next(iter(store.sales.customers))
    assert (await client.delete(f"{v2}/{customer_id}")).status_code == 204
    assert customer_id not in store.sales.customers
    assert (await client.get(f"{v2}/{customer_id}")).status_code == 404
    assert (await client.delete(f"{v2}/{customer_id}")).status_code == 404
    assert events == [("store/customer/deleted", {"type": "customer", "id": customer_id})]
    everything = await client.delete(v2)
    assert everything.status_code == 405
    assert store.sales.customers


async def test_writes_need_the_customers_modify_scope(
    client: httpx.AsyncClient, v2: str, tokens: dict[str, str]
) -> None:
    response = await client.post(v2, json=NEW, headers={"X-Auth-Token": tokens["read-only"]})
    assert response.status_code == 403
