"""A stream's opening state (running, when it started, this run's count back at 0) is written
in the transaction of its first page, not in one of its own: a sync stopped before a
stream's first page leaves that stream's state as the last run left it; one stopped after
it shows the stream running with that page counted; a stream that fails before its first
page records the failure with its start; a reader that commits no page still leaves it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bigsync.errors import BigsyncError
from bigsync.store import mirror_repository as repo
from bigsync.streams import STREAMS
from bigsync.streams.spec import StreamKind, StreamSpec
from bigsync.sync import engine as engine_module
from bigsync.sync.context import StreamContext
from bigsync.sync.engine import SyncEngine, SyncOptions
from bigsync.sync.model import StreamProgress
from tests.sync.conftest import World

PAGE = 7
SMALL_PAGES = tuple(
    dataclasses.replace(s, page_size=PAGE) if s.page_size == 250 else s for s in STREAMS
)
ORDERS = "/v2/orders"
DEADLINE_S = 60


class HoldingApi:
    """The real client, except that the `hold_at`-th request of `/v2/orders` (a page) never
    returns (`held` is set then), or raises `fail` instead."""

    def __init__(self, world: World, *, hold_at: int, fail: BigsyncError | None = None) -> None:
        self.api, self.hold_at, self.fail = world.api, hold_at, fail
        self.calls = 0
        self.held = asyncio.Event()

    async def get(self, path: str, *, params: Any = None) -> Any:
        if path == ORDERS:
            self.calls += 1
            if self.calls >= self.hold_at:
                if self.fail is not None:
                    raise self.fail
                self.held.set()
                await asyncio.sleep(3600)
        return await self.api.get(path, params=params)


def orders_state(world: World) -> repo.StreamState:
    with world.db.connect() as conn:
        return repo.load_states(conn, connection_id=world.connection_id)["orders"]


async def run_until_held(
    world: World,
    api: HoldingApi,
    *,
    full: bool = False,
    until: Callable[[], bool] = lambda: True,
) -> None:
    """Run a sync over `api` until its orders stream is held and `until()` holds, then stop
    it (as a service shutting down does: cancelled between pages)."""
    options = SyncOptions(streams=SMALL_PAGES, full=full)
    engine = SyncEngine(world.db, api, connection_id=world.connection_id, options=options)
    task = asyncio.create_task(engine.run())
    await asyncio.wait_for(api.held.wait(), DEADLINE_S)
    deadline = time.monotonic() + DEADLINE_S
    while not until():
        assert time.monotonic() < deadline, "the sync made no progress"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # the other streams go on meanwhile
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_stream_stopped_before_its_first_page_keeps_the_last_runs_state(
    world: World,
) -> None:
    assert (await world.sync(streams=SMALL_PAGES)).status == "ok"
    before = orders_state(world)
    await run_until_held(world, HoldingApi(world, hold_at=1))
    assert orders_state(world) == before


async def test_the_first_page_carries_the_opening_state(world: World) -> None:
    assert (await world.sync(streams=SMALL_PAGES)).status == "ok"
    before = orders_state(world)
    started = datetime.now(before.updated_at.tzinfo)
    api = HoldingApi(world, hold_at=2)  # page 1 is read, page 2 never comes

    def page_one() -> bool:
        return orders_state(world).updated_at != before.updated_at

    await run_until_held(world, api, full=True, until=page_one)
    state = orders_state(world)
    assert state.status == "running"
    assert state.last_error is None
    assert state.last_started_at is not None
    assert state.last_started_at >= started
    assert state.checkpoint is not None
    assert state.last_run_records == PAGE  # this run's count starts over with its page
    assert state.records_total == before.records_total + PAGE


async def test_a_stream_failing_before_its_first_page_records_its_start(world: World) -> None:
    assert (await world.sync(streams=SMALL_PAGES)).status == "ok"
    started = datetime.now(orders_state(world).updated_at.tzinfo)
    api = HoldingApi(world, hold_at=1, fail=BigsyncError("the store is down"))
    engine = SyncEngine(
        world.db, api, connection_id=world.connection_id, options=SyncOptions(streams=SMALL_PAGES)
    )
    result = await engine.run()
    assert {s.name: s.status for s in result.streams}["orders"] == "failed"
    state = orders_state(world)
    assert state.status == "failed"
    assert state.last_error is not None
    assert "the store is down" in state.last_error
    assert state.last_started_at is not None
    assert state.last_started_at >= started
    assert state.last_run_records == 0


async def test_a_reader_that_commits_no_page_still_writes_the_opening_state(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_pages(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
        ctx.begin_state(spec, resumed=False)

    monkeypatch.setitem(engine_module.READERS, StreamKind.SINGLE, no_pages)
    single = tuple(s for s in STREAMS if s.kind is StreamKind.SINGLE)
    result = await world.sync(streams=single)
    assert result.status == "ok"
    with world.db.connect() as conn:
        states = repo.load_states(conn, connection_id=world.connection_id)
    assert {s.name for s in single} <= states.keys()
    for spec in single:
        state = states[spec.name]
        assert state.status == "running"
        assert state.last_started_at is not None
        assert state.last_run_records == 0
