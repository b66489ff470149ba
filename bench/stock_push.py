"""Stock write-back: push stock for 20,000 items over 2 locations on the `standard` plan.

    .venv/bin/python bench/stock_push.py [--items 20000] [--plan standard] [--latency-ms 20]
        [--inventory-delay-ms 0] [--database-url sqlite:///...]

Starts `bigsync sandbox` in its own process (pinned to CPU 0; one store, `--plan`'s quota,
added latency, asynchronous inventory writes after `--inventory-delay-ms`), reads the store's
inventory items once (not counted: the quota window and the counters are reset afterwards),
records one stock level per item and location in the outbox in one transaction (as a CSV
import does: `record_stock_many`), then runs the dispatcher (`bigsync push`) through
BigCommerceClient over a real socket until every level is confirmed by reading it back.
Only talks to 127.0.0.1.

Minimum requests: the adjustments, ceil(items / 2,000) per location, plus the read-backs,
ceil(items / 500) reads of `/v3/inventory/items` (500 ids per read; one read covers both
locations). A first push reads nothing before writing (no baseline to compare with).
Quota bound: the time the plan's quota needs for the requests made, at the governor's share
(90% of each 30 s window): max(0, ceil(requests / usable) - 1) x 30 s, since the first
window is full at the start.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from typing import Any

import httpx

from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.store import connection_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.writeback.dispatcher import DispatchOptions, DispatchResult, OutboxDispatcher
from bigsync.writeback.intents import IntentState, StockLevel
from bigsync.writeback.outbox import record_stock_many
from bigsync.writeback.stock_push import MAX_BATCH, READ_CHUNK
from sandbox_process import free_port, pin, start_sandbox, wait_ready

PLAN_QUOTA = {"standard": 150, "plus": 150, "pro": 450, "enterprise": 1_000_000}
WINDOW_S = 30.0
RESERVE = 0.10


async def read_items(base: str, store_hash: str, token: str, count: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=f"{base}/stores/{store_hash}", headers=headers) as http:
        page = 1
        while len(items) < count:
            answer = await http.get("/v3/inventory/items", params={"limit": 1000, "page": page})
            answer.raise_for_status()
            body = answer.json()
            items += [d["identity"] for d in body["data"]]
            if page >= body["meta"]["pagination"]["total_pages"]:
                break
            page += 1
    return items[:count]


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    products = math.ceil(args.items / 2.2) + 200
    server = start_sandbox(
        port,
        products=products,
        orders=10,
        customers=10,
        latency_ms=args.latency_ms,
        plan=args.plan,
    )
    try:
        stores = await wait_ready(base, server)
        store = stores["stores"][0]
        token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
        items = await read_items(base, store["hash"], token, args.items)
        if len(items) < args.items:
            raise SystemExit(f"the sandbox has only {len(items)} inventory items")
        async with httpx.AsyncClient(base_url=base) as control:
            settings = {"window_ms": int(WINDOW_S * 1000),
                        "inventory_delay_ms": args.inventory_delay_ms}  # fmt: skip
            (await control.put(f"/_sandbox/stores/{store['hash']}/settings", json=settings))
            (await control.delete("/_sandbox/stats")).raise_for_status()
        pin(1)
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        engine = create_engine_for(url)
        migrate(engine)
        with engine.begin() as conn:
            connection_id = connection_repository.insert_connection(
                conn, name="bench", name_key="bench", kind="api_account",
                store_hash=store["hash"], api_url=base, client_id=None, granted_scopes=None,
                features=[],
            )  # fmt: skip
        started = time.perf_counter()
        levels = [
            StockLevel(
                product_id=int(identity["product_id"]),
                variant_id=int(identity.get("variant_id") or 0),
                sku=str(identity.get("sku") or ""),
                location_id=location_id,
                quantity=(n * 7 + location_id) % 500,
            )
            for n, identity in enumerate(items)
            for location_id in (1, 2)
        ]
        with engine.begin() as conn:
            record_stock_many(conn, connection_id, levels)
        recorded_s = time.perf_counter() - started
        credentials = StoreCredentials(store_hash=store["hash"], access_token=token)
        started = time.perf_counter()
        async with BigCommerceClient(credentials, base_url=base) as client:
            dispatcher = OutboxDispatcher(
                engine, client, connection_id=connection_id,
                options=DispatchOptions(max_wait_s=3600, confirm_delay_s=0.5),
            )  # fmt: skip
            result = await dispatcher.run()
            waited = client.stats.waited_s
        pushed_s = time.perf_counter() - started
        async with httpx.AsyncClient(base_url=base) as control:
            stats = (await control.get("/_sandbox/stats")).json()["stores"][store["hash"]]
        engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, items, stats, result, recorded_s=recorded_s, pushed_s=pushed_s, waited=waited)


def report(
    args: argparse.Namespace,
    items: list[dict[str, Any]],
    stats: dict[str, Any],
    result: DispatchResult,
    *,
    recorded_s: float,
    pushed_s: float,
    waited: float,
) -> None:
    endpoints = stats["endpoints"]
    puts = endpoints.get("PUT /v3/inventory/adjustments/absolute", {}).get("requests", 0)
    reads = endpoints.get("GET /v3/inventory/items", {}).get("requests", 0)
    levels = 2 * args.items
    by_variant = sum(1 for i in items if i.get("variant_id"))
    min_puts = 2 * math.ceil(args.items / MAX_BATCH)
    min_reads = math.ceil(by_variant / READ_CHUNK) + math.ceil(
        (args.items - by_variant) / READ_CHUNK
    )
    usable = int(PLAN_QUOTA.get(args.plan, 150) * (1 - RESERVE))
    total = stats["requests"]
    bound_s = max(0, math.ceil(total / usable) - 1) * WINDOW_S
    confirmed = result.count(IntentState.CONFIRMED)
    print(
        f"stock push: {args.items:,} items x 2 locations = {levels:,} levels, plan {args.plan}, "
        f"latency {args.latency_ms:g} ms, inventory delay {args.inventory_delay_ms} ms"
    )
    print(f"  recorded in the outbox in {recorded_s:.1f}s (one transaction)")
    print(f"  confirmed {confirmed:,} of {levels:,}; left open: {result.left or 'none'}")
    print(f"  {'':<28}{'requests':>9}{'minimum':>9}")
    print(f"  {'PUT adjustments/absolute':<28}{puts:>9}{min_puts:>9}")
    print(f"  {'GET inventory/items':<28}{reads:>9}{min_reads:>9}")
    print(
        f"  {'all (429s: ' + str(stats['throttled']) + ')':<28}{total:>9}{min_puts + min_reads:>9}"
    )
    print(
        f"  wall time {pushed_s:.1f}s; quota bound {bound_s:.0f}s "
        f"({usable} usable requests per {WINDOW_S:.0f}s window); governor waits {waited:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--plan", default="standard")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--inventory-delay-ms", type=int, default=0)
    parser.add_argument("--database-url")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
