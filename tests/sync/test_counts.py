"""Counts say what they mean: a first sync is `initial`, runs are numbered per connection,
and a run's records are the rows it found new or changed, not what it read again."""

from __future__ import annotations

from datetime import timedelta

from bigsync.sync.engine import SyncEngine
from bigsync.sync.service import mirror_status
from tests.databases import add_connection
from tests.sync.conftest import World


async def test_runs_are_labelled_and_numbered_per_connection(world: World) -> None:
    first = await world.sync()
    again = await world.sync()
    full = await world.sync(full=True)
    assert [(r.mode, r.number) for r in (first, again, full)] == [
        ("initial", 1),
        ("incremental", 2),
        ("full", 3),
    ]
    other = add_connection(world.db, "other", store_hash=world.store.hash)
    result = await SyncEngine(world.db, world.api, connection_id=other).run()
    assert (result.mode, result.number) == ("initial", 1)
    status = mirror_status(world.db, connection_id=world.connection_id, name="sandbox")
    assert [(r["number"], r["mode"]) for r in status["runs"]] == [
        (3, "full"),
        (2, "incremental"),
        (1, "initial"),
    ]


async def test_records_read_again_are_not_counted_as_changes(world: World) -> None:
    first = await world.sync()
    assert first.changed > 0
    world.sandbox.clock.advance(timedelta(seconds=5))
    again = await world.sync()
    by_name = {s.name: s for s in again.streams}
    assert by_name["products"].records > 0  # the overlap window is read again ...
    assert by_name["products"].changed == 0  # ... and changes nothing
    assert again.changed == 0
    world.sandbox.clock.advance(timedelta(seconds=5))
    updated = world.mutate("product", "update", 2)
    world.sandbox.clock.advance(timedelta(seconds=5))
    third = await world.sync()
    products = {s.name: s for s in third.streams}["products"]
    assert products.changed == len(updated)
    status = mirror_status(world.db, connection_id=world.connection_id, name="sandbox")
    assert status["runs"][0]["records_changed"] == third.changed
    assert status["runs"][1]["records_changed"] == 0
    streams = {s["stream"]: s for s in status["streams"]}
    assert streams["products"]["rows"] == status["tables"]["products"]
    assert streams["products"]["records_read_total"] >= streams["products"]["rows"]
