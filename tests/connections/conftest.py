"""Fixtures for connection tests: a small seeded sandbox in process, a service over SQLite.

sandbox_app     create_app(sandbox) for a two-store sandbox (`bigsync_sandbox` plugin, with
                `sandbox_spec` below)
control         httpx client for /_sandbox/* (no authentication; plugin)
sandbox_store   the first store as GET /_sandbox/stores shows it, accounts by name
engine          a migrated SQLite file
vault           a vault with a key file in the test's data directory
service         ConnectionService whose clients reach the sandbox through ASGITransport
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.check import TEST_RETRY
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.testing import IN_PROCESS_URL
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault

SPEC = BuildSpec(
    seed=11, stores=2, sizes=StoreSizes(products=3, orders=3, customers=3), plan="unlimited"
)
SANDBOX_URL = IN_PROCESS_URL


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


async def sandbox_stores(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await control.get("/_sandbox/stores")
    response.raise_for_status()
    stores: list[dict[str, Any]] = response.json()["stores"]
    for store in stores:
        store["by_name"] = {a["name"]: a for a in store["accounts"]}
    return stores


@pytest.fixture
async def sandbox_store(control: httpx.AsyncClient) -> dict[str, Any]:
    return (await sandbox_stores(control))[0]


@pytest.fixture
async def other_store(control: httpx.AsyncClient) -> dict[str, Any]:
    return (await sandbox_stores(control))[1]


async def create_account(
    control: httpx.AsyncClient, store_hash: str, name: str, scopes: list[str]
) -> dict[str, Any]:
    response = await control.post(
        "/_sandbox/accounts", json={"store": store_hash, "name": name, "scopes": scopes}
    )
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()
    return account


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path}/bigsync.db")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))


@pytest.fixture
def service(engine: Engine, vault: Vault, sandbox_app: Starlette) -> ConnectionService:
    def client_factory(credentials: StoreCredentials, base_url: str) -> BigCommerceClient:
        return BigCommerceClient(
            credentials,
            base_url=base_url,
            options=ClientOptions(retry=TEST_RETRY),
            transport=httpx.ASGITransport(app=sandbox_app),
        )

    return ConnectionService(
        engine,
        vault,
        actor="cli:tester",
        default_api_url=SANDBOX_URL,
        client_factory=client_factory,
    )
