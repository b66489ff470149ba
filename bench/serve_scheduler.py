"""What the embedded scheduler of `bigsync serve` costs on SQLite: the poll that notices new
connections (one aggregate query, every 2 s), a reload of all connections, and the
scheduler's own overhead per job run (two saves of `schedule_state`), with no-op jobs.

    .venv/bin/python bench/serve_scheduler.py --connections 1000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bigsync.jobs.model import JobOutcome, JobSpec
from bigsync.jobs.scheduler import Scheduler, SchedulerOptions
from bigsync.jobs.source import DatabaseScheduleStore
from bigsync.store import connection_repository
from bigsync.store.db import create_engine_for, migrate


def _fill(url: str, count: int) -> None:
    engine = create_engine_for(url)
    migrate(engine)
    with engine.begin() as conn:
        for i in range(count):
            connection_id = connection_repository.insert_connection(
                conn, name=f"store {i}", name_key=f"store {i}", kind="api_account",
                store_hash=f"h{i:08d}", api_url="http://127.0.0.1:9", client_id=None,
                granted_scopes=None, features=["read_catalog"],
            )  # fmt: skip
            connection_repository.update_connection(conn, connection_id, last_test={"ok": True})
    engine.dispose()


def _median_ms(function: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _run_all(store: DatabaseScheduleStore, count: int) -> float:
    done = asyncio.Event()
    runs = 0

    async def job(_ctx: Any, _connection_id: int) -> JobOutcome:
        nonlocal runs
        runs += 1
        if runs == count:
            done.set()
        return JobOutcome("idle")

    scheduler = Scheduler(
        None, jobs={"sync": JobSpec(job)}, store=store, options=SchedulerOptions(max_running=64)
    )
    started = time.perf_counter()
    loop = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    await scheduler.stop(grace_s=5)
    await asyncio.wait_for(loop, timeout=5)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        _fill(url, args.connections)
        engine = create_engine_for(url)
        store = DatabaseScheduleStore(engine)
        poll = _median_ms(store.signature, 200)
        reload_ms = _median_ms(store.connections, 10)
        elapsed = asyncio.run(_run_all(store, args.connections))
        engine.dispose()
    print(f"connections:               {args.connections:,}")
    print(f"poll (signature query):    {poll:.2f} ms median")
    print(f"reload of all connections: {reload_ms:.1f} ms median")
    print(f"first runs of every job:   {elapsed:.2f} s, {args.connections / elapsed:,.0f} runs/s")
    print(f"scheduler cost per run:    {elapsed / args.connections * 1000:.2f} ms")


if __name__ == "__main__":
    main()
