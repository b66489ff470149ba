"""Fixtures for fulfillment tests: a small sandbox store served in process, synced into a
fresh mirror (SQLite, then PostgreSQL), the hub of its connection, and a plain HTTP client
to change the store behind bigsync's back.

    shop       Shop: world (tests/sync's World), hub (the use-cases' Hub), http, sync()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.fulfillment.hub import Hub
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.store import hub_mirror
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.sync.engine import SyncResult
from tests.sync.conftest import BASE_URL, FAST_RETRIES, World, _token, make_db

SPEC = BuildSpec(
    seed=23, stores=1, sizes=StoreSizes(products=10, orders=30, customers=6), plan="unlimited"
)


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


@dataclass
class Shop:
    """A synced sandbox store and its hub."""

    world: World
    hub: Hub
    http: httpx.AsyncClient

    async def sync(self, **options: Any) -> SyncResult:
        """Sync again (scans every time, so variant edits and deletes show)."""
        from datetime import timedelta

        options.setdefault("scan_every", timedelta(0))
        return await self.world.sync(**options)

    def variants(self) -> list[hub_mirror.StoreVariant]:
        with self.hub.db.read() as conn:
            return hub_mirror.store_variants(conn, self.hub.connection_id)

    def orders_with(self, predicate: Any) -> list[int]:
        """Ids of the mirrored orders whose (lines, addresses) satisfy `predicate`."""
        found = []
        with self.hub.db.read() as conn:
            for order_id in sorted(self.world.store.sales.orders):
                lines = hub_mirror.order_lines(conn, self.hub.connection_id, order_id)
                addresses = hub_mirror.order_addresses(conn, self.hub.connection_id, order_id)
                order = hub_mirror.store_order(conn, self.hub.connection_id, order_id)
                if order and not order.is_deleted and predicate(lines, addresses):
                    found.append(order_id)
        return found

    def order_with(self, predicate: Any) -> int:
        """The id of the first mirrored order whose (lines, addresses) satisfy `predicate`."""
        found = self.orders_with(predicate)
        assert found, "no such order in the sandbox store"
        return found[0]


@pytest.fixture
async def shop(
    sandbox: Sandbox, sandbox_app: Starlette, store: StoreState, database_url: str
) -> AsyncIterator[Shop]:
    engine, connection_id = make_db(database_url, store)
    credentials = StoreCredentials(store_hash=store.hash, access_token=_token(store))
    headers = {"X-Auth-Token": _token(store), "Accept": "application/json"}
    async with (
        BigCommerceClient(
            credentials,
            base_url=BASE_URL,
            options=ClientOptions(retry=FAST_RETRIES),
            transport=httpx.ASGITransport(app=sandbox_app),
        ) as api,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox_app),
            base_url=f"{BASE_URL}/stores/{store.hash}",
            headers=headers,
        ) as http,
    ):
        world = World(sandbox, sandbox_app, store, api, engine, connection_id)
        result = await world.sync()
        assert result.status == "ok", result
        yield Shop(world, Hub(UnitOfWork(engine), connection_id, "sandbox"), http)
    engine.dispose()
