"""The rate governor against the sandbox's quota (Standard plan, 150 requests per window, with
the window shortened through the control API). The clients wait on `fake_time`, which the
sandbox's clock follows: windows pass as the client waits, without real sleeping."""

from __future__ import annotations

import asyncio

import httpx

from bigsync.bigcommerce import ClientOptions
from bigsync.bigcommerce.testing import FakeTime
from bigsync.sandbox.backend import StoreState
from tests.client.conftest import FAST_RETRIES, ClientFactory, sandbox_stats

WINDOW_S = 1.0
QUOTA = 150


async def standard_plan(control: httpx.AsyncClient, store: StoreState) -> None:
    response = await control.put(
        f"/_sandbox/stores/{store.hash}/settings",
        json={"plan": "standard", "window_ms": int(WINDOW_S * 1000)},
    )
    assert response.status_code == 200, response.text


async def test_a_long_crawl_runs_at_the_quota_pace_without_429(
    make_client: ClientFactory,
    control: httpx.AsyncClient,
    store: StoreState,
    fake_time: FakeTime,
) -> None:
    await standard_plan(control, store)
    async with make_client() as client:
        started = fake_time.now
        pages = [p async for p in client.paginate_v3("/v3/catalog/products", params={"limit": 2})]
        elapsed = fake_time.now - started
    requests = len(pages)  # 260 pages of 2 products
    usable = QUOTA - 15  # 10 % left to other apps
    quota_bound = requests / usable * WINDOW_S
    stats = await sandbox_stats(control, store.hash)
    assert stats["throttled"] == 0
    assert client.stats.rate_limited == 0
    assert stats["requests"] == requests == 260
    # Paced to the quota: not faster than it allows, and the time the client chose to wait
    # is close to what the quota requires (all of it, as only waits move the fake clock).
    assert elapsed >= 0.8 * quota_bound
    assert 0.5 * quota_bound < client.stats.waited_s <= 1.25 * quota_bound


async def test_the_reserve_is_left_to_other_apps(
    make_client: ClientFactory,
    control: httpx.AsyncClient,
    store: StoreState,
    tokens: dict[str, str],
    app: object,
) -> None:
    await standard_plan(control, store)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    other_app = httpx.AsyncClient(
        transport=transport,
        base_url=f"http://sandbox/stores/{store.hash}",
        headers={"X-Auth-Token": tokens["read-only"]},
    )
    async with other_app, make_client() as client:
        for _ in range(QUOTA - 20):  # another app spends most of the window
            assert (await other_app.get("/v2/time")).status_code == 200
        await asyncio.gather(*(client.get("/v2/time") for _ in range(40)))
        # Our share of this window was 5 requests; the rest had to wait for the next one.
        probe = await other_app.get("/v2/time")
    assert probe.status_code == 200  # the reserve is still there for the other app
    assert client.stats.rate_limited == 0
    assert (await sandbox_stats(control, store.hash))["throttled"] == 0


async def test_429s_in_a_window_are_at_most_one_per_client_burst(
    make_client: ClientFactory, control: httpx.AsyncClient, store: StoreState
) -> None:
    """When another app empties the window behind our back, the first 429 holds every request
    of the store until the reset: no storm of 429s."""
    await standard_plan(control, store)
    options = ClientOptions(max_concurrency=4, retry=FAST_RETRIES)
    async with make_client(options=options) as client:
        await client.get("/v2/time")  # the governor now believes 148 are left
        store.rate.used = QUOTA  # someone else spent them all
        await asyncio.gather(*(client.get("/v2/time") for _ in range(20)))
    assert client.stats.rate_limited <= 4  # at most the requests already in flight
    assert client.stats.by_status[200] == 21


async def test_a_window_begun_by_another_app_is_believed(
    make_client: ClientFactory,
    control: httpx.AsyncClient,
    store: StoreState,
    tokens: dict[str, str],
    app: object,
    *,
    fake_time: FakeTime,
) -> None:
    await standard_plan(control, store)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    other_app = httpx.AsyncClient(
        transport=transport,
        base_url=f"http://sandbox/stores/{store.hash}",
        headers={"X-Auth-Token": tokens["read-only"]},
    )
    async with other_app, make_client() as client:
        await client.get("/v2/time")
        fake_time.advance(WINDOW_S + 0.1)  # our window is over; we are idle
        for _ in range(QUOTA - 2):  # another app begins the next window and spends it
            assert (await other_app.get("/v2/time")).status_code == 200
        # Our first request comes more than half a window after that window began.
        fake_time.advance(WINDOW_S * 0.7)
        await asyncio.gather(*(client.get("/v2/time") for _ in range(20)))
    assert client.stats.rate_limited == 0
    assert (await sandbox_stats(control, store.hash))["throttled"] == 0
