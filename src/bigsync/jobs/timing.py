"""When jobs run: pure arithmetic, no clock of its own.

Each connection's periodic jobs run on slots of its interval shifted by a phase of its own,
derived from its id: `phase + k * every`. The phase is the same in every process and after
every restart, and the phases of many connections spread evenly over the interval, so stores
whose syncs share an interval never start together.

After a run, the next one is the first slot at least `MIN_GAP` of the interval after it
(`next_run_after`): a run that happened off its grid (the first sync, a nudge, the end of a
back-off) is not followed by a slot a few seconds later. Half the interval keeps the mean gap
at one interval when runs end anywhere on the grid (gaps fall in (every/2, 3 every/2]), and
keeps runs shorter than half their interval on their slots."""

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


MIN_GAP = 0.5
"""The least gap between the end of a run and the next one, as a fraction of the interval."""


def next_run_after(
    connection_id: int, every: timedelta, *, finished: datetime, kind: str = "sync"
) -> datetime:
    """When `connection_id`'s job `kind` runs next after a run that ended at `finished`: its
    first slot at least `MIN_GAP * every` later."""
    return next_slot(connection_id, every, after=finished + every * MIN_GAP, kind=kind)


def backoff_delay(failures: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after `failures` consecutive failures: base, 2 base, 4 base, ...,
    never more than `cap` (0 failures: no wait)."""
    if failures <= 0:
        return timedelta(0)
    exponent = min(failures - 1, 32)  # 2**32 bases is past any cap
    grown: timedelta = base * (2**exponent)
    return min(grown, cap)
