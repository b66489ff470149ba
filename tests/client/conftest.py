"""Fixtures for client tests, on top of the `bigsync_sandbox` plugin (bigsync.sandbox.testing).

    sandbox / app / store     a two-store sandbox (plan unlimited, `sandbox_spec` below) and its
                              ASGI app (the plugin's `sandbox_app`)
    tokens                    {"full", "read-only", "catalog-only"} tokens of `store` (plugin)
    control                   httpx client for the control API (/_sandbox/...), in process (plugin)
    make_client               BigCommerceClient factory over httpx.ASGITransport
    live_url                  the same sandbox served on 127.0.0.1, random port (plugin)

Sizes put every list on several 250-record pages with a short last page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.bigcommerce.retry import RetryPolicy
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.testing import IN_PROCESS_URL

SIZES = StoreSizes(products=520, orders=610, customers=510)
SPEC = BuildSpec(seed=5, stores=2, sizes=SIZES, plan="unlimited")
SANDBOX_URL = IN_PROCESS_URL
FAST_RETRIES = RetryPolicy(max_attempts=6, max_elapsed_s=20.0, backoff_base_s=0.01)

ClientFactory = Callable[..., BigCommerceClient]


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


@pytest.fixture
def app(sandbox_app: Starlette) -> Starlette:
    return sandbox_app


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
