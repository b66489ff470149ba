"""Time that tests control: waits move a clock instead of passing (stamina's testing mode).

    time = FakeTime()
    client = BigCommerceClient(credentials, clock=time.monotonic, sleep=time.sleep)
    ...  # 429 holds, pacing and backoff take no real time
    assert time.now == pytest.approx(2.0)

`sleep(seconds)` moves the clock forward by `seconds`, then yields to the event loop once, so
other tasks run as they would during a real wait. Concurrent sleepers move it in turn: each
wait starts where the previous one ended, which is what a paced or held queue of requests
does. `on_advance` sees every move, e.g. to move a sandbox's frozen clock along.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class FakeTime:
    """A monotonic clock and a sleep that moves it (`monotonic` and `sleep` for the client)."""

    def __init__(
        self, *, start: float = 0.0, on_advance: Callable[[float], None] | None = None
    ) -> None:
        self.now = start
        self.slept: list[float] = []
        """Every wait asked for, in order."""
        self._on_advance = on_advance

    def monotonic(self) -> float:
        """The current time, in seconds."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Move the clock by `seconds` (none if negative) and let other tasks run."""
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move the clock forward, as time passing outside the client would."""
        if seconds > 0:
            self.now += seconds
            if self._on_advance is not None:
                self._on_advance(seconds)
