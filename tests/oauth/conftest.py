"""Fixtures for the app install: the sandbox on a real socket (its `/oauth2/token` is the
login host), an app registered there, and a hub serving the app callbacks.

    app_world   AppWorld: sandbox url, hub url, the app's credentials, the installer
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.oauth.install import AppCredentials, AppInstaller
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.webhooks.subscriptions import disconnect
from tests.accounts.hashing import FAST_HASHER
from tests.hub import HubServer
from tests.leakscan import LeakRecorder

SPEC = BuildSpec(
    seed=31, stores=2, sizes=StoreSizes(products=6, orders=4, customers=3), plan="unlimited"
)
APP_SCOPES = [
    "store_v2_products_read_only",
    "store_v2_orders_read_only",
    "store_v2_customers_read_only",
    "store_v2_information_read_only",
    "store_inventory_read_only",
]


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


@dataclass
class AppWorld:
    sandbox: Sandbox
    stores: list[StoreState]
    sandbox_url: str
    hub_url: str
    hub: HubServer
    service: ConnectionService
    app: AppCredentials
    installer: AppInstaller
    leaks: LeakRecorder

    def control(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.sandbox_url}{path}", json=body, timeout=30)
        assert response.is_success, response.text
        return response.json()

    def signed(self, kind: str, store: StoreState | None = None) -> dict[str, Any]:
        store = store or self.stores[0]
        body = {"client_id": self.app.client_id, "store": store.hash, "kind": kind}
        answer: dict[str, Any] = self.control("/_sandbox/oauth/signed-payload", body)
        return answer

    def browse(self, url: str, *, client: httpx.Client | None = None) -> httpx.Response:
        """A GET as the merchant's browser (or BigCommerce) makes it, without following
        redirects; the answer is scanned."""
        response = (client or httpx).get(url, timeout=60)
        self.leaks.record_output("api", response.text)
        return response

    def install(self, store: StoreState | None = None) -> httpx.Response:
        store = store or self.stores[0]
        grant = self.control(
            "/_sandbox/oauth/install", {"client_id": self.app.client_id, "store": store.hash}
        )
        return self.browse(grant["auth_callback_url"])


def register_app(sandbox_url: str, auth_callback: str) -> dict[str, Any]:
    """The app, as the Developer Portal registers it (secret included)."""
    body = {"auth_callback": auth_callback, "scopes": APP_SCOPES}
    response = httpx.post(f"{sandbox_url}/_sandbox/oauth/apps", json=body, timeout=30)
    assert response.status_code == 201, response.text
    app: dict[str, Any] = response.json()
    return app


@pytest.fixture
async def app_world(
    sandbox: Sandbox, tmp_path: Path, leak_recorder: LeakRecorder
) -> AsyncIterator[AppWorld]:
    engine = create_engine_for(f"sqlite:///{tmp_path}/bigsync.db")
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    with SandboxServer(sandbox, webhook_timescale=1e-6) as sandbox_url:
        service = ConnectionService(engine, vault, actor="app", default_api_url=sandbox_url)
        hub = HubServer()
        with hub as hub_url:
            registered = register_app(sandbox_url, f"{hub_url}/bigcommerce/auth")
            leak_recorder.record_secret(registered["client_secret"])
            app = AppCredentials(
                client_id=registered["client_id"],
                client_secret=registered["client_secret"],
                auth_callback=f"{hub_url}/bigcommerce/auth",
                login_url=sandbox_url,
                api_url=sandbox_url,
            )
            installer = AppInstaller(service, app, disconnect=disconnect)
            hub.app.state.app_installer = installer
            hub.app.state.accounts = AccountService(engine, hasher=FAST_HASHER)
            stores = list(sandbox.stores.values())
            yield AppWorld(
                sandbox, stores, sandbox_url, hub_url, hub, service, app, installer, leak_recorder
            )
    engine.dispose()
