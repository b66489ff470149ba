"""Fixtures for sync tests: a seeded sandbox served in process, a migrated database with one
connection to the sandbox's first store, and an oracle that reads the store's truth through
plain HTTP so the mirror can be compared with it row by row.

    world      World: sandbox, store, api (the client the engine uses), db engine, connection
               (the sandbox, its app and store from the `bigsync_sandbox` plugin, `sandbox_spec`)
    oracle     Oracle: independent page loops over the sandbox API (no bigsync code)
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RetryPolicy, StoreCredentials
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.control import mutations
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.testing import IN_PROCESS_URL
from bigsync.store.db import create_engine_for, migrate
from bigsync.sync.engine import SyncEngine, SyncOptions, SyncResult
from tests.databases import add_connection

SPEC = BuildSpec(
    seed=11, stores=1, sizes=StoreSizes(products=40, orders=80, customers=40), plan="unlimited"
)
BASE_URL = IN_PROCESS_URL
# Retries as in production, with the waits shrunk so fault tests stay fast; generous in
# attempts, so a seeded fault rate can never exhaust them on a slow, loaded machine.
FAST_RETRIES = RetryPolicy(
    max_attempts=12, max_elapsed_s=60.0, backoff_base_s=0.001, backoff_max_s=0.005
)
# Every sync test is bounded. The thread method ends a test even when it is blocked in a
# thread join, a subprocess wait or a database lock, where a signal would not get through.
TEST_DEADLINE_S = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/sync/" in item.nodeid and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_DEADLINE_S, method="thread"))


@dataclass
class World:
    """Everything one sync test needs."""

    sandbox: Sandbox
    app: Starlette
    store: StoreState
    api: BigCommerceClient
    db: sa.Engine
    connection_id: int

    async def sync(self, **options: Any) -> SyncResult:
        engine = SyncEngine(
            self.db, self.api, connection_id=self.connection_id, options=SyncOptions(**options)
        )
        return await engine.run()

    def mutate(self, kind: str, action: str, count: int, *, seed: int = 0) -> list[int]:
        """Apply a sandbox mutation directly (same code as POST /_sandbox/mutate)."""
        rng = random.Random(f"{kind}/{action}/{seed}")
        ids: list[int] = mutations()[kind](self.sandbox, self.store, action, count, rng)
        return ids


def _token(store: StoreState, name: str = "full") -> str:
    return next(t for t, account in store.accounts.items() if account.name == name)


def make_db(url: str, store: StoreState, *, api_url: str = BASE_URL) -> tuple[sa.Engine, int]:
    engine = create_engine_for(url)
    migrate(engine)
    return engine, add_connection(engine, "sandbox", store_hash=store.hash, api_url=api_url)


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    """The sandbox the `bigsync_sandbox` plugin builds for sync tests."""
    return SPEC


@pytest.fixture
async def world(
    sandbox: Sandbox, sandbox_app: Starlette, store: StoreState, database_url: str
) -> AsyncIterator[World]:
    app = sandbox_app
    engine, connection_id = make_db(database_url, store)
    credentials = StoreCredentials(store_hash=store.hash, access_token=_token(store))
    transport = httpx.ASGITransport(app=app)
    async with BigCommerceClient(
        credentials,
        base_url=BASE_URL,
        options=ClientOptions(retry=FAST_RETRIES),
        transport=transport,
    ) as api:
        yield World(sandbox, app, store, api, engine, connection_id)
    engine.dispose()


class Oracle:
    """The store's truth, read with plain page loops over the sandbox API."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def v3(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = await self.http.get(path, params={**params, "limit": 250, "page": page})
            response.raise_for_status()
            body = response.json()
            items += body["data"]
            pagination = body["meta"]["pagination"]
            if pagination["current_page"] >= pagination["total_pages"]:
                return items
            page += 1

    async def v2(self, path: str, *, paged: bool = True, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            query = {**params, "limit": 250, "page": page} if paged else params
            response = await self.http.get(path, params=query)
            response.raise_for_status()
            if response.status_code == 204:
                return items
            items += response.json()
            if not paged or len(response.json()) < 250:
                return items
            page += 1


@pytest.fixture
async def oracle(world: World) -> AsyncIterator[Oracle]:
    transport = httpx.ASGITransport(app=world.app)
    headers = {"X-Auth-Token": _token(world.store), "Accept": "application/json"}
    base = f"{BASE_URL}/stores/{world.store.hash}"
    async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as http:
        yield Oracle(http)


def mirror_reader(world: World) -> Any:
    """reader(table, live=True) -> {key: row} of the mirror for the world's connection."""
    from bigsync.store import mirror_repository as repo
    from bigsync.store.mirror_schema import MIRROR_TABLES

    def read(table: str, *, live: bool = True) -> dict[Any, dict[str, Any]]:
        keys = [k for k in repo.key_columns(MIRROR_TABLES[table]) if k != "connection_id"]
        with world.db.connect() as conn:
            rows = list(repo.iter_rows(conn, table, connection_id=world.connection_id))
        if live:
            rows = [r for r in rows if r.get("deleted_at") is None]
        return {r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys): r for r in rows}

    return read


@pytest.fixture
def rows_of(world: World) -> Any:
    """rows_of(table, live=True) -> {key: row} of the mirror (see `mirror_reader`)."""
    return mirror_reader(world)
