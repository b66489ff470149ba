"""What routes depend on: the `Hub` of the running app (settings, database, vault, the
scheduler's nudge), as an `Annotated` dependency alias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bigsync.config import Settings
    from bigsync.connections import ConnectionService
    from bigsync.jobs.context import JobContext
    from bigsync.jobs.model import Nudge
    from bigsync.jobs.scheduler import Scheduler
    from bigsync.vault import Vault


@dataclass
class Hub:
    """The running app's resources (`app.state.hub`)."""

    jobs: JobContext
    scheduler: Scheduler | None
    runs_jobs: bool
    # Worker mode (`bigsync serve --no-jobs` on PostgreSQL): nudges queue jobs for workers.
    enqueue: Nudge | None = None

    @property
    def settings(self) -> Settings:
        return self.jobs.settings

    @property
    def engine(self) -> Engine:
        return self.jobs.engine

    @property
    def vault(self) -> Vault:
        return self.jobs.vault

    def connections(self, actor: str = "web") -> ConnectionService:
        """The connection use-cases, acting as `actor`."""
        return self.jobs.connections(actor=actor)

    def nudge(self, kind: str, connection_id: int, *, delay_s: float = 0.0) -> None:
        """Have job `kind` run for `connection_id` soon: `Scheduler.nudge` in this process,
        or a job queued for the workers (worker mode); nothing otherwise."""
        if self.scheduler is not None:
            self.scheduler.nudge(kind, connection_id, delay_s=delay_s)
        elif self.enqueue is not None:
            self.enqueue(kind, connection_id, delay_s=delay_s)


def get_hub(request: Request) -> Hub:
    """The app's hub (set by the lifespan of `create_app`)."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
