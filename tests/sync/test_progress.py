"""A run's live figures are written with its pages (another process sees the run as it
goes), its history reads back in pages, and sync requests are stored and taken once."""

from __future__ import annotations

from datetime import timedelta

from bigsync.store import run_repository
from bigsync.sync.engine import SyncEngine, SyncOptions
from bigsync.sync.history import (
    clear_request,
    live_progress,
    pending_request,
    request_sync,
    run_history,
)
from bigsync.sync.model import StreamProgress
from tests.sync.conftest import World


async def test_every_page_records_the_runs_figures_in_the_database(world: World) -> None:
    seen: list[tuple[int, int, bool]] = []
    memory: dict[str, StreamProgress] = {}

    def observe(progress: StreamProgress) -> None:
        memory[progress.name] = progress
        now = live_progress(world.db, connection_id=world.connection_id)
        assert now.run is not None
        seen.append((now.run.records_read, sum(p.records for p in memory.values()), now.running))

    engine = SyncEngine(world.db, world.api, connection_id=world.connection_id, on_progress=observe)
    result = await engine.run()
    assert result.status == "ok"
    # Each page's records reach the run's row in the page's own transaction: never less in
    # the database than the engine has counted, and the figures grow while it runs.
    assert all(stored >= counted for stored, counted, _running in seen)
    assert all(running for _stored, _counted, running in seen)
    growing = [stored for stored, _counted, _running in seen]
    assert growing == sorted(growing)
    assert 0 < growing[len(growing) // 2] < result.records

    done = live_progress(world.db, connection_id=world.connection_id)
    assert not done.running
    assert done.done
    run = done.run
    assert run is not None
    assert (run.status, run.number, run.mode) == ("ok", 1, "initial")
    assert (run.records_read, run.records, run.requests) == (
        result.records,
        result.changed,
        result.requests,
    )
    assert run.duration_s is not None
    by_name = {s.name: s for s in run.streams}
    assert by_name["products"].records == {p.name: p for p in result.streams}["products"].records
    assert by_name["products"].status == "ok"


async def test_history_pages_newest_first_with_run_numbers(world: World) -> None:
    for _ in range(3):
        await world.sync()
        world.sandbox.clock.advance(timedelta(seconds=5))
    first = run_history(world.db, connection_id=world.connection_id, limit=2)
    assert [r.number for r in first] == [3, 2]
    rest = run_history(world.db, connection_id=world.connection_id, limit=2, before_id=first[-1].id)
    assert [(r.number, r.mode) for r in rest] == [(1, "initial")]
    assert (
        run_history(world.db, connection_id=world.connection_id, limit=2, before_id=rest[0].id)
        == []
    )


async def test_a_sync_request_is_stored_stays_full_and_is_cleared_once(world: World) -> None:
    assert pending_request(world.db, connection_id=world.connection_id) is None
    full = request_sync(world.db, connection_id=world.connection_id, full=True, by="web:ann")
    light = request_sync(world.db, connection_id=world.connection_id, full=False)
    assert light.full  # asking lightly after a full resync keeps it full
    progress = live_progress(world.db, connection_id=world.connection_id)
    assert progress.request is not None
    assert not progress.done
    # A request made again after a sync took the first one is kept for the next sync.
    assert not clear_request(world.db, full)
    taken = pending_request(world.db, connection_id=world.connection_id)
    assert taken is not None
    assert clear_request(world.db, taken)
    assert pending_request(world.db, connection_id=world.connection_id) is None
    with world.db.connect() as conn:
        assert run_repository.get_sync_request(conn, connection_id=world.connection_id) is None


async def test_a_full_resync_request_makes_the_engine_read_everything(world: World) -> None:
    await world.sync()
    result = await SyncEngine(
        world.db, world.api, connection_id=world.connection_id, options=SyncOptions(full=True)
    ).run()
    history = run_history(world.db, connection_id=world.connection_id)
    assert [r.mode for r in history] == ["full", "initial"]
    assert history[0].records_read == result.records
