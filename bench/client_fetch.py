"""Full fetch of a store through BigCommerceClient: requests made, wall time, 429s.

    .venv/bin/python bench/client_fetch.py [--products 10000] [--orders 30000]
        [--latency-ms 50] [--plans unlimited,standard] [--reserve 0.1] [--concurrency 8]
        [--window-ms 30000]

Starts `bigsync sandbox` (one uvicorn worker, pinned to CPU 0) with one store of that size and
added latency, then, for each plan, fetches every product (`include=variants`) and every order
(`include=consignments.line_items&consignment_structure=object`, pages planned from
`/v2/orders/count`) concurrently through one client over a real socket (this process pinned to
CPU 1 when there is one). Only talks to 127.0.0.1.

Reports requests made against the minimum (ceil(records/250) per list, plus the count), wall
time, 429s, and for rate-limited plans the quota-bound time: N/quota x window (the whole quota)
and N/(quota - reserve) x window (the share the client allows itself).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RateGovernor, StoreCredentials
from bigsync.bigcommerce.ratelimit import reserve_of
from sandbox_process import free_port, pin, start_sandbox, wait_ready

QUOTAS = {"standard": 150, "plus": 150, "pro": 450, "enterprise": 1500, "unlimited": None}
PRODUCTS = {"include": "variants"}
ORDERS = {"include": "consignments.line_items", "consignment_structure": "object"}


@dataclass(frozen=True)
class Run:
    plan: str
    products: int
    orders: int
    unique: bool
    requests: int
    wall_s: float
    retries: int
    client_429: int
    server_429: int
    server_requests: int
    waited_s: float


async def crawl(client: BigCommerceClient) -> tuple[int, int, bool]:
    async def products() -> list[int]:
        return [
            item["id"]
            async for page in client.paginate_v3("/v3/catalog/products", params=PRODUCTS)
            for item in page.items
        ]

    async def orders() -> list[int]:
        pages = client.paginate_v2("/v2/orders", params=ORDERS, count_path="/v2/orders/count")
        return [item["id"] async for page in pages for item in page.items]

    product_ids, order_ids = await asyncio.gather(products(), orders())
    unique = len(set(product_ids)) == len(product_ids) and len(set(order_ids)) == len(order_ids)
    return len(product_ids), len(order_ids), unique


async def run_plan(base: str, store: dict[str, Any], plan: str, args: argparse.Namespace) -> Run:
    token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
    async with httpx.AsyncClient(base_url=base) as control:
        settings = {"plan": plan, "window_ms": args.window_ms}  # also starts a fresh window
        (
            await control.put(f"/_sandbox/stores/{store['hash']}/settings", json=settings)
        ).raise_for_status()
        await control.delete("/_sandbox/stats")
        credentials = StoreCredentials(store_hash=store["hash"], access_token=token)
        options = ClientOptions(max_concurrency=args.concurrency, reserve_share=args.reserve)
        # A governor of its own per run: what one plan taught it must not carry over.
        governor = RateGovernor(max_concurrency=args.concurrency, reserve_share=args.reserve)
        async with BigCommerceClient(
            credentials, base_url=base, options=options, governor=governor
        ) as client:
            started = time.perf_counter()
            products, orders, unique = await crawl(client)
            wall = time.perf_counter() - started
        server = (await control.get("/_sandbox/stats")).json()["stores"][store["hash"]]
    stats = client.stats
    return Run(
        plan=plan,
        products=products,
        orders=orders,
        unique=unique,
        requests=stats.requests,
        wall_s=wall,
        retries=stats.retries,
        client_429=stats.rate_limited,
        server_429=server["throttled"],
        server_requests=server["requests"],
        waited_s=stats.waited_s,
    )


def report(run: Run, args: argparse.Namespace) -> None:
    minimum = math.ceil(args.products / 250) + 1 + math.ceil(args.orders / 250)
    extra = (run.requests - minimum) / minimum
    print(f"plan {run.plan}: {run.products} products + {run.orders} orders", end="")
    print(f" ({'each exactly once' if run.unique else 'DUPLICATES'})")
    print(
        f"  requests {run.requests} (sandbox saw {run.server_requests}), minimum {minimum}", end=""
    )
    print(f" -> {extra:+.1%}; retries {run.retries}")
    print(f"  wall {run.wall_s:.2f} s; governor held requests back {run.waited_s:.2f} s")
    print(f"  429s: client saw {run.client_429}, sandbox sent {run.server_429}")
    quota = QUOTAS[run.plan]
    if quota is not None:
        window_s = args.window_ms / 1000
        whole = minimum / quota * window_s
        share = minimum / (quota - reserve_of(quota, args.reserve)) * window_s
        windows = math.ceil(run.wall_s / window_s)
        print(
            f"  quota-bound: {whole:.1f} s at the whole quota ({quota}/{window_s:g} s) -> ", end=""
        )
        print(f"wall/bound {run.wall_s / whole:.3f}")
        print(
            f"               {share:.1f} s at the client's share (reserve {args.reserve:.0%})",
            end="",
        )
        ratio = run.wall_s / share
        print(f" -> wall/bound {ratio:.3f}; 429s per window {run.server_429 / windows:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--plans", default="unlimited,standard")
    parser.add_argument("--reserve", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--window-ms", type=int, default=30_000)
    args = parser.parse_args()
    pin(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    generating = time.perf_counter()
    server = start_sandbox(
        port,
        products=args.products,
        orders=args.orders,
        customers=10,
        latency_ms=args.latency_ms,
        plan="unlimited",
    )
    try:
        store = (await wait_ready(base, server))["stores"][0]
        print(
            f"sandbox ready in {time.perf_counter() - generating:.1f} s: {args.products} products,",
            end="",
        )
        print(f" {args.orders} orders, +{args.latency_ms:g} ms per request,", end="")
        print(f" concurrency {args.concurrency}, window {args.window_ms} ms")
        for plan in args.plans.split(","):
            report(await run_plan(base, store, plan, args), args)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
