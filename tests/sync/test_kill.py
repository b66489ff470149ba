"""A sync process killed with SIGKILL mid-stream resumes from its last checkpoint: no loss,
no duplicates, at most one page fetched again per stream (real process, real socket)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.sandbox import create_app
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository as repo
from bigsync.streams import STREAMS
from bigsync.sync.engine import SyncEngine, SyncOptions
from tests.sync.conftest import BASE_URL, Oracle, World, make_db, mirror_reader
from tests.sync.mirror_check import assert_mirror_matches

PAGE = 5
STALL_AFTER = 4  # orders pages the child fetches before it stalls
DEADLINE_S = 60  # bound on every wait of the test
CHILD = """
import asyncio, dataclasses, sys
from datetime import timedelta
from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.store.db import create_engine_for
from bigsync.streams import STREAMS
from bigsync.sync.engine import SyncEngine, SyncOptions

db_url, api_url, store_hash, token, connection_id, page, stall = sys.argv[1:]
STALL_AFTER = int(stall)
streams = tuple(
    dataclasses.replace(s, page_size=int(page)) if s.page_size == 250 else s for s in STREAMS
)

# The real client, except that the orders stream stalls after a few pages: the parent kills
# this process while it waits, however slow the machine is.
class StallingApi:
    def __init__(self, client):
        self.client, self.orders_pages = client, 0

    async def get(self, path, *, params=None):
        if path == "/v2/orders":
            self.orders_pages += 1
            if self.orders_pages > STALL_AFTER:
                await asyncio.sleep(3600)
        return await self.client.get(path, params=params)

async def main():
    creds = StoreCredentials(store_hash=store_hash, access_token=token)
    async with BigCommerceClient(creds, base_url=api_url) as client:
        options = SyncOptions(streams=streams, lease=timedelta(seconds=0.5))
        engine = SyncEngine(create_engine_for(db_url), StallingApi(client),
                            connection_id=int(connection_id), options=options)
        await engine.run()

asyncio.run(main())
"""


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[SandboxServer, World]]:
    spec = BuildSpec(
        seed=3, sizes=StoreSizes(products=30, orders=60, customers=20), plan="unlimited"
    )
    sandbox = build_sandbox(spec, latency_ms=5)
    server = SandboxServer(sandbox)
    server.start()
    store = next(iter(sandbox.stores.values()))
    db, connection_id = make_db(f"sqlite:///{tmp_path}/kill.db", store, api_url=server.url)
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    creds = StoreCredentials(store_hash=store.hash, access_token=token)
    async with BigCommerceClient(creds, base_url=server.url) as api:
        yield server, World(sandbox, create_app(sandbox), store, api, db, connection_id)
    server.stop()
    db.dispose()


def _orders_committed(world: World) -> int:
    with world.db.connect() as conn:
        return repo.count_rows(conn, "orders", connection_id=world.connection_id)


def _orders_checkpoint(db: sa.Engine, connection_id: int) -> dict[str, object] | None:
    with db.connect() as conn:
        state = repo.load_states(conn, connection_id=connection_id).get("orders")
    return state.checkpoint if state else None


async def test_sigkill_mid_stream_then_resume(
    live: tuple[SandboxServer, World], tmp_path: Path
) -> None:
    server, world = live
    token = world.api.credentials.access_token
    args = [str(world.db.url), server.url, world.store.hash, token, str(world.connection_id)]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, *args, str(PAGE), str(STALL_AFTER),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    try:
        # The child commits pages until it stalls on orders page STALL_AFTER + 1.
        deadline = time.monotonic() + DEADLINE_S
        while _orders_committed(world) < (STALL_AFTER - 1) * PAGE:
            assert child.returncode is None, "the sync child exited before it was killed"
            assert time.monotonic() < deadline, "the sync child made no progress"
            await asyncio.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), DEADLINE_S) == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await asyncio.wait_for(child.wait(), DEADLINE_S)
    checkpoint = _orders_checkpoint(world.db, world.connection_id)
    assert checkpoint is not None
    with world.db.connect() as conn:
        orders_before = repo.count_rows(conn, "orders", connection_id=world.connection_id)
    await asyncio.sleep(0.6)  # the killed process's lease expires
    streams = tuple(
        dataclasses.replace(s, page_size=PAGE) if s.page_size == 250 else s for s in STREAMS
    )
    engine = SyncEngine(
        world.db, world.api, connection_id=world.connection_id, options=SyncOptions(streams=streams)
    )
    result = await engine.run()
    assert result.status == "ok"
    orders = {s.name: s for s in result.streams}["orders"]
    remaining = len(world.store.sales.orders) - orders_before
    # Pages of at most PAGE new orders (one record per page is the boundary re-read), plus
    # the count request and at most one page fetched again.
    assert orders.requests <= 1 + remaining // (PAGE - 1) + 2
    transport = httpx.ASGITransport(app=world.app)
    headers = {"X-Auth-Token": token}
    base = f"{BASE_URL}/stores/{world.store.hash}"
    async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as http:
        await assert_mirror_matches(world, Oracle(http), mirror_reader(world))
