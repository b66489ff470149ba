"""Readiness of a serving process: the database answers, its schema is the one this bigsync
needs, and the scheduler runs (when this process runs jobs)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bigsync.store.db import schema_state

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bigsync.jobs.scheduler import Scheduler


@dataclass(frozen=True)
class Readiness:
    """Whether the process can do its work, and every reason it cannot."""

    checks: dict[str, bool] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.reasons


async def readiness(engine: Engine, scheduler: Scheduler | None, *, runs_jobs: bool) -> Readiness:
    """Check the database (one short read, off the event loop) and the scheduler."""
    state = await asyncio.to_thread(schema_state, engine)
    checks = {"database": state.reachable, "migrations": state.is_current}
    reasons: list[str] = []
    if not state.reachable:
        reasons.append(state.error or "database unreachable")
    elif not state.is_current:
        have = ", ".join(state.current) or "none"
        need = ", ".join(state.heads)
        reasons.append(
            f"database schema at revision {have}, this bigsync needs {need}: restart "
            "`bigsync serve` without --no-migrate (it migrates at start)"
        )
    if runs_jobs:
        checks["scheduler"] = scheduler is not None and scheduler.is_running
        if not checks["scheduler"]:
            reasons.append("the scheduler is not running")
        elif scheduler is not None and scheduler.last_poll_error:
            reasons.append(
                f"the scheduler cannot read the connections: {scheduler.last_poll_error}"
            )
    return Readiness(checks=checks, reasons=tuple(reasons))
