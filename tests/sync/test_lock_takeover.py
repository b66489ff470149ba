"""What a user meets after a crash: a sync killed with SIGKILL leaves a lease that runs for
minutes, and the next sync starts at once anyway (the killed holder's lock died with it); while
a sync is alive, a second one is refused with the holder's process and since when."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest

from bigsync.errors import SyncLockedError
from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository as repo
from bigsync.streams import STREAMS
from bigsync.sync.engine import SyncEngine, SyncOptions
from tests.sync.conftest import BASE_URL, Oracle, World, mirror_reader
from tests.sync.mirror_check import assert_mirror_matches
from tests.sync.test_kill import (  # the kill test's machinery: child sync, live sandbox
    CHILD,
    DEADLINE_S,
    PAGE,
    STALL_AFTER,
    _orders_committed,
    live,
)

__all__ = ["live"]  # a fixture

# The child's lease lasts ten minutes: only the lock that died with it can let a sync in.
LONG_LEASE_CHILD = CHILD.replace("lease=timedelta(seconds=0.5)", "lease=timedelta(minutes=10)")
assert LONG_LEASE_CHILD != CHILD


async def start_committing_child(server: SandboxServer, world: World) -> asyncio.subprocess.Process:
    """A sync in another process, stalled on orders after committing some of its pages."""
    token = world.api.credentials.access_token
    args = [str(world.db.url), server.url, world.store.hash, token, str(world.connection_id)]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LONG_LEASE_CHILD, *args, str(PAGE), str(STALL_AFTER),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    deadline = time.monotonic() + DEADLINE_S  # a bound on the wait, not a measurement
    while _orders_committed(world) < (STALL_AFTER - 1) * PAGE:
        assert child.returncode is None, "the sync child exited before it was killed"
        assert time.monotonic() < deadline, "the sync child made no progress"
        await asyncio.sleep(0.02)
    return child


async def kill(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(child.wait(), DEADLINE_S) == -signal.SIGKILL


async def test_a_sync_killed_mid_run_does_not_lock_the_next_one_out(
    live: tuple[SandboxServer, World],
) -> None:
    server, world = live
    child = await start_committing_child(server, world)
    await kill(child)
    with world.db.connect() as conn:
        dead = repo.current_lease(conn, connection_id=world.connection_id)
    assert dead.owner is not None
    assert f":{child.pid}:" in dead.owner
    assert dead.expires_at is not None
    assert dead.expires_at > datetime.now(UTC)  # the dead holder's lease still runs
    streams = tuple(
        dataclasses.replace(s, page_size=PAGE) if s.page_size == 250 else s for s in STREAMS
    )
    engine = SyncEngine(
        world.db, world.api, connection_id=world.connection_id, options=SyncOptions(streams=streams)
    )
    result = await engine.run()  # at once: not refused by the dead holder's lease
    assert result.status == "ok"
    token = world.api.credentials.access_token
    transport = httpx.ASGITransport(app=world.app)
    base = f"{BASE_URL}/stores/{world.store.hash}"
    headers = {"X-Auth-Token": token}
    async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as http:
        await assert_mirror_matches(world, Oracle(http), mirror_reader(world))


async def test_a_live_sync_refuses_a_second_one_naming_its_process(
    live: tuple[SandboxServer, World],
) -> None:
    server, world = live
    child = await start_committing_child(server, world)
    try:
        with pytest.raises(SyncLockedError) as refused:
            await world.sync()
    finally:
        await kill(child)
    message = str(refused.value)
    assert f"process {child.pid} on {socket.gethostname()}" in message
    assert "since 20" in message
