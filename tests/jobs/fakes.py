"""A clock the test moves, an in-memory schedule store, and jobs that record their calls."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bigsync.jobs.model import JobOutcome, ScheduledConnection
from bigsync.store.schedule_repository import ScheduleRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ManualTime:
    """`clock()` and `sleep()` for the scheduler: sleepers wake only when `advance` passes
    their time, so a test decides how much time goes by."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self.now + timedelta(seconds=seconds), next(self._order), future)
        )
        await future

    async def advance(self, delta: timedelta) -> None:
        """Move time forward by `delta`, waking each sleeper at its own time in order."""
        target = self.now + delta
        await settle()
        while True:
            self._sleepers = [s for s in self._sleepers if not s[2].done()]
            heapq.heapify(self._sleepers)
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            when, _n, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            future.set_result(None)
            await settle()
        self.now = target
        await settle()


async def settle(rounds: int = 30) -> None:
    """Let every ready task run (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def inline(function: Any, *args: Any) -> Any:
    """`run_blocking` for tests: call at once, on the loop."""
    return function(*args)


@dataclass
class MemoryStore:
    """`ScheduleStore` in memory."""

    items: dict[int, ScheduledConnection] = field(default_factory=dict)
    state: dict[tuple[int, str], ScheduleRow] = field(default_factory=dict)
    version: int = 0
    fail_reads: bool = False

    def put(self, connection: ScheduledConnection) -> None:
        self.items[connection.id] = connection
        self.version += 1

    def remove(self, connection_id: int) -> None:
        del self.items[connection_id]
        self.version += 1

    def signature(self) -> Hashable:
        if self.fail_reads:
            raise OSError("database is down")
        return self.version

    def connections(self) -> list[ScheduledConnection]:
        return list(self.items.values())

    def load_state(self) -> dict[tuple[int, str], ScheduleRow]:
        return dict(self.state)

    def save_state(self, row: ScheduleRow) -> None:
        self.state[(row.connection_id, row.job)] = row


def ready(connection_id: int, *, every: timedelta | None = None, **kw: Any) -> ScheduledConnection:
    return ScheduledConnection(
        id=connection_id, name=f"shop{connection_id}", ready=True, sync_every=every, **kw
    )


@dataclass
class Recorder:
    """A job that records (connection id, time) of each call, with an outcome per connection,
    optionally holding each run until the test releases it."""

    time: ManualTime
    outcomes: dict[int, list[JobOutcome]] = field(default_factory=dict)
    calls: list[tuple[int, datetime]] = field(default_factory=list)
    hold: bool = False
    running: dict[int, int] = field(default_factory=dict)
    most_at_once: dict[int, int] = field(default_factory=dict)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: list[int] = field(default_factory=list)

    async def __call__(self, _ctx: Any, connection_id: int, **_arguments: Any) -> JobOutcome:
        self.calls.append((connection_id, self.time.now))
        self.running[connection_id] = self.running.get(connection_id, 0) + 1
        self.most_at_once[connection_id] = max(
            self.most_at_once.get(connection_id, 0), self.running[connection_id]
        )
        try:
            if self.hold:
                await self.gate.wait()
            queue = self.outcomes.get(connection_id)
            return queue.pop(0) if queue else JobOutcome("ok")
        except asyncio.CancelledError:
            self.cancelled.append(connection_id)
            raise
        finally:
            self.running[connection_id] -= 1

    def times(self, connection_id: int) -> list[datetime]:
        return [t for c, t in self.calls if c == connection_id]
