"""The `/_sandbox/` control API: stores, accounts, settings, seed, reset, clock, mutate, stats."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.backend import Sandbox, StoreState
from bigsync.sandbox.builder import CATALOG_ONLY, FULL_SCOPES, READ_ONLY
from bigsync.sandbox.gateway import mount_store_routes
from bigsync.sandbox.responses import v2_list

TOKEN = re.compile(r"^[a-z0-9]{31}$")


async def test_stores_list_accounts_with_tokens_and_scopes(client: httpx.AsyncClient) -> None:
    body = (await client.get("/_sandbox/stores")).json()
    assert body["seed"] == 7
    assert len(body["stores"]) == 2
    for store in body["stores"]:
        assert re.fullmatch(r"[a-z0-9]{10}", store["hash"])
        assert store["plan"] == "unlimited"
        accounts = {a["name"]: a for a in store["accounts"]}
        assert set(accounts) == {"full", "read-only", "catalog-only"}
        assert set(accounts["full"]["scopes"]) == FULL_SCOPES
        assert set(accounts["read-only"]["scopes"]) == READ_ONLY
        assert set(accounts["catalog-only"]["scopes"]) == CATALOG_ONLY
        for account in accounts.values():
            assert TOKEN.match(account["access_token"])
            assert TOKEN.match(account["client_id"])
    tokens = [a["access_token"] for s in body["stores"] for a in s["accounts"]]
    assert len(set(tokens)) == len(tokens)


async def test_accounts_with_any_scope_set(client: httpx.AsyncClient, store_hash: str) -> None:
    created = await client.post(
        "/_sandbox/accounts",
        json={"store": store_hash, "name": "info", "scopes": "store_v2_information_read_only"},
    )
    assert created.status_code == 201
    account = created.json()
    assert account["scopes"] == ["store_v2_information_read_only"]
    headers = {"X-Auth-Token": account["access_token"]}
    assert (await client.get(f"/stores/{store_hash}/v2/time", headers=headers)).status_code == 200
    denied = await client.get(f"/stores/{store_hash}/v3/channels", headers=headers)
    assert denied.status_code == 403
    bad = await client.post("/_sandbox/accounts", json={"store": store_hash, "scopes": 3})
    assert bad.status_code == 400
    unknown = await client.post("/_sandbox/accounts", json={"store": "nope", "scopes": []})
    assert unknown.status_code == 404


async def test_v2_empty_lists_switch_between_204_and_200(
    sandbox: Sandbox, store: StoreState
) -> None:
    async def empty(request: Request) -> Response:
        return v2_list(request, [])

    app = Starlette(routes=mount_store_routes([Route("/v2/orders", empty, methods=["GET"])]))
    app.state.sandbox = sandbox
    token = next(iter(store.accounts))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        url, headers = f"/stores/{store.hash}/v2/orders", {"X-Auth-Token": token}
        default = await client.get(url, headers=headers)
        assert default.status_code == 204
        assert default.content == b""
        store.v2_empty_as_200 = True
        switched = await client.get(url, headers=headers)
        assert (switched.status_code, switched.json()) == (200, [])


async def test_settings(client: httpx.AsyncClient, store: StoreState) -> None:
    response = await client.put(
        f"/_sandbox/stores/{store.hash}/settings", json={"v2_empty_as_200": True, "plan": "pro"}
    )
    assert response.status_code == 200
    assert (response.json()["plan"], response.json()["v2_empty_as_200"]) == ("pro", True)
    assert store.v2_empty_as_200
    assert store.rate.quota == 450
    bad = await client.put(f"/_sandbox/stores/{store.hash}/settings", json={"plan": "gold"})
    assert bad.status_code == 400
    missing = await client.put("/_sandbox/stores/nope/settings", json={})
    assert missing.status_code == 404


async def test_seed_and_reset(client: httpx.AsyncClient, store_hash: str) -> None:
    before = (await client.get("/_sandbox/stores")).json()
    await client.post("/_sandbox/accounts", json={"store": store_hash, "scopes": []})
    await client.post("/_sandbox/faults", json={"kind": "error"})
    reset = (await client.post("/_sandbox/reset")).json()
    assert reset == before
    assert (await client.get("/_sandbox/faults")).json() == {"faults": []}

    seeded = await client.post(
        "/_sandbox/seed", json={"seed": 11, "stores": 3, "products": 5, "plan": "pro"}
    )
    assert seeded.status_code == 200
    stores = seeded.json()["stores"]
    assert len(stores) == 3
    assert {s["plan"] for s in stores} == {"pro"}
    assert store_hash not in {s["hash"] for s in stores}
    gone = await client.get(f"/stores/{store_hash}/v2/time")
    assert gone.status_code == 404
    again = await client.post("/_sandbox/seed", json={"seed": 11, "stores": 3, "plan": "pro"})
    assert again.json() == seeded.json()
    bad = await client.post("/_sandbox/seed", json={"plan": "gold"})
    assert bad.status_code == 400
    assert (await client.post("/_sandbox/seed", content=b"{nope")).status_code == 400


async def test_clock(client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str) -> None:
    frozen = await client.post("/_sandbox/clock", json={"freeze": "2030-01-02T03:04:05Z"})
    assert frozen.json() == {"now": "2030-01-02T03:04:05+00:00", "frozen": True}
    advanced = await client.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert advanced.json()["now"] == "2030-01-02T04:04:05+00:00"
    time = await client.get(f"/stores/{store_hash}/v2/time")
    assert time.json()["time"] == int(datetime(2030, 1, 2, 4, 4, 5, tzinfo=UTC).timestamp())
    moved = await client.post("/_sandbox/clock", json={"set": "2031-05-06T00:00:00"})
    assert moved.json()["now"] == "2031-05-06T00:00:00+00:00"
    running = await client.post("/_sandbox/clock", json={"unfreeze": True})
    assert running.json()["frozen"] is False
    assert sandbox.now() >= datetime(2031, 5, 6, tzinfo=UTC)
    assert (await client.get("/_sandbox/clock")).json()["frozen"] is False
    assert (await client.post("/_sandbox/clock", json={"set": "soon"})).status_code == 400


async def test_mutate_dispatches_to_the_domain_registries(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    created = await client.post(
        "/_sandbox/mutate",
        json={"store": store_hash, "kind": "customer", "action": "create", "count": 2},
    )
    assert created.status_code == 200, created.text
    ids = created.json()["ids"]
    assert len(ids) == 2
    listed = await client.get(
        f"/stores/{store_hash}/v3/customers", params={"id:in": ",".join(map(str, ids))}
    )
    assert sorted(c["id"] for c in listed.json()["data"]) == sorted(ids)

    unknown = await client.post("/_sandbox/mutate", json={"store": store_hash, "kind": "unicorn"})
    assert unknown.status_code == 404
    assert "customer" in unknown.json()["error"]
    bad_action = await client.post(
        "/_sandbox/mutate", json={"store": store_hash, "kind": "customer", "action": "explode"}
    )
    assert bad_action.status_code == 400


async def test_stats_per_store_and_endpoint(client: httpx.AsyncClient, store_hash: str) -> None:
    await client.get(f"/stores/{store_hash}/v2/time")
    await client.get(f"/stores/{store_hash}/v3/channels/1")
    await client.get(f"/stores/{store_hash}/v3/channels/999")
    stats = (await client.get("/_sandbox/stats")).json()["stores"]
    mine = stats[store_hash]
    assert mine["requests"] == 3
    assert mine["statuses"] == {"200": 2, "404": 1}
    assert mine["endpoints"]["GET /v3/channels/{channel_id}"] == {
        "requests": 2,
        "throttled": 0,
        "statuses": {"200": 1, "404": 1},
    }
    assert all(s["requests"] == 0 for h, s in stats.items() if h != store_hash)
    cleared = (await client.delete("/_sandbox/stats")).json()["stores"][store_hash]
    assert cleared["requests"] == 0
