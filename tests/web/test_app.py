"""The web app: health and readiness, the routers it is given, and the scheduler its lifespan
starts and stops."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from bigsync.config import Settings
from bigsync.jobs.context import JobContext
from bigsync.jobs.model import JobOutcome, JobSpec
from bigsync.store.db import create_engine_for, migrate, schema_state
from bigsync.vault import Vault
from bigsync.web.app import ServeInfo, create_app
from bigsync.web.deps import HubDep


def _context(tmp_path: Path, url: str, *, revision: str | None = "head") -> JobContext:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=url, public_url="https://hub.example.com"
    )
    engine = create_engine_for(url)
    if revision is not None:
        migrate(engine, revision=revision)
    return JobContext(engine=engine, vault=Vault.from_settings(settings), settings=settings)


@pytest.fixture
def context(tmp_path: Path) -> Iterator[JobContext]:
    ctx = _context(tmp_path, f"sqlite:///{tmp_path}/web.db")
    yield ctx
    ctx.close()


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and a client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


async def _idle(_ctx: Any, _connection_id: int) -> JobOutcome:
    return JobOutcome("idle")


JOBS = {"sync": JobSpec(_idle)}


async def test_healthz_and_readyz_when_all_is_well(context: JobContext) -> None:
    started: list[ServeInfo] = []
    app = create_app(context=context, jobs=JOBS, on_ready=started.append)
    async with serving(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": True, "migrations": True, "scheduler": True},
            "reasons": [],
        }
        scheduler = app.state.hub.scheduler
        assert scheduler.is_running
    assert not scheduler.is_running  # the lifespan's end stopped it
    [info] = started
    assert info.database.startswith("sqlite:///")
    assert info.public_url == "https://hub.example.com"


async def test_readyz_is_503_when_migrations_are_behind(tmp_path: Path) -> None:
    ctx = _context(tmp_path, f"sqlite:///{tmp_path}/old.db", revision="0004")
    try:
        async with serving(create_app(context=ctx, jobs=JOBS)) as client:
            ready = await client.get("/readyz")
            assert (await client.get("/healthz")).status_code == 200  # alive all the same
    finally:
        ctx.close()
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["checks"]["migrations"] is False
    engine = create_engine_for(f"sqlite:///{tmp_path}/old.db")
    try:
        (head,) = schema_state(engine).heads
    finally:
        engine.dispose()
    assert f"database schema at revision 0004, this bigsync needs {head}" in body["reasons"][0]


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    ctx = _context(tmp_path, "postgresql://nobody@127.0.0.1:1/none", revision=None)
    try:
        async with serving(create_app(context=ctx, jobs=JOBS)) as client:
            ready = await client.get("/readyz")
    finally:
        ctx.close()
    assert ready.status_code == 503
    body = ready.json()
    assert body["checks"]["database"] is False
    assert body["reasons"][0] == "database unreachable (OperationalError)"
    assert "nobody" not in ready.text


async def test_without_jobs_there_is_no_scheduler_to_wait_for(context: JobContext) -> None:
    async with serving(create_app(context=context, run_jobs=False)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert "scheduler" not in ready.json()["checks"]


async def test_routers_given_are_served_and_reach_the_hub(context: JobContext) -> None:
    router = APIRouter()
    nudged: list[tuple[str, int]] = []

    @router.post("/hooks/{connection_id}")
    async def hook(connection_id: int, hub: HubDep) -> dict[str, Any]:
        hub.nudge("sync", connection_id)
        nudged.append(("sync", connection_id))
        return {"public_url": hub.settings.public_url, "connections": len(hub.connections().list())}

    async with serving(create_app(context=context, jobs=JOBS, routers=[router])) as client:
        answer = await client.post("/hooks/3")
    assert answer.status_code == 200
    assert answer.json() == {"public_url": "https://hub.example.com", "connections": 0}
    assert nudged == [("sync", 3)]
