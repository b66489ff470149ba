"""Pending webhook deliveries end with the app (ASGI lifespan) and with the stores a reset or
seed replaces, instead of retrying for two days against stores that no longer exist."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A 127.0.0.1 URL whose port is bound but not listening: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"


@pytest.fixture
async def lifespan(app: Starlette) -> AsyncIterator[Any]:
    """Run the app's ASGI lifespan: startup now; `await lifespan()` shuts it down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"

    async def shutdown() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        await task

    yield shutdown
    if not task.done():
        await shutdown()


async def failing_delivery(client: httpx.AsyncClient, store: StoreState, url: str) -> None:
    """Subscribe to product updates at `url`, update a product: one delivery that fails and
    then waits a minute (the first real retry delay) before trying again."""
    base = f"/stores/{store.hash}/v3"
    hook = {"scope": "store/product/updated", "destination": url}
    assert (await client.post(f"{base}/hooks", json=hook)).status_code == 200
    product_id = next(iter(store.catalog.products))
    updated = await client.put(f"{base}/catalog/products/{product_id}", json={"price": 9})
    assert updated.status_code == 200


async def first_failure(sandbox: Sandbox) -> None:
    async with asyncio.timeout(5):
        while sandbox.webhooks.report()["stats"]["failures"] == 0:  # noqa: ASYNC110 -- polls state
            await asyncio.sleep(0.005)


async def test_shutdown_cancels_pending_deliveries(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    lifespan: Any,
    refused_url: str,
) -> None:
    await failing_delivery(client, store, refused_url)
    await first_failure(sandbox)
    assert sandbox.webhooks.pending == 1  # waiting for its first retry
    await lifespan()
    assert sandbox.webhooks.pending == 0


@pytest.mark.parametrize(("path", "body"), [("/_sandbox/reset", None), ("/_sandbox/seed", {})])
async def test_reset_and_seed_drop_the_old_stores_deliveries(
    *,
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    store: StoreState,
    refused_url: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    await failing_delivery(client, store, refused_url)
    await first_failure(sandbox)
    assert sandbox.webhooks.pending == 1
    assert (await client.post(path, json=body)).status_code == 200
    async with asyncio.timeout(1):
        await sandbox.webhooks.drain()
    assert sandbox.webhooks.pending == 0
    assert sandbox.webhooks.report()["stats"]["attempts"] == 1  # never retried
