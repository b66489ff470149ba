"""Worker mode end to end on a real PostgreSQL: 50 sandbox stores synced by three `bigsync
worker` processes, one of them killed with SIGKILL while it runs a sync. One store has a
second connection (an app install beside its API account): the two share the store's
budget."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.bigcommerce.ratelimit import DEFAULT_RESERVE_SHARE, reserve_of
from bigsync.connections import NewConnection
from bigsync.connections.service import ConnectionService
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store.mirror_schema import customers, orders, products
from bigsync.vault import Vault
from tests.jobs.fleet import Fleet, copy_test_result, overlaps, runs_from_logs, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STORES = 50
WINDOW_MS = 3000
STALLED_AFTER_S = 3
TICK_EVERY_S = 1
WORKER_ARGS = ["--concurrency", "6", "--stalled-after", str(STALLED_AFTER_S),
               "--tick-every", str(TICK_EVERY_S), "--shutdown-timeout", "10",
               "--log-format", "json"]  # fmt: skip


def _workers(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(sa.text("SELECT id FROM procrastinate_workers ORDER BY id")).scalars()
        )


def _sync_running_on(engine: sa.Engine, worker_id: int) -> int | None:
    query = sa.text(
        "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = :worker "
        "AND task_name = 'bigsync.sync' LIMIT 1"
    )
    with engine.connect() as conn:
        found: int | None = conn.execute(query, {"worker": worker_id}).scalar()
        return found


def _synced(engine: sa.Engine) -> int:
    query = sa.text(
        "SELECT count(*) FROM schedule_state WHERE job = 'sync' AND last_outcome = 'ok' "
        "AND last_finished_at >= last_started_at"
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def _ids(engine: sa.Engine, table: sa.Table, connection_id: int) -> set[int]:
    with engine.connect() as conn:
        query = sa.select(table.c.id).where(table.c.connection_id == connection_id)
        return set(conn.execute(query).scalars())


def _events(engine: sa.Engine, job_id: int) -> list[tuple[str, Any]]:
    query = sa.text(
        "SELECT type::text, at FROM procrastinate_events WHERE job_id = :job ORDER BY at, id"
    )
    with engine.connect() as conn:
        return [(kind, at) for kind, at in conn.execute(query, {"job": job_id})]


def _second_connection(fleet: Fleet, engine: sa.Engine, store: Any, tested: int) -> int:
    """Another connection to `store`, with the test result of connection `tested`."""
    service = ConnectionService(
        engine, Vault.from_settings(fleet.settings), actor="test", default_api_url=fleet.api_url
    )
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    new = NewConnection(name="app install", store=store.hash, access_token=token)
    connection_id = service.add(new).connection.id
    copy_test_result(engine, tested, [connection_id])
    return connection_id


def _assert_ran_again(engine: sa.Engine, job_id: int, died_at: float) -> None:
    """Job `job_id`, of a worker that died at `died_at` (epoch seconds), was retried to its
    end, or ended `aborted` with its twin (same task and arguments) started after the death
    and succeeded."""
    events = [kind for kind, _at in _events(engine, job_id)]
    if events[-3:] == ["deferred_for_retry", "started", "succeeded"]:
        return
    assert events[-1] == "aborted", events
    query = sa.text(
        "SELECT j.id FROM procrastinate_jobs j JOIN procrastinate_jobs k "
        "ON k.task_name = j.task_name AND k.args = j.args "
        "WHERE k.id = :job AND j.id <> k.id AND j.status = 'succeeded' AND EXISTS ("
        "SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'started' "
        "AND e.at > to_timestamp(:died))"
    )
    with engine.connect() as conn:
        twins = conn.execute(query, {"job": job_id, "died": died_at}).scalars().all()
    assert twins, (events, "no twin of the aborted job ran after the worker died")


def _kill_mid_sync(worker: subprocess.Popen[str], engine: sa.Engine, worker_id: int) -> int:
    """SIGKILL `worker` while it runs a sync (frozen with SIGSTOP first, so the sync is
    known to be running when the kill lands); the job it was running."""
    while True:
        job = wait_for("a sync on the first worker", lambda: _sync_running_on(engine, worker_id))
        worker.send_signal(signal.SIGSTOP)
        if _sync_running_on(engine, worker_id) == job:
            worker.kill()
            worker.wait(timeout=30)
            return job
        worker.send_signal(signal.SIGCONT)


@pytest.mark.timeout(300, method="thread")
def test_fifty_stores_three_workers_one_killed(tmp_path: Path, postgres_url: str) -> None:
    spec = BuildSpec(
        seed=13, stores=STORES, sizes=StoreSizes(products=6, orders=6, customers=3),
        plan="standard",
    )  # fmt: skip
    sandbox = build_sandbox(spec, latency_ms=20)  # a sync takes a few seconds
    with SandboxServer(sandbox) as url:
        fleet = Fleet(tmp_path, postgres_url, url)
        ids = fleet.connect_all(sandbox)
        engine = fleet.engine()
        doubled = next(iter(sandbox.stores.values()))
        second = _second_connection(fleet, engine, doubled, ids[doubled.hash])
        for store in sandbox.stores.values():
            store.stats = type(store.stats)()  # count the workers' requests only
            # 150 requests per 3 s: a small store's sync spends a good part of a window.
            store.rate.window_ms = WINDOW_MS
        try:
            doomed = fleet.start_worker(*WORKER_ARGS)
            first_id = wait_for("the first worker to register", lambda: _workers(engine))[0]
            fleet.start_worker(*WORKER_ARGS)
            fleet.start_worker(*WORKER_ARGS)
            killed_job = _kill_mid_sync(doomed, engine, first_id)  # SIGKILL, mid-sync
            killed_at, died_at = time.monotonic(), time.time()
            wait_for("every store synced", lambda: _synced(engine) > STORES, deadline_s=150)
            codes = fleet.terminate_all()
        finally:
            fleet.kill_all()
        assert codes[1:] == [0, 0], [fleet.output(n)[-2000:] for n in (1, 2)]
        # The killed worker's sync went back to the queue and ran again to the end; or, when
        # the same job already waited (queued meanwhile), it ended and that one ran instead.
        _assert_ran_again(engine, killed_job, died_at)
        assert time.monotonic() - killed_at < 150
        # One job of a store at a time, in the whole fleet; nothing left running or failed.
        runs = runs_from_logs(fleet.logs, ended_at={0: died_at})
        assert len({run[1] for run in runs}) >= STORES  # every sync job, at least
        found = overlaps(runs)
        assert not found, [
            (a[:2], b[:2], _events(engine, a[1]), _events(engine, b[1])) for a, b in found[:2]
        ]
        with engine.connect() as conn:
            left = conn.execute(
                sa.text(
                    "SELECT status::text, count(*) FROM procrastinate_jobs "
                    "WHERE status IN ('doing', 'failed') GROUP BY status"
                )
            ).all()
        assert left == []
        # Every mirror equals its store.
        for store in sandbox.stores.values():
            connection_id = ids[store.hash]
            assert _ids(engine, products, connection_id) == set(store.catalog.products)
            assert _ids(engine, orders, connection_id) == set(store.sales.orders)
            assert _ids(engine, customers, connection_id) == set(store.sales.customers)
        assert _ids(engine, products, second) == set(doubled.catalog.products)
        # No store's requests above its share of the quota in any of its quota windows.
        for store in sandbox.stores.values():
            quota = store.rate.quota
            assert quota is not None
            share = quota - reserve_of(quota, DEFAULT_RESERVE_SHARE)
            assert store.stats.timeline.peak_in_window.requests <= share, store.hash
            assert store.stats.total.throttled == 0, store.hash
            assert store.stats.total.requests > 0
        engine.dispose()
