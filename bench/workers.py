"""Worker mode at scale: stores synced per minute by 1, 2 and 4 `bigsync worker` processes on
PostgreSQL (small sandbox stores, each answer delayed by the case's latency, the way a real
store's network round trip is), the CPU one store costs (the workers, PostgreSQL, the
sandbox), the machine's ceiling that follows, and the queue's own overhead per job (no-op
jobs through one in-process worker: fetch, status writes, the schedule's state, the schema
check).

    .venv/bin/python bench/workers.py --stores 200 --workers 1,2,4

Each case is `latency ms:concurrency` (`--cases`). The default runs the realistic case first
(200 ms per answer: a real store answers in 100-300 ms; `--concurrency 8`, the worker's
default), then 50 ms (the stress case: the sync is CPU work, and the rows show the
machine's ceiling, not the queue's scaling); `--cases 200:2` gives each worker fewer slots,
so that more workers stay under a small machine's CPU ceiling.
Every row says which regime it ran in: `CPU-bound` (the machine's cores were busy),
`I/O-bound` (the slots were full, waiting on the store), or `neither` (start-up and queueing).
The ceiling is the stores per minute the machine's cores could sync at that CPU per store
(the workers' start-up left out); "machine busy" counts every process on the machine.

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


def registered_workers(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers")).scalar() or 0
        )


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
    sync_s: float  # a sync job's median from started to finished
    at_once: float  # syncs running at once, on average
    machine_s: float  # CPU seconds the whole machine was busy (every process on it)
    postgres_s: float  # CPU seconds of the PostgreSQL server (every client of it)
    start_s: float  # the workers' CPU until every one of them had registered (start-up)


def median_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def queue_figures(engine: sa.Engine) -> tuple[dict[str, int], tuple[float, float], float]:
    """Jobs run by task, the sync jobs' wait from queued (or scheduled) to started (ms,
    median and p95), and their median run time (s)."""
    runs = sa.text("SELECT task_name, count(*) FROM procrastinate_jobs "
                   "WHERE status <> 'todo' GROUP BY task_name")  # fmt: skip
    waits = sa.text(
        "SELECT extract(epoch FROM s.at - greatest(d.at, coalesce(j.scheduled_at, d.at))), "
        "extract(epoch FROM f.at - s.at) "
        "FROM procrastinate_jobs j "
        "JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred' "
        "JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started' "
        "LEFT JOIN procrastinate_events f ON f.job_id = j.id AND f.type = 'succeeded' "
        "WHERE j.task_name = 'bigsync.sync'"
    )
    with engine.connect() as conn:
        jobs = {str(name): int(n) for name, n in conn.execute(runs)}
        rows = conn.execute(waits).all()
    median, p95 = median_p95([float(wait) * 1000 for wait, _ in rows])
    run_s, _ = median_p95([float(run) for _, run in rows if run is not None])
    return jobs, (median, p95), run_s


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
            running: list[int] = []
            start_s: float | None = None
            while synced(engine) < len(stores):
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a worker exited")
                if start_s is None and registered_workers(engine) == workers:
                    start_s = sum(cpu_seconds(p.pid) for p in processes)
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
            jobs, wait_ms, sync_s = queue_figures(engine)
            engine.dispose()
    at_once = statistics.mean(running) if running else 0.0
    return FleetRun(
        elapsed, cpu_s, jobs, wait_ms, sync_s, at_once, machine_s, postgres_s, start_s or 0.0
    )


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


CPU_BOUND_SHARE = 0.9  # the machine this busy (of its cores): the run is bound by CPU
FULL_SLOTS_SHARE = 0.8  # this share of the slots busy on average: bound by the store's wait


@dataclass(frozen=True)
class Case:
    """One scaling table: the stores' answer latency, and each worker's job slots."""

    latency_ms: float
    concurrency: int

    @classmethod
    def parse(cls, text: str) -> Case:
        latency, concurrency = text.split(":")
        return cls(float(latency), int(concurrency))


def regime(run: FleetRun, *, slots: int, cores: int) -> str:
    """What bound the run: the machine's CPU, the store's wait (slots full), or neither."""
    if run.machine_s / run.elapsed_s >= CPU_BOUND_SHARE * cores:
        return "CPU-bound"
    if run.at_once >= FULL_SLOTS_SHARE * slots:
        return "I/O-bound"
    return "neither"


def run_case(case: Case, args: argparse.Namespace, overhead_cpu_ms: float) -> list[str]:
    """The case's runs, printed as they end; its table rows (markdown)."""
    cores = os.cpu_count() or 1
    port = free_port()
    server = start_sandbox(port, stores=args.stores, seed=5, products=args.products,
                           orders=args.products, customers=max(1, args.products // 2),
                           latency_ms=case.latency_ms, plan=args.plan)  # fmt: skip
    api_url = f"http://127.0.0.1:{port}"
    print(f"\n{case.latency_ms:.0f} ms per answer, --concurrency {case.concurrency}:")
    rows: list[str] = []
    base: float | None = None
    try:
        stores = asyncio.run(wait_ready(api_url, server))["stores"]
        for workers in (int(w) for w in args.workers.split(",")):
            sandbox_before = cpu_seconds(server.pid)
            run = run_fleet(stores, api_url, workers, case.concurrency)
            sandbox_s = cpu_seconds(server.pid) - sandbox_before
            rate = args.stores / run.elapsed_s * 60
            base = base or rate
            per_store = [x / args.stores * 1000 for x in (run.cpu_s, run.postgres_s, sandbox_s)]
            # Stores per minute at most, were every core busy with this CPU per store (the
            # workers' start-up left out: a fleet that runs on pays it once).
            start_ms = run.start_s / args.stores * 1000
            ceiling = cores * 60_000 / (sum(per_store) - start_ms)
            slots = workers * case.concurrency
            bound = regime(run, slots=slots, cores=cores)
            busy = run.machine_s / run.elapsed_s
            jobs = sum(run.jobs.values())
            queue_share = jobs * overhead_cpu_ms / 1000 / run.cpu_s if run.cpu_s else 0.0
            print(f"workers {workers}: {run.elapsed_s:6.1f} s, {rate:5.0f} stores/min "
                  f"({rate / base:.2f}x), ceiling {ceiling:.0f}; {bound}: machine busy "
                  f"{busy:.2f} of {cores} cores, {run.at_once:.1f} syncs at once of {slots} "
                  f"slots")  # fmt: skip
            print(f"  CPU per store: workers {per_store[0]:.0f} ms ({start_ms:.0f} of it their "
                  f"start-up), PostgreSQL "
                  f"{per_store[1]:.0f} ms, sandbox {per_store[2]:.0f} ms; a sync runs "
                  f"{run.sync_s:.2f} s median")  # fmt: skip
            print(f"  queue: {jobs} jobs ({run.jobs.get('bigsync.tick', 0)} ticks), a sync "
                  f"waits {run.wait_ms[0]:.0f} ms median, {run.wait_ms[1]:.0f} ms p95 from "
                  f"queued to started; the queue's own CPU ~{queue_share:.0%} of the "
                  f"workers'")  # fmt: skip
            rows.append(
                f"| {case.latency_ms:.0f} ms, {case.concurrency} | {workers} | "
                f"{rate:.0f} ({rate / base:.2f}×) | {ceiling:.0f} | {busy:.2f} of {cores} | "
                f"{run.at_once:.1f} ({slots}) | {per_store[0]:.0f} ({start_ms:.0f}) / "
                f"{per_store[1]:.0f} / {per_store[2]:.0f} ms | {run.sync_s:.2f} s | {bound} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    # Realistic first: a real store answers in 100-300 ms, and 8 slots is the worker's
    # default; then 50 ms, where the same work is CPU-bound on a small machine.
    parser.add_argument("--cases", default="200:8,50:8",
                        help="latency ms:concurrency per worker, comma-separated")  # fmt: skip
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--noop-jobs", type=int, default=500)
    parser.add_argument("--plan", default="enterprise", help="the stores' plan (rate quota)")
    args = parser.parse_args()
    cases = [Case.parse(text) for text in args.cases.split(",")]
    print(f"stores: {args.stores:,} ({args.products} products, {args.products} orders each), "
          f"plan {args.plan}; cases (ms per answer:concurrency): {args.cases}")  # fmt: skip
    # The queue's own cost first: its CPU per job gives procrastinate's share of each run.
    overhead_ms, overhead_cpu_ms = queue_overhead(args.noop_jobs)
    print(f"queue overhead: {overhead_ms:.2f} ms per job, {overhead_cpu_ms:.2f} ms of CPU "
          f"({args.noop_jobs} no-op jobs, one at a time)")  # fmt: skip
    rows = [row for case in cases for row in run_case(case, args, overhead_cpu_ms)]
    print("\n| latency, slots per worker | workers | stores/min | ceiling (stores/min) | "
          "machine busy | syncs at once (slots) | CPU per store: workers (their start-up) / "
          "PostgreSQL / sandbox | a sync runs | bound by |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
