"""The per-connection lease: one sync at a time, across processes, with fencing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bigsync.errors import SyncLockedError, SyncLockLostError
from bigsync.store import mirror_repository as repo
from bigsync.store.mirror_schema import sync_locks
from bigsync.sync.engine import SyncEngine, SyncOptions
from tests.sync.conftest import World

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TTL = timedelta(minutes=2)


def take(world: World, owner: str, now: datetime) -> bool:
    with world.db.begin() as conn:
        return repo.try_acquire(
            conn, connection_id=world.connection_id, owner=owner, now=now, ttl=TTL
        )


def test_lease_is_exclusive_until_released_or_expired(world: World) -> None:
    assert take(world, "a", NOW)
    assert take(world, "a", NOW)  # re-entrant for its owner
    assert not take(world, "b", NOW + timedelta(minutes=1))
    assert take(world, "b", NOW + TTL + timedelta(seconds=1))  # a's lease expired
    with world.db.begin() as conn:
        assert not repo.renew(conn, connection_id=world.connection_id, owner="a", now=NOW, ttl=TTL)
        repo.release(conn, connection_id=world.connection_id, owner="b")
    assert take(world, "c", NOW)


async def test_a_second_sync_is_refused_while_one_runs(world: World) -> None:
    started: list[str] = []

    class SlowApi:
        async def get(self, path: str, *, params: Any = None) -> Any:
            if not started:
                started.append(path)
                with pytest.raises(SyncLockedError):
                    await world.sync()
            return await world.api.get(path, params=params)

    engine = SyncEngine(world.db, SlowApi(), connection_id=world.connection_id)
    assert (await engine.run()).status == "ok"
    assert started


async def test_a_sync_whose_lease_was_taken_over_commits_nothing_more(world: World) -> None:
    class TakeoverApi:
        def __init__(self) -> None:
            self.calls = 0

        async def get(self, path: str, *, params: Any = None) -> Any:
            self.calls += 1
            if self.calls == 6:  # another process takes the (expired) lease
                with world.db.begin() as conn:
                    conn.execute(sync_locks.update().values(owner="intruder", expires_at=None))
            return await world.api.get(path, params=params)

    engine = SyncEngine(
        world.db, TakeoverApi(), connection_id=world.connection_id, options=SyncOptions()
    )
    with pytest.raises(SyncLockLostError):
        await engine.run()
    with world.db.connect() as conn:
        assert repo.current_lease(conn, connection_id=world.connection_id).owner == "intruder"
