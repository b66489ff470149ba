"""One rate budget per store, with several connections to the same store (a store-level API
account beside an app install): in worker mode the store's jobs take turns across the
fleet, and in one process (the embedded scheduler of `bigsync serve`) they share the
store's one `RateGovernor`. Real syncs against the sandbox on a socket."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.bigcommerce.ratelimit import DEFAULT_RESERVE_SHARE, governor_for, reserve_of
from bigsync.config import Settings
from bigsync.connections import NewConnection
from bigsync.jobs.context import JobContext
from bigsync.jobs.queue import QUEUE
from bigsync.jobs.tasks import DEFAULT_JOBS, SYNC, sync_connection_job
from bigsync.jobs.worker import QueueWorker, WorkerOptions
from bigsync.sandbox.backend import BuildSpec, Sandbox, StoreState
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from tests.jobs.fleet import Fleet, copy_test_result

SPEC = BuildSpec(
    seed=21, stores=3, sizes=StoreSizes(products=8, orders=8, customers=4), plan="standard"
)


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = build_sandbox(SPEC, latency_ms=5)  # each sync spans many round trips
    with SandboxServer(sandbox) as url:
        yield sandbox, url


def _token(store: StoreState) -> str:
    return next(t for t, a in store.accounts.items() if a.name == "full")


def _second_connection(ctx: JobContext, store: StoreState, url: str, tested: int) -> int:
    """Another connection to `store` (the API host spelt another way), tested like `tested`."""
    view = ctx.connections().add(
        NewConnection(
            name="app install",
            store=store.hash,
            access_token=_token(store),
            api_url=url.replace("http://", "HTTP://") + "/",
        )
    )
    copy_test_result(ctx.engine, tested, [view.connection.id])
    return view.connection.id


def _runs(engine: sa.Engine) -> list[tuple[int, str, Any, Any]]:
    """(connection id, outcome, started, ended) of every sync job, from the queue's events."""
    query = sa.text(
        "SELECT (j.args->>'connection_id')::int, j.status::text, "
        "min(e.at) FILTER (WHERE e.type = 'started'), "
        "max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed')) "
        "FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id "
        "WHERE j.task_name = 'bigsync.sync' GROUP BY j.id ORDER BY 3"
    )
    with engine.connect() as conn:
        return [(c, status, started, ended) for c, status, started, ended in conn.execute(query)]


def _waiting(engine: sa.Engine) -> int:
    query = sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _share(store: StoreState) -> int:
    quota = store.rate.quota
    assert quota is not None
    return quota - reserve_of(quota, DEFAULT_RESERVE_SHARE)


@pytest.mark.postgres
@pytest.mark.timeout(120, method="thread")
async def test_two_connections_to_one_store_never_run_at_once_in_worker_mode(
    tmp_path: Path, postgres_url: str, served: tuple[Sandbox, str]
) -> None:
    sandbox, url = served
    fleet = Fleet(tmp_path, postgres_url, url)
    ids = await asyncio.to_thread(fleet.connect_all, sandbox)
    shared = next(iter(sandbox.stores.values()))
    ctx = JobContext.open(fleet.settings)
    try:
        second = _second_connection(ctx, shared, url, ids[shared.hash])
        store_of = {c: h for h, c in ids.items()} | {second: shared.hash}
        for store in sandbox.stores.values():
            store.stats = type(store.stats)()  # count the syncs' requests only
            store.rate.window_ms = 1000  # 150 a second: two budgets at once would show
        options = WorkerOptions(concurrency=4)
        worker = QueueWorker(ctx, jobs={SYNC: DEFAULT_JOBS[SYNC]}, options=options)
        async with worker.app.open_async():
            await worker.tick()  # the four syncs, all due, all waiting at once
            while _waiting(ctx.engine):  # a run ends when what waits is all locked
                await worker.app.run_worker_async(
                    queues=[QUEUE], concurrency=4, wait=False, install_signal_handlers=False
                )
        runs = _runs(ctx.engine)
        assert sorted(run[0] for run in runs) == sorted([*ids.values(), second])
        assert {run[1] for run in runs} == {"succeeded"}
        for store in sandbox.stores.values():
            mine = [run for run in runs if store_of[run[0]] == store.hash]
            for before, after in itertools.pairwise(mine):
                assert after[2] >= before[3], (store.hash, before, after)
            assert store.stats.timeline.peak_in_window.requests <= _share(store), store.hash
            assert store.stats.total.throttled == 0, store.hash
        assert len([run for run in runs if store_of[run[0]] == shared.hash]) == 2
    finally:
        ctx.close()


async def test_two_connections_to_one_store_share_one_governor_in_one_process(
    tmp_path: Path, sqlite_url: str, served: tuple[Sandbox, str]
) -> None:
    sandbox, url = served
    settings = Settings(data_dir=tmp_path / "data", database_url=sqlite_url, api_url=url)
    ctx = JobContext.open(settings)
    try:
        shared = next(iter(sandbox.stores.values()))
        service = ctx.connections()
        first = service.add(
            NewConnection(name="api account", store=shared.hash, access_token=_token(shared))
        ).connection.id
        await service.test("api account")
        second = _second_connection(ctx, shared, url, first)
        shared.stats = type(shared.stats)()  # count the syncs' requests only
        shared.rate.window_ms = 1000  # paced over 1 s windows: a quick test
        governor = governor_for(url, shared.hash)
        sent_before = governor.sent
        outcomes = await asyncio.gather(
            sync_connection_job(ctx, first), sync_connection_job(ctx, second)
        )
        assert [o.status for o in outcomes] == ["ok", "ok"], outcomes
        # Every request of both syncs went through the store's one governor.
        assert governor.sent - sent_before == shared.stats.total.requests > 0
        assert governor is governor_for(url.replace("http://", "HTTP://") + "/", shared.hash)
    finally:
        ctx.close()
