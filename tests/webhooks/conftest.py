"""Fixtures for webhook tests over real sockets: the sandbox served by SandboxServer, a hub
(tests/hub.py: the webhook router and a RefreshRunner under uvicorn), a migrated SQLite
database with one connection to the sandbox's store, first synced, its hooks registered.

    live    Live: sandbox, store, urls, service, runner, the connection; helpers to mutate
            the store through the control API, wait for the mirror, read the store's truth
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bigsync.bigcommerce import ClientOptions, RetryPolicy
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionView, NewConnection, SecretPurpose
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository, webhook_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.sync.service import sync_connection
from bigsync.vault import Vault
from bigsync.webhooks.receiver import WebhookReceiver
from bigsync.webhooks.runner import RefreshRunner
from bigsync.webhooks.subscriptions import keep_hooks
from tests.hub import HubServer

SPEC = BuildSpec(
    seed=23, stores=1, sizes=StoreSizes(products=12, orders=12, customers=8), plan="unlimited"
)
FEATURES = ["read_catalog", "read_inventory", "read_orders", "read_transactions",
            "read_customers", "webhooks"]  # fmt: skip
FAST = ClientOptions(retry=RetryPolicy(backoff_base_s=0.001, backoff_max_s=0.01))


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    return SPEC


class WallClock:
    """The receiver's clock: real time plus an offset a test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Live:
    """One connection, mirrored, with hooks delivering to a running hub."""

    sandbox: Sandbox
    store: StoreState
    sandbox_url: str
    hub_url: str
    service: ConnectionService
    runner: RefreshRunner
    connection: ConnectionView
    token: str
    clock: WallClock

    @property
    def engine(self) -> sa.Engine:
        return self.service.engine

    @property
    def webhook_url(self) -> str:
        return f"{self.hub_url}/webhooks/{self.connection.id}"

    @property
    def secret(self) -> str:
        secret = self.service.open_secret(self.connection.id, SecretPurpose.WEBHOOK_SECRET)
        assert secret is not None
        return secret

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.sandbox_url}{path}", timeout=60, **kwargs)
        assert response.is_success, response.text
        return response.json()

    def deliver(self, body: bytes, headers: dict[str, str]) -> int:
        """POST one delivery to the connection's webhook URL; the status."""
        sent = {"content-type": "application/json", **headers}
        return httpx.post(self.webhook_url, content=body, headers=sent, timeout=30).status_code

    def mutate(self, kind: str, action: str, count: int = 1) -> list[int]:
        body = {"store": self.store.hash, "kind": kind, "action": action, "count": count}
        ids: list[int] = self.control("POST", "/_sandbox/mutate", json=body)["ids"]
        return ids

    def drain(self) -> dict[str, Any]:
        """Wait until the sandbox delivered everything; its delivery counters."""
        stats: dict[str, Any] = self.control(
            "POST", "/_sandbox/webhooks/drain", json={"timeout": 60}
        )["stats"]
        return stats

    def api(self, path: str, **params: Any) -> Any:
        """The store's truth, through plain HTTP (no bigsync code)."""
        return httpx.get(
            f"{self.sandbox_url}/stores/{self.store.hash}{path}",
            params=params,
            headers={"X-Auth-Token": self.token, "Accept": "application/json"},
            timeout=30,
        )

    def requests(self) -> int:
        """Store API requests the sandbox answered so far."""
        stats = self.control("GET", "/_sandbox/stats")["stores"][self.store.hash]
        return int(stats["requests"])

    def row(self, table: str, record_id: int) -> dict[str, Any] | None:
        mirror = MIRROR_TABLES[table]
        with self.engine.connect() as conn:
            found = conn.execute(
                mirror.select().where(
                    mirror.c.connection_id == self.connection.id, mirror.c.id == record_id
                )
            ).first()
        return dict(found._mapping) if found else None

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list(mirror_repository.iter_rows(conn, table, connection_id=self.connection.id))

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return webhook_repository.count_pending(conn, connection_id=self.connection.id)

    def events(self) -> int:
        with self.engine.connect() as conn:
            return webhook_repository.count_events(conn, connection_id=self.connection.id)

    def product_matches(self, product_id: int) -> bool:
        """Whether the mirror's product (and variants) equal the store's right now."""
        answer = self.api(f"/v3/catalog/products/{product_id}", include="variants")
        row = self.row("products", product_id)
        if answer.status_code == 404:
            return row is not None and row["deleted_at"] is not None
        doc = answer.json()["data"]
        if row is None or row["deleted_at"] is not None:
            return False
        if row["raw"] != {k: v for k, v in doc.items() if k != "variants"}:
            return False
        variants = {v["id"]: v for v in self.rows("variants") if v["product_id"] == product_id}
        return all(variants.get(v["id"], {}).get("raw") == v for v in doc["variants"])

    def wait_for(self, check: Callable[[], bool], *, timeout: float = 20.0) -> float:
        """Seconds until `check()` held (fails the test after `timeout`)."""
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > timeout:
                pytest.fail(f"not true after {timeout} s: {check}")
            time.sleep(0.01)
        return time.monotonic() - started

    def settle(self) -> None:
        """Every delivery made and every refresh done."""
        self.drain()
        self.wait_for(lambda: self.pending() == 0)


def full_token(store: StoreState) -> str:
    return next(t for t, a in store.accounts.items() if a.name == "full")


@pytest.fixture
async def live(sandbox: Sandbox, store: StoreState, tmp_path: Path) -> AsyncIterator[Live]:
    engine = create_engine_for(f"sqlite:///{tmp_path}/bigsync.db")
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    with SandboxServer(sandbox, webhook_timescale=1e-6) as sandbox_url:
        service = ConnectionService(engine, vault, actor="test", default_api_url=sandbox_url)
        token = full_token(store)
        view = service.add(
            NewConnection(name="shop", store=store.hash, access_token=token, features=FEATURES)
        ).connection
        await sync_connection(service, "shop", client_options=FAST)
        runner = RefreshRunner(service, client_options=FAST, interval=1.0)
        clock = WallClock()
        receiver = WebhookReceiver(service, on_queued=runner.nudge, clock=clock)
        with HubServer(receiver=receiver, runner=runner) as hub_url:
            await keep_hooks(service, "shop", public_url=hub_url, client_options=FAST)
            yield Live(sandbox, store, sandbox_url, hub_url, service, runner, view, token, clock)
    engine.dispose()
