"""The connection test's scope report decides which writes may be sent: a write whose scope
the test found missing fails at once, with the scope named, and sends nothing."""

from __future__ import annotations

from pathlib import Path

from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionChanges, NewConnection
from bigsync.sandbox.backend import StoreState
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.writeback.intents import IntentState
from bigsync.writeback.outbox import record_order_status, record_stock
from bigsync.writeback.service import push_connection
from tests.writeback.conftest import token_of


async def test_scopes_the_test_found_missing_fail_at_once(
    tmp_path: Path, live_url: str, store: StoreState
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/bigsync.db")
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    service = ConnectionService(engine, vault, default_api_url=live_url)
    token = token_of(store, "catalog-only")  # no orders and no inventory scopes at all
    added = service.add(NewConnection(name="shop", store=store.hash, access_token=token))
    service.update("shop", ConnectionChanges(enable=["write_stock", "write_fulfillment"]))
    report = await service.test("shop")
    statuses = {
        scope.scope: scope.status
        for feature in report.features
        if feature.feature.startswith("write_")
        for scope in feature.scopes
    }
    assert statuses["store_v2_orders"] == "missing"
    assert statuses["store_inventory"] == "missing"
    with service.db.write() as conn:
        stock = record_stock(
            conn, added.connection.id, product_id=1, variant_id=1, sku="A", location_id=1,
            quantity=5,
        )  # fmt: skip
        status = record_order_status(conn, added.connection.id, order_id=1, status_id=2)
    before = store.stats.total.requests
    result = await push_connection(service, "shop")
    assert store.stats.total.requests == before  # nothing was sent
    assert result.outcomes[stock].state == IntentState.FAILED
    assert "missing scope store_inventory (Store inventory: modify)" in (
        result.outcomes[stock].detail
    )
    assert "missing scope store_v2_orders (Orders: modify)" in result.outcomes[status].detail
    assert "bigsync test shop" in result.outcomes[status].detail
    engine.dispose()
