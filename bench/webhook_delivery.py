"""Webhook deliveries per second from the sandbox to a receiver on 127.0.0.1.

    .venv/bin/python bench/webhook_delivery.py [--events 2000] [--hooks 1] [--signed]

Starts a minimal receiver (uvicorn + Starlette, answers 200) in a child process pinned to
CPU 1 when there is one, builds an in-process sandbox with one store and `--hooks` hooks on
`store/order/*` (owned by a registered OAuth app when `--signed`), pins itself to CPU 0,
emits `--events` events and waits until every delivery has settled. Prints the cost of
`emit()` per event (what an API request pays) and deliveries per second end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import httpx

from bigsync.sandbox.backend import ApiAccount, Sandbox, StoreState
from bigsync.sandbox.webhooks import Hook
from sandbox_process import free_port, pin


def run_receiver(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def ok(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    app = Starlette(routes=[Route("/{path:path}", ok, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", access_log=False)


async def wait_until_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.post(url)
            except httpx.TransportError:
                await asyncio.sleep(0.05)
            else:
                return
    raise RuntimeError("the receiver did not start")


async def run(events: int, hooks: int, *, signed: bool, url: str) -> None:
    sandbox = Sandbox()
    store = sandbox.stores["bench1"] = StoreState(
        hash="bench1", store_id=1000001, name="Bench", plan="unlimited"
    )
    client_id = "benchclient"
    if signed:
        client_id = sandbox.apps.register(auth_callback=f"{url}/auth", scopes=[]).client_id
    store.accounts["t"] = ApiAccount("bench", client_id, "t", frozenset())
    for hook_id in range(1, hooks + 1):
        store.hooks.hooks[hook_id] = Hook(
            id=hook_id,
            client_id=client_id,
            store_hash=store.hash,
            scope="store/order/*",
            destination=f"{url}/hooks/{hook_id}",
            is_active=True,
            headers=None,
            created_at=0,
            updated_at=0,
        )
    await wait_until_up(url)

    started = time.perf_counter()
    for order_id in range(events):
        sandbox.emit(store, "store/order/updated", {"type": "order", "id": order_id})
    emitted = time.perf_counter() - started
    await sandbox.webhooks.drain()
    elapsed = time.perf_counter() - started
    stats = sandbox.webhooks.report(limit=0)["stats"]
    deliveries = events * hooks
    assert stats["successes"] == deliveries, stats
    print(f"events={events} hooks={hooks} signed={signed}")
    print(f"emit(): {emitted / events * 1e6:.1f} µs per event (the API request's share)")
    print(f"delivered {deliveries} in {elapsed:.2f} s: {deliveries / elapsed:.0f} deliveries/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--hooks", type=int, default=1)
    parser.add_argument("--signed", action="store_true")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        pin(1)
        run_receiver(args.receiver)
        return
    port = free_port()
    child = subprocess.Popen(  # noqa: S603 -- this script with fixed arguments
        [sys.executable, __file__, f"--receiver={port}"]
    )
    try:
        pin(0)
        asyncio.run(
            run(args.events, args.hooks, signed=args.signed, url=f"http://127.0.0.1:{port}")
        )
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    main()
