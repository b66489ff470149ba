"""Injected faults, seen by httpx both in process (ASGITransport) and over a real socket."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.backend import Sandbox, StoreState
from bigsync.sandbox.faults import ConnectionDropped, FaultBook, FaultSpec
from bigsync.sandbox.gateway import mount_store_routes
from bigsync.sandbox.responses import json_response


async def _add(client: httpx.AsyncClient, **spec: object) -> int:
    response = await client.post("/_sandbox/faults", json=spec)
    assert response.status_code == 201, response.text
    fault_id: int = response.json()["id"]
    return fault_id


async def test_error_fault_in_both_shapes_and_only_on_matching_paths(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    await _add(client, kind="error", path="/v2/*", status=503)
    v2 = await client.get(f"/stores/{store_hash}/v2/time")
    assert v2.status_code == 503
    assert v2.json() == [{"status": 503, "message": "Service Unavailable"}]
    assert "x-rate-limit-requests-left" in v2.headers
    untouched = await client.get(f"/stores/{store_hash}/v3/channels")
    assert untouched.status_code == 200

    await client.delete("/_sandbox/faults")
    await _add(client, kind="error", path=r"/v3/channels/\d+", regex=True)
    v3 = await client.get(f"/stores/{store_hash}/v3/channels/1")
    assert v3.status_code == 500
    assert v3.json()["title"] == "Internal server error."
    assert (await client.get(f"/stores/{store_hash}/v3/channels")).status_code == 200


async def test_error_rate_is_deterministic_for_a_seed(sandbox: Sandbox) -> None:
    def firings(seed: int) -> list[bool]:
        book = FaultBook(seed=seed)
        book.add(FaultSpec(kind="error", rate=0.3), now=sandbox.now())
        return [
            book.plan("h", "GET", "/v2/time", sandbox.now()).terminal is not None
            for _ in range(200)
        ]

    first = firings(3)
    assert first == firings(3)
    assert first != firings(4)
    assert 30 < sum(first) < 90  # about 30 % of 200


async def test_fault_limited_by_count_store_and_method(
    client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str
) -> None:
    other = next(h for h in sandbox.stores if h != store_hash)
    await _add(client, kind="error", store=store_hash, methods=["get"], count=2)
    statuses = [(await client.get(f"/stores/{store_hash}/v2/time")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    listed = (await client.get("/_sandbox/faults")).json()["faults"]
    assert listed[0]["fired"] == 2
    other_token = next(iter(sandbox.stores[other].accounts))
    response = await client.get(f"/stores/{other}/v2/time", headers={"X-Auth-Token": other_token})
    assert response.status_code == 200


async def test_fault_limited_by_duration_on_the_sandbox_clock(
    client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str
) -> None:
    sandbox.clock.freeze()
    await _add(client, kind="rate_limit", duration_s=10)
    assert (await client.get(f"/stores/{store_hash}/v2/time")).status_code == 429
    sandbox.clock.advance(timedelta(seconds=10))
    assert (await client.get(f"/stores/{store_hash}/v2/time")).status_code == 200


async def test_rate_limit_storm_with_and_without_headers(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    store.set_plan("pro")
    fault_id = await _add(client, kind="rate_limit", count=1)
    with_headers = await client.get(f"/stores/{store.hash}/v3/channels")
    assert with_headers.status_code == 429
    assert with_headers.json()["status"] == 429
    assert with_headers.headers["x-rate-limit-requests-left"] == "0"
    assert with_headers.headers["x-rate-limit-requests-quota"] == "450"
    assert int(with_headers.headers["x-retry-after"]) >= 1
    assert (await client.delete(f"/_sandbox/faults/{fault_id}")).status_code == 200

    await _add(client, kind="rate_limit", with_headers=False, count=1)
    bare = await client.get(f"/stores/{store.hash}/v3/channels")
    assert bare.status_code == 429
    assert not [h for h in bare.headers if h.startswith("x-rate-limit") or h == "x-retry-after"]
    after = await client.get(f"/stores/{store.hash}/v3/channels")
    assert after.status_code == 200


async def test_added_latency(client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str) -> None:
    await _add(client, kind="latency", latency_ms=60, path="/v2/time")
    started = time.perf_counter()
    assert (await client.get(f"/stores/{store_hash}/v2/time")).status_code == 200
    assert time.perf_counter() - started >= 0.06

    await client.delete("/_sandbox/faults")
    sandbox.latency_ms = 40
    started = time.perf_counter()
    await client.get(f"/stores/{store_hash}/v3/channels")
    assert time.perf_counter() - started >= 0.04


async def test_truncated_body_in_process(client: httpx.AsyncClient, store_hash: str) -> None:
    whole = await client.get(f"/stores/{store_hash}/v3/channels")
    await _add(client, kind="truncate")
    cut = await client.get(f"/stores/{store_hash}/v3/channels")
    assert cut.status_code == 200
    assert cut.content == whole.content[: len(whole.content) // 2]
    assert int(cut.headers["content-length"]) == len(cut.content)
    with pytest.raises(json.JSONDecodeError):
        cut.json()


async def test_dropped_connection_in_process(client: httpx.AsyncClient, store_hash: str) -> None:
    await _add(client, kind="drop", count=1)
    with pytest.raises(ConnectionDropped):
        await client.get(f"/stores/{store_hash}/v2/time")
    assert (await client.get(f"/stores/{store_hash}/v2/time")).status_code == 200
    stats = (await client.get("/_sandbox/stats")).json()["stores"][store_hash]
    assert stats["statuses"] == {"0": 1, "200": 1}


async def test_faults_over_a_real_socket(
    live_url: str, store_hash: str, tokens: dict[str, str]
) -> None:
    headers = {"X-Auth-Token": tokens["full"]}
    async with httpx.AsyncClient(base_url=live_url, headers=headers) as client:
        await _add(client, kind="drop", path="/v3/channels", count=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"/stores/{store_hash}/v3/channels")
        assert (await client.get(f"/stores/{store_hash}/v3/channels")).status_code == 200

        await _add(client, kind="truncate", path="/v2/time", count=1)
        cut = await client.get(f"/stores/{store_hash}/v2/time")
        assert cut.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            cut.json()

        await _add(client, kind="error", status=502, count=1)
        assert (await client.get(f"/stores/{store_hash}/v2/time")).status_code == 502
        await _add(client, kind="rate_limit", with_headers=False, count=1)
        bare = await client.get(f"/stores/{store_hash}/v2/time")
        assert bare.status_code == 429
        assert "x-rate-limit-requests-left" not in bare.headers


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "explode"},
        {"kind": "error", "rate": 2},
        {"kind": "error", "path": "(", "regex": True},
        {"kind": "error", "count": "many"},
    ],
)
async def test_bad_fault_specs_are_400(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post("/_sandbox/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


async def test_drop_after_or_before_the_handler_acts(sandbox: Sandbox, store: StoreState) -> None:
    calls: list[str] = []

    async def write(request: Request) -> Response:
        calls.append(request.method)
        return json_response({"ok": True})

    app = Starlette(routes=mount_store_routes([Route("/v3/things", write, methods=["POST"])]))
    app.state.sandbox = sandbox
    sandbox.faults.add(FaultSpec(kind="drop", count=1), now=sandbox.now())
    sandbox.faults.add(FaultSpec(kind="drop", count=1, run_handler=False), now=sandbox.now())
    headers = {"X-Auth-Token": next(iter(store.accounts))}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        url = f"/stores/{store.hash}/v3/things"
        with pytest.raises(ConnectionDropped):
            await client.post(url, headers=headers)
        assert calls == ["POST"]  # applied, answer lost
        with pytest.raises(ConnectionDropped):
            await client.post(url, headers=headers)
        assert calls == ["POST"]  # dropped before it acted
        assert (await client.post(url, headers=headers)).status_code == 200


def test_a_fault_seed_fixes_its_draws(sandbox: Sandbox) -> None:
    def firings(book_seed: int) -> list[bool]:
        book = FaultBook(seed=book_seed)
        book.add(FaultSpec(kind="error", rate=0.5, seed=99), now=sandbox.now())
        return [book.plan("h", "GET", "/x", sandbox.now()).terminal is not None for _ in range(50)]

    assert firings(1) == firings(2)
