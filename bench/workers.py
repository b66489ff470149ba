"""Worker mode at scale: stores synced per minute by 1, 2 and 4 `bigsync worker` processes on
PostgreSQL (small sandbox stores, each answer delayed by --latency-ms, the way a real store's
network round trip is), the workers' CPU per store, and the queue's own overhead per job
(no-op jobs through one in-process worker: fetch, status writes, the schedule's state, the
schema check).

    .venv/bin/python bench/workers.py --stores 200 --workers 1,2,4

PostgreSQL: BIGSYNC_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
every run uses a schema of its own, dropped at the end. The sandbox is a `bigsync sandbox`
process of its own (pinned to CPU 0), so neither the bench nor the workers share its CPU
time or its GIL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigsync.config import Settings
from bigsync.connections import NewConnection
from bigsync.connections.service import ConnectionService
from bigsync.jobs.context import JobContext
from bigsync.jobs.model import JobOutcome, JobSpec
from bigsync.jobs.queue import QueueOptions, enqueue
from bigsync.jobs.worker import QueueWorker, WorkerOptions
from bigsync.store import connection_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.schema import connections
from bigsync.vault import Vault
from sandbox_process import cpu_seconds, free_port, start_sandbox, wait_ready

BASE = os.environ.get(
    "BIGSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BIGSYNC = str(Path(sys.executable).with_name("bigsync"))


@contextmanager
def fresh_schema() -> Iterator[str]:
    admin = create_engine_for(BASE)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def connect_all(url: str, data_dir: Path, api_url: str, stores: list[dict[str, Any]]) -> None:
    engine = create_engine_for(url)
    migrate(engine)
    settings = Settings(data_dir=data_dir, database_url=url, api_url=api_url)
    service = ConnectionService(engine, Vault.from_settings(settings), actor="bench",
                                default_api_url=api_url)  # fmt: skip
    names = []
    for number, store in enumerate(stores):
        token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
        names.append(f"store {number:04d}")
        service.add(NewConnection(name=names[-1], store=store["hash"], access_token=token))

    # One connection test; the other stores get its result (same token, same kind of store).
    asyncio.run(service.test(names[0]))
    columns = ("features", "disabled_features", "last_test", "last_tested_at", "granted_scopes")
    with engine.begin() as conn:
        tested = sa.select(*(connections.c[c] for c in columns)).where(
            connections.c.name == names[0]
        )
        values = dict(zip(columns, conn.execute(tested).one(), strict=True))
        conn.execute(connections.update().where(connections.c.name != names[0]).values(**values))
    engine.dispose()


def synced(engine: sa.Engine) -> int:
    query = sa.text("SELECT count(*) FROM schedule_state WHERE job = 'sync' "
                    "AND last_outcome = 'ok' AND last_finished_at >= last_started_at")  # fmt: skip
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def running_syncs(engine: sa.Engine) -> int:
    query = sa.text("SELECT count(*) FROM procrastinate_jobs "
                    "WHERE status = 'doing' AND task_name = 'bigsync.sync'")  # fmt: skip
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy so far (every process: /proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds of the PostgreSQL server so far: its live processes, and the backends
    that ended (reaped by the postmaster). Every client of the server is counted."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split(" (", 1)[1].rsplit(")", 1)
        if name != "postgres":
            continue
        fields = rest.split()
        total += int(fields[11]) + int(fields[12])
        if fields[1] == "1" or Path(f"/proc/{fields[1]}/stat").read_text().find("(postgres)") < 0:
            total += int(fields[13]) + int(fields[14])  # the postmaster: its reaped children
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class FleetRun:
    elapsed_s: float  # from the workers' start until every store's first sync is done
    cpu_s: float  # the workers' CPU
    jobs: dict[str, int]  # jobs run, by task (syncs, ticks, ...)
    wait_ms: tuple[float, float]  # a sync job's median and p95 from queued to started
    at_once: float  # syncs running at once, on average
    machine_s: float  # CPU seconds the whole machine was busy (every process on it)
    postgres_s: float  # CPU seconds of the PostgreSQL server (every client of it)


def queue_figures(engine: sa.Engine) -> tuple[dict[str, int], tuple[float, float]]:
    """Jobs run by task, and the sync jobs' wait from queued (or scheduled) to started."""
    runs = sa.text("SELECT task_name, count(*) FROM procrastinate_jobs "
                   "WHERE status <> 'todo' GROUP BY task_name")  # fmt: skip
    waits = sa.text(
        "SELECT extract(epoch FROM s.at - greatest(d.at, coalesce(j.scheduled_at, d.at))) "
        "FROM procrastinate_jobs j "
        "JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred' "
        "JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started' "
        "WHERE j.task_name = 'bigsync.sync'"
    )
    with engine.connect() as conn:
        jobs = {str(name): int(n) for name, n in conn.execute(runs)}
        seconds = sorted(float(w) for w in conn.execute(waits).scalars())
    if not seconds:
        return jobs, (0.0, 0.0)
    median = statistics.median(seconds) * 1000
    p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] * 1000
    return jobs, (median, p95)


def run_fleet(
    stores: list[dict[str, Any]], api_url: str, workers: int, concurrency: int
) -> FleetRun:
    """Every store's first sync by `workers` worker processes."""
    with tempfile.TemporaryDirectory() as folder, fresh_schema() as url:
        data = Path(folder) / "data"
        connect_all(url, data, api_url, stores)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIGSYNC_")}
        env |= {"BIGSYNC_DATA_DIR": str(data), "BIGSYNC_DATABASE_URL": url,
                "BIGSYNC_API_URL": api_url, "BIGSYNC_LOG_LEVEL": "WARNING"}  # fmt: skip
        engine = create_engine_for(url)
        cpu_before = children_cpu_s()
        machine_before, pg_before = machine_busy_s(), postgres_cpu_s()
        started = time.monotonic()
        processes = [
            subprocess.Popen(  # noqa: S603 -- our own CLI with fixed arguments
                [BIGSYNC, "worker", f"--concurrency={concurrency}", "--tick-every=1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            running = []
            while synced(engine) < len(stores):
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a worker exited")
                running.append(running_syncs(engine))
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            machine_s, postgres_s = machine_busy_s() - machine_before, postgres_cpu_s() - pg_before
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
            cpu_s = children_cpu_s() - cpu_before
            jobs, wait_ms = queue_figures(engine)
            engine.dispose()
    at_once = statistics.mean(running) if running else 0.0
    return FleetRun(elapsed, cpu_s, jobs, wait_ms, at_once, machine_s, postgres_s)


def queue_overhead(jobs: int) -> tuple[float, float]:
    """Milliseconds per no-op job through one worker taking one job at a time: wall time,
    and this process's CPU (procrastinate's fetch and finish, bigsync's schedule state and
    schema check: what every job costs a worker besides its own work)."""
    with tempfile.TemporaryDirectory() as folder, fresh_schema() as url:
        settings = Settings(data_dir=Path(folder), database_url=url)
        ctx = JobContext.open(settings)
        with ctx.engine.begin() as conn:
            ids = [
                connection_repository.insert_connection(
                    conn,
                    name=f"s{i}",
                    name_key=f"s{i}",
                    kind="api_account",
                    store_hash=f"h{i:06d}",
                    api_url="http://127.0.0.1:9",
                    client_id=None,
                    granted_scopes=None,
                    features=[],
                )
                for i in range(jobs)
            ]
        done = asyncio.Event()
        count = 0

        async def noop(_ctx: Any, _connection_id: int, **_args: Any) -> JobOutcome:
            nonlocal count
            count += 1
            if count == jobs:
                done.set()
            return JobOutcome("idle")

        options = WorkerOptions(concurrency=1, queue=QueueOptions(tick_every_s=60))
        worker = QueueWorker(ctx, jobs={"noop": JobSpec(noop)}, options=options)

        async def measure() -> tuple[float, float]:
            async with worker.app.open_async():
                for number, connection_id in enumerate(ids):
                    store = f"127.0.0.1:9/h{number:06d}"
                    await enqueue(worker.app, "noop", connection_id, store=store)
            started, cpu = time.perf_counter(), time.process_time()
            task = asyncio.create_task(worker.run())
            await asyncio.wait_for(done.wait(), timeout=600)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return elapsed, cpu

        elapsed, cpu = asyncio.run(measure())
        ctx.close()
    return elapsed / jobs * 1000, cpu / jobs * 1000


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--noop-jobs", type=int, default=500)
    parser.add_argument("--plan", default="enterprise", help="the stores' plan (rate quota)")
    args = parser.parse_args()
    port = free_port()
    server = start_sandbox(port, stores=args.stores, seed=5, products=args.products,
                           orders=args.products, customers=max(1, args.products // 2),
                           latency_ms=args.latency_ms, plan=args.plan)  # fmt: skip
    api_url = f"http://127.0.0.1:{port}"
    print(f"stores: {args.stores:,} ({args.products} products, {args.products} orders each), "
          f"{args.latency_ms:.0f} ms per answer, plan {args.plan}, "
          f"--concurrency {args.concurrency}")  # fmt: skip
    # The queue's own cost first: its CPU per job gives procrastinate's share of each run.
    overhead_ms, overhead_cpu_ms = queue_overhead(args.noop_jobs)
    print(f"queue overhead: {overhead_ms:.2f} ms per job, {overhead_cpu_ms:.2f} ms of CPU "
          f"({args.noop_jobs} no-op jobs, one at a time)")  # fmt: skip
    base: float | None = None
    try:
        stores = asyncio.run(wait_ready(api_url, server))["stores"]
        for workers in (int(w) for w in args.workers.split(",")):
            sandbox_before = cpu_seconds(server.pid)
            run = run_fleet(stores, api_url, workers, args.concurrency)
            sandbox_s = cpu_seconds(server.pid) - sandbox_before
            rate = args.stores / run.elapsed_s * 60
            base = base or rate
            jobs = sum(run.jobs.values())
            queue_share = jobs * overhead_cpu_ms / 1000 / run.cpu_s if run.cpu_s else 0.0
            print(f"workers {workers}: {run.elapsed_s:6.1f} s, {rate:7.0f} stores/min "
                  f"({rate / base:.2f}x); CPU per store: workers "
                  f"{run.cpu_s / args.stores * 1000:.0f} ms, sandbox "
                  f"{sandbox_s / args.stores * 1000:.0f} ms; sandbox busy "
                  f"{sandbox_s / run.elapsed_s:.0%} of a core, workers "
                  f"{run.cpu_s / run.elapsed_s:.0%}")  # fmt: skip
            print(f"  {run.at_once:.1f} syncs running at once on average (of "
                  f"{workers * args.concurrency} slots); PostgreSQL CPU "
                  f"{run.postgres_s / args.stores * 1000:.0f} ms per store; the machine busy "
                  f"{run.machine_s / run.elapsed_s:.2f} of {os.cpu_count()} cores "
                  "(every process on it)")  # fmt: skip
            print(f"  queue: {jobs} jobs ({run.jobs.get('bigsync.tick', 0)} ticks), a sync "
                  f"waits {run.wait_ms[0]:.0f} ms median, {run.wait_ms[1]:.0f} ms p95 from "
                  f"queued to started; the queue's own CPU ~{queue_share:.0%} of the "
                  f"workers'")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
