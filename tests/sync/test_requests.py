"""What the engine sends: timestamps with an encoded `+`, orders with their consignments,
and an incremental sync that asks only for what changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.sync.engine import SyncEngine
from tests.sync.conftest import BASE_URL, World


class RecordingTransport(httpx.ASGITransport):
    """The sandbox app in process, remembering every request it was sent."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.urls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return await super().handle_async_request(request)


async def test_incremental_requests_send_explicit_offsets_encoded(world: World) -> None:
    transport = RecordingTransport(world.app)
    token = next(t for t, a in world.store.accounts.items() if a.name == "full")
    credentials = StoreCredentials(store_hash=world.store.hash, access_token=token)
    async with BigCommerceClient(credentials, base_url=BASE_URL, transport=transport) as api:
        await SyncEngine(world.db, api, connection_id=world.connection_id).run()
        world.sandbox.clock.advance(timedelta(seconds=2))
        changed = world.mutate("order", "update", 1)
        transport.urls.clear()
        result = await SyncEngine(world.db, api, connection_id=world.connection_id).run()
    assert result.status == "ok"
    queries: dict[str, bytes] = {}  # the first request per path: the incremental read
    for url in transport.urls:  # (a products scan, when it runs, follows it)
        queries.setdefault(url.path.rsplit("/", 2)[-1], url.query)
    orders, products = queries["orders"], queries["products"]
    assert b"min_date_modified=" in orders
    assert b"%2B00%3A00" in orders or b"%2B00:00" in orders
    assert b"+" not in orders
    assert b"include=consignments.line_items" in orders
    assert b"consignment_structure=object" in orders
    assert b"date_modified%3Amin=" in products or b"date_modified:min=" in products
    assert b"+" not in products
    order_paths = [u.path for u in transport.urls if "/transactions" in u.path]
    assert order_paths == [f"/stores/{world.store.hash}/v3/orders/{changed[0]}/transactions"]


async def test_streams_the_token_cannot_read_are_skipped_not_fatal(world: World) -> None:
    token = next(t for t, a in world.store.accounts.items() if a.name == "catalog-only")
    credentials = StoreCredentials(store_hash=world.store.hash, access_token=token)
    transport = httpx.ASGITransport(app=world.app)
    async with BigCommerceClient(credentials, base_url=BASE_URL, transport=transport) as api:
        result = await SyncEngine(world.db, api, connection_id=world.connection_id).run()
    by_name = {s.name: s for s in result.streams}
    assert by_name["products"].status == "ok"
    assert by_name["orders"].status == "skipped"
    assert "scope" in (by_name["orders"].error or "")
    assert result.status == "warning"  # reported, not a silent ok
