"""What every fulfillment use-case works on: one connection's hub over a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bigsync.store.unit_of_work import UnitOfWork


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Hub:
    """One connection's hub: its database, its id and name (hints name it), and a clock."""

    db: UnitOfWork
    connection_id: int
    name: str
    now: Callable[[], datetime] = field(default=_utcnow)

    def sync_hint(self, streams: str | None = None) -> str:
        """The command that refreshes the mirror (only `streams` when given)."""
        only = f" --streams {streams}" if streams else ""
        return f"run `bigsync sync {self.name}{only}`"
