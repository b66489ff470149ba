"""The client over a real socket (uvicorn on 127.0.0.1): paging, dropped connections, cut
bodies, gzip, keep-alive, and one governor shared by every client of a store — each through
aiohttp (what a client uses over a socket) and through httpx (`socket_library`)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.bigcommerce.retry import RetryPolicy
from bigsync.errors import NetworkError
from bigsync.sandbox.backend import StoreState
from tests.client.conftest import (
    PERSISTENT_RETRIES,
    SIZES,
    ClientFactory,
    add_fault,
    sandbox_stats,
)

PRODUCTS = "/v3/catalog/products"


async def test_crawl_over_a_socket_with_drops_and_cut_bodies(
    make_client: ClientFactory, live_url: str, control: httpx.AsyncClient, socket_library: str
) -> None:
    await add_fault(control, kind="drop", path="/v2/orders", rate=0.3, seed=5)
    await add_fault(control, kind="truncate", path="/v2/orders", rate=0.2, seed=6)
    options = ClientOptions(retry=PERSISTENT_RETRIES)
    async with make_client(base_url=live_url, options=options, library=socket_library) as client:
        ids: list[int] = []
        async for page in client.paginate_v2(
            "/v2/orders", params={"limit": 50}, count_path="/v2/orders/count"
        ):
            ids += [order["id"] for order in page.items]
    assert len(ids) == len(set(ids)) == SIZES.orders
    assert client.stats.transport_errors > 0
    assert client.stats.retries > 0
    assert client.stats.requests == 1 + 13 + client.stats.retries


CAUSE_OF_A_DROP = {"httpx": httpx.RemoteProtocolError, "aiohttp": aiohttp.ClientPayloadError}


async def test_a_drop_over_a_socket_is_a_network_error(
    make_client: ClientFactory,
    live_url: str,
    control: httpx.AsyncClient,
    store: StoreState,
    socket_library: str,
) -> None:
    await add_fault(control, kind="drop", path="/v2/store")
    options = ClientOptions(retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01))
    async with make_client(base_url=live_url, options=options, library=socket_library) as client:
        with pytest.raises(NetworkError) as caught:
            await client.get("/v2/store")
    assert isinstance(caught.value.__cause__, CAUSE_OF_A_DROP[socket_library])
    assert client.stats.requests == 2
    assert (await sandbox_stats(control, store.hash))["requests"] == 2  # nothing resent unseen


async def test_a_dropped_write_is_not_resent(
    make_client: ClientFactory,
    live_url: str,
    control: httpx.AsyncClient,
    store: StoreState,
    socket_library: str,
) -> None:
    """A POST whose connection drops (on a kept-alive connection) is sent once: neither the
    library nor the client repeats a write that may have been applied."""
    await add_fault(control, kind="drop", path="/v3/customers", methods=["POST"])
    options = ClientOptions(retry=RetryPolicy(max_attempts=3, backoff_base_s=0.01))
    async with make_client(base_url=live_url, options=options, library=socket_library) as client:
        await client.get("/v2/time")  # the POST goes out on a reused connection
        with pytest.raises(NetworkError):
            await client.request("POST", "/v3/customers", json=[{"email": "x@example.com"}])
    assert client.stats.requests == 2
    assert (await sandbox_stats(control, store.hash))["requests"] == 2


async def test_nothing_listening_is_a_network_error(
    make_client: ClientFactory, socket_library: str
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        options = ClientOptions(retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01))
        url = f"http://127.0.0.1:{port}"
        async with make_client(base_url=url, options=options, library=socket_library) as client:
            with pytest.raises(NetworkError):
                await client.get("/v2/store")
    assert client.stats.transport_errors == 2


class ConnectionLog:
    """ASGI wrapper that notes each request's client address and headers, then passes it on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.peers: list[tuple[str, int]] = []
        self.headers: list[dict[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.peers.append(tuple(scope["client"]))
            self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await self.app(scope, receive, send)


async def serve(app: Any) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event to wait on
        await asyncio.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def gzip_url(app: Starlette) -> AsyncIterator[tuple[str, ConnectionLog]]:
    """The sandbox behind gzip compression (as BigCommerce answers), noting connections."""
    logged = ConnectionLog(GZipMiddleware(app, minimum_size=500))
    async for url in serve(logged):
        yield url, logged


async def test_gzip_and_keep_alive(
    gzip_url: tuple[str, ConnectionLog],
    store: StoreState,
    tokens: dict[str, str],
    socket_library: str,
) -> None:
    url, logged = gzip_url
    credentials = StoreCredentials(store_hash=store.hash, access_token=tokens["full"])
    options = ClientOptions(max_concurrency=2)
    transport = httpx.AsyncHTTPTransport() if socket_library == "httpx" else None
    async with BigCommerceClient(
        credentials, base_url=url, options=options, transport=transport
    ) as client:
        response = await client.request("GET", PRODUCTS, params={"limit": 50})
        for _ in range(10):
            await client.get("/v2/store")
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.body["data"]) == 50
    assert len(logged.peers) == 11
    assert len(set(logged.peers)) == 1  # one pooled connection, kept alive
    assert all(h["user-agent"].startswith("bigsync/") for h in logged.headers)


async def test_clients_of_one_store_share_one_governor(
    make_client: ClientFactory, live_url: str, socket_library: str
) -> None:
    options = ClientOptions(max_concurrency=3)
    async with (
        make_client(base_url=live_url, options=options, library=socket_library) as a,
        make_client(base_url=live_url, options=options, library=socket_library) as b,
    ):
        assert a.governor is b.governor
        await asyncio.gather(
            *(c.get(PRODUCTS, params={"limit": 5}) for c in (a, b) for _ in range(6))
        )
        assert a.governor.sent == 12
    async with make_client(base_url="http://elsewhere") as other:
        assert other.governor is not a.governor
