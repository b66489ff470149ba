"""Finished jobs leave procrastinate's tables: succeeded ones after a day, failed, cancelled
and aborted ones after a week, through the queue's own periodic task run by a real worker on
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import procrastinate
import pytest
import sqlalchemy as sa
from procrastinate.jobs import Status

from bigsync.jobs.queue import (
    QUEUE,
    REMOVE_OLD_JOBS,
    QueueOptions,
    build_queue,
    enqueue,
    list_jobs,
    task_name,
)
from bigsync.store.db import create_engine_for, libpq_conninfo, migrate

pytestmark = pytest.mark.postgres

OPTIONS = QueueOptions(keep_succeeded_h=24, keep_failed_h=7 * 24)


@pytest.fixture
def engine(postgres_url: str) -> sa.Engine:
    engine = create_engine_for(postgres_url)
    migrate(engine)
    return engine


@pytest.fixture
async def app(engine: sa.Engine) -> AsyncIterator[procrastinate.App]:
    app = build_queue(libpq_conninfo(engine.url.render_as_string(False)), options=OPTIONS)
    async with app.open_async():
        yield app
    engine.dispose()


async def _finished(app: procrastinate.App, connection_id: int, status: Status) -> int:
    """A sync job of `connection_id` that ended with `status`; its id."""
    manager = app.job_manager
    job_id = await enqueue(app, "sync", connection_id, store=f"sandbox/h{connection_id}")
    assert job_id is not None
    if status == Status.CANCELLED:  # a waiting job, cancelled
        assert await manager.cancel_job_by_id_async(job_id)
        return job_id
    worker_id = await manager.register_worker()
    job = await manager.fetch_job(queues=[QUEUE], worker_id=worker_id)
    assert job is not None
    assert job.id == job_id
    await manager.finish_job(job, status, delete_job=False)
    await manager.unregister_worker(worker_id)
    return job_id


def _ended_hours_ago(engine: sa.Engine, job_id: int, hours: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE procrastinate_events SET at = at - make_interval(hours => :hours) "
                "WHERE job_id = :id"
            ),
            {"hours": hours, "id": job_id},
        )


def test_the_removal_is_a_periodic_task_of_every_worker() -> None:
    app = build_queue("dbname=unused", options=OPTIONS)
    periodic = {(t.task.name, t.periodic_id) for t in app.periodic_registry.periodic_tasks.values()}
    assert (task_name(REMOVE_OLD_JOBS), REMOVE_OLD_JOBS) in periodic
    assert app.tasks[task_name(REMOVE_OLD_JOBS)].queue == QUEUE  # the queue workers listen to


async def test_old_finished_jobs_are_removed_failed_ones_kept_longer(
    app: procrastinate.App, engine: sa.Engine
) -> None:
    ages = {  # (connection, status, hours since it ended) -> kept?
        (1, Status.SUCCEEDED, 2): True,
        (2, Status.SUCCEEDED, 30): False,
        (3, Status.FAILED, 30): True,
        (4, Status.FAILED, 200): False,
        (5, Status.CANCELLED, 30): True,
        (6, Status.ABORTED, 200): False,
    }
    ids = {}
    for key in ages:
        connection_id, status, hours = key
        ids[key] = await _finished(app, connection_id, status)
        _ended_hours_ago(engine, ids[key], hours)
    waiting = await enqueue(app, "sync", 7, store="sandbox/h7")  # todo: never removed

    cleanup = app.tasks[task_name(REMOVE_OLD_JOBS)]
    await cleanup.configure().defer_async(timestamp=0)
    await app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    left = {job.id for job in await app.job_manager.list_jobs_async(queue=QUEUE)}
    assert {key for key, job_id in ids.items() if job_id in left} == {
        key for key, kept in ages.items() if kept
    }
    assert waiting in left
    shown = await list_jobs(libpq_conninfo(engine.url.render_as_string(False)))
    assert {job.kind for job in shown} == {"sync"}  # the queue's upkeep is not listed
