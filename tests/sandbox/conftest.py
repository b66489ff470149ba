"""Fixtures for sandbox tests, on top of the `bigsync_sandbox` plugin (bigsync.sandbox.testing:
`sandbox_spec`, `sandbox`, `sandbox_app`, `store`, `store_hash`, `tokens`, `control`, `live_url`).

    sandbox       built from the plugin's default spec (seed 7, two stores, small sizes,
                  plan unlimited)
    app           the plugin's `sandbox_app`
    client        httpx.AsyncClient over ASGITransport, base_url http://sandbox, full-access token
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

from bigsync.sandbox import Sandbox
from bigsync.sandbox.testing import IN_PROCESS_URL

BASE_URL = IN_PROCESS_URL


@pytest.fixture
def app(sandbox_app: Starlette) -> Starlette:
    return sandbox_app


@pytest.fixture
async def client(app: Starlette, tokens: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Auth-Token": tokens["full"], "Accept": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as c:
        yield c


@pytest.fixture
def events(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    """Every event the sandbox emits from now on, as (scope, data)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    sandbox.event_sinks.append(lambda _store, scope, data: seen.append((scope, data)))
    return seen


@pytest.fixture
def base(store_hash: str) -> str:
    return f"/stores/{store_hash}"
