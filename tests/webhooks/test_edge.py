"""The routers on an app whose state has only the serve app's Hub: they build their
use-case objects from it, nudge its scheduler, and answer 503 when the app install is not
configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionChanges, NewConnection
from bigsync.sandbox.webhooks import callback_body
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.web import oauth, webhooks
from bigsync.webhooks.signature import SECRET_HEADER


@dataclass
class FakeHub:
    """What the routers use of `bigsync.web.deps.Hub`."""

    settings: Settings
    service: ConnectionService
    nudges: list[tuple[str, int, float]] = field(default_factory=list)

    def connections(self, actor: str = "web") -> ConnectionService:
        return self.service

    def nudge(self, kind: str, connection_id: int, *, delay_s: float = 0.0) -> None:
        self.nudges.append((kind, connection_id, delay_s))


def _app(hub: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(webhooks.router)
    app.include_router(oauth.router)
    app.state.hub = hub
    return app


async def test_the_routers_build_their_parts_from_the_hub(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/bigsync.db")
    migrate(engine)
    settings = Settings(data_dir=tmp_path / "data", secret_key=None)
    service = ConnectionService(engine, Vault.from_settings(settings))
    view = service.add(
        NewConnection(
            name="shop",
            store="abc123",
            access_token="a" * 31,
            features=["read_catalog", "webhooks"],
        )
    ).connection
    service.update("shop", ConnectionChanges(webhook_secret="w" * 40))
    hub = FakeHub(settings, service)
    body = callback_body(
        scope="store/product/updated",
        store_id=1,
        store_hash="abc123",
        data={"type": "product", "id": 5},
        created_at=1_700_000_000,
    )
    transport = httpx.ASGITransport(app=_app(hub))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        answer = await client.post(
            f"/webhooks/{view.id}", content=body, headers={SECRET_HEADER: "w" * 40}
        )
        assert answer.status_code == 200
        assert answer.content == b""
        assert hub.nudges == [("webhook_refresh", view.id, webhooks.REFRESH_GATHER_S)]
        load = await client.get("/bigcommerce/load", params={"signed_payload_jwt": "x.y.z"})
        assert load.status_code == 503  # no BIGSYNC_APP_CLIENT_ID / _SECRET / PUBLIC_URL
    configured = Settings(
        data_dir=tmp_path / "data",
        secret_key=None,
        app_client_id="client",
        app_client_secret=SecretStr("s" * 64),
        public_url="https://hub.example",
    )
    transport = httpx.ASGITransport(app=_app(FakeHub(configured, service)))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        load = await client.get("/bigcommerce/load", params={"signed_payload_jwt": "x.y.z"})
        assert load.status_code == 401
        assert (await client.get("/bigcommerce/remove_user")).status_code == 401
    engine.dispose()
