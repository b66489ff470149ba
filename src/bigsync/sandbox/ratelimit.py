"""The per-store request quota: a fixed 30-second window shared by every API account of a store.

Pure arithmetic over millisecond timestamps from the sandbox clock, so tests move time instead
of sleeping. Every store answer carries the four `X-Rate-Limit-*` headers; an exhausted window
answers 429 with them plus `X-Retry-After` (whole seconds until the window refills).

Plan `unlimited` has no request-rate limit. BigCommerce does not document the headers of such a
store; the sandbox still sends all four, advertising `UNLIMITED_QUOTA` requests per window with
`Requests-Left` equal to it (it never decreases), so a client that paces itself on the headers
never waits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW_MS = 30_000
UNLIMITED_QUOTA = 1_000_000

Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class RateDecision:
    """The outcome of taking one request from a window, with the headers to send."""

    allowed: bool
    headers: list[Header]
    retry_after_s: int


@dataclass
class RateWindow:
    """One store's quota: `quota` requests per `window_ms` (None: unlimited)."""

    quota: int | None
    window_ms: int = WINDOW_MS
    started_ms: float = -math.inf
    used: int = 0

    def _roll(self, now_ms: float) -> None:
        if now_ms >= self.started_ms + self.window_ms or now_ms < self.started_ms:
            self.started_ms = now_ms
            self.used = 0

    def take(self, now_ms: float) -> RateDecision:
        """Spend one request at `now_ms` if the window has any left."""
        self._roll(now_ms)
        allowed = self.quota is None or self.used < self.quota
        if allowed:
            self.used += 1
        return self._decision(now_ms, allowed=allowed)

    def peek(self, now_ms: float) -> RateDecision:
        """The headers for an answer that costs nothing (e.g. a 401)."""
        self._roll(now_ms)
        return self._decision(now_ms, allowed=True)

    def exhaust(self, now_ms: float) -> RateDecision:
        """The headers of an exhausted window, as a 429 storm shows them."""
        self._roll(now_ms)
        return self._decision(now_ms, allowed=False, left=0)

    def reset(self) -> None:
        """Start afresh (a new window begins with the next request)."""
        self.started_ms = -math.inf
        self.used = 0

    def _decision(self, now_ms: float, *, allowed: bool, left: int | None = None) -> RateDecision:
        reset_ms = max(0, math.ceil(self.started_ms + self.window_ms - now_ms))
        if self.quota is None:
            quota = remaining = UNLIMITED_QUOTA
        else:
            quota, remaining = self.quota, max(0, self.quota - self.used)
        if left is not None:
            remaining = left
        headers = [
            (b"x-rate-limit-time-window-ms", str(self.window_ms).encode()),
            (b"x-rate-limit-time-reset-ms", str(reset_ms).encode()),
            (b"x-rate-limit-requests-quota", str(quota).encode()),
            (b"x-rate-limit-requests-left", str(remaining).encode()),
        ]
        retry_after_s = max(1, math.ceil(reset_ms / 1000))
        if not allowed:
            headers.append((b"x-retry-after", str(retry_after_s).encode()))
        return RateDecision(allowed=allowed, headers=headers, retry_after_s=retry_after_s)
