"""Fixtures for sandbox tests: a seeded sandbox, its app, clients in process and over a socket.

    sandbox       a Sandbox built from SPEC (seed 7, two stores, small sizes, plan unlimited)
    app           create_app(sandbox)
    store         the first store; `store_hash` its hash
    tokens        {"full": ..., "read-only": ..., "catalog-only": ...} of that store
    client        httpx.AsyncClient over ASGITransport, base_url http://sandbox, full-access token
    live_url      the same app served by uvicorn on 127.0.0.1 (random free port), e.g. for
                  dropped connections; use it with your own httpx.AsyncClient
    events        every event the sandbox emits during the test, as (scope, data)
    base          `/stores/{store_hash}` (the orders tests narrow it to `.../v2`)

Paths are absolute (`/stores/{store_hash}/v3/...`), so `tests.sandbox.schema.assert_matches_spec`
can validate any answer. Plan `unlimited` keeps the quota out of the way; rate-limit tests
switch the store's plan with `store.set_plan(...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.sandbox import Sandbox, create_app
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from tests.sandbox.live import serve

SPEC = BuildSpec(
    seed=7, stores=2, sizes=StoreSizes(products=30, orders=40, customers=20), plan="unlimited"
)
BASE_URL = "http://sandbox"


@pytest.fixture
def sandbox() -> Sandbox:
    return build_sandbox(SPEC)


@pytest.fixture
def app(sandbox: Sandbox) -> Starlette:
    return create_app(sandbox)


@pytest.fixture
def store(sandbox: Sandbox) -> StoreState:
    return next(iter(sandbox.stores.values()))


@pytest.fixture
def store_hash(store: StoreState) -> str:
    return store.hash


@pytest.fixture
def tokens(store: StoreState) -> dict[str, str]:
    return {account.name: token for token, account in store.accounts.items()}


@pytest.fixture
async def client(app: Starlette, tokens: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Auth-Token": tokens["full"], "Accept": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as c:
        yield c


@pytest.fixture
async def live_url(app: Starlette) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port for the duration of the test."""
    async with serve(app) as url:
        yield url


@pytest.fixture
def events(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    """Every event the sandbox emits from now on, as (scope, data)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    sandbox.event_sinks.append(lambda _store, scope, data: seen.append((scope, data)))
    return seen


@pytest.fixture
def base(store_hash: str) -> str:
    return f"/stores/{store_hash}"
