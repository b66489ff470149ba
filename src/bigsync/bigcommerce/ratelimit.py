"""The per-store rate governor, and the pure arithmetic behind it.

BigCommerce gives each store a quota of requests per window (150 per 30 s on Standard), shared
by every app on the store, and reports it on every answer in four headers:
`X-Rate-Limit-Time-Window-Ms`, `-Time-Reset-Ms` (time left in the window), `-Requests-Quota`
and `-Requests-Left`. A 429 adds `X-Retry-After` (seconds); a 429 without those headers means
the platform is shedding load, not that the quota is spent.

Pure part: `read_rate_headers` -> `RateHeaders`; `Budget` is what the governor believes about
the current window; `budget_after_answer` folds an answer into it; `schedule_send` says when the
next request may start. Pacing spreads the usable requests left (the quota minus a reserve share
left to the store's other apps) evenly over the time left in the window, so a long crawl runs at
the quota's pace without meeting a 429.

`RateGovernor` applies it: one instance per store per process (`governor_for`, keyed by
`store_key`: the API host and store hash, so two connections to one store share it), shared
by all concurrent work on the store; it bounds concurrency, paces sends, and holds every
request back after a 429 for as long as the 429 said. It reads time from its `clock` and
waits with its `sleep` (`time.monotonic` and `asyncio.sleep`;
`bigsync.bigcommerce.testing.FakeTime` in tests).
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

DEFAULT_RESERVE_SHARE = 0.1
DEFAULT_MAX_CONCURRENCY = 8


@dataclass(frozen=True)
class RateHeaders:
    """The rate-limit headers of one answer (None where a header is missing or unreadable)."""

    window_ms: int | None = None
    reset_ms: int | None = None
    quota: int | None = None
    left: int | None = None
    retry_after_s: float | None = None

    @property
    def is_complete(self) -> bool:
        """Whether the four `X-Rate-Limit-*` headers are all present."""
        return None not in (self.window_ms, self.reset_ms, self.quota, self.left)


def read_rate_headers(headers: Mapping[str, str]) -> RateHeaders:
    """The rate-limit headers of an answer; names are matched case-insensitively.

    Values that contradict each other are bounded: the time to the reset never exceeds the
    window, and the requests left never exceed the quota (one garbled header must not hold the
    store's every request for longer than a window, nor pace faster than the quota allows).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    window_ms = _integer(lower.get("x-rate-limit-time-window-ms"))
    reset_ms = _integer(lower.get("x-rate-limit-time-reset-ms"))
    quota = _integer(lower.get("x-rate-limit-requests-quota"))
    left = _integer(lower.get("x-rate-limit-requests-left"))
    return RateHeaders(
        window_ms=window_ms,
        reset_ms=reset_ms if reset_ms is None or window_ms is None else min(reset_ms, window_ms),
        quota=quota,
        left=min(left, quota) if left is not None and quota is not None else left,
        retry_after_s=_number(lower.get("x-retry-after")),
    )


def wait_after_429(headers: Mapping[str, str]) -> float | None:
    """How long a 429 asks to wait: `X-Rate-Limit-Time-Reset-Ms`, or `X-Retry-After` when that
    is longer. None for a 429 without either (platform load: back off instead)."""
    read = read_rate_headers(headers)
    waits = [w for w in (_ms(read.reset_ms), read.retry_after_s) if w is not None]
    return max(waits) if waits else None


@dataclass(frozen=True)
class Budget:
    """What the governor believes about the store's current window (times are monotonic s)."""

    quota: int
    window_s: float
    left: int  # requests the store has left in this window, minus the ones we sent since
    resets_at: float
    since: int = 0  # sequence number of our first request known to fall in this window


def reserve_of(quota: int, share: float) -> int:
    """Requests per window left to the store's other apps."""
    return math.ceil(quota * share) if share > 0 else 0


def budget_after_answer(
    budget: Budget | None,
    read: RateHeaders,
    *,
    received_at: float,
    sequence: int,
    sent_since: int,
) -> Budget | None:
    """`budget` updated by the headers of the answer to our request number `sequence`.

    `sent_since` counts our requests started after that one: the store may not have counted
    them yet, so they are taken off `left`. An answer from the same window (reset times within
    half a window) lowers `left` (never raises it) and pushes `resets_at` later (never
    earlier). An answer that describes another window replaces the budget, unless its request
    was sent before the budget's window began (a late answer from an earlier window).
    """
    quota, left, window_ms, reset_ms = read.quota, read.left, read.window_ms, read.reset_ms
    if quota is None or left is None or window_ms is None or reset_ms is None or quota < 1:
        return budget
    window_s = max(window_ms, 1) / 1000.0
    seen = Budget(
        quota=quota,
        window_s=window_s,
        left=max(0, left - sent_since),
        resets_at=received_at + reset_ms / 1000.0,
        since=sequence,
    )
    if budget is None:
        return seen
    if abs(seen.resets_at - budget.resets_at) > window_s / 2:
        return seen if sequence >= budget.since else budget
    return replace(
        budget,
        quota=seen.quota,
        window_s=window_s,
        left=min(budget.left, seen.left),
        resets_at=max(budget.resets_at, seen.resets_at),
    )


def schedule_send(
    budget: Budget | None,
    *,
    now: float,
    not_before: float,
    reserve_share: float,
    sequence: int = 0,
) -> tuple[float, float, Budget | None]:
    """When our request number `sequence` may start, the earliest start for the one after it,
    and the budget once it is sent.

    The usable requests left (left minus the reserve) are spread evenly over the time left in
    the window; none usable means waiting for the window to refill. Without a budget (no
    headers seen yet, or a store without limits) requests are not paced.
    """
    at = max(now, not_before)
    if budget is None:
        return at, at, None
    if at >= budget.resets_at:
        budget = _fresh_window(budget, at, sequence)
    reserve = min(reserve_of(budget.quota, reserve_share), budget.quota - 1)
    if budget.left - reserve <= 0:
        at = budget.resets_at
        budget = _fresh_window(budget, at, sequence)
    spent = replace(budget, left=budget.left - 1)
    usable_after = spent.left - reserve
    if usable_after <= 0:
        return at, spent.resets_at, spent
    return at, at + (spent.resets_at - at) / (usable_after + 1), spent


def _fresh_window(budget: Budget, at: float, sequence: int) -> Budget:
    # Assumed full until an answer says otherwise (another app may have started it already).
    return replace(budget, left=budget.quota, resets_at=at + budget.window_s, since=sequence)


@dataclass(frozen=True)
class Ticket:
    """One request's pass through the governor: its place in send order and its wait."""

    sequence: int
    waited_s: float


Clock = Callable[[], float]
"""Monotonic seconds (`time.monotonic`)."""
Sleep = Callable[[float], Awaitable[None]]
"""Waits that many seconds (`asyncio.sleep`)."""


class RateGovernor:
    """Paces and bounds the requests of one store; share one instance per store (`governor_for`).

    Use `async with governor.slot() as ticket:` around one request, then report its answer with
    `observe(ticket, headers)`; after a 429, `hold(seconds)` holds every request back.
    """

    def __init__(
        self,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        reserve_share: float = DEFAULT_RESERVE_SHARE,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if not 0.0 <= reserve_share < 1.0:
            raise ValueError("reserve_share must be in [0, 1)")
        self.max_concurrency = max_concurrency
        self.reserve_share = reserve_share
        self.budget: Budget | None = None
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max_concurrency)
        self._next_at = -math.inf
        self._held_until = -math.inf
        self._sent = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Ticket]:
        """Wait for a concurrency slot and the paced send time; yields the request's ticket."""
        async with self._slots:  # `tighten` may swap it: each request releases its own
            started = self._clock()
            sequence = self._sent  # no await from here to the increment: slots never overlap
            at, self._next_at, self.budget = schedule_send(
                self.budget,
                now=started,
                not_before=max(self._next_at, self._held_until),
                reserve_share=self.reserve_share,
                sequence=sequence,
            )
            self._sent += 1
            if at > started:
                await self._sleep(at - started)
            # A 429 may have come while this request waited; the hold can grow while it sleeps.
            while (now := self._clock()) < self._held_until:
                await self._sleep(self._held_until - now)
            yield Ticket(sequence=sequence, waited_s=max(0.0, self._clock() - started))

    def observe(self, ticket: Ticket, headers: Mapping[str, str]) -> None:
        """Fold an answer's rate-limit headers into the budget."""
        self.budget = budget_after_answer(
            self.budget,
            read_rate_headers(headers),
            received_at=self._clock(),
            sequence=ticket.sequence,
            sent_since=self._sent - ticket.sequence - 1,
        )

    def tighten(self, *, max_concurrency: int, reserve_share: float) -> None:
        """Apply the stricter of the current and the given settings: the smaller concurrency,
        the larger reserve. A smaller concurrency bounds the requests that start from now
        on (those in flight finish under the old bound)."""
        if max_concurrency < self.max_concurrency:
            self.max_concurrency = max(1, max_concurrency)
            self._slots = asyncio.Semaphore(self.max_concurrency)
        self.reserve_share = max(self.reserve_share, reserve_share)

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` from now (after a 429)."""
        self._held_until = max(self._held_until, self._clock() + max(0.0, seconds))

    @property
    def sent(self) -> int:
        """Requests let through so far."""
        return self._sent


_GOVERNORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RateGovernor]] = (
    weakref.WeakKeyDictionary()
)


def store_key(base_url: str, store_hash: str) -> str:
    """What identifies one store's quota: the API host (with any path prefix, without the
    scheme, case-folded) and the store hash, as `api.bigcommerce.com/abc123`. Every
    connection to the store has the same key, whatever its kind or credentials."""
    parts = urlsplit(base_url.strip())
    host = (parts.netloc or parts.path.split("/", 1)[0]).lower()
    prefix = parts.path.rstrip("/") if parts.netloc else ""
    return f"{host}{prefix}/{store_hash.strip().lower()}"


def governor_for(
    base_url: str,
    store_hash: str,
    *,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    reserve_share: float = DEFAULT_RESERVE_SHARE,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> RateGovernor:
    """The one governor of a store (`store_key`) in this process's event loop.

    The first caller's time creates it; every caller shares it, under the stricter of its
    settings and the caller's (`RateGovernor.tighten`): the store's quota is one, whichever
    connection's client asks.
    """
    by_store = _GOVERNORS.setdefault(asyncio.get_running_loop(), {})
    key = store_key(base_url, store_hash)
    governor = by_store.get(key)
    if governor is None:
        governor = by_store[key] = RateGovernor(
            max_concurrency=max_concurrency, reserve_share=reserve_share, clock=clock, sleep=sleep
        )
    else:
        governor.tighten(max_concurrency=max_concurrency, reserve_share=reserve_share)
    return governor


def _integer(raw: str | None) -> int | None:
    value = _number(raw)
    return int(value) if value is not None else None


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _ms(value: int | None) -> float | None:
    return value / 1000.0 if value is not None else None
