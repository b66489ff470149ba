"""FakeTime: waits move the clock instead of passing."""

from __future__ import annotations

from bigsync.bigcommerce.testing import FakeTime


async def test_a_sleep_moves_the_clock_and_tells_who_follows() -> None:
    moves: list[float] = []
    time = FakeTime(start=10.0, on_advance=moves.append)
    await time.sleep(1.5)
    await time.sleep(-1.0)  # a wait already over
    time.advance(0.5)
    assert time.monotonic() == 12.0
    assert time.slept == [1.5, -1.0]
    assert moves == [1.5, 0.5]
