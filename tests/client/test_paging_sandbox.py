"""Paging through the sandbox: every record exactly once, the fewest requests, page order,
bounded look-ahead, resume, and faults in the middle of a crawl."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, cast

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import ClientOptions, Page, RetryPolicy
from bigsync.sandbox.backend import StoreState
from tests.client.conftest import (
    FAST_RETRIES,
    PERSISTENT_RETRIES,
    SIZES,
    ClientFactory,
    InFlightCounter,
    add_fault,
    sandbox_stats,
)

PRODUCTS = "/v3/catalog/products"
ORDERS_WITH_ITEMS = {"include": "consignments.line_items", "consignment_structure": "object"}


async def collect(pages: AsyncIterator[Page]) -> tuple[list[int], list[Page]]:
    ids: list[int] = []
    seen: list[Page] = []
    async for page in pages:
        ids += [int(item["id"]) for item in page.items]
        seen.append(page)
    return ids, seen


async def consume(pages: AsyncIterator[Page], numbers: list[int]) -> None:
    async for page in pages:
        numbers.append(page.number)


def endpoint_requests(stats: dict[str, Any], endpoint: str) -> int:
    counts: dict[str, Any] = stats["endpoints"].get(endpoint, {"requests": 0})
    return int(counts["requests"])


async def test_v3_offset_every_product_once_with_minimum_requests(
    make_client: ClientFactory, control: httpx.AsyncClient, store: StoreState
) -> None:
    async with make_client() as client:
        ids, pages = await collect(
            client.paginate_v3(PRODUCTS, params={"include": "variants", "sort": "id"})
        )
    assert len(ids) == len(set(ids)) == SIZES.products
    assert ids == sorted(ids)
    assert [p.number for p in pages] == [1, 2, 3]
    assert all(p.total == SIZES.products and p.total_pages == 3 for p in pages)
    assert all("variants" in item for item in pages[0].items)
    stats = await sandbox_stats(control, store.hash)
    assert endpoint_requests(stats, f"GET {PRODUCTS}") == client.stats.requests == 3


async def test_v2_orders_with_count_in_one_pass(
    make_client: ClientFactory, control: httpx.AsyncClient, store: StoreState
) -> None:
    async with make_client() as client:
        ids, pages = await collect(
            client.paginate_v2(
                "/v2/orders", params=ORDERS_WITH_ITEMS, count_path="/v2/orders/count"
            )
        )
    assert len(ids) == len(set(ids)) == SIZES.orders
    assert [p.number for p in pages] == [1, 2, 3]
    assert pages[0].total == SIZES.orders
    consignments = pages[0].items[0]["consignments"]
    assert isinstance(consignments, dict)
    assert client.stats.requests == 1 + 3  # the count, then each page once
    assert (await sandbox_stats(control, store.hash))["requests"] == 4


async def test_v2_orders_without_count_stop_on_the_short_page(make_client: ClientFactory) -> None:
    async with make_client() as client:
        ids, _ = await collect(client.paginate_v2("/v2/orders"))
    assert len(ids) == len(set(ids)) == SIZES.orders
    assert client.stats.requests == 3


@pytest.mark.parametrize("empty_as_200", [False, True])
async def test_v2_exact_multiple_stops_on_204_or_empty_array(
    make_client: ClientFactory, control: httpx.AsyncClient, store: StoreState, empty_as_200: bool
) -> None:
    await control.put(
        f"/_sandbox/stores/{store.hash}/settings", json={"v2_empty_as_200": empty_as_200}
    )
    async with make_client() as client:
        ids, pages = await collect(client.paginate_v2("/v2/orders", params={"limit": 61}))
        assert len(ids) == len(set(ids)) == SIZES.orders
        assert len(pages) == 10
        assert client.stats.requests == 11  # the 11th says "no more"
        assert client.stats.by_status == {200: 11} if empty_as_200 else {200: 10, 204: 1}
        counted, _ = await collect(
            client.paginate_v2("/v2/orders", params={"limit": 61}, count_path="/v2/orders/count")
        )
    assert counted == ids
    assert client.stats.requests == 11 + 1 + 10  # with a count, no request past the end


async def test_cursor_customers_every_one_once(
    make_client: ClientFactory, control: httpx.AsyncClient, store: StoreState
) -> None:
    async with make_client() as client:
        ids, pages = await collect(
            client.paginate_cursor("/v3/customers", params={"sort": "date_modified:asc"})
        )
        assert len(ids) == len(set(ids)) == SIZES.customers
        assert client.stats.requests == 3
        assert pages[0].total == SIZES.customers
        # Resume after the first page's cursor: the rest, and nothing else.
        rest, _ = await collect(
            client.paginate_cursor(
                "/v3/customers",
                params={"sort": "date_modified:asc", "after": pages[0].next_cursor},
            )
        )
    assert rest == ids[250:]


async def test_pages_come_in_order_when_fetched_concurrently(
    make_client: ClientFactory, control: httpx.AsyncClient, app: Starlette
) -> None:
    # Random extra latency makes later pages finish before earlier ones.
    for latency, seed in ((40, 1), (25, 2), (10, 3)):
        await add_fault(
            control, kind="latency", path=PRODUCTS, latency_ms=latency, rate=0.5, seed=seed
        )
    transport = InFlightCounter(httpx.ASGITransport(app=app))
    async with make_client(transport=transport) as client:
        ids, pages = await collect(client.paginate_v3(PRODUCTS, params={"limit": 20}))
    assert [p.number for p in pages] == list(range(1, 27))
    assert len(ids) == len(set(ids)) == SIZES.products
    assert transport.most_in_flight > 1  # fetched concurrently, yielded in order


async def test_look_ahead_is_bounded(make_client: ClientFactory) -> None:
    options = ClientOptions(lookahead=2, retry=FAST_RETRIES)
    async with make_client(options=options) as client:
        pages = cast(AsyncGenerator[Page], client.paginate_v3(PRODUCTS, params={"limit": 20}))
        async with aclosing(pages):
            async for page in pages:
                await asyncio.sleep(0.05)  # a slow consumer
                assert client.stats.requests <= page.number + 2
                if page.number == 5:
                    break
        assert client.stats.requests <= 7


async def test_v3_resume_from_a_start_page(make_client: ClientFactory) -> None:
    async with make_client() as client:
        ids, pages = await collect(client.paginate_v3(PRODUCTS, start_page=2))
    assert [p.number for p in pages] == [2, 3]
    assert len(ids) == SIZES.products - 250
    assert client.stats.requests == 2


async def test_v2_resume_from_a_start_page(make_client: ClientFactory) -> None:
    async with make_client() as client:
        ids, pages = await collect(
            client.paginate_v2("/v2/orders", count_path="/v2/orders/count", start_page=3)
        )
    assert [p.number for p in pages] == [3]
    assert len(ids) == SIZES.orders - 500


async def test_crawl_survives_every_kind_of_fault(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="error", status=500, path=PRODUCTS, rate=0.2, seed=1)
    await add_fault(control, kind="truncate", path=PRODUCTS, rate=0.1, seed=2)
    await add_fault(control, kind="drop", path=PRODUCTS, rate=0.1, seed=3)
    await add_fault(control, kind="rate_limit", path=PRODUCTS, rate=0.1, with_headers=False, seed=4)
    async with make_client(options=ClientOptions(retry=PERSISTENT_RETRIES)) as client:
        ids, pages = await collect(client.paginate_v3(PRODUCTS, params={"limit": 25}))
    assert len(ids) == len(set(ids)) == SIZES.products
    assert [p.number for p in pages] == list(range(1, 22))
    assert client.stats.retries > 0
    assert client.stats.requests == 21 + client.stats.retries


async def test_a_page_that_keeps_failing_ends_the_crawl_loudly(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    from bigsync.errors import ServerError

    await add_fault(control, kind="error", status=503, path=PRODUCTS, rate=0.5, seed=9)
    options = ClientOptions(retry=RetryPolicy(max_attempts=1))
    seen: list[int] = []
    async with make_client(options=options) as client:
        pages = client.paginate_v3(PRODUCTS, params={"limit": 25})
        with pytest.raises(ServerError):
            await consume(pages, seen)
    assert seen == list(range(1, len(seen) + 1))  # no page skipped before the failure


async def test_a_count_path_without_a_count_is_malformed(make_client: ClientFactory) -> None:
    from bigsync.errors import MalformedResponseError

    async with make_client() as client:
        with pytest.raises(MalformedResponseError, match="count"):
            await collect(client.paginate_v2("/v2/orders", count_path="/v2/store"))


async def test_query_values_are_sent_as_the_api_spells_them(make_client: ClientFactory) -> None:
    async with make_client() as client:
        visible = await client.get(PRODUCTS, params={"is_visible": True, "limit": 50})
        hidden = await client.get(PRODUCTS, params={"is_visible": False, "limit": 50})
        ids = [p["id"] for p in visible["data"][:3]]
        chosen = await client.get(PRODUCTS, params={"id:in": ids, "sku": None})
    assert all(p["is_visible"] for p in visible["data"])
    assert not any(p["is_visible"] for p in hidden["data"])
    assert [p["id"] for p in chosen["data"]] == ids
