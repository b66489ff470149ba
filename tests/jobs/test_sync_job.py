"""The sync job against the sandbox (real socket), the schedule's tables on both backends,
and what `bigsync status` reads from them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigsync.config import Settings
from bigsync.connections import ConnectionChanges, NewConnection
from bigsync.errors import InputError, StoreAccessError
from bigsync.jobs.context import JobContext
from bigsync.jobs.source import DatabaseScheduleStore
from bigsync.jobs.status import schedule_status
from bigsync.jobs.tasks import dispatch_outbox_job, sync_connection_job
from bigsync.sandbox.backend import Sandbox
from bigsync.store import schedule_repository
from bigsync.store.mirror_schema import orders
from bigsync.store.purge import delete_connection_data
from bigsync.store.schedule_repository import ScheduleRow
from bigsync.store.sync_lock import hold_sync_lock
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.sync.history import pending_request, request_sync, run_history
from bigsync.writeback.outbox import record_order_status

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
COMPLETED = 10


@pytest.fixture
def ctx(tmp_path: Path, database_url: str, live_url: str) -> Iterator[JobContext]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, api_url=live_url)
    context = JobContext.open(settings)
    yield context
    context.close()


def _add(ctx: JobContext, sandbox: Sandbox, name: str = "shop", *, store: int = 0) -> int:
    stores = list(sandbox.stores.values())
    token = next(t for t, a in stores[0].accounts.items() if a.name == "full")
    service = ctx.connections()
    view = service.add(NewConnection(name=name, store=stores[store].hash, access_token=token))
    return view.connection.id


async def test_the_sync_job_syncs_and_says_how_it_went(ctx: JobContext, sandbox: Sandbox) -> None:
    connection_id = _add(ctx, sandbox)
    await ctx.connections().test("shop")
    first = await sync_connection_job(ctx, connection_id)
    assert first.status == "ok", first.message
    assert first.message.startswith("sync #1 (initial): ")
    again = await sync_connection_job(ctx, connection_id, mode="incremental")
    assert again.message.startswith("sync #2 (incremental): ")
    full = await sync_connection_job(ctx, connection_id, mode="full")
    assert full.message.startswith("sync #3 (full): ")
    wrong = await sync_connection_job(ctx, connection_id, mode="everything")
    assert (wrong.status, wrong.message) == (
        "failed",
        "unknown sync mode 'everything': one of incremental, full",
    )


async def test_a_sync_running_elsewhere_makes_the_job_busy(
    ctx: JobContext, sandbox: Sandbox
) -> None:
    connection_id = _add(ctx, sandbox)
    with hold_sync_lock(
        ctx.engine, connection_id=connection_id, owner="other:1:run", now=datetime.now(UTC),
        ttl=timedelta(minutes=2),
    ):  # fmt: skip
        outcome = await sync_connection_job(ctx, connection_id)
    assert outcome.status == "busy"
    assert "another sync of this connection is running" in outcome.message


async def test_a_refused_token_fails_the_job_with_the_fix(
    ctx: JobContext, sandbox: Sandbox
) -> None:
    connection_id = _add(ctx, sandbox, store=1)  # the first store's token on the second store
    with pytest.raises(StoreAccessError, match="refused the access token") as refused:
        await sync_connection_job(ctx, connection_id)
    assert "bigsync connect shop --update --token -" in str(refused.value)


def test_intervals_are_set_per_connection_and_checked(ctx: JobContext, sandbox: Sandbox) -> None:
    connection_id = _add(ctx, sandbox)
    service = ctx.connections()
    assert service.get("shop").sync_every is None
    service.update("shop", ConnectionChanges(sync_every="5m"))
    assert service.get("shop").sync_every == timedelta(minutes=5)
    assert service.get("shop").to_json()["sync_every_s"] == 300
    [scheduled] = DatabaseScheduleStore(ctx.engine).connections()
    assert (scheduled.id, scheduled.sync_every, scheduled.ready) == (
        connection_id, timedelta(minutes=5), False,  # not tested yet
    )  # fmt: skip
    for bad, message in [
        ("30s", "at most every minute"),
        ("8d", "at least every 7 days"),
        ("5 minutes", "is not an interval"),
        ("", "is not an interval"),
    ]:
        with pytest.raises(InputError, match=message):
            service.update("shop", ConnectionChanges(sync_every=bad))
    assert service.get("shop").sync_every == timedelta(minutes=5)
    service.add(NewConnection(name="daily", store="abc123", access_token="x" * 30, sync_every="1d"))
    assert service.get("daily").sync_every == timedelta(days=1)


def test_schedule_state_and_webhook_activity_round_trip(ctx: JobContext, sandbox: Sandbox) -> None:
    connection_id = _add(ctx, sandbox)
    store = DatabaseScheduleStore(ctx.engine)
    signature = store.signature()
    row = ScheduleRow(
        connection_id, "sync", next_run_at=NOW, last_started_at=NOW - timedelta(minutes=1),
        last_finished_at=NOW - timedelta(seconds=30), last_outcome="failed",
        last_error="the store refused the token", failures=2,
    )  # fmt: skip
    store.save_state(row)
    store.save_state(row)  # an upsert
    assert store.load_state() == {(connection_id, "sync"): row}
    store.save_state(ScheduleRow(999, "sync"))  # a purged connection: skipped
    assert list(store.load_state()) == [(connection_id, "sync")]
    assert store.signature() == signature  # scheduler state is no connection change

    with ctx.engine.begin() as conn:
        schedule_repository.note_webhook(conn, connection_id, at=NOW, scope="store/product/updated")
        schedule_repository.note_webhook(
            conn, connection_id, at=NOW - timedelta(hours=1), scope="store/order/created"
        )  # a late delivery of an older event keeps the newest time
    status = schedule_status(ctx.engine, connection_id=connection_id, sync_every=None, ready=True)
    assert status["last_webhook"] == {
        "at": NOW.isoformat(),
        "scope": "store/order/created",
        "events": 2,
    }
    assert status["next_sync_at"] == NOW.isoformat()
    assert status["jobs"]["sync"]["failures"] == 2
    assert status["sync_every_s"] == 900
    assert status["sync_every_default"] is True

    with ctx.engine.begin() as conn:
        deleted = delete_connection_data(conn, connection_id)
    assert deleted["schedule_state"] == 1
    assert deleted["webhook_activity"] == 1


async def test_the_outbox_job_sends_what_is_due_and_is_idle_otherwise(
    ctx: JobContext, sandbox: Sandbox
) -> None:
    connection_id = _add(ctx, sandbox)
    ctx.connections().update("shop", ConnectionChanges(enable=["write_fulfillment"]))
    await ctx.connections().test("shop")
    idle = await dispatch_outbox_job(ctx, connection_id)
    assert (idle.status, idle.message) == ("idle", "outbox: nothing due")
    store = next(iter(sandbox.stores.values()))
    order = next(
        o for o in store.sales.orders.values() if o.status_id != COMPLETED and not o.is_deleted
    )
    with UnitOfWork(ctx.engine).write() as conn:
        record_order_status(conn, connection_id, order_id=order.id, status_id=COMPLETED)
    sent = await dispatch_outbox_job(ctx, connection_id)
    assert (sent.status, sent.message) == ("ok", "outbox: 1 confirmed")
    assert order.status_id == COMPLETED
    with UnitOfWork(ctx.engine).read() as conn:  # read back into the mirror, webhooks off
        mirrored = conn.execute(
            sa.select(orders.c.status_id).where(
                orders.c.connection_id == connection_id, orders.c.id == order.id
            )
        ).scalar_one_or_none()
    assert mirrored == COMPLETED
    assert (await dispatch_outbox_job(ctx, connection_id)).status == "idle"


async def test_a_stored_full_resync_request_makes_the_next_sync_full(
    ctx: JobContext, sandbox: Sandbox
) -> None:
    connection_id = _add(ctx, sandbox)
    await ctx.connections().test("shop")
    assert (await sync_connection_job(ctx, connection_id)).status == "ok"
    request_sync(ctx.engine, connection_id=connection_id, full=True, by="web:test")
    outcome = await sync_connection_job(ctx, connection_id)
    assert outcome.message.startswith("sync #2 (full): "), outcome.message
    assert pending_request(ctx.engine, connection_id=connection_id) is None
    assert (await sync_connection_job(ctx, connection_id)).message.startswith(
        "sync #3 (incremental): "
    )
    assert [r.mode for r in run_history(ctx.engine, connection_id=connection_id)] == [
        "incremental",
        "full",
        "initial",
    ]


async def test_a_request_waits_while_another_sync_holds_the_connection(
    ctx: JobContext, sandbox: Sandbox
) -> None:
    connection_id = _add(ctx, sandbox)
    request_sync(ctx.engine, connection_id=connection_id, full=True)
    with hold_sync_lock(
        ctx.engine, connection_id=connection_id, owner="other:1:run", now=datetime.now(UTC),
        ttl=timedelta(minutes=2),
    ):  # fmt: skip
        assert (await sync_connection_job(ctx, connection_id)).status == "busy"
    request = pending_request(ctx.engine, connection_id=connection_id)
    assert request is not None
    assert request.full
