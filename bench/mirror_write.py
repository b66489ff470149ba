"""The mirror's writer alone: pages of real sandbox documents committed into a database.

    .venv/bin/python bench/mirror_write.py [--products 3333] [--orders 10000]
        [--database-url sqlite:///... | postgresql://...] [--repeat 3] [--tally]

Fetches the products (with variants), orders (with consignments) and inventory items of a
sandbox store once (the sandbox runs in its own process, pinned to CPU 0; this process to
CPU 1), builds their rows with the streams' `to_batch`, then times `commit_page` (one
transaction per page: lease, rows, state) into a fresh database: the first write (every row
new) and a second write of the same pages (every row unchanged, as in an incremental sync's
re-reads). Times are CPU seconds of this process (`time.process_time`), so they hold on a
busy machine; the median of `--repeat` runs is printed with rows/s. The garbage collector
is paced as in every `bigsync` command (`bigsync.runtime`). With `--tally`, each
page also records its run's live figures (the `sync_runs` UPDATE a sync makes per page, with
16 streams' figures), as the engine does.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bigsync.runtime import pace_garbage_collector
from bigsync.store import connection_repository
from bigsync.store import mirror_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.streams import STREAMS_BY_NAME
from bigsync.streams.spec import Batch
from sandbox_process import free_port, pin, start_sandbox, wait_ready

READS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("products", "/v3/catalog/products", {"include": "variants", "limit": 250}),
    ("inventory_levels", "/v3/inventory/items", {"limit": 250}),
)
ORDERS: tuple[str, str, dict[str, Any]] = (
    "orders",
    "/v2/orders",
    {"include": "consignments.line_items", "limit": 250},
)


async def fetch_pages(base: str, store: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every page of the streams above, as (stream, items)."""
    token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    pages: list[tuple[str, list[Any]]] = []
    async with httpx.AsyncClient(base_url=f"{base}/stores/{store['hash']}", headers=headers) as c:
        for stream, path, params in READS:
            page = 1
            while True:
                body = (await c.get(path, params={**params, "page": page})).json()
                pages.append((stream, body["data"]))
                if page >= body["meta"]["pagination"]["total_pages"]:
                    break
                page += 1
        stream, path, params = ORDERS
        page = 1
        while True:
            answer = await c.get(
                path, params={**params, "consignment_structure": "object", "page": page}
            )
            if answer.status_code == 204 or not answer.json():
                break
            pages.append((stream, answer.json()))
            page += 1
    return pages


def _tally(run_id: int | None, pages: int) -> repo.RunTally | None:
    if run_id is None:
        return None
    figures = {"status": "running", "records": pages * 250, "changed": pages, "requests": pages}
    streams = {f"stream_{i}": {**figures, "expected": None, "error": None} for i in range(16)}
    return repo.RunTally(run_id=run_id, requests=pages, streams=streams)


def write_all(
    db: Any, connection_id: int, batches: list[tuple[str, Batch, int]], *, tally: bool = False
) -> float:
    """CPU seconds to commit every batch, one transaction each."""
    now = datetime.now(UTC)
    with db.begin() as conn:
        repo.try_acquire(conn, connection_id=connection_id, owner="bench", now=now, ttl=_LEASE)
        run_id = (
            repo.start_run(conn, connection_id=connection_id, mode="full", streams=[], now=now)
            if tally
            else None
        )
    started = time.process_time()
    for number, (stream, batch, records) in enumerate(batches):
        repo.commit_page(
            db,
            connection_id=connection_id,
            owner="bench",
            lease=_LEASE,
            stream=stream,
            table=STREAMS_BY_NAME[stream].table,
            batch=batch,
            records=records,
            state={"status": "running"},
            now=datetime.now(UTC),
            tally=_tally(run_id, number),
        )
    return time.process_time() - started


_LEASE = timedelta(minutes=5)


def one_run(
    url: str | None, batches: list[tuple[str, Batch, int]], *, tally: bool = False
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = create_engine_for(url or f"sqlite:///{tmp}/bench.db")
        migrate(db)
        with db.begin() as conn:
            name = f"bench-{time.time_ns()}"
            connection_id = connection_repository.insert_connection(
                conn, name=name, name_key=name, kind="api_account", store_hash="bench",
                api_url="http://127.0.0.1", client_id=None, granted_scopes=None, features=[],
            )  # fmt: skip
        first = write_all(db, connection_id, batches, tally=tally)
        again = write_all(db, connection_id, batches, tally=tally)
        if url is not None:  # a shared PostgreSQL: leave it as it was
            with db.begin() as conn:
                connection_repository.delete_connection(conn, connection_id)
        db.dispose()
    return first, again


async def main(args: argparse.Namespace) -> None:
    pin(1)
    pace_garbage_collector()  # as the `bigsync` command does
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_sandbox(
        port, products=args.products, orders=args.orders, customers=10,
        latency_ms=0, plan="unlimited",
    )  # fmt: skip
    try:
        stores = await wait_ready(base, server)
        pages = await fetch_pages(base, stores["stores"][0])
    finally:
        server.terminate()
        server.wait(timeout=10)
    started = time.process_time()
    batches = [
        (stream, STREAMS_BY_NAME[stream].to_batch(items, None), len(items))
        for stream, items in pages
    ]
    rows_s = time.process_time() - started
    rows = sum(batch.count for _, batch, _ in batches)
    print(f"{len(batches)} pages, {rows:,} rows built in {rows_s:.2f} CPU s")
    runs = [one_run(args.database_url, batches, tally=args.tally) for _ in range(args.repeat)]
    for label, index in (("first write (all new)", 0), ("second write (unchanged)", 1)):
        seconds = statistics.median(run[index] for run in runs)
        spread = ", ".join(f"{run[index]:.2f}" for run in runs)
        print(f"{label:<26} {seconds:6.2f} CPU s median ({spread})  {rows / seconds:>9,.0f} rows/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=3333)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tally", action="store_true", help="record the run's live figures with every page"
    )
    asyncio.run(main(parser.parse_args()))
