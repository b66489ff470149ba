"""Catalog refreshes started from the web app (the Products page's Refresh, and
`POST /api/v1/connections/{id}/products/refresh`): `fulfillment.catalog.refresh` (the use-case
of `bigsync products --refresh`) as a task on the server's event loop, so the request answers
at once; one per connection at a time, and the last outcome kept for the page to show.

The state lives in this process (`app.state.catalog_refreshes`): a refresh running in another
process shows as that sync's lock (the refresh then fails with "a sync is running")."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request

from bigsync.errors import BigsyncError
from bigsync.fulfillment import catalog
from bigsync.web.deps import Hub

log = logging.getLogger(__name__)


@dataclass
class RefreshState:
    """One connection's refresh: running, or how the last one ended."""

    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # running | ok | warning | failed
    message: str = ""
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "running"


def _states(request: Request) -> dict[int, RefreshState]:
    states: dict[int, RefreshState] | None = getattr(request.app.state, "catalog_refreshes", None)
    if states is None:
        states = request.app.state.catalog_refreshes = {}
    return states


def refresh_state(request: Request, connection_id: int) -> RefreshState | None:
    """The running or last refresh of this connection in this process (None: none yet)."""
    return _states(request).get(connection_id)


def start_refresh(
    request: Request, hub: Hub, connection_id: int, name: str, *, actor: str
) -> tuple[RefreshState, bool]:
    """Start a refresh unless one is running; (its state, whether this call started it).
    Call from the event loop (an `async def` route)."""
    states = _states(request)
    current = states.get(connection_id)
    if current is not None and current.running:
        return current, False
    state = RefreshState(started_at=datetime.now(UTC))
    states[connection_id] = state
    state.task = asyncio.get_running_loop().create_task(_run(hub, state, name, actor))
    return state, True


async def _run(hub: Hub, state: RefreshState, name: str, actor: str) -> None:
    try:
        result = await catalog.refresh(
            hub.connections(actor=actor), name, client_options=hub.jobs.client_options
        )
    except BigsyncError as error:
        state.status, state.message = "failed", str(error)
    except Exception:  # a bug: logged, and the page says so
        log.exception("the catalog refresh of %s failed", name)
        state.status, state.message = "failed", "the refresh failed (see the server log)"
    else:
        errors = [f"{s.name}: {s.error}" for s in result.streams if s.error]
        state.status = result.status if result.status in ("ok", "warning", "failed") else "ok"
        state.message = "; ".join(errors) or f"sync #{result.number}: {result.changed:,} changed"
    finally:
        state.finished_at = datetime.now(UTC)
        state.task = None
