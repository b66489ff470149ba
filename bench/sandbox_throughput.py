"""Requests per second the sandbox serves on one core: 250-product pages with variants.

    .venv/bin/python bench/sandbox_throughput.py [--products 5000] [--seconds 10]
        [--connections 8] [--path /v3/catalog/products?include=variants&limit=250]

Starts `bigsync sandbox` (one uvicorn worker, plan unlimited, no added latency) in a child
process pinned to CPU 0, then loads it from this process (pinned to CPU 1 when there is one)
with an httpx client over several keep-alive connections, cycling through every page. Prints
requests/s, records/s and latency percentiles. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time

import httpx

from sandbox_process import cpu_seconds, free_port, pin, start_sandbox, wait_ready

DEFAULT_PATH = "/v3/catalog/products?include=variants&limit=250"


_COUNT = re.compile(rb'"count":(\d+)')


def _count(body: bytes) -> int:
    """Records on a page, read from `meta.pagination.count` at the end of the body (decoding
    whole pages would make this client, not the sandbox, the bottleneck)."""
    match = _COUNT.search(body, max(0, len(body) - 512))
    return int(match.group(1)) if match else 0


async def load(
    base: str, url: str, token: str, *, pages: int, seconds: float, connections: int
) -> tuple[int, int, list[float], int]:
    """Hammer `url` (cycling `page`) for `seconds`; (requests, records, latencies, errors)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    done = records = errors = 0
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    joiner = "&" if "?" in url else "?"
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker(offset: int) -> None:
            nonlocal done, records, errors
            page = offset
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await c.get(f"{url}{joiner}page={page % pages + 1}")
                latencies.append(time.perf_counter() - started)
                if response.status_code == 200:
                    done += 1
                    records += _count(response.content)
                else:
                    errors += 1
                page += connections

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return done, records, latencies, errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--path", default=DEFAULT_PATH)
    args = parser.parse_args()
    pin(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_sandbox(
        port, products=args.products, orders=10, customers=10, latency_ms=0, plan="unlimited"
    )
    try:
        stores = await wait_ready(base, server)
        store = stores["stores"][0]
        token = store["accounts"][0]["access_token"]
        url = f"/stores/{store['hash']}{args.path}"
        pages = max(1, -(-args.products // 250)) if "limit=250" in args.path else 1
        await load(base, url, token, pages=pages, seconds=1.0, connections=args.connections)
        started, cpu_before = time.perf_counter(), cpu_seconds(server.pid)
        done, records, latencies, errors = await load(
            base, url, token, pages=pages, seconds=args.seconds, connections=args.connections
        )
        elapsed = time.perf_counter() - started
        server_cpu = (cpu_seconds(server.pid) - cpu_before) / elapsed
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"GET {args.path} ({args.products} products, {args.connections} connections)")
    print(f"  {done / elapsed:8.1f} requests/s   {records / elapsed:10.0f} records/s")
    print(f"  latency p50 {p50:.1f} ms   p99 {p99:.1f} ms   errors {errors}")
    print(f"  sandbox process CPU: {server_cpu:.0%} of one core", end="")
    print(f" -> about {done / elapsed / max(server_cpu, 0.01):.0f} requests/s per busy core")


if __name__ == "__main__":
    asyncio.run(main())
