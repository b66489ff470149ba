"""Fixtures for in-process tests of the web app (httpx over ASGI, the lifespan running).

web_app        create_app as `bigsync serve` builds it (pages, API, webhooks, app
               callbacks), no scheduler, over a fresh SQLite file; `app.state.accounts`
               uses a cheap argon2id
web_client     an httpx.AsyncClient on it (base URL http://hub), cookies kept
admin_token    the admin created (ADMIN / ADMIN_PASSWORD) and an API token of theirs
api_headers    {"Authorization": "Bearer <admin_token>"}
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.jobs.context import JobContext
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from tests.accounts.hashing import FAST_HASHER

ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery"


def web_context(tmp_path: Path, url: str | None = None, **settings: object) -> JobContext:
    """A JobContext over a migrated database (default: a SQLite file in `tmp_path`)."""
    url = url or f"sqlite:///{tmp_path}/web.db"
    config = Settings(data_dir=tmp_path / "data", database_url=url, **settings)  # type: ignore[arg-type]
    engine = create_engine_for(url)
    migrate(engine)
    return JobContext(engine=engine, vault=Vault.from_settings(config), settings=config)


def build_app(context: JobContext) -> FastAPI:
    from bigsync.web import oauth, webhooks
    from bigsync.web.app import create_app

    app = create_app(context=context, run_jobs=False, routers=[webhooks.router, oauth.router])
    app.state.accounts = AccountService(context.engine, hasher=FAST_HASHER)
    return app


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[FastAPI]:
    context = web_context(tmp_path)
    yield build_app(context)
    context.close()


@pytest.fixture
async def web_client(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with web_app.router.lifespan_context(web_app):
        transport = httpx.ASGITransport(app=web_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


@pytest.fixture
def admin_token(web_app: FastAPI) -> str:
    accounts: AccountService = web_app.state.accounts
    accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    principal = accounts.login(ADMIN, ADMIN_PASSWORD, client="test").principal
    return accounts.create_token(principal, "tests").token


@pytest.fixture
def api_headers(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}
