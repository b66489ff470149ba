"""One worker's CPU per small store: a `QueueWorker` in this process (procrastinate on
PostgreSQL, its real tick) syncs N sandbox stores once each; the process's CPU time (both
threads: the loop and the mirror writer) divided by N. `--profile FILE` writes a pyinstrument
report of the run (pyinstrument is not a dependency: install it into the venv to use it).

    .venv/bin/python bench/worker_cpu.py --stores 60
    .venv/bin/python bench/worker_cpu.py --stores 60 --profile /tmp/worker.txt

The sandbox is a process of its own pinned to CPU 0 (its CPU is not counted)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bigsync.config import Settings
from bigsync.jobs.context import JobContext
from bigsync.jobs.queue import QueueOptions
from bigsync.jobs.worker import QueueWorker, WorkerOptions
from bigsync.store.db import create_engine_for
from sandbox_process import free_port, start_sandbox, wait_ready
from workers import connect_all, fresh_schema, synced


async def run_worker(ctx: JobContext, stores: int, concurrency: int) -> float:
    """Seconds until every store's first sync is done."""
    options = WorkerOptions(concurrency=concurrency, queue=QueueOptions(tick_every_s=1))
    worker = QueueWorker(ctx, options=options)
    watcher = create_engine_for(ctx.settings.resolved_database_url)
    started = time.monotonic()
    task = asyncio.create_task(worker.run())
    try:
        while await asyncio.to_thread(synced, watcher) < stores:
            if task.done():
                task.result()
                raise RuntimeError("the worker stopped")
            await asyncio.sleep(0.25)
        return time.monotonic() - started
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        watcher.dispose()


def measure(
    stores: list[dict[str, Any]], api_url: str, concurrency: int, profile: str | None
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder, fresh_schema() as url:
        data = Path(folder) / "data"
        connect_all(url, data, api_url, stores)
        settings = Settings(data_dir=data, database_url=url, api_url=api_url)
        ctx = JobContext.open(settings)
        profiler = None
        if profile:
            from pyinstrument import Profiler  # type: ignore[import-not-found,unused-ignore]

            profiler = Profiler(async_mode="disabled")
            profiler.start()
        cpu = time.process_time()
        try:
            elapsed = asyncio.run(run_worker(ctx, len(stores), concurrency))
        finally:
            cpu = time.process_time() - cpu
            if profiler is not None:
                profiler.stop()
                Path(profile or "").write_text(profiler.output_text(unicode=False, show_all=False))
            ctx.close()
    return elapsed, cpu


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=60)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--plan", default="enterprise")
    parser.add_argument("--profile", help="write a pyinstrument report to this file")
    args = parser.parse_args()
    port = free_port()
    server = start_sandbox(port, stores=args.stores, seed=5, products=args.products,
                           orders=args.products, customers=max(1, args.products // 2),
                           latency_ms=args.latency_ms, plan=args.plan)  # fmt: skip
    api_url = f"http://127.0.0.1:{port}"
    try:
        stores = asyncio.run(wait_ready(api_url, server))["stores"]
        elapsed, cpu = measure(stores, api_url, args.concurrency, args.profile)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{args.stores} stores ({args.products} products, {args.products} orders): "
          f"{elapsed:.1f} s, worker CPU {cpu / args.stores * 1000:.0f} ms per store")  # fmt: skip


if __name__ == "__main__":
    main()
