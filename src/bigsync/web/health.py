"""`GET /healthz` (the process answers) and `GET /readyz` (it can do its work: database,
migrations, scheduler; 503 with the reasons otherwise)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bigsync.jobs.health import readiness
from bigsync.web.deps import HubDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process and its event loop answer."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(hub: HubDep) -> JSONResponse:
    """Readiness: 200 when the database answers at the current schema and the scheduler
    runs; 503 with every reason otherwise."""
    state = await readiness(hub.engine, hub.scheduler, runs_jobs=hub.runs_jobs)
    body = {
        "status": "ready" if state.ready else "not ready",
        "checks": state.checks,
        "reasons": list(state.reasons),
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)
