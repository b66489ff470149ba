"""Full then incremental sync of a sandbox store into SQLite: wall time, requests against the
minimum, records/s, peak RSS.

    .venv/bin/python bench/sync_full.py [--products 10000] [--orders 30000] [--customers 10000]
        [--latency-ms 50] [--plan unlimited] [--changes 100 | --change-pct 1]
        [--database-url sqlite:///...] [--full-only] [--profile PATH] [--profile-incremental PATH]

Starts `bigsync sandbox` in its own process (one uvicorn worker, `--plan`'s quota, added
latency; pinned to CPU 0 when there are two), then in this process (pinned to CPU 1) runs the
sync engine through BigCommerceClient over a real socket: a full sync, then `--changes`
mutations of each kind (products, variants, orders, customers; or `--change-pct` percent of
each kind's records) through the control API and an
incremental sync with the periodic scans off, then one with the scans on, then the same
changes again and an incremental sync with the default options (the scan policy of
`SyncOptions`). Only talks to 127.0.0.1. The process paces the garbage collector as every
`bigsync` command does (`bigsync.runtime`).

The minimum number of requests of a full sync is ceil(records / page size) per paged stream,
one per parent for per-parent streams (transactions, shipping methods) and one per single
object; the engine also asks `/v2/time` and `/v2/orders/count` once.
Peak RSS is this process's (the sandbox's memory is not included).

Under each sync, its CPU seconds per stream: client (HTTP, governor, paginators), decode
(JSON), rows (row building) and database (the writer thread and the engine's reads); see
`cpu_breakdown.py`. `--profile PATH` runs the full sync under cProfile (the event-loop thread;
the writer thread is the breakdown's database column), saves the stats to PATH and prints
the 30 functions with the most own time; `--profile-incremental PATH` does the same for the
first incremental sync. `--full-only` stops after the full sync.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import math
import pstats
import resource
import tempfile
import time
from datetime import timedelta
from typing import Any

import httpx

from bigsync.bigcommerce import BigCommerceClient, StoreCredentials
from bigsync.runtime import pace_garbage_collector
from bigsync.store import connection_repository
from bigsync.store import mirror_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.streams import STREAMS, StreamKind
from bigsync.sync.engine import SyncEngine, SyncOptions, SyncResult
from cpu_breakdown import CpuBreakdown, print_table
from sandbox_process import cpu_seconds as process_cpu_seconds
from sandbox_process import free_port, pin, start_sandbox, wait_ready


def minimum_requests(db: Any, connection_id: int) -> dict[str, int]:
    """The fewest requests each stream of a full sync could make, from what it mirrored."""
    with db.connect() as conn:
        states = repo.load_states(conn, connection_id=connection_id)
        counts = {t: repo.count_rows(conn, t, connection_id=connection_id) for t in MIRROR_TABLES}
    minimum: dict[str, int] = {}
    for spec in STREAMS:
        if spec.kind is StreamKind.SINGLE:
            minimum[spec.name] = 1
        elif spec.kind is StreamKind.SCAN:
            minimum[spec.name] = 0  # covered by the full read
        elif spec.kind is StreamKind.PER_PARENT:
            minimum[spec.name] = -1  # filled in from the run (one per parent)
        elif spec.page_size == 0:
            minimum[spec.name] = 1
        else:
            records = states[spec.name].last_run_records if spec.name in states else 0
            if spec.name in ("orders", "products", "customers"):
                records = counts[spec.table]
            if spec.name == "inventory_levels":
                records = states[spec.name].last_run_records
            minimum[spec.name] = max(1, math.ceil(records / spec.page_size))
    return minimum


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(
    label: str,
    result: SyncResult,
    minimum: dict[str, int] | None,
    *,
    cpu_s: float,
    breakdown: CpuBreakdown,
) -> None:
    seconds = (result.finished_at - result.started_at).total_seconds()
    records = result.records
    changed = sum(stream.changed for stream in result.streams)
    print(f"\n{label}: {result.status} in {seconds:.1f}s, {records:,} records read "
          f"({records / max(seconds, 1e-9):,.0f}/s), {changed:,} new or changed, "
          f"{result.requests:,} requests, {cpu_s:.1f} CPU s, "
          f"peak RSS {peak_rss_mb():.0f} MB")  # fmt: skip
    print(f"  {'stream':<18}{'records':>9}{'requests':>10}{'minimum':>9}{'seconds':>9}")
    total_min = 0
    for stream in result.streams:
        floor = None
        if minimum is not None:
            floor = minimum.get(stream.name)
            if floor == -1:
                floor = stream.expected_requests or stream.requests
            total_min += floor or 0
        elapsed = (stream.finished or 0) - (stream.started or 0)
        print(f"  {stream.name:<18}{stream.records:>9,}{stream.requests:>10,}"
              f"{'' if floor is None else f'{floor:,}':>9}{elapsed:>9.2f}")  # fmt: skip
    if minimum is not None:
        overhead = result.requests - total_min
        share = overhead / max(total_min, 1)
        print(f"  requests {result.requests:,} vs minimum {total_min:,} "
              f"(+{overhead} = {share:.1%}; /v2/time not counted)")  # fmt: skip
    print_table(breakdown, wall_s=seconds)


def profile_writer(profiler: cProfile.Profile) -> None:
    """Run `profiler` around every `commit_page` (the writer thread; cProfile sees one thread)
    until the breakdown's `uninstall` restores the original."""
    original = repo.commit_page

    def commit_page(*args: Any, **kwargs: Any) -> Any:
        profiler.enable()
        try:
            return original(*args, **kwargs)
        finally:
            profiler.disable()

    repo.commit_page = commit_page


def change_counts(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    """(kind, action, count) of the mutations between the full and the incremental sync."""

    def count(size: int) -> int:
        if args.change_pct is None:
            return int(args.changes)
        return max(1, round(size * float(args.change_pct) / 100))

    return [
        ("product", "update", count(args.products)),
        ("variant", "update", count(args.products)),
        ("order", "update", count(args.orders)),
        ("order", "create", count(args.orders)),
        ("customer", "update", count(args.customers)),
    ]


async def mutate(base: str, store_hash: str, changes: list[tuple[str, str, int]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as control:
        for kind, action, count in changes:
            body = {"store": store_hash, "kind": kind, "action": action, "count": count}
            (await control.post("/_sandbox/mutate", json=body)).raise_for_status()


async def measured_sync(
    db: Any,
    client: BigCommerceClient,
    connection_id: int,
    label: str,
    *,
    sandbox_pid: int,
    profile: str | None = None,
    **options: Any,
) -> SyncResult:
    """One sync with its CPU breakdown and the sandbox's CPU (and cProfile with `profile`),
    then its report."""
    engine = SyncEngine(db, client, connection_id=connection_id, options=SyncOptions(**options))
    breakdown = CpuBreakdown()
    breakdown.install()
    profiler = cProfile.Profile() if profile else None
    writer = cProfile.Profile() if profile else None
    cpu_before = cpu_seconds()
    sandbox_before = process_cpu_seconds(sandbox_pid)
    limited_before = client.stats.rate_limited
    try:
        if profiler is not None and writer is not None:
            profile_writer(writer)
            profiler.enable()
        result = await engine.run()
    finally:
        if profiler is not None:
            profiler.disable()
        breakdown.uninstall()
    cpu_s = cpu_seconds() - cpu_before
    sandbox_s = process_cpu_seconds(sandbox_pid) - sandbox_before
    minimum = minimum_requests(db, connection_id) if options.get("full") else None
    report(label, result, minimum, cpu_s=cpu_s, breakdown=breakdown)
    print(f"  429 answers: {client.stats.rate_limited - limited_before}")
    print(f"  sandbox CPU s: {sandbox_s:.2f} (its own core; the bound when near the wall time)")
    if profiler is not None and writer is not None and profile is not None:
        profiler.dump_stats(profile)
        writer.dump_stats(f"{profile}.writer")
        print(f"\n  profile saved to {profile}; most own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        print(f"  the writer thread's, saved to {profile}.writer:")
        pstats.Stats(writer).sort_stats("tottime").print_stats(20)
    return result


async def incremental_syncs(
    args: argparse.Namespace, base: str, store_hash: str, sync: Any
) -> None:
    """The changes, then the incremental syncs (no scans, scans, default policy)."""
    changes = change_counts(args)
    await mutate(base, store_hash, changes)
    what = ", ".join(f"{n} {k} {a}s" for k, a, n in changes)
    await sync(
        f"incremental after {what} (no scans)",
        profile=args.profile_incremental,
        scan_every=timedelta(days=365),
        scan_share=0.0,
    )
    await sync("incremental with the periodic scans", scan_every=timedelta(0))
    await mutate(base, store_hash, changes)
    await sync(f"incremental after {what} (default scan policy)")


async def main(args: argparse.Namespace) -> None:
    pin(1)
    pace_garbage_collector()  # as the `bigsync` command does
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_sandbox(
        port,
        products=args.products,
        orders=args.orders,
        customers=args.customers,
        latency_ms=args.latency_ms,
        plan=args.plan,
    )
    try:
        started = time.monotonic()
        stores = await wait_ready(base, server)
        ready_s = time.monotonic() - started
        print(f"sandbox ready in {ready_s:.0f}s: {args.products} products, {args.orders} orders, "
              f"{args.customers} customers, {args.latency_ms} ms latency, "
              f"plan {args.plan}")  # fmt: skip
        store = stores["stores"][0]
        token = next(a["access_token"] for a in store["accounts"] if a["name"] == "full")
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.db"
            db = create_engine_for(url)
            migrate(db)
            with db.begin() as conn:
                connection_id = connection_repository.insert_connection(
                    conn, name=f"bench-{port}", name_key=f"bench-{port}", kind="api_account",
                    store_hash=store["hash"],
                    api_url=base, client_id=None, granted_scopes=None, features=[],
                )  # fmt: skip
            creds = StoreCredentials(store_hash=store["hash"], access_token=token)
            async with BigCommerceClient(creds, base_url=base) as client:

                async def sync(
                    label: str, profile: str | None = None, **options: Any
                ) -> SyncResult:
                    return await measured_sync(
                        db,
                        client,
                        connection_id,
                        label,
                        sandbox_pid=server.pid,
                        profile=profile,
                        **options,
                    )

                await sync("full sync", profile=args.profile, full=True)
                if not args.full_only:
                    await incremental_syncs(args, base, store["hash"], sync)
            db.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--plan", default="unlimited", help="sandbox plan (request quota)")
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--change-pct", type=float, default=None, help="percent of each kind")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--full-only", action="store_true", help="stop after the full sync")
    parser.add_argument("--profile", default=None, help="cProfile the full sync into this file")
    parser.add_argument(
        "--profile-incremental", default=None, help="cProfile the first incremental sync"
    )
    asyncio.run(main(parser.parse_args()))
