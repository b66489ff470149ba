"""CPU per request of BigCommerceClient over each HTTP library, side by side in one process.

`bigsync sandbox` runs in its own process pinned to CPU 0 (no added latency, unlimited plan);
this process, pinned to CPU 1, sends N GETs through a client over aiohttp (what a client uses
over a socket) and through one over httpx (`transport=httpx.AsyncHTTPTransport(...)`), one
after the other, repeated, and reports the CPU seconds of this process per request (time
spent waiting for the sandbox costs no CPU here, so the load of a shared machine barely moves
the figure). Small answers (`GET /v2/time`) and 250-product pages, one at a time and 8 in
flight.

    .venv/bin/python bench/client_transport.py [--requests 400] [--repeat 5] [--products 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from sandbox_process import free_port, pin, start_sandbox, wait_ready

LIBRARIES = ("httpx", "aiohttp")


def client_for(
    library: str, base: str, credentials: StoreCredentials, concurrency: int
) -> BigCommerceClient:
    options = ClientOptions(max_concurrency=concurrency, reserve_share=0.0)
    transport = None
    if library == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport = httpx.AsyncHTTPTransport(limits=limits)
    return BigCommerceClient(credentials, base_url=base, options=options, transport=transport)


async def cpu_per_request(
    library: str,
    base: str,
    credentials: StoreCredentials,
    *,
    path: str,
    params: dict[str, Any],
    requests: int,
    concurrency: int,
) -> float:
    """CPU milliseconds of this process per request, connections already open."""
    async with client_for(library, base, credentials, concurrency) as client:
        await asyncio.gather(*(client.get(path, params=params) for _ in range(concurrency)))
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await client.get(path, params=params)

        started = time.process_time()
        await asyncio.gather(*(one() for _ in range(requests)))
        spent = time.process_time() - started
    return spent / requests * 1000


async def main(args: argparse.Namespace) -> None:
    pin(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_sandbox(
        port, products=args.products, orders=20, customers=10, latency_ms=0, plan="unlimited"
    )
    try:
        store = (await wait_ready(base, server))["stores"][0]
        token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
        credentials = StoreCredentials(store_hash=store["hash"], access_token=token)
        cases = [
            ("GET /v2/time", "/v2/time", {}, args.requests),
            ("250 products", "/v3/catalog/products", {"limit": 250}, max(args.requests // 4, 1)),
        ]
        print(f"CPU ms per request of the client process, median of {args.repeat}, interleaved")
        print(f"{'request':<14} {'in flight':>9} {'httpx':>8} {'aiohttp':>8} {'ratio':>6}")
        for name, path, params, requests in cases:
            for concurrency in (1, 8):
                figures: dict[str, list[float]] = {library: [] for library in LIBRARIES}
                for _ in range(args.repeat):
                    for library in LIBRARIES:
                        figures[library].append(
                            await cpu_per_request(
                                library,
                                base,
                                credentials,
                                path=path,
                                params=params,
                                requests=requests,
                                concurrency=concurrency,
                            )
                        )
                slow, fast = (statistics.median(figures[lib]) for lib in LIBRARIES)
                print(
                    f"{name:<14} {concurrency:>9} {slow:>8.2f} {fast:>8.2f} {slow / fast:>5.1f}×",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--products", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
