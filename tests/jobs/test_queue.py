"""The job queue of worker mode: retry decisions, schema versions, the tick, nudges (the
queue on a real PostgreSQL; the job functions are fakes that count their runs)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from procrastinate.jobs import Status

from bigsync.config import Settings
from bigsync.errors import NotFoundError, RateLimitedError, SchemaMismatchError, ServerError
from bigsync.jobs.context import JobContext
from bigsync.jobs.model import JobOutcome, JobSpec
from bigsync.jobs.queue import (
    QUEUE,
    JobBusy,
    QueueNudge,
    QueueOptions,
    enqueue,
    list_jobs,
    queueing_lock,
    retry_decision,
    store_lock,
)
from bigsync.jobs.source import connection_store
from bigsync.jobs.timing import next_run_after
from bigsync.jobs.worker import QueueWorker, WorkerOptions, schema_refusal
from bigsync.store import connection_repository
from bigsync.store.db import SchemaState, libpq_conninfo, schema_state
from tests.databases import add_connection

OPTIONS = QueueOptions(retry_base_s=10, retry_attempts=3, busy_retry_s=30, schema_retry_s=30)
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SHOP_LOCK = "bigsync:store:sandbox/hshop"  # `_ready` connections talk to http://sandbox
HOOKED_LOCK = "bigsync:store:sandbox/hhooked"


def _seconds(decision: Any) -> float | None:
    if decision is None:
        return None
    delta: timedelta = decision.retry_at - datetime.now(UTC)
    return round(delta.total_seconds())


def test_retries_follow_the_errors_own_policy() -> None:
    throttled = RateLimitedError("429", status=429)
    assert _seconds(retry_decision(throttled, attempts=0, options=OPTIONS)) == 10
    assert _seconds(retry_decision(throttled, attempts=1, options=OPTIONS)) == 20
    assert retry_decision(throttled, attempts=2, options=OPTIONS) is None  # the third failed
    assert _seconds(retry_decision(ServerError("503", status=503), attempts=0, options=OPTIONS))
    assert retry_decision(ServerError("501", status=501), attempts=0, options=OPTIONS) is None
    assert retry_decision(NotFoundError("gone", status=404), attempts=0, options=OPTIONS) is None
    assert retry_decision(ValueError("a bug"), attempts=0, options=OPTIONS) is None
    # Busy and the wrong schema are not failures: the job waits and comes back.
    assert _seconds(retry_decision(JobBusy("busy"), attempts=9, options=OPTIONS)) == 30
    wrong = SchemaMismatchError("newer")
    assert _seconds(retry_decision(wrong, attempts=9, options=OPTIONS)) == 30


def test_the_tick_cron_has_seconds() -> None:
    assert QueueOptions(tick_every_s=1).tick_cron() == "* * * * * *"
    assert QueueOptions(tick_every_s=5).tick_cron() == "* * * * * */5"
    with pytest.raises(ValueError, match="divide 60"):
        QueueOptions(tick_every_s=7).tick_cron()


def test_a_worker_refuses_a_schema_of_another_version_and_names_both() -> None:
    heads = ("0010_worker",)
    assert schema_refusal(SchemaState(True, heads, heads), version="0.1.0") is None
    assert schema_refusal(SchemaState(False, heads=heads), version="0.1.0") is None
    newer = schema_refusal(
        SchemaState(True, ("0011_next",), heads, unknown=("0011_next",)), version="0.1.0"
    )
    assert newer is not None
    assert "0011_next" in newer
    assert "bigsync 0.1.0 (schema 0010_worker)" in newer
    assert "upgrade this worker" in newer
    older = schema_refusal(SchemaState(True, ("0008_webhooks",), heads), version="0.1.0")
    assert older is not None
    assert "0008_webhooks" in older
    assert "bigsync 0.1.0, schema 0010_worker" in older
    assert "without --no-migrate" in older


# --- on PostgreSQL ------------------------------------------------------------------------


class Runs:
    """Fake job functions that count their runs per (kind, connection)."""

    def __init__(self) -> None:
        self.count: Counter[tuple[str, int]] = Counter()
        self.outcome = JobOutcome("ok", "done")

    def job(self, kind: str) -> Any:
        async def run(_ctx: JobContext, connection_id: int, **_arguments: Any) -> JobOutcome:
            self.count[(kind, connection_id)] += 1
            return self.outcome

        return run


@pytest.fixture
def ctx(tmp_path: Path, postgres_url: str) -> Any:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    context = JobContext.open(settings)
    yield context
    context.close()


def _ready(
    engine: sa.Engine,
    name: str,
    *,
    features: list[str] | None = None,
    store_hash: str | None = None,
    api_url: str = "http://sandbox",
) -> int:
    connection_id = add_connection(
        engine, name, store_hash=store_hash or f"h{name}", api_url=api_url
    )
    with engine.begin() as conn:
        connection_repository.update_connection(
            conn, connection_id, last_test={"ok": True}, features=features or []
        )
    return connection_id


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _todo(worker: QueueWorker) -> list[tuple[str, int, str | None, str | None]]:
    jobs = await worker.app.job_manager.list_jobs_async(status="todo")
    return sorted(
        (j.task_name, int(str(j.task_kwargs.get("connection_id", 0))), j.lock, j.queueing_lock)
        for j in jobs
    )


@pytest.mark.postgres
async def test_the_tick_queues_what_is_due_once_and_the_schedule_moves_on(ctx: JobContext) -> None:
    runs, clock = Runs(), Clock()
    table = {
        "sync": JobSpec(runs.job("sync")),
        "hooks": JobSpec(
            runs.job("hooks"), every=timedelta(minutes=1), features=frozenset({"webhooks"})
        ),
    }
    shop = _ready(ctx.engine, "shop")
    hooked = _ready(ctx.engine, "hooked", features=["webhooks"])
    add_connection(ctx.engine, "untested", store_hash="hx")  # never tested: not scheduled
    worker = QueueWorker(ctx, jobs=table, clock=clock)
    async with worker.app.open_async():
        await worker.tick()
        await worker.tick()  # nothing twice: one waiting job per (kind, connection)
        assert await _todo(worker) == sorted(
            [
                ("bigsync.hooks", hooked, HOOKED_LOCK, queueing_lock("hooks", hooked)),
                ("bigsync.sync", hooked, HOOKED_LOCK, queueing_lock("sync", hooked)),
                ("bigsync.sync", shop, SHOP_LOCK, queueing_lock("sync", shop)),
            ]
        )
        for job in await worker.app.job_manager.list_jobs_async(status="todo"):
            await worker.app.job_manager.cancel_job_by_id_async(job.id or 0)
        for kind, connection_id in [("sync", shop), ("sync", hooked), ("hooks", hooked)]:
            await worker.run_job(kind, connection_id, {})
        assert set(runs.count.values()) == {1}
        await worker.tick()
        assert await _todo(worker) == []  # each ran: their next slots are ahead
        clock.now += timedelta(minutes=2)
        await worker.tick()
        assert [job[:2] for job in await _todo(worker)] == [("bigsync.hooks", hooked)]
        clock.now += timedelta(minutes=21)  # past T0 + 1.5 intervals: the latest slot
        await worker.tick()
        assert {job[:2] for job in await _todo(worker)} == {
            ("bigsync.hooks", hooked),
            ("bigsync.sync", hooked),
            ("bigsync.sync", shop),
        }


def _store(worker: QueueWorker, connection_id: int) -> str:
    store = connection_store(worker.ctx.engine, connection_id)
    assert store is not None
    return store


async def _left_running(worker: QueueWorker, kind: str, shop: int) -> tuple[int, int]:
    """A job of `kind` the way a worker SIGKILLed as it began leaves it: `doing`, no
    schedule written; its id and its worker's (still taken for alive: its heartbeat is
    fresh)."""
    manager = worker.app.job_manager
    job_id = await enqueue(worker.app, kind, shop, store=_store(worker, shop))
    gone = await manager.register_worker()
    fetched = await manager.fetch_job(queues=[QUEUE], worker_id=gone)
    assert job_id is not None
    assert fetched is not None
    assert fetched.id == job_id
    return job_id, gone


def _falls_silent(engine: sa.Engine, worker_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
                "WHERE id = :id"
            ),
            {"id": worker_id},
        )


async def _statuses(worker: QueueWorker) -> list[tuple[int, str]]:
    jobs = await worker.app.job_manager.list_jobs_async(task="bigsync.sync")
    return sorted((job.id or 0, job.status or "") for job in jobs)


@pytest.mark.postgres
async def test_a_running_job_is_never_queued_beside_itself(ctx: JobContext) -> None:
    shop = _ready(ctx.engine, "shop")
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(Runs().job("sync"))}, clock=Clock())
    async with worker.app.open_async():
        running, gone = await _left_running(worker, "sync", shop)
        await worker.tick()  # due by its schedule (none written yet), but it runs
        assert await _statuses(worker) == [(running, "doing")]
        _falls_silent(ctx.engine, gone)
        await worker.tick()  # its worker is gone: handed back, still the only one
        assert await _statuses(worker) == [(running, "todo")]
        await worker.tick()
        assert await _statuses(worker) == [(running, "todo")]


@pytest.mark.postgres
async def test_a_dead_workers_job_ends_when_a_nudge_queued_it_again(ctx: JobContext) -> None:
    shop = _ready(ctx.engine, "shop")
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(Runs().job("sync"))}, clock=Clock())
    async with worker.app.open_async():
        stalled, gone = await _left_running(worker, "sync", shop)
        queued = await enqueue(worker.app, "sync", shop, store=_store(worker, shop))  # "Sync now"
        assert queued is not None
        _falls_silent(ctx.engine, gone)
        # The stalled one cannot go back beside the queued one: it ends, which frees the
        # store's lock for the queued one.
        assert await worker.recover_stalled() == 1
        assert await _statuses(worker) == sorted([(stalled, "aborted"), (queued, "todo")])
        fresh = await worker.app.job_manager.register_worker()
        fetched = await worker.app.job_manager.fetch_job(queues=[QUEUE], worker_id=fresh)
        assert fetched is not None
        assert fetched.id == queued


@pytest.mark.postgres
async def test_failures_back_off_and_busy_comes_back_soon(ctx: JobContext) -> None:
    runs, clock = Runs(), Clock()
    shop = _ready(ctx.engine, "shop")
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(runs.job("sync"))}, clock=clock)
    runs.outcome = JobOutcome("failed", "the store said no")
    await worker.run_job("sync", shop, {})
    await worker.run_job("sync", shop, {})
    row = worker.store.load_state()[(shop, "sync")]
    assert (row.failures, row.last_error) == (2, "the store said no")
    assert row.next_run_at == T0 + 2 * WorkerOptions().schedule.backoff_base
    runs.outcome = JobOutcome("busy", "a sync from the terminal runs")
    with pytest.raises(JobBusy):
        await worker.run_job("sync", shop, {})
    row = worker.store.load_state()[(shop, "sync")]
    assert row.next_run_at == T0 + WorkerOptions().schedule.busy_retry
    runs.outcome = JobOutcome("ok", "fine")
    await worker.run_job("sync", shop, {"every_s": 600.0})
    row = worker.store.load_state()[(shop, "sync")]
    assert (row.failures, row.last_outcome, row.last_error) == (0, "ok", None)
    every = timedelta(seconds=600)
    assert row.next_run_at == next_run_after(shop, every, finished=T0)
    assert T0 + every / 2 < row.next_run_at <= T0 + 1.5 * every


@pytest.mark.postgres
async def test_a_worker_stops_before_a_job_once_a_newer_bigsync_migrated(
    ctx: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = Runs()
    shop = _ready(ctx.engine, "shop")
    options = WorkerOptions(concurrency=1, queue=QueueOptions(tick_every_s=60))
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(runs.job("sync"))}, options=options)
    (head,) = schema_state(ctx.engine).heads
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    async with worker.app.open_async():
        await worker.app.configure_task(
            "bigsync.sync", queue="bigsync", lock=store_lock("sandbox/hshop")
        ).defer_async(connection_id=shop)
    with pytest.raises(SchemaMismatchError) as refused:
        await asyncio.wait_for(worker.run(), timeout=30)
    assert "0099_future" in str(refused.value)
    assert head in str(refused.value)
    assert runs.count == Counter()
    # Refused at start: the job waits for a worker of the right version.
    conninfo = libpq_conninfo(ctx.settings.resolved_database_url)
    assert [job.status for job in await list_jobs(conninfo)] == ["todo"]
    # Refused before a job, once running: the job goes back to the queue, untouched.
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(runs.job("sync"))}, options=options)

    async def idle_tick() -> None:  # the tick, first in line, would meet the schema first
        return None

    monkeypatch.setattr(worker, "tick", idle_tick)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(on_started=started.set))
    await asyncio.wait_for(started.wait(), timeout=30)
    with ctx.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    worker._checked_at = -float("inf")  # the next job reads the schema again
    with pytest.raises(SchemaMismatchError):
        await asyncio.wait_for(task, timeout=30)
    assert runs.count == Counter()
    [job] = await list_jobs(conninfo)
    assert (job.status, job.attempts) == ("todo", 1)
    assert job.scheduled_at is not None  # handed back for later, for another worker


@pytest.mark.postgres
async def test_nudges_of_the_web_tier_queue_one_job(ctx: JobContext) -> None:
    shop = _ready(ctx.engine, "shop")
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(Runs().job("sync"))})
    async with worker.app.open_async():
        store_of = partial(connection_store, ctx.engine)
        nudge = QueueNudge(worker.app, asyncio.get_running_loop(), store_of=store_of)
        nudge("sync", shop)
        nudge("sync", shop)
        nudge("sync", shop, delay_s=5)
        await nudge.drain()
        assert await _todo(worker) == [
            ("bigsync.sync", shop, SHOP_LOCK, queueing_lock("sync", shop))
        ]


@pytest.mark.postgres
async def test_the_web_tier_without_jobs_queues_its_nudges(ctx: JobContext) -> None:
    from bigsync.web.app import create_app

    shop = _ready(ctx.engine, "shop")
    app = create_app(context=ctx, run_jobs=False, queue_jobs=True)
    async with app.router.lifespan_context(app):
        hub = app.state.hub
        assert hub.scheduler is None
        hub.nudge("webhook_refresh", shop)
        hub.nudge("webhook_refresh", shop)
        hub.nudge("dispatch_outbox", shop, delay_s=2)
        await hub.enqueue.drain()
    conninfo = libpq_conninfo(ctx.settings.resolved_database_url)
    assert sorted(
        (job.kind, job.connection_id, job.status) for job in await list_jobs(conninfo)
    ) == [
        ("dispatch_outbox", shop, "todo"),
        ("webhook_refresh", shop, "todo"),
    ]


@pytest.mark.postgres
async def test_the_tick_queues_a_job_with_work_only_where_work_waits(ctx: JobContext) -> None:
    shop, idle = _ready(ctx.engine, "shop"), _ready(ctx.engine, "idle")
    busy: set[int] = set()
    table = {"outbox": JobSpec(Runs().job("outbox"), with_work=lambda _ctx, _now: set(busy))}
    worker = QueueWorker(ctx, jobs=table, clock=Clock())
    async with worker.app.open_async():
        await worker.tick()
        assert await _todo(worker) == []  # nothing waits anywhere: no job at all
        busy.add(shop)
        await worker.tick()
        assert [job[:2] for job in await _todo(worker)] == [("bigsync.outbox", shop)]
        assert idle not in {job[1] for job in await _todo(worker)}


@pytest.mark.postgres
async def test_connections_to_one_store_take_turns_across_the_fleet(ctx: JobContext) -> None:
    # Two integrations on one store (the host spelt differently), and another store.
    api = _ready(ctx.engine, "api account", store_hash="hshared")
    app_install = _ready(ctx.engine, "app", store_hash="hshared", api_url="HTTP://Sandbox/")
    other = _ready(ctx.engine, "other", store_hash="hother")
    worker = QueueWorker(ctx, jobs={"sync": JobSpec(Runs().job("sync"))}, clock=Clock())
    manager = worker.app.job_manager
    async with worker.app.open_async():
        await worker.tick()
        locks = {job[1]: job[2] for job in await _todo(worker)}
        assert locks == {
            api: "bigsync:store:sandbox/hshared",
            app_install: "bigsync:store:sandbox/hshared",
            other: "bigsync:store:sandbox/hother",
        }
        workers = [await manager.register_worker() for _ in range(3)]
        fetched = [await manager.fetch_job(queues=[QUEUE], worker_id=w) for w in workers]
        running = [int(str(job.task_kwargs["connection_id"])) for job in fetched if job]
        # One job of the shared store runs; its other connection's waits for it to end.
        assert sorted(running) == sorted([api, other])
        first = next(job for job in fetched if job and job.task_kwargs["connection_id"] == api)
        await manager.finish_job(first, Status.SUCCEEDED, delete_job=False)
        after = await manager.fetch_job(queues=[QUEUE], worker_id=workers[0])
        assert after is not None
        assert after.task_kwargs["connection_id"] == app_install
