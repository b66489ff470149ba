"""Webhook-to-mirror latency, and deliveries a hub absorbs per second on one core.

    .venv/bin/python bench/webhook_latency.py [--rates 10,100] [--seconds 5]
                                              [--products 600] [--events 3000]

`bigsync sandbox` runs in a child process pinned to CPU 0; the hub (the webhook router under
uvicorn, the receiver, a RefreshRunner, SQLite) runs in this process pinned to CPU 1. The
hub's connection has the webhooks feature on and its hooks registered.

Latency: at each rate, a child process on CPU 0 changes products through the store API (`PUT
/v3/catalog/products/{id}`, a new price; each product once, so no two changes coalesce);
the sandbox delivers `store/product/updated`, the hub refreshes the product (with its
variants and stock) and writes it. Latency = the product's `synced_at` in the mirror minus
the moment its PUT was sent: p50 and p99.

Absorbed: `--events` deliveries (distinct, for 200 products) posted by a child process on
CPU 0 as fast as 32 kept-alive connections allow, with the refreshes paused: deliveries the
hub answered 200 (recorded and queued) per second on its core, then the queue's refreshes
per second once resumed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import NewConnection, SecretPurpose
from bigsync.store import webhook_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.vault import Vault
from bigsync.web import webhooks
from bigsync.webhooks.receiver import WebhookReceiver
from bigsync.webhooks.runner import RefreshRunner
from bigsync.webhooks.signature import SECRET_HEADER
from bigsync.webhooks.subscriptions import keep_hooks
from sandbox_process import free_port, pin, start_sandbox, wait_ready

FEATURES = ["read_catalog", "read_inventory", "webhooks"]


def bare_app() -> FastAPI:
    """The same route doing nothing but read the body and hop to a thread: the HTTP stack's
    own cost, to compare the receiver with."""
    app = FastAPI()

    @app.post("/webhooks/{connection_id}")
    async def receive(connection_id: int, request: Request) -> Response:
        await request.body()
        await run_in_threadpool(lambda: None)
        return Response(status_code=200)

    return app


class Hub:
    """The router and a RefreshRunner under uvicorn, in a thread of this process."""

    def __init__(
        self, receiver: WebhookReceiver, runner: RefreshRunner, app: FastAPI | None = None
    ) -> None:
        if app is None:
            app = FastAPI(lifespan=self._lifespan)
            app.include_router(webhooks.router)
            app.state.webhook_receiver = receiver
        self.runner = runner
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        self.runner.start()
        yield
        await self.runner.stop()

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def synced_at(service: ConnectionService, connection_id: int) -> dict[int, datetime]:
    products = MIRROR_TABLES["products"]
    with service.engine.connect() as conn:
        query = products.select().where(products.c.connection_id == connection_id)
        return {row.id: row.synced_at for row in conn.execute(query)}


async def wait_empty(service: ConnectionService, *, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with service.engine.connect() as conn:
            if webhook_repository.count_pending(conn) == 0:
                return
        await asyncio.sleep(0.02)
    raise TimeoutError("refreshes still queued")


async def change_all(base: str, token: str, ids: list[int], rate: int) -> dict[int, str]:
    """PUT a new price on each of `ids` at `rate` per second; when each PUT was sent."""
    sent: dict[int, str] = {}
    auth = {"X-Auth-Token": token, "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60) as api:
        started = time.monotonic()
        tasks = []
        for index, product_id in enumerate(ids):
            await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
            sent[product_id] = datetime.now(UTC).isoformat()
            body = {"price": 10 + index % 90 + rate / 1000}
            put = api.put(f"/v3/catalog/products/{product_id}", json=body)
            tasks.append(asyncio.create_task(put))
        for response in await asyncio.gather(*tasks):
            response.raise_for_status()
    return sent


async def latency(
    base: str, token: str, control: httpx.AsyncClient, service: ConnectionService, *,
    connection_id: int, ids: list[int], rate: int,
) -> tuple[float, float, int]:  # fmt: skip
    """p50 and p99 in ms for changes of `ids` at `rate` per second, made by a child process
    on the sandbox's core (so the hub's core only receives and refreshes)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, f"--change={base}", f"--token={token}", f"--rate={rate}",
        f"--ids={','.join(map(str, ids))}",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await child.communicate()
    sent = {int(k): datetime.fromisoformat(v) for k, v in orjson.loads(output).items()}
    await control.post("/_sandbox/webhooks/drain", json={"timeout": 120})
    await wait_empty(service)
    written = synced_at(service, connection_id)
    values = [(written[pid] - at).total_seconds() * 1000 for pid, at in sent.items()]
    return statistics.median(values), percentile(values, 0.99), len(values)


async def post_all(url: str, secret: str, store_hash: str, events: int) -> float:
    """Post `events` distinct deliveries for 200 products over 32 connections; seconds."""
    bodies = [
        orjson.dumps({
            "scope": "store/product/updated", "store_id": "1", "hash": f"h{i % 200}",
            "data": {"type": "product", "id": 1 + i % 200}, "created_at": 1_700_000_000 + i,
            "producer": f"stores/{store_hash}",
        })
        for i in range(events)
    ]  # fmt: skip
    headers = {SECRET_HEADER: secret, "content-type": "application/json"}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            while bodies:
                response = await client.post(url, content=bodies.pop(), headers=headers)
                assert response.status_code == 200, response.status_code

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        return time.perf_counter() - started


async def post_from_child(url: str, secret: str, store_hash: str, events: int) -> float:
    """`post_all` in a child process pinned to the other core; its seconds."""
    poster = await asyncio.create_subprocess_exec(
        sys.executable, __file__, f"--post={url}", f"--secret={secret}",
        f"--store={store_hash}", f"--events={events}",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await poster.communicate()
    return float(output.decode().strip())


async def absorb(
    url: str, secret: str, store_hash: str, runner: RefreshRunner, service: ConnectionService,
    *, events: int,
) -> tuple[float, float]:  # fmt: skip
    """Deliveries answered per second (refreshes paused; the poster in a child process on
    the other core), then the queue's refreshes per second."""
    runner.paused = True
    received = await post_from_child(url, secret, store_hash, events)
    with service.engine.connect() as conn:
        pending = webhook_repository.count_pending(conn)
    runner.paused = False
    started = time.perf_counter()
    runner.nudge()
    await wait_empty(service)
    refreshed = time.perf_counter() - started
    return events / received, pending / refreshed


async def run(
    args: argparse.Namespace, sandbox_url: str, workdir: Path, server: subprocess.Popen[bytes]
) -> None:
    stores = await wait_ready(sandbox_url, server)
    store = stores["stores"][0]
    token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
    engine = create_engine_for(f"sqlite:///{workdir}/bigsync.db")
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=workdir / "data", secret_key=None))
    service = ConnectionService(engine, vault, default_api_url=sandbox_url)
    view = service.add(
        NewConnection(name="bench", store=store["hash"], access_token=token, features=FEATURES)
    ).connection
    runner = RefreshRunner(service, interval=1.0)
    receiver = WebhookReceiver(service, on_queued=runner.nudge)
    hub = Hub(receiver, runner)
    with hub as hub_url:
        await keep_hooks(service, "bench", public_url=hub_url)
        secret = service.open_secret(view.id, SecretPurpose.WEBHOOK_SECRET) or ""
        api_base = f"{sandbox_url}/stores/{store['hash']}"
        auth = {"X-Auth-Token": token, "Accept": "application/json"}
        async with (
            httpx.AsyncClient(base_url=api_base, headers=auth, timeout=60) as api,
            httpx.AsyncClient(base_url=sandbox_url, timeout=180) as control,
        ):
            listing = await api.get("/v3/catalog/products", params={"limit": 250})
            ids: list[int] = []
            page = 1
            while listing.json()["data"]:
                ids += [p["id"] for p in listing.json()["data"]]
                page += 1
                listing = await api.get("/v3/catalog/products", params={"limit": 250, "page": page})
            print(f"products={len(ids)} rates={args.rates} seconds={args.seconds}")
            offset = 0
            for rate in (int(r) for r in args.rates.split(",")):
                count = min(rate * args.seconds, len(ids) - offset)
                chosen = ids[offset : offset + count]
                offset += count
                p50, p99, n = await latency(
                    api_base,
                    token,
                    control,
                    service,
                    connection_id=view.id,
                    ids=chosen,
                    rate=rate,
                )
                print(
                    f"{rate:>4} events/s: {n} changes, latency p50 {p50:.0f} ms, p99 {p99:.0f} ms"
                )
        url = f"{hub_url}/webhooks/{view.id}"
        received, refreshed = await absorb(
            url, secret, store["hash"], runner, service, events=args.events
        )
    with Hub(receiver, runner, app=bare_app()) as bare_url:
        seconds = await post_from_child(f"{bare_url}/webhooks/1", "", "x", args.events)
    print(
        f"absorbed {args.events} deliveries: {received:.0f} deliveries/s answered on one "
        f"core (the same route doing nothing: {args.events / seconds:.0f}/s); the queue's "
        f"refreshes then ran at {refreshed:.0f} products/s"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,100")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--post", help=argparse.SUPPRESS)
    parser.add_argument("--change", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.change:  # the store's changes of `latency`, in their own process
        pin(0)
        ids = [int(i) for i in args.ids.split(",")]
        sent = asyncio.run(change_all(args.change, args.token, ids, args.rate))
        sys.stdout.buffer.write(orjson.dumps({str(k): v for k, v in sent.items()}))
        return
    if args.post:  # the poster of `absorb`, in its own process
        pin(0)
        print(asyncio.run(post_all(args.post, args.secret, args.store, args.events)))
        return
    port = free_port()
    server = start_sandbox(
        port, products=args.products, orders=1, customers=1, latency_ms=0, plan="unlimited"
    )
    try:
        pin(1)
        with tempfile.TemporaryDirectory() as workdir:
            asyncio.run(run(args, f"http://127.0.0.1:{port}", Path(workdir), server))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
