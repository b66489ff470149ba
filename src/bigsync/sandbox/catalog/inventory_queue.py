"""Inventory writes that apply later, as BigCommerce's asynchronous Inventory API does.

`PUT /v3/inventory/adjustments/absolute` and `POST /v3/inventory/adjustments/relative`
answer with a `transaction_id` once the request is validated; the change itself applies
`StoreState.inventory_delay_ms` later, measured on the sandbox clock (so a test that freezes
the clock holds every write back until it advances the clock). Until then every read —
`/v3/inventory/items`, `/v3/inventory/locations/{id}/items`, the catalog's
`inventory_level` — shows the old values, and the write's webhooks
(`store/product/inventory/updated`, `store/sku/inventory/updated`, `store/product/updated`)
fire when it applies, not when it is accepted.

Choices where the docs are silent:
- Writes apply in order of arrival: a write never applies before one accepted earlier, even
  when the delay was shortened in between (its due time is at least the previous one's).
- Validation happens at once, against the stock as it will be once the writes ahead of it
  have applied: a relative adjustment after a pending absolute one on a new location is
  accepted, and the safety-stock check uses the projected level.
- A relative adjustment applies its delta to the level found when it applies (an order sold
  meanwhile is kept), never going below zero; an absolute one sets its value, overwriting
  whatever happened meanwhile. An item whose product was deleted meanwhile is skipped.
- Pending writes apply lazily, before any store API or control API request is handled, and
  from a 10 ms ticker while the app runs under a server (its ASGI lifespan), so webhooks of
  a due write fire without any request. Python code settles with `Sandbox.settle()`.
- Order sales, control-panel edits (`/_sandbox/mutate`) and item settings
  (`PUT /v3/inventory/locations/{id}/items`) apply at once.
- With a delay of 0 (the default) a write applies before its answer is sent.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ItemKey = tuple[int, int | None, int]
"""(product id, variant id or None for product-level stock, location id)."""


@dataclass(frozen=True)
class Change:
    """What one write does to one item at one location: set `value`, or add it."""

    value: int
    relative: bool

    def applied_to(self, level: int, *, ceiling: int) -> int:
        if not self.relative:
            return self.value
        return min(ceiling, max(0, level + self.value))


@dataclass(frozen=True)
class PendingWrite:
    """An accepted inventory write waiting for its time."""

    transaction_id: str
    received_at: datetime
    applies_at: datetime
    method: str  # "absolute" or "relative"
    changes: Mapping[ItemKey, Change]
    apply: Callable[[], None] = field(repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "method": self.method,
            "items": len(self.changes),
            "received_at": self.received_at.isoformat(),
            "applies_at": self.applies_at.isoformat(),
        }


class InventoryQueue:
    """One store's pending inventory writes, oldest first. Safe to settle from any thread."""

    def __init__(self) -> None:
        self._pending: deque[PendingWrite] = deque()
        self._lock = threading.RLock()
        self.applied = 0  # writes applied since the store was built

    def __len__(self) -> int:
        return len(self._pending)

    def __iter__(self) -> Iterator[PendingWrite]:
        return iter(list(self._pending))

    def due_time(self, now: datetime, delay_ms: int) -> datetime:
        """When a write accepted at `now` applies: after `delay_ms`, never before the last."""
        due = now + timedelta(milliseconds=delay_ms)
        with self._lock:
            if self._pending and self._pending[-1].applies_at > due:
                return self._pending[-1].applies_at
        return due

    def push(self, write: PendingWrite) -> None:
        with self._lock:
            self._pending.append(write)

    def settle(self, now: datetime) -> int:
        """Apply, in order, every write due at `now`; how many applied."""
        count = 0
        with self._lock:
            while self._pending and self._pending[0].applies_at <= now:
                write = self._pending.popleft()
                write.apply()
                self.applied += 1
                count += 1
        return count

    def projected(self, key: ItemKey, level: int | None, *, ceiling: int) -> int | None:
        """The level of `key` once every pending write has applied (None: no stock record)."""
        with self._lock:
            for write in self._pending:
                change = write.changes.get(key)
                if change is None:
                    continue
                if change.relative and level is None:
                    continue  # cannot happen: validation refuses it
                level = change.applied_to(level or 0, ceiling=ceiling)
        return level

    def as_json(self) -> dict[str, Any]:
        return {"pending": [w.as_json() for w in self], "applied": self.applied}
