"""Fixtures for client tests: a seeded sandbox, clients to it in process and over a socket.

    sandbox / app / store     a two-store sandbox (plan unlimited) and its ASGI app
    tokens                    {"full", "read-only", "catalog-only"} tokens of `store`
    control                   httpx client for the control API (/_sandbox/...), in process
    make_client               BigCommerceClient factory over httpx.ASGITransport
    live_url                  the same app served by uvicorn on 127.0.0.1 (random port)

Sizes put every list on several 250-record pages with a short last page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.bigcommerce.retry import RetryPolicy
from bigsync.sandbox import Sandbox, create_app
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from tests.sandbox.live import serve

SIZES = StoreSizes(products=520, orders=610, customers=510)
SPEC = BuildSpec(seed=5, stores=2, sizes=SIZES, plan="unlimited")
SANDBOX_URL = "http://sandbox"
FAST_RETRIES = RetryPolicy(max_attempts=6, max_elapsed_s=20.0, backoff_base_s=0.01)

ClientFactory = Callable[..., BigCommerceClient]


@pytest.fixture
def sandbox() -> Sandbox:
    return build_sandbox(SPEC)


@pytest.fixture
def app(sandbox: Sandbox) -> Starlette:
    return create_app(sandbox)


@pytest.fixture
def store(sandbox: Sandbox) -> StoreState:
    return next(iter(sandbox.stores.values()))


@pytest.fixture
def tokens(store: StoreState) -> dict[str, str]:
    return {account.name: token for token, account in store.accounts.items()}


@pytest.fixture
async def control(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_URL) as client:
        yield client


@pytest.fixture
def make_client(app: Starlette, store: StoreState, tokens: dict[str, str]) -> ClientFactory:
    """`make_client(token="full", options=..., base_url=None)`: in process unless `base_url`."""

    def make(
        token: str = "full",  # noqa: S107 -- an account name, not a secret
        *,
        options: ClientOptions | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> BigCommerceClient:
        credentials = StoreCredentials(store_hash=store.hash, access_token=tokens[token])
        if transport is None and not base_url:
            transport = httpx.ASGITransport(app=app)
        return BigCommerceClient(
            credentials,
            base_url=base_url or SANDBOX_URL,
            options=options or ClientOptions(retry=FAST_RETRIES),
            transport=transport,
        )

    return make


class InFlightCounter(httpx.AsyncBaseTransport):
    """Passes requests to `inner` and records the most that were in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1


async def add_fault(control: httpx.AsyncClient, **spec: Any) -> dict[str, Any]:
    """Install a fault through the control API (see bigsync.sandbox.faults)."""
    response = await control.post("/_sandbox/faults", json=spec)
    assert response.status_code == 201, response.text
    fault: dict[str, Any] = response.json()
    return fault


async def sandbox_stats(control: httpx.AsyncClient, store_hash: str) -> dict[str, Any]:
    """The sandbox's request counters for one store."""
    response = await control.get("/_sandbox/stats")
    stats: dict[str, Any] = response.json()["stores"][store_hash]
    return stats


@pytest.fixture
async def live_url(app: Starlette) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port for the duration of the test."""
    async with serve(app) as url:
        yield url
