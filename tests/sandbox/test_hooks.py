"""`/v3/hooks` CRUD against webhooks.v3.yml: shapes, visibility per client id, limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bigsync.sandbox.backend import Sandbox, StoreState
from bigsync.sandbox.webhooks import is_strict_destination, scope_matches
from tests.sandbox.schema import assert_matches_spec, spec_errors

DEST = "https://app.example.com/webhooks"


def hooks_url(store_hash: str, hook_id: int | None = None) -> str:
    base = f"/stores/{store_hash}/v3/hooks"
    return base if hook_id is None else f"{base}/{hook_id}"


async def create(client: httpx.AsyncClient, store_hash: str, **body: Any) -> httpx.Response:
    return await client.post(hooks_url(store_hash), json=body)


async def test_create_get_update_delete_match_the_spec(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState, tokens: dict[str, str]
) -> None:
    sandbox.clock.freeze(sandbox.now().replace(microsecond=0))
    created = await create(
        client,
        store.hash,
        scope="store/order/created",
        destination=DEST,
        headers={"X-Custom-Auth": "not-a-secret"},
    )
    assert created.status_code == 200
    assert_matches_spec(created)
    hook = created.json()["data"]
    assert created.json()["meta"] == {}
    client_id = store.accounts[tokens["full"]].client_id
    now = int(sandbox.now().timestamp())
    assert hook == {
        "id": hook["id"],
        "client_id": client_id,
        "store_hash": store.hash,
        "scope": "store/order/created",
        "destination": DEST,
        "is_active": True,
        "headers": {"X-Custom-Auth": "not-a-secret"},
        "created_at": now,
        "updated_at": now,
    }

    got = await client.get(hooks_url(store.hash, hook["id"]))
    assert_matches_spec(got)
    assert got.json()["data"] == hook

    sandbox.clock.advance(timedelta(seconds=30))
    updated = await client.put(
        hooks_url(store.hash, hook["id"]), json={"is_active": False, "headers": None}
    )
    assert_matches_spec(updated)
    data = updated.json()["data"]
    assert (data["is_active"], data["headers"], data["scope"]) == (False, None, hook["scope"])
    assert (data["created_at"], data["updated_at"]) == (now, now + 30)

    deleted = await client.delete(hooks_url(store.hash, hook["id"]))
    assert deleted.status_code == 200
    assert_matches_spec(deleted)
    assert deleted.json()["data"] == data

    gone = await client.get(hooks_url(store.hash, hook["id"]))
    assert gone.status_code == 404
    assert_matches_spec(gone)
    assert gone.json() == {
        "status": 404,
        "title": f"Webhook with id [{hook['id']}] not found",
        "type": "/api-docs/getting-started/api-status-codes",
        "errors": {},
    }


@pytest.mark.parametrize("missing", ["scope", "destination"])
async def test_create_without_a_required_field_is_422(
    client: httpx.AsyncClient, store_hash: str, missing: str
) -> None:
    body = {"scope": "store/order/created", "destination": DEST}
    del body[missing]
    response = await client.post(hooks_url(store_hash), json=body)
    assert response.status_code == 422
    assert_matches_spec(response, validate_request=False)
    assert response.json() == {
        "status": 422,
        "title": "JSON data is missing or invalid",
        "type": "/api-docs/getting-started/api-status-codes",
        "errors": {missing: "error.path.missing."},
    }


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"scope": "orders", "destination": DEST}, 422, "scope"),
        ({"scope": "store/order/created", "destination": "ftp://x.example"}, 422, "destination"),
        ({"scope": "store/order/created", "destination": DEST, "is_active": "yes"}, 422, None),
        ({"scope": "store/order/created", "destination": DEST, "headers": {"a": 1}}, 422, None),
    ],
)
async def test_create_refuses_bad_values(
    client: httpx.AsyncClient, store_hash: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    response = await client.post(hooks_url(store_hash), json=body)
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]


async def test_malformed_json_is_400(client: httpx.AsyncClient, store_hash: str) -> None:
    response = await client.post(hooks_url(store_hash), content=b"{not json")
    assert response.status_code == 400
    assert response.json()["title"] == "Input is invalid."


async def test_update_needs_at_least_one_field(client: httpx.AsyncClient, store_hash: str) -> None:
    hook = (await create(client, store_hash, scope="store/order/*", destination=DEST)).json()
    response = await client.put(hooks_url(store_hash, hook["data"]["id"]), json={})
    assert response.status_code == 422
    missing = await client.put(hooks_url(store_hash, 999_999), json={"is_active": False})
    assert missing.status_code == 404
    assert missing.json()["title"] == "Webhook with id [999999] not found"


async def test_list_filters_and_paginates(client: httpx.AsyncClient, store_hash: str) -> None:
    for n in range(3):
        await create(client, store_hash, scope="store/order/created", destination=f"{DEST}/{n}")
    await create(client, store_hash, scope="store/product/*", destination=DEST, is_active=False)

    everything = await client.get(hooks_url(store_hash))
    assert_matches_spec(everything)
    assert everything.json()["meta"]["pagination"]["total"] == 4

    page = await client.get(hooks_url(store_hash), params={"limit": 2, "page": 2})
    assert_matches_spec(page)
    assert page.json()["meta"]["pagination"] | {"links": None} == {
        "total": 4,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 2,
        "links": None,
    }

    inactive = await client.get(hooks_url(store_hash), params={"is_active": "false"})
    assert [h["scope"] for h in inactive.json()["data"]] == ["store/product/*"]
    by_scope = await client.get(hooks_url(store_hash), params={"scope": "store/order/created"})
    assert len(by_scope.json()["data"]) == 3
    by_dest = await client.get(hooks_url(store_hash), params={"destination": f"{DEST}/1"})
    assert [h["destination"] for h in by_dest.json()["data"]] == [f"{DEST}/1"]


async def test_hooks_are_private_to_their_client_id(
    client: httpx.AsyncClient, store_hash: str, tokens: dict[str, str]
) -> None:
    mine = (await create(client, store_hash, scope="store/sku/*", destination=DEST)).json()
    other = {"X-Auth-Token": tokens["read-only"]}
    hook_id = mine["data"]["id"]

    listed = await client.get(hooks_url(store_hash), headers=other)
    assert listed.status_code == 200
    assert listed.json()["data"] == []
    # webhooks.v3.yml says `minItems: 1` for the list; the API answers an empty list
    # with `data: []` like every other v3 list, and so does the sandbox.
    assert spec_errors(listed) == ["InvalidData at data: [] should be non-empty"]
    for method in ("GET", "DELETE"):
        response = await client.request(method, hooks_url(store_hash, hook_id), headers=other)
        assert response.status_code == 404
    put = await client.put(hooks_url(store_hash, hook_id), json={"is_active": False}, headers=other)
    assert put.status_code == 404

    # the same scope and destination are free for another client id
    theirs = await create_with(client, store_hash, other, scope="store/sku/*", destination=DEST)
    assert theirs.status_code == 200
    assert (await client.get(hooks_url(store_hash, hook_id))).json()["data"]["is_active"]


async def create_with(
    client: httpx.AsyncClient, store_hash: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(hooks_url(store_hash), json=body, headers=headers)


async def test_read_only_token_may_manage_hooks(
    client: httpx.AsyncClient, store_hash: str, tokens: dict[str, str]
) -> None:
    """`/v3/hooks` needs no OAuth scope: any valid token of the store can subscribe."""
    headers = {"X-Auth-Token": tokens["catalog-only"]}
    response = await create_with(
        client, store_hash, headers, scope="store/customer/*", destination=DEST
    )
    assert response.status_code == 200
    unauthenticated = await client.get(hooks_url(store_hash), headers={"X-Auth-Token": "nope"})
    assert unauthenticated.status_code == 401


async def test_one_hook_per_scope_and_destination(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    first = await create(client, store_hash, scope="store/order/created", destination=DEST)
    assert first.status_code == 200
    again = await create(client, store_hash, scope="store/order/created", destination=DEST)
    assert again.status_code == 422
    assert_matches_spec(again)
    assert "destination" in again.json()["errors"]

    other = await create(client, store_hash, scope="store/order/updated", destination=DEST)
    moved = await client.put(
        hooks_url(store_hash, other.json()["data"]["id"]), json={"scope": "store/order/created"}
    )
    assert moved.status_code == 422


async def test_at_most_ten_hooks_per_scope(client: httpx.AsyncClient, store_hash: str) -> None:
    for n in range(10):
        response = await create(client, store_hash, scope="store/order/*", destination=f"{DEST}{n}")
        assert response.status_code == 200
    eleventh = await create(client, store_hash, scope="store/order/*", destination=f"{DEST}x")
    assert eleventh.status_code == 422
    assert "scope" in eleventh.json()["errors"]
    other_scope = await create(client, store_hash, scope="store/sku/*", destination=f"{DEST}x")
    assert other_scope.status_code == 200


async def test_strict_destinations_can_be_switched_per_store(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    local = "http://127.0.0.1:8123/hooks"
    assert (await create(client, store.hash, scope="store/order/*", destination=local)).is_success

    settings = await client.put(
        "/_sandbox/webhooks/settings", json={"store": store.hash, "strict_destinations": True}
    )
    assert settings.json() == {"store": store.hash, "strict_destinations": True}
    refused = await create(client, store.hash, scope="store/sku/*", destination=local)
    assert refused.status_code == 422
    assert "destination" in refused.json()["errors"]
    on_8443 = await create(client, store.hash, scope="store/sku/*", destination=DEST[:-9] + ":8443")
    assert on_8443.status_code == 422
    assert (await create(client, store.hash, scope="store/sku/*", destination=DEST)).is_success

    other = next(s for s in sandbox.stores.values() if s is not store)
    assert not sandbox.webhooks.is_strict(other)
    sandbox.webhooks.configure(strict_destinations=True)
    assert sandbox.webhooks.is_strict(other)
    store.hooks.strict_destinations = False
    assert not sandbox.webhooks.is_strict(store)


async def test_admin_lists_hooks_with_status_and_stores_emails(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    hook = (await create(client, store.hash, scope="store/order/*", destination=DEST)).json()
    store.hooks.deactivate(hook["data"]["id"], now=0)
    put = await client.put(
        f"/stores/{store.hash}/v3/hooks/admin", json={"emails": ["ops@example.com"]}
    )
    assert put.status_code == 204
    admin = await client.get(f"/stores/{store.hash}/v3/hooks/admin")
    assert admin.status_code == 200
    assert_matches_spec(admin)
    data = admin.json()["data"]
    assert data["emails"] == ["ops@example.com"]
    assert [(h["id"], h["status"]) for h in data["hooks_list"]] == [
        (hook["data"]["id"], "deactivated")
    ]
    assert data["blocked_domains"] == []


@pytest.mark.parametrize(
    ("pattern", "scope", "expected"),
    [
        ("store/order/created", "store/order/created", True),
        ("store/order/created", "store/order/updated", False),
        ("store/order/*", "store/order/statusUpdated", True),
        ("store/order/*", "store/order/refund/created", True),
        ("store/order/*", "store/orders/created", False),
        ("store/product/*", "store/product/inventory/updated", True),
        ("store/product/*", "store/sku/updated", False),
        ("store/cart/lineItem/*", "store/cart/created", False),
        (
            "store/channel/*/inventory/product/stock_changed",
            "store/channel/2/inventory/product/stock_changed",
            True,
        ),
        ("store/channel/*/inventory/product/stock_changed", "store/channel/2/x/y/z", False),
    ],
)
def test_scope_matching(pattern: str, scope: str, expected: bool) -> None:
    assert scope_matches(pattern, scope) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.example.com/hooks", True),
        ("https://app.example.com:443/hooks", True),
        ("https://app.example.com:8443/hooks", False),
        ("http://app.example.com/hooks", False),
        ("https://:443/x", False),
        ("https://app.example.com:99999/x", False),
    ],
)
def test_strict_destination_rule(url: str, expected: bool) -> None:
    assert is_strict_destination(url) is expected
