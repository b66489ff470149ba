"""When jobs run: pure arithmetic, no clock of its own.

Each connection's periodic jobs run on slots of its interval shifted by a phase of its own,
derived from its id: `phase + k * every`. The phase is the same in every process and after
every restart, and the phases of many connections spread evenly over the interval, so stores
whose syncs share an interval never start together."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def phase_fraction(connection_id: int, kind: str = "sync") -> float:
    """A number in [0, 1) fixed for (`connection_id`, `kind`), spread evenly over ids."""
    digest = hashlib.blake2b(f"{kind}:{connection_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def next_slot(
    connection_id: int, every: timedelta, *, after: datetime, kind: str = "sync"
) -> datetime:
    """The first slot of `connection_id`'s schedule strictly later than `after` (whole
    microseconds: the same instants in every process)."""
    period = every // _MICROSECOND
    if period <= 0:
        return after
    phase = int(phase_fraction(connection_id, kind) * period)
    elapsed = (after - EPOCH) // _MICROSECOND - phase
    slots = elapsed // period + 1
    return EPOCH + (phase + slots * period) * _MICROSECOND


def backoff_delay(failures: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after `failures` consecutive failures: base, 2 base, 4 base, ...,
    never more than `cap` (0 failures: no wait)."""
    if failures <= 0:
        return timedelta(0)
    exponent = min(failures - 1, 32)  # 2**32 bases is past any cap
    grown: timedelta = base * (2**exponent)
    return min(grown, cap)
