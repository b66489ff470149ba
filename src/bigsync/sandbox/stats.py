"""Request counters per store and per endpoint, served at `GET /_sandbox/stats`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
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


@dataclass
class StoreStats:
    """One store's totals and its counts per endpoint (`GET /v3/catalog/products`)."""

    total: Counts = field(default_factory=Counts)
    endpoints: dict[str, Counts] = field(default_factory=dict)

    def record(self, endpoint: str, status: int) -> None:
        """Count one answer of `endpoint` with `status`."""
        self.total.add(status)
        counts = self.endpoints.get(endpoint)
        if counts is None:
            counts = self.endpoints[endpoint] = Counts()
        counts.add(status)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.total.as_json(),
            "endpoints": {name: c.as_json() for name, c in sorted(self.endpoints.items())},
        }
