"""A sync the store refuses stops at the first refusal: one error, one line that says what
is wrong and what fixes it, a handful of requests, and the run recorded as failed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.errors import StoreAccessError, SyncError
from bigsync.store import mirror_repository as repo
from bigsync.sync.engine import SyncOptions, run_sync
from bigsync.sync.model import FeatureGate
from tests.sync.conftest import BASE_URL, World

FEATURES = frozenset({"read_catalog", "read_orders", "read_customers", "read_inventory"})


class CountingTransport(httpx.ASGITransport):
    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def sync_with(world: World, *, store_hash: str, token: str) -> tuple[Any, list[str]]:
    transport = CountingTransport(world.app)
    credentials = StoreCredentials(store_hash=store_hash, access_token=token)
    options = SyncOptions(features=FeatureGate(connection="shop", enabled=FEATURES))
    async with BigCommerceClient(credentials, base_url=BASE_URL, transport=transport) as api:
        with pytest.raises(StoreAccessError) as raised:
            await run_sync(world.db, api, connection_id=world.connection_id, options=options)
    return raised.value, transport.paths


def last_run(world: World) -> Any:
    with world.db.connect() as conn:
        return repo.recent_runs(conn, connection_id=world.connection_id, limit=1)[0]


async def test_a_wrong_token_stops_the_sync_at_the_first_401(world: World) -> None:
    error, paths = await sync_with(world, store_hash=world.store.hash, token="wrong-token")
    message = str(error)
    assert "\n" not in message
    assert "401" in message
    assert "bigsync connect shop --update --token" in message
    assert "bigsync test shop" in message
    assert "wrong-token" not in message
    assert len(paths) <= 3, paths
    assert isinstance(error, SyncError)
    run = last_run(world)
    assert run["status"] == "failed"
    assert run["error"] == message


async def test_a_wrong_store_hash_stops_the_sync_at_the_first_404(world: World) -> None:
    token = next(t for t, a in world.store.accounts.items() if a.name == "full")
    error, paths = await sync_with(world, store_hash="zz0000zz", token=token)
    assert "no such store" in str(error)
    assert "bigsync connect shop --update --store" in str(error)
    assert len(paths) <= 3, paths
    assert last_run(world)["status"] == "failed"


async def test_a_token_revoked_mid_sync_stops_every_stream(world: World) -> None:
    token = next(t for t, a in world.store.accounts.items() if a.name == "full")
    transport = CountingTransport(world.app)
    credentials = StoreCredentials(store_hash=world.store.hash, access_token=token)

    class RevokingApi:
        def __init__(self, client: BigCommerceClient) -> None:
            self.client = client

        async def get(self, path: str, *, params: Any = None) -> Any:
            if path == "/v3/catalog/products":
                world.store.accounts.pop(token, None)  # revoked in the control panel
            return await self.client.get(path, params=params)

    options = replace(SyncOptions(), features=FeatureGate(connection="shop", enabled=FEATURES))
    async with BigCommerceClient(credentials, base_url=BASE_URL, transport=transport) as client:
        with pytest.raises(StoreAccessError, match="401"):
            await run_sync(
                world.db, RevokingApi(client), connection_id=world.connection_id, options=options
            )
    products = f"/stores/{world.store.hash}/v3/catalog/products"
    refused = transport.paths[transport.paths.index(products) :]
    # Only the requests already in flight, one per running stream: no stream retries,
    # pages on, or starts after the first 401.
    assert len(refused) == len(set(refused)), refused
    assert not any("/transactions" in p or "/methods" in p for p in refused), refused
    assert last_run(world)["status"] == "failed"
