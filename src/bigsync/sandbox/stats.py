"""Request counters per store and per endpoint, and each store's request rate over time,
served at `GET /_sandbox/stats`.

The rate over time (`RequestTimeline`) is measured on the sandbox clock, for every request
counted (429s, 401s and dropped answers included: a client that sends them sent them):
- `peak_in_window`: the most requests in any one of the store's fixed quota windows, the
  windows its rate limit counts in (`ratelimit.RateWindow`); a client that never exceeds
  the store's quota (or its share of it) never shows more.
- `peak_sliding`: the most requests in any `window_ms` interval ending at a request, whatever
  the fixed windows; up to twice the quota for a client that spends one window's quota at
  its end and the next one's at its start.
- `per_second`: requests per whole second of sandbox time (Unix seconds), shown when asked
  (`GET /_sandbox/stats?per_second=true`).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Counts:
    """Requests served, 429s given, and answers by status code (0: connection dropped)."""

    requests: int = 0
    throttled: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] += 1
        if status == 429:
            self.throttled += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "throttled": self.throttled,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
        }


@dataclass(frozen=True)
class Peak:
    """The most requests seen in one interval, and where that interval starts or ends (ms)."""

    requests: int = 0
    at_ms: float | None = None

    def as_json(self, key: str) -> dict[str, Any]:
        return {"requests": self.requests, key: _iso(self.at_ms)}


@dataclass
class RequestTimeline:
    """One store's requests over sandbox time: peaks per quota window and per second."""

    window_ms: int = 30_000
    per_second: Counter[int] = field(default_factory=Counter)
    peak_in_window: Peak = field(default_factory=Peak)
    peak_sliding: Peak = field(default_factory=Peak)
    _window_start: float | None = None
    _in_window: int = 0
    _recent: deque[float] = field(default_factory=deque)

    def add(self, at_ms: float, *, window_start_ms: float, window_ms: int) -> None:
        """Count one request at `at_ms`, in the quota window that started at
        `window_start_ms` and lasts `window_ms`."""
        recent = self._recent
        if window_ms != self.window_ms or (recent and at_ms < recent[-1]):
            self.window_ms = window_ms  # a new window length, or the clock went back
            recent.clear()
        self.per_second[int(at_ms // 1000)] += 1
        if window_start_ms != self._window_start:
            self._window_start, self._in_window = window_start_ms, 0
        self._in_window += 1
        if self._in_window > self.peak_in_window.requests:
            self.peak_in_window = Peak(self._in_window, window_start_ms)
        recent.append(at_ms)
        while recent[0] <= at_ms - window_ms:
            recent.popleft()
        if len(recent) > self.peak_sliding.requests:
            self.peak_sliding = Peak(len(recent), at_ms)

    def as_json(self, *, per_second: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "window_ms": self.window_ms,
            "peak_in_window": self.peak_in_window.as_json("window_start"),
            "peak_sliding": self.peak_sliding.as_json("ending_at"),
            "busiest_second": max(self.per_second.values(), default=0),
        }
        if per_second:
            body["per_second"] = {str(s): n for s, n in sorted(self.per_second.items())}
        return body


@dataclass
class StoreStats:
    """One store's totals, its counts per endpoint (`GET /v3/catalog/products`) and its
    request rate over time."""

    total: Counts = field(default_factory=Counts)
    endpoints: dict[str, Counts] = field(default_factory=dict)
    timeline: RequestTimeline = field(default_factory=RequestTimeline)

    def record(
        self,
        endpoint: str,
        status: int,
        *,
        at_ms: float | None = None,
        window_start_ms: float = 0.0,
        window_ms: int = 30_000,
    ) -> None:
        """Count one answer of `endpoint` with `status` (at `at_ms` on the sandbox clock,
        in the quota window starting at `window_start_ms`, when given)."""
        self.total.add(status)
        counts = self.endpoints.get(endpoint)
        if counts is None:
            counts = self.endpoints[endpoint] = Counts()
        counts.add(status)
        if at_ms is not None:
            self.timeline.add(at_ms, window_start_ms=window_start_ms, window_ms=window_ms)

    def as_json(self, *, per_second: bool = False) -> dict[str, Any]:
        return {
            **self.total.as_json(),
            "rate": self.timeline.as_json(per_second=per_second),
            "endpoints": {name: c.as_json() for name, c in sorted(self.endpoints.items())},
        }


def _iso(at_ms: float | None) -> str | None:
    if at_ms is None:
        return None
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat()
