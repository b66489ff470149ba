"""Fixtures for client tests, on top of the `bigsync_sandbox` plugin (bigsync.sandbox.testing).

    sandbox / app / store     a two-store sandbox (plan unlimited, `sandbox_spec` below) and its
                              ASGI app (the plugin's `sandbox_app`)
    tokens                    {"full", "read-only", "catalog-only"} tokens of `store` (plugin)
    control                   httpx client for the control API (/_sandbox/...), in process (plugin)
    fake_time                 the clients' clock and sleep: waits move it (and the sandbox's
                              frozen clock) instead of passing
    make_client               BigCommerceClient factory over httpx.ASGITransport, on fake_time
    socket_library            "aiohttp" or "httpx": tests over a real socket run with each
    live_url                  the same sandbox served on 127.0.0.1, random port (plugin)

Sizes put every list on several 250-record pages with a short last page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.bigcommerce.retry import RetryPolicy
from bigsync.bigcommerce.testing import FakeTime
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.testing import IN_PROCESS_URL

SIZES = StoreSizes(products=520, orders=610, customers=510)
SPEC = BuildSpec(seed=5, stores=2, sizes=SIZES, plan="unlimited")
SANDBOX_URL = IN_PROCESS_URL
FAST_RETRIES = RetryPolicy(max_attempts=6, max_elapsed_s=20.0, backoff_base_s=0.01)
PERSISTENT_RETRIES = RetryPolicy(max_attempts=12, max_elapsed_s=60.0, backoff_base_s=0.01)
"""For crawls through faults that spoil some 40 % of attempts: with six attempts, one crawl of
twenty pages in ten would meet a page that fails six times running and give up."""

ClientFactory = Callable[..., BigCommerceClient]


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


@pytest.fixture
def app(sandbox_app: Starlette) -> Starlette:
    return sandbox_app


@pytest.fixture
def fake_time(sandbox: Sandbox) -> FakeTime:
    """Client time that passes only when a client waits; the sandbox's clock, frozen, follows
    it, so its rate windows refill as the client's waits say."""
    sandbox.clock.freeze()
    return FakeTime(on_advance=lambda seconds: sandbox.clock.advance(timedelta(seconds=seconds)))


@pytest.fixture
def make_client(
    app: Starlette, store: StoreState, tokens: dict[str, str], fake_time: FakeTime
) -> ClientFactory:
    """`make_client(token="full", options=..., base_url=None, library=None)`: in process
    unless `base_url`; over a socket through aiohttp, or httpx with `library="httpx"`; every
    client waits on `fake_time`. `access_token` replaces the account's token."""

    def make(
        token: str = "full",  # noqa: S107 -- an account name, not a secret
        *,
        options: ClientOptions | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        library: str | None = None,
        access_token: str | None = None,
    ) -> BigCommerceClient:
        credentials = StoreCredentials(
            store_hash=store.hash, access_token=access_token or tokens[token]
        )
        if transport is None and not base_url:
            transport = httpx.ASGITransport(app=app)
        elif transport is None and library == "httpx":
            transport = httpx.AsyncHTTPTransport()
        return BigCommerceClient(
            credentials,
            base_url=base_url or SANDBOX_URL,
            options=options or ClientOptions(retry=FAST_RETRIES),
            transport=transport,
            clock=fake_time.monotonic,
            sleep=fake_time.sleep,
        )

    return make


@pytest.fixture(params=["aiohttp", "httpx"])
def socket_library(request: pytest.FixtureRequest) -> str:
    """The HTTP library of a client over a real socket: aiohttp (the default) and httpx."""
    library: str = request.param
    return library


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
