"""Webhook delivery to a real HTTP receiver on 127.0.0.1: payload, headers, signatures,
retries on a compressed schedule, deactivation, and the control API that reports it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.backend import ApiAccount, Sandbox, StoreState
from bigsync.sandbox.server import SandboxServer
from bigsync.sandbox.webhooks import RETRY_DELAYS, parse_hook_body
from tests.sandbox.schema import require_specs


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """The receiver `app` served by uvicorn on a free 127.0.0.1 port, on the test's event loop
    (its handler shares asyncio objects with the test)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


PRODUCT_EVENT = {"type": "product", "id": 205}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] | None = None  # the sender's address: one per connection

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An app's webhook endpoint: records every POST, answers the queued statuses (then 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)
    delays: deque[float] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        self.received.append(
            Received(
                request.url.path,
                dict(request.headers),
                await request.body(),
                (request.client.host, request.client.port) if request.client else None,
            )
        )
        self.arrived.set()
        status = self.statuses.popleft() if self.statuses else 200
        if self.delays:
            await asyncio.sleep(self.delays.popleft())
        return Response(status_code=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{path:path}", receiver.handle, methods=["POST"])])
    async with serve(app) as url:
        receiver.url = url
        yield receiver


@pytest.fixture
async def settle(sandbox: Sandbox) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """`await settle()` waits (at most 5 s) until every delivery has finished."""
    sandbox.webhooks.configure(timescale=1e-6, timeout=2.0)

    async def wait() -> None:
        async with asyncio.timeout(5):
            await sandbox.webhooks.drain()

    yield wait
    await sandbox.webhooks.aclose()


async def subscribe(
    client: httpx.AsyncClient, store_hash: str, *, token: str | None = None, **body: Any
) -> dict[str, Any]:
    headers = {"X-Auth-Token": token} if token else None
    response = await client.post(f"/stores/{store_hash}/v3/hooks", json=body, headers=headers)
    assert response.status_code == 200, response.text
    hook: dict[str, Any] = response.json()["data"]
    return hook


def callback_schema(scope: str) -> dict[str, Any]:
    folder = require_specs()
    name = scope.replace("/", "_")
    document = yaml.safe_load((folder / "webhook-callbacks" / f"{name}.yml").read_text())
    schema: dict[str, Any] = document["properties"][scope]
    return schema


async def test_payload_fields_and_custom_headers(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    sandbox.clock.freeze(sandbox.now().replace(year=2031, microsecond=0))
    await subscribe(
        client,
        store.hash,
        scope="store/product/updated",
        destination=f"{receiver.url}/hooks/products",
        headers={"X-Custom-Auth": "let-me-in"},
    )
    sandbox.emit(store, "store/product/updated", dict(PRODUCT_EVENT))
    await settle()

    [delivery] = receiver.received
    assert delivery.path == "/hooks/products"
    assert delivery.headers["x-custom-auth"] == "let-me-in"
    assert delivery.headers["content-type"] == "application/json"
    assert "webhook-signature" not in delivery.headers  # a store-level account has no secret
    payload = delivery.json()
    encoded = json.dumps(PRODUCT_EVENT, sort_keys=True, separators=(",", ":")).encode()
    assert payload == {
        "scope": "store/product/updated",
        "store_id": str(store.store_id),
        "data": PRODUCT_EVENT,
        "hash": hashlib.sha1(encoded, usedforsecurity=False).hexdigest(),
        "created_at": int(sandbox.now().timestamp()),
        "producer": f"stores/{store.hash}",
    }
    jsonschema.validate(payload, callback_schema("store/product/updated"))


async def test_an_api_change_is_delivered_over_real_sockets(
    *,
    sandbox: Sandbox,
    store: StoreState,
    tokens: dict[str, str],
    live_url: str,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    headers = {"X-Auth-Token": tokens["full"]}
    async with httpx.AsyncClient(base_url=live_url, headers=headers) as api:
        await subscribe(api, store.hash, scope="store/product/*", destination=receiver.url)
        products = await api.get(f"/stores/{store.hash}/v3/catalog/products", params={"limit": 1})
        product_id = products.json()["data"][0]["id"]
        started = time.perf_counter()
        sandbox.webhooks.configure(timeout=10.0)
        receiver.delays.append(3.0)  # a slow receiver must not slow the API down
        updated = await api.put(
            f"/stores/{store.hash}/v3/catalog/products/{product_id}", json={"name": "Renamed"}
        )
        assert updated.status_code == 200
        assert time.perf_counter() - started < 2.0
        await settle()

    assert [r.json()["scope"] for r in receiver.received] == ["store/product/updated"]
    assert receiver.received[0].json()["data"] == {"type": "product", "id": product_id}


async def test_only_active_hooks_whose_scope_matches_hear_an_event(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    await subscribe(client, store.hash, scope="store/product/*", destination=f"{receiver.url}/a")
    await subscribe(client, store.hash, scope="store/order/*", destination=f"{receiver.url}/b")
    await subscribe(
        client,
        store.hash,
        scope="store/product/updated",
        destination=f"{receiver.url}/c",
        is_active=False,
    )
    other = next(s for s in sandbox.stores.values() if s is not store)

    sandbox.emit(store, "store/product/updated", dict(PRODUCT_EVENT))
    sandbox.emit(store, "store/sku/updated", {"type": "sku", "id": 1})
    sandbox.emit(other, "store/product/updated", dict(PRODUCT_EVENT))
    await settle()

    assert [r.path for r in receiver.received] == ["/a"]
    assert sandbox.webhooks.report()["stats"]["events"] == 1


async def test_failures_are_retried_with_the_same_body_until_success(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    hook = await subscribe(client, store.hash, scope="store/order/*", destination=receiver.url)
    receiver.statuses.extend([500, 404])
    receiver.delays.append(0.8)  # the first attempt times out
    sandbox.webhooks.configure(timeout=0.3)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 250})
    await settle()

    bodies = {r.body for r in receiver.received}
    assert len(receiver.received) == 3
    assert len(bodies) == 1  # the same bytes, hence the same hash, on every redelivery
    report = sandbox.webhooks.report(hook_id=hook["id"])
    assert report["stats"] | {"events": 0} == {
        "events": 0,
        "attempts": 3,
        "successes": 1,
        "failures": 2,
        "retries": 2,
        "deactivations": 0,
        "dropped": 0,
    }
    attempts = report["deliveries"][::-1]
    assert [a["outcome"] for a in attempts] == ["retrying", "retrying", "delivered"]
    assert attempts[0]["error"].startswith("ReadTimeout")
    assert [a["status"] for a in attempts] == [None, 404, 200]
    assert store.hooks.hooks[hook["id"]].is_active


async def test_exhausted_retries_deactivate_the_hook(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    hook = await subscribe(client, store.hash, scope="store/order/*", destination=receiver.url)
    receiver.statuses.extend([503] * 100)
    sandbox.emit(store, "store/order/updated", {"type": "order", "id": 7})
    await settle()

    assert len(receiver.received) == len(RETRY_DELAYS) + 1 == 12
    got = await client.get(f"/stores/{store.hash}/v3/hooks/{hook['id']}")
    assert got.json()["data"]["is_active"] is False
    stats = sandbox.webhooks.report()["stats"]
    assert (stats["failures"], stats["deactivations"]) == (12, 1)

    # a deactivated hook hears nothing until its owner switches it back on
    sandbox.emit(store, "store/order/updated", {"type": "order", "id": 8})
    await settle()
    assert len(receiver.received) == 12
    receiver.statuses.clear()
    await client.put(f"/stores/{store.hash}/v3/hooks/{hook['id']}", json={"is_active": True})
    sandbox.emit(store, "store/order/updated", {"type": "order", "id": 9})
    await settle()
    assert receiver.received[-1].json()["data"]["id"] == 9


async def test_connection_refused_is_a_failure(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    settle: Callable[[], Awaitable[None]],
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = await subscribe(
        client, store.hash, scope="store/order/*", destination=f"http://127.0.0.1:{port}/x"
    )
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 1})
    await settle()
    assert not store.hooks.hooks[hook["id"]].is_active
    errors = {a.error.split(":")[0] for a in sandbox.webhooks.attempts() if a.error}
    assert errors == {"ConnectError"}


async def test_a_retry_is_dropped_when_its_hook_is_deleted(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    hook = await subscribe(client, store.hash, scope="store/order/*", destination=receiver.url)
    sandbox.webhooks.configure(timescale=0.01)  # first retry after 0.6 s
    receiver.statuses.append(500)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 1})
    async with asyncio.timeout(5):
        await receiver.arrived.wait()
    assert sandbox.webhooks.pending == 1
    await client.delete(f"/stores/{store.hash}/v3/hooks/{hook['id']}")
    await settle()
    assert len(receiver.received) == 1
    assert sandbox.webhooks.report()["stats"]["dropped"] == 1


async def test_deliveries_are_signed_with_the_apps_client_secret(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    secret = "s" * 48
    app = sandbox.apps.register(
        auth_callback="https://app.example.com/auth", scopes=[], client_secret=secret
    )
    token = "apptoken0000000000000000000001"
    store.accounts[token] = ApiAccount("app", app.client_id, token, frozenset())
    await subscribe(
        client, store.hash, token=token, scope="store/order/*", destination=receiver.url
    )
    receiver.statuses.append(500)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 3})
    await settle()

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for delivery in (first, second):
        headers = delivery.headers
        timestamp = headers["webhook-timestamp"]
        assert abs(int(timestamp) - time.time()) < 5
        signed = f"{headers['webhook-id']}.{timestamp}.".encode() + delivery.body
        expected = base64.b64encode(hmac.new(secret.encode(), signed, "sha256").digest())
        assert headers["webhook-signature"] == "v1," + expected.decode()

    sandbox.webhooks.configure(sign=False)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 4})
    await settle()
    assert "webhook-signature" not in receiver.received[-1].headers


async def test_emitting_never_waits_for_the_receiver(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    await subscribe(client, store.hash, scope="store/order/*", destination=receiver.url)
    receiver.delays.extend([0.3] * 20)
    started = time.perf_counter()
    for order_id in range(20):
        sandbox.emit(store, "store/order/created", {"type": "order", "id": order_id})
    assert time.perf_counter() - started < 1.0  # delivering in line would take 6 s
    assert sandbox.webhooks.pending == 20
    await settle()
    assert sorted(r.json()["data"]["id"] for r in receiver.received) == list(range(20))


async def test_control_api_reports_settles_and_configures(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    hook = await subscribe(client, store.hash, scope="store/order/*", destination=receiver.url)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": 1})
    drained = await client.post("/_sandbox/webhooks/drain", json={"timeout": 5})
    assert drained.status_code == 200
    assert drained.json()["pending"] == 0
    assert drained.json()["stats"]["successes"] == 1

    report = (await client.get("/_sandbox/webhooks", params={"store": store.hash})).json()
    [attempt] = report["deliveries"]
    assert (attempt["hook_id"], attempt["outcome"], attempt["status"]) == (
        hook["id"],
        "delivered",
        200,
    )
    assert [(h["id"], h["status"]) for h in report["hooks"]] == [(hook["id"], "active")]
    assert report["settings"]["timescale"] == 1e-6

    changed = await client.put("/_sandbox/webhooks/settings", json={"timeout": 3, "sign": False})
    assert changed.json()["timeout"] == 3
    assert changed.json()["sign"] is False
    for bad in ({"timescale": -1}, {"sign": "yes"}, {"colour": "red"}):
        response = await client.put("/_sandbox/webhooks/settings", json=bad)
        assert response.status_code == 400
        assert "error" in response.json()
    await settle()


async def test_in_process_receiver_through_an_asgi_transport(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    """Integrators embedding the sandbox can deliver to their own ASGI app, no socket."""
    receiver = Receiver()
    app = Starlette(routes=[Route("/{path:path}", receiver.handle, methods=["POST"])])
    sandbox.webhooks.transport = httpx.ASGITransport(app=app)
    await subscribe(client, store.hash, scope="store/customer/*", destination="http://app/in")
    sandbox.emit(store, "store/customer/created", {"type": "customer", "id": 32})
    async with asyncio.timeout(5):
        await sandbox.webhooks.drain()
    [delivery] = receiver.received
    assert delivery.path == "/in"
    assert delivery.json()["data"] == {"type": "customer", "id": 32}


async def test_a_burst_reuses_one_connection_then_closes_it(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    sandbox.webhooks.configure(max_in_flight=1)
    await subscribe(client, store.hash, scope="store/product/updated", destination=receiver.url)
    opened = sandbox.webhooks.clients_opened
    for product_id in range(1, 21):
        sandbox.emit(store, "store/product/updated", {"type": "product", "id": product_id})
    await settle()
    assert len(receiver.received) == 20
    assert len({r.peer for r in receiver.received}) == 1  # one keep-alive connection
    assert sandbox.webhooks.clients_opened == opened + 1
    sandbox.emit(store, "store/product/updated", {"type": "product", "id": 99})
    await settle()
    assert sandbox.webhooks.clients_opened == opened + 2  # the idle client was closed
    assert receiver.received[-1].peer != receiver.received[0].peer
    sandbox.webhooks.configure(max_in_flight=4)
    for product_id in range(1, 41):
        sandbox.emit(store, "store/product/updated", {"type": "product", "id": product_id})
    await settle()
    assert sandbox.webhooks.clients_opened <= opened + 2 + 4  # at most one per request in flight
    assert len(receiver.received) == 61


async def test_control_api_deactivates_a_hook_and_its_owner_repairs_it(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    hook = await subscribe(
        client, store.hash, scope="store/product/updated", destination=receiver.url
    )
    answer = await client.post(
        "/_sandbox/webhooks/deactivate", json={"store": store.hash, "hook_id": hook["id"]}
    )
    assert answer.status_code == 200
    assert (answer.json()["is_active"], answer.json()["status"]) == (False, "deactivated")
    seen = await client.get(f"/stores/{store.hash}/v3/hooks/{hook['id']}")
    assert seen.json()["data"]["is_active"] is False
    sandbox.emit(store, "store/product/updated", dict(PRODUCT_EVENT))
    await settle()
    assert receiver.received == []  # a deactivated hook hears nothing
    repaired = await client.put(
        f"/stores/{store.hash}/v3/hooks/{hook['id']}", json={"is_active": True}
    )
    assert repaired.json()["data"]["is_active"] is True
    sandbox.emit(store, "store/product/updated", dict(PRODUCT_EVENT))
    await settle()
    assert len(receiver.received) == 1
    listed = (await client.get("/_sandbox/webhooks")).json()["hooks"]
    assert [h["status"] for h in listed if h["id"] == hook["id"]] == ["active"]
    unknown = await client.post(
        "/_sandbox/webhooks/deactivate", json={"store": store.hash, "hook_id": 999999}
    )
    assert unknown.status_code == 404
    bad = await client.post("/_sandbox/webhooks/deactivate", json={"store": store.hash})
    assert bad.status_code == 400


async def test_an_event_emitted_off_any_loop_is_delivered_from_the_servers_loop(
    *,
    sandbox: Sandbox,
    store: StoreState,
    receiver: Receiver,
    settle: Callable[[], Awaitable[None]],
) -> None:
    account = next(a for a in store.accounts.values() if a.name == "full")
    event = {"type": "product", "id": 7}
    store.hooks.create(
        parse_hook_body(
            {"scope": "store/product/updated", "destination": receiver.url}, creating=True
        ),
        hook_id=store.next_id("hook"),
        client_id=account.client_id,
        store_hash=store.hash,
        now=0,
        strict=False,
    )
    await asyncio.to_thread(sandbox.emit, store, "store/product/updated", event)  # no server
    assert [a.error for a in sandbox.webhooks.attempts()] == ["no event loop"]
    server = SandboxServer(sandbox)
    await asyncio.to_thread(server.start)
    try:
        await asyncio.to_thread(sandbox.emit, store, "store/product/updated", event)
        await settle()
    finally:
        await asyncio.to_thread(server.stop)
    assert [r.json()["data"] for r in receiver.received] == [event]
    assert sandbox.webhooks.home_loop is None  # detached when the server stopped
