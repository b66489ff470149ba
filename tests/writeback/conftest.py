"""Fixtures for write-back tests: a sandbox served in process, a migrated database with one
connection to its first store, and a dispatcher whose time (client, governor, dispatcher and
the sandbox's clock) moves only when something waits.

    wb      WbWorld: sandbox, store, db, connection_id, api client, time; record_*(), push()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RetryPolicy, StoreCredentials
from bigsync.bigcommerce.ratelimit import RateGovernor
from bigsync.bigcommerce.testing import FakeTime
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.catalog.state import InventoryItem
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.testing import IN_PROCESS_URL
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.writeback.dispatcher import DispatchOptions, DispatchResult, Hook, OutboxDispatcher
from bigsync.writeback.gate import OPEN_GATE, WriteGate
from bigsync.writeback.intents import ShipmentRequest, StockLevel
from bigsync.writeback.outbox import (
    record_order_status,
    record_shipment,
    record_stock,
    record_stock_many,
)
from tests.sync.conftest import make_db

SPEC = BuildSpec(
    seed=5, stores=1, sizes=StoreSizes(products=60, orders=60, customers=20), plan="unlimited"
)
FAST_RETRIES = RetryPolicy(
    max_attempts=12, max_elapsed_s=600.0, backoff_base_s=0.01, backoff_max_s=0.05
)
EPOCH = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TEST_DEADLINE_S = 240


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/writeback/" in item.nodeid and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_DEADLINE_S, method="thread"))


def token_of(store: StoreState, name: str = "full") -> str:
    return next(t for t, account in store.accounts.items() if account.name == name)


def tracked_items(store: StoreState) -> list[InventoryItem]:
    """Inventory items whose stock the store tracks, in id order."""
    return [i for i in store.catalog.inventory_items() if i.product.tracking != "none"]


def variant_of(item: InventoryItem) -> int:
    """The variant id a hub record keeps (0: a product-level item without a base variant)."""
    if item.variant is not None:
        return int(item.variant.id)
    return int(item.product.doc["base_variant_id"] or 0)


@dataclass
class WbWorld:
    """Everything one write-back test needs."""

    sandbox: Sandbox
    app: Starlette
    store: StoreState
    db: sa.Engine
    connection_id: int
    api: BigCommerceClient
    time: FakeTime
    hook: Hook | None = None
    gate: WriteGate = OPEN_GATE
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.time.now)

    def dispatcher(self, **options: Any) -> OutboxDispatcher:
        return OutboxDispatcher(
            self.db,
            self.api,
            connection_id=self.connection_id,
            connection_name="sandbox",
            gate=self.gate,
            options=DispatchOptions(**{**self.options, **options}),
            now=self.now,
            sleep=self.time.sleep,
            hook=self.hook,
        )

    async def push(self, **options: Any) -> DispatchResult:
        return await self.dispatcher(**options).run()

    def stock(self, item: InventoryItem, quantity: int, location_id: int = 1) -> int:
        with self.uow.write() as conn:
            return record_stock(
                conn,
                self.connection_id,
                product_id=item.product.id,
                variant_id=variant_of(item),
                sku=item.sku,
                location_id=location_id,
                quantity=quantity,
                now=self.now(),
            )

    def stock_many(self, levels: list[tuple[InventoryItem, int, int]]) -> list[int]:
        """Record (item, quantity, location id) levels in one transaction (a CSV import)."""
        with self.uow.write() as conn:
            return record_stock_many(
                conn,
                self.connection_id,
                [
                    StockLevel(item.product.id, variant_of(item), item.sku, location_id, quantity)
                    for item, quantity, location_id in levels
                ],
                now=self.now(),
            )

    def ship(self, request: ShipmentRequest) -> int:
        with self.uow.write() as conn:
            return record_shipment(conn, self.connection_id, request, now=self.now())

    def status(self, order_id: int, status_id: int) -> int:
        with self.uow.write() as conn:
            return record_order_status(
                conn, self.connection_id, order_id=order_id, status_id=status_id, now=self.now()
            )

    def requests(self, endpoint: str) -> int:
        """Requests the sandbox answered on `endpoint` ("PUT /v3/...")."""
        counts = self.store.stats.endpoints.get(endpoint)
        return counts.requests if counts is not None else 0

    def on_hand(self, item: InventoryItem, location_id: int = 1) -> int:
        self.sandbox.settle()
        level = item.stock.get(location_id)
        return level.on_hand if level is not None else 0


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


async def open_world(
    sandbox: Sandbox, app: Starlette, database_url: str, *, account: str = "full"
) -> tuple[WbWorld, BigCommerceClient]:
    store = next(iter(sandbox.stores.values()))
    sandbox.clock.freeze(EPOCH)
    time = FakeTime(on_advance=lambda s: sandbox.clock.advance(timedelta(seconds=s)))
    engine, connection_id = make_db(database_url, store)
    credentials = StoreCredentials(store_hash=store.hash, access_token=token_of(store, account))
    governor = RateGovernor(clock=time.monotonic, sleep=time.sleep)
    api = BigCommerceClient(
        credentials,
        base_url=IN_PROCESS_URL,
        options=ClientOptions(retry=FAST_RETRIES),
        transport=httpx.ASGITransport(app=app),
        governor=governor,
        clock=time.monotonic,
        sleep=time.sleep,
    )
    return WbWorld(sandbox, app, store, engine, connection_id, api, time), api


@pytest.fixture
async def wb(sandbox: Sandbox, sandbox_app: Starlette, database_url: str) -> AsyncIterator[WbWorld]:
    world, api = await open_world(sandbox, sandbox_app, database_url)
    async with api:
        yield world
    world.db.dispose()
