"""End to end: sync the sandbox store into SQLite and PostgreSQL and compare every mirrored
table row by row with the store's truth, after a full sync, after mutations of every kind,
after a crash and resume, with the store changing during the sync, and under faults."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.errors import BigsyncError, SyncLockedError
from bigsync.sandbox.faults import FaultSpec
from bigsync.store import mirror_repository as repo
from bigsync.store.sync_lock import hold_sync_lock
from bigsync.streams import STREAMS
from bigsync.sync.engine import SyncEngine, SyncOptions
from tests.sync.conftest import FAST_RETRIES, Oracle, World
from tests.sync.mirror_check import (
    assert_mirror_matches,
    assert_transactions_match,
    recent_order_ids,
)

# Small pages, so the seeded store spans many pages per stream.
SMALL_PAGES = tuple(
    dataclasses.replace(s, page_size=7) if s.page_size == 250 else s for s in STREAMS
)
EXACT: dict[str, Any] = {"scan_every": timedelta(0)}

MUTATIONS = [
    ("product", "create", 3),
    ("product", "update", 4),
    ("product", "delete", 2),
    ("variant", "create", 2),
    ("variant", "update", 5),
    ("variant", "delete", 2),
    ("category", "create", 2),
    ("category", "update", 2),
    ("category", "delete", 1),
    ("brand", "create", 1),
    ("brand", "update", 1),
    ("inventory", "create", 3),
    ("inventory", "update", 3),
    ("inventory", "delete", 2),
    ("order", "create", 3),
    ("incomplete_order", "create", 2),
    ("order", "update", 3),
    ("order", "delete", 2),
    ("order_status", "update", 3),
    ("shipment", "create", 2),
    ("transaction", "create", 2),
    ("customer", "create", 3),
    ("customer", "update", 3),
    ("customer", "delete", 2),
]


async def test_full_sync_mirrors_every_table(world: World, oracle: Oracle, rows_of: Any) -> None:
    result = await world.sync(streams=SMALL_PAGES)
    assert result.status == "ok", [s for s in result.streams if s.status != "ok"]
    await assert_mirror_matches(world, oracle, rows_of)
    await assert_transactions_match(world, oracle, rows_of, order_ids=recent_order_ids(world))


async def test_incremental_sync_after_mutations_of_every_kind(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    await world.sync(streams=SMALL_PAGES)
    world.sandbox.clock.advance(timedelta(seconds=5))
    created_incomplete: list[int] = []
    for index, (kind, action, count) in enumerate(MUTATIONS):
        ids = world.mutate(kind, action, count, seed=index)
        if (kind, action) == ("incomplete_order", "create"):
            created_incomplete = ids
        world.sandbox.clock.advance(timedelta(seconds=1))
    result = await world.sync(streams=SMALL_PAGES, **EXACT)
    assert result.status == "ok"
    await assert_mirror_matches(world, oracle, rows_of)
    assert {rows_of("orders")[i]["status_id"] for i in created_incomplete} == {0}
    # Incomplete orders that complete later are caught by the next incremental sync.
    world.sandbox.clock.advance(timedelta(seconds=5))
    completed = world.mutate("incomplete_order", "update", 10)
    assert set(created_incomplete) <= set(completed)
    await world.sync(streams=SMALL_PAGES, **EXACT)
    await assert_mirror_matches(world, oracle, rows_of)
    await assert_transactions_match(world, oracle, rows_of, order_ids=recent_order_ids(world))
    assert all(rows_of("orders")[i]["status_id"] != 0 for i in completed)
    # Soft deletes keep the row with deleted_at set.
    assert any(row["deleted_at"] is not None for row in rows_of("products", live=False).values())


async def test_incremental_sync_reads_only_changes(world: World) -> None:
    first = await world.sync()
    again = await world.sync()
    by_name = {s.name: s for s in again.streams}
    assert by_name["products"].records <= 5  # only the overlap window is read again
    assert by_name["orders"].records <= 5
    assert by_name["transactions"].requests == 0
    assert again.requests < first.requests


async def test_killed_sync_resumes_without_loss_or_duplicates(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    full = await world.sync(streams=SMALL_PAGES)
    pages = {s.name: s.requests for s in full.streams}
    # Start over on a fresh mirror, and crash after a few pages of orders.
    with world.db.begin() as conn:
        for table in ("sync_state", "orders", "order_products", "products", "variants"):
            conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 -- fixed names
    crash_after = 4

    class Crash(BaseException):
        pass

    class CrashingApi:
        def __init__(self) -> None:
            self.orders = 0

        async def get(self, path: str, *, params: Any = None) -> Any:
            if path == "/v2/orders":
                self.orders += 1
                if self.orders > crash_after:
                    raise Crash
            return await world.api.get(path, params=params)

    engine = SyncEngine(
        world.db,
        CrashingApi(),
        connection_id=world.connection_id,
        options=SyncOptions(streams=SMALL_PAGES),
    )
    with pytest.raises(Crash):
        await engine.run()
    with world.db.connect() as conn:
        state = repo.load_states(conn, connection_id=world.connection_id)["orders"]
    assert state.checkpoint is not None
    assert state.status == "running"
    resumed = await world.sync(streams=SMALL_PAGES)
    assert resumed.status == "ok"
    orders_requests = {s.name: s.requests for s in resumed.streams}["orders"]
    # count request + pages not committed before the crash (at most one page fetched again)
    committed_before = crash_after - 1 - 1  # the crash hit the 5th fetch; one was prefetched
    assert orders_requests <= pages["orders"] - committed_before + 1
    await assert_mirror_matches(world, oracle, rows_of)


async def test_store_changing_during_the_sync_is_exact_after_the_next_sync(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    class MutatingApi:
        def __init__(self) -> None:
            self.calls = 0

        async def get(self, path: str, *, params: Any = None) -> Any:
            self.calls += 1
            kind, action, count = MUTATIONS[self.calls % len(MUTATIONS)]
            world.sandbox.clock.advance(timedelta(seconds=1))
            world.mutate(kind, action, count, seed=self.calls)
            return await world.api.get(path, params=params)

    engine = SyncEngine(
        world.db,
        MutatingApi(),
        connection_id=world.connection_id,
        options=SyncOptions(streams=SMALL_PAGES, **EXACT),
    )
    assert (await engine.run()).status == "ok"
    world.sandbox.clock.advance(timedelta(seconds=5))
    await world.sync(streams=SMALL_PAGES, **EXACT)
    await assert_mirror_matches(world, oracle, rows_of)


async def test_sync_rides_out_transient_faults(world: World, oracle: Oracle, rows_of: Any) -> None:
    # Seeded random faults (≈9% of requests), plus two certain ones so retries always happen.
    # The fixture's client allows 12 attempts: a request fails for good with p ≈ 0.09**12.
    faults = [{"kind": "error", "status": 503, "path": "/v2/time", "count": 2}]
    for seed, kind in enumerate(("error", "drop", "truncate"), start=1):
        faults.append({"kind": kind, "path": "*", "rate": 0.03, "seed": seed})
    for spec in faults:
        world.sandbox.faults.add(FaultSpec.from_json(spec), now=world.sandbox.now())
    result = await world.sync(streams=SMALL_PAGES)
    assert result.status == "ok", [(s.name, s.error) for s in result.streams if s.error]
    assert world.api.stats.retries >= 2
    world.sandbox.faults.clear()
    await assert_mirror_matches(world, oracle, rows_of)


async def test_failed_streams_resume_after_faults_clear(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    faults = world.sandbox.faults
    # More errors in a row than the client's attempts: the orders stream fails.
    count = FAST_RETRIES.max_attempts + 3
    spec = {"kind": "error", "status": 500, "path": "/v2/orders", "rate": 1.0, "count": count}
    fault = faults.add(FaultSpec.from_json(spec), now=world.sandbox.now())
    # Let a few pages through first, so the failed stream has a checkpoint to resume from.
    first = await world.sync(streams=SMALL_PAGES)
    failed = {s.name for s in first.streams if s.status != "ok"}
    # Transactions trail the orders stream: they cover the orders it committed before failing.
    assert failed == {"orders"}
    faults.remove(fault.id)
    second = await world.sync(streams=SMALL_PAGES)
    assert second.status == "ok"
    await assert_mirror_matches(world, oracle, rows_of)


async def test_one_sync_per_connection(world: World) -> None:
    # A live holder: its lock and its lease (a lease row alone is a dead holder's).
    with (
        hold_sync_lock(
            world.db,
            connection_id=world.connection_id,
            owner="other-host:1",
            now=world_now(),
            ttl=timedelta(minutes=5),
        ),
        pytest.raises(SyncLockedError, match="other-host:1"),
    ):
        await world.sync()
    assert isinstance(SyncLockedError("x"), BigsyncError)


def world_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
