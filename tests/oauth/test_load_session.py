"""The app's load callback in the whole web app: the store's user lands on that store's
page, logged in for that store only."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.jobs.context import JobContext
from bigsync.web import oauth
from bigsync.web.app import create_app
from bigsync.web.auth import PageUser, visible_connection, visible_connections
from bigsync.web.deps import HubDep
from tests.accounts.hashing import FAST_HASHER
from tests.oauth.conftest import AppWorld

probe = APIRouter(include_in_schema=False)


@probe.get("/probe/{connection_id}")
def probe_one(connection_id: int, user: PageUser, hub: HubDep) -> dict[str, object]:
    """What a connection's page does first."""
    return {"name": visible_connection(hub, user, connection_id).name}


@probe.get("/probe")
def probe_all(user: PageUser, hub: HubDep) -> list[int]:
    """What the Integrations list does."""
    return [view.id for view in visible_connections(hub, user)]


async def test_load_logs_the_store_user_in_for_that_store_only(
    app_world: AppWorld, tmp_path: Path
) -> None:
    assert app_world.install(app_world.stores[0]).status_code == 200
    assert app_world.install(app_world.stores[1]).status_code == 200
    views = {v.store_hash: v for v in app_world.service.list()}
    mine, other = views[app_world.stores[0].hash], views[app_world.stores[1].hash]
    settings = Settings(data_dir=tmp_path / "data", database_url="sqlite://")
    context = JobContext(
        engine=app_world.service.engine, vault=app_world.service.vault, settings=settings
    )
    app = create_app(context=context, run_jobs=False, routers=[oauth.router, probe])
    app.state.app_installer = app_world.installer
    accounts = app.state.accounts = AccountService(context.engine, hasher=FAST_HASHER)
    accounts.setup_admin("admin", "correct horse battery")
    jwt = app_world.signed("load")["signed_payload_jwt"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as browser:
            landed = await browser.get(f"/bigcommerce/load?signed_payload_jwt={jwt}")
            assert landed.status_code == 303
            assert landed.headers["location"] == f"/integrations/{mine.id}"
            cookie = landed.headers["set-cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=lax" in cookie  # plain http: no cross-site cookie
            me = (await browser.get("/api/v1/me")).json()
            assert me["connection_id"] == mine.id
            assert not me["is_admin"]
            assert (await browser.get(f"/probe/{mine.id}")).json() == {"name": mine.name}
            refused = await browser.get(f"/probe/{other.id}")
            assert refused.status_code == 404  # the other store does not exist for it
            assert other.name not in refused.text
            assert (await browser.get("/probe")).json() == [mine.id]
            tokens = await browser.get("/settings/tokens")
            assert "for this store only" in tokens.text
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as stranger:
            bad = await stranger.get("/bigcommerce/load?signed_payload_jwt=not-a-jwt")
            assert bad.status_code == 401
            assert "set-cookie" not in bad.headers
            assert (await stranger.get(f"/probe/{mine.id}")).status_code == 303


async def test_load_behind_https_sets_a_cookie_the_control_panel_frame_sends(
    app_world: AppWorld, tmp_path: Path
) -> None:
    assert app_world.install().status_code == 200
    settings = Settings(
        data_dir=tmp_path / "data", database_url="sqlite://", public_url="https://hub.example"
    )
    context = JobContext(
        engine=app_world.service.engine, vault=app_world.service.vault, settings=settings
    )
    app = create_app(context=context, run_jobs=False, routers=[oauth.router])
    app.state.app_installer = app_world.installer
    app.state.accounts = AccountService(context.engine, hasher=FAST_HASHER)
    jwt = app_world.signed("load")["signed_payload_jwt"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://hub") as browser:
            landed = await browser.get(f"/bigcommerce/load?signed_payload_jwt={jwt}")
    cookie = landed.headers["set-cookie"]
    assert landed.status_code == 303
    assert "SameSite=none" in cookie
    assert "Secure" in cookie
    assert "Partitioned" in cookie
