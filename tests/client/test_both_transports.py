"""The behaviours that matter most, over every seam: in process (httpx over ASGI) and over a
real socket through aiohttp (the default) and through httpx."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RetryPolicy
from bigsync.bigcommerce.testing import FakeTime
from bigsync.errors import AuthenticationError, PermissionDeniedError
from bigsync.sandbox.backend import StoreState
from tests.client.conftest import SIZES, ClientFactory, add_fault, sandbox_stats

PRODUCTS = "/v3/catalog/products"
Make = Callable[..., BigCommerceClient]


@pytest.fixture(params=["in-process", "socket-aiohttp", "socket-httpx"])
def connect(request: pytest.FixtureRequest, make_client: ClientFactory) -> Make:
    """`connect(account="full", options=None, access_token=None)`: a client over the seam of
    this run."""
    seam: str = request.param
    base_url = request.getfixturevalue("live_url") if seam.startswith("socket") else None
    library = seam.removeprefix("socket-") if base_url else None

    def make(
        account: str = "full",
        options: ClientOptions | None = None,
        access_token: str | None = None,
    ) -> BigCommerceClient:
        return make_client(
            account,
            options=options,
            base_url=base_url,
            library=library,
            access_token=access_token,
        )

    return make


async def test_401_is_final(connect: Make, control: httpx.AsyncClient, store: StoreState) -> None:
    async with connect(access_token="not0a0valid0token0for0anything0") as client:
        with pytest.raises(AuthenticationError):
            await client.get("/v2/store")
    assert (await sandbox_stats(control, store.hash))["requests"] == 1


async def test_403_names_the_scope(connect: Make) -> None:
    async with connect("catalog-only") as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.get("/v3/customers")
    assert caught.value.required_scope == "store_v2_customers_read_only"


async def test_storms_and_bursts_are_ridden_out(
    connect: Make, control: httpx.AsyncClient, store: StoreState
) -> None:
    await add_fault(control, kind="rate_limit", path="/v2/orders", count=3, with_headers=False)
    await add_fault(control, kind="error", status=502, path="/v2/orders", count=2)
    await add_fault(control, kind="drop", path="/v2/orders", count=1)
    await add_fault(control, kind="truncate", path="/v2/orders", count=1)
    async with connect(
        options=ClientOptions(retry=RetryPolicy(max_attempts=9, backoff_base_s=0.005))
    ) as client:
        ids = [o["id"] async for p in client.paginate_v2("/v2/orders") for o in p.items]
    assert len(ids) == len(set(ids)) == SIZES.orders
    assert client.stats.rate_limited == 3
    assert client.stats.retries == 7
    served = await sandbox_stats(control, store.hash)
    assert served["throttled"] == 3


async def test_429_with_headers_waits_the_reset(
    connect: Make, control: httpx.AsyncClient, store: StoreState, fake_time: FakeTime
) -> None:
    await control.put(f"/_sandbox/stores/{store.hash}/settings", json={"window_ms": 200})
    await add_fault(control, kind="rate_limit", path="/v2/time", count=1)
    async with connect() as client:
        started = fake_time.now
        await client.get("/v2/time")
        elapsed = fake_time.now - started
    # X-Rate-Limit-Time-Reset-Ms is at most 200 ms here; X-Retry-After (whole seconds) says 1.
    assert elapsed >= 1.0
    assert client.stats.waited_s == pytest.approx(1.0, abs=0.01)
    assert client.stats.rate_limited == 1


async def test_pagination_is_complete_and_minimal(connect: Make) -> None:
    async with connect() as client:
        products = [p["id"] async for page in client.paginate_v3(PRODUCTS) for p in page.items]
        customers = [
            c["id"] async for page in client.paginate_cursor("/v3/customers") for c in page.items
        ]
        orders = [
            o["id"]
            async for page in client.paginate_v2("/v2/orders", count_path="/v2/orders/count")
            for o in page.items
        ]
    assert len(set(products)) == len(products) == SIZES.products
    assert len(set(customers)) == len(customers) == SIZES.customers
    assert len(set(orders)) == len(orders) == SIZES.orders
    assert client.stats.requests == 3 + 3 + (1 + 3)
