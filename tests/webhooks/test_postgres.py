"""Receive and refresh on PostgreSQL (and SQLite): the same code on both backends, against
the sandbox on a real socket."""

from __future__ import annotations

from pathlib import Path

from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionChanges, NewConnection
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.webhooks import callback_body
from bigsync.store import mirror_repository, webhook_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.webhooks.receiver import WebhookReceiver
from bigsync.webhooks.refresh import run_pending_refreshes
from bigsync.webhooks.signature import SECRET_HEADER
from tests.webhooks.conftest import FAST, FEATURES, full_token


async def test_receive_and_refresh_on_each_backend(
    database_url: str, live_url: str, store: StoreState, tmp_path: Path
) -> None:
    engine = create_engine_for(database_url)
    migrate(engine)
    try:
        vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
        service = ConnectionService(engine, vault, default_api_url=live_url)
        token = full_token(store)
        view = service.add(
            NewConnection(name="shop", store=store.hash, access_token=token, features=FEATURES)
        ).connection
        service.update("shop", ConnectionChanges(webhook_secret="w" * 40))
        receiver = WebhookReceiver(service)
        ids = sorted(store.catalog.products)[:3]
        for index, product_id in enumerate([*ids, ids[0]]):
            body = callback_body(
                scope="store/product/updated",
                store_id=store.store_id,
                store_hash=store.hash,
                data={"type": "product", "id": product_id},
                created_at=1_700_000_000 + index,
            )
            receipt = receiver.receive(view.id, {SECRET_HEADER: "w" * 40}, body)
            assert receipt.outcome == "queued"
        assert receiver.receive(view.id, {SECRET_HEADER: "w" * 40}, body).outcome == "again"
        with engine.connect() as conn:
            assert webhook_repository.count_pending(conn) == 3
        report = await run_pending_refreshes(service, client_options=FAST)
        assert report.refreshed == 3
        with engine.connect() as conn:
            rows = list(mirror_repository.iter_rows(conn, "products", connection_id=view.id))
            levels = list(
                mirror_repository.iter_rows(conn, "inventory_levels", connection_id=view.id)
            )
        assert [r["id"] for r in rows] == ids
        assert {r["product_id"] for r in levels} == set(ids)
    finally:
        engine.dispose()
