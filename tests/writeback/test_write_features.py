"""A connection's write features decide what reaches its store: while `write_stock` or
`write_fulfillment` is off, the writes of that kind are held (kept, never sent, not
dispatched again and again); turning the feature on sends them once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bigsync.bigcommerce import BigCommerceClient
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionChanges, NewConnection
from bigsync.errors import BigsyncError
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog.state import InventoryItem
from bigsync.store import outbox_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.writeback.dispatcher import DispatchOptions, OutboxDispatcher
from bigsync.writeback.gate import write_gate
from bigsync.writeback.intents import IntentState
from bigsync.writeback.outbox import record_order_status, record_shipment, record_stock
from bigsync.writeback.service import connections_with_due_intents, push_connection
from tests.writeback.conftest import token_of, tracked_items, variant_of
from tests.writeback.helpers import ship_all, shipments_of, shippable_orders

SHIPPED = 2
FAST = DispatchOptions(confirm_delay_s=0.01)  # the sandbox applies stock at once


@pytest.fixture
def service(tmp_path: Path, database_url: str, live_url: str) -> Iterator[ConnectionService]:
    engine = create_engine_for(database_url)
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    yield ConnectionService(engine, vault, default_api_url=live_url)
    engine.dispose()


def _states(service: ConnectionService, ids: list[int]) -> dict[int, str]:
    with service.db.read() as conn:
        return {i: r.state for i, r in outbox_repository.get_intents(conn, ids).items()}


def _due(service: ConnectionService) -> set[int]:
    return connections_with_due_intents(service.engine, now=datetime.now(UTC))


async def test_writes_wait_for_their_feature_and_go_once_it_is_on(
    service: ConnectionService, sandbox: Sandbox, store: StoreState
) -> None:
    view = service.add(
        NewConnection(name="shop", store=store.hash, access_token=token_of(store))
    ).connection
    await service.test("shop")
    assert not {"write_stock", "write_fulfillment"} & set(service.get("shop").features)
    item = tracked_items(store)[0]
    order, other = shippable_orders(store, 2)
    with service.db.write() as conn:
        stock = record_stock(
            conn, view.id, product_id=item.product.id, variant_id=variant_of(item),
            sku=item.sku, location_id=1, quantity=41,
        )  # fmt: skip
        shipment = record_shipment(conn, view.id, ship_all(order, "HELD-1", then_status_id=SHIPPED))
        status = record_order_status(conn, view.id, order_id=other.id, status_id=SHIPPED)
    before = store.stats.total.requests

    held = await push_connection(service, "shop")
    assert store.stats.total.requests == before  # nothing reached the store
    assert _states(service, [stock, shipment, status]) == {
        stock: "held",
        shipment: "held",
        status: "held",
    }
    assert {o.state for o in held.outcomes.values()} == {IntentState.HELD}
    assert held.held == {"stock": 1, "shipment": 1, "order_status": 2}
    assert "Write stock is off" in held.held_reasons["stock"]
    assert "bigsync connect shop --update --enable write_stock" in held.held_reasons["stock"]
    assert "--enable write_fulfillment" in held.held_reasons["shipment"]
    with service.db.read() as conn:
        row = outbox_repository.get_intent(conn, view.id, stock)
    assert row is not None
    assert row.last_error is not None
    assert row.last_error.startswith("held: Write stock is off")
    # Held writes are not due: the minute-by-minute dispatch leaves the connection alone.
    assert view.id not in _due(service)
    again = await push_connection(service, "shop")
    assert store.stats.total.requests == before
    assert not again.outcomes

    # A newer level of the item replaces the held one (the latest wins), still held.
    with service.db.write() as conn:
        newer = record_stock(
            conn, view.id, product_id=item.product.id, variant_id=variant_of(item),
            sku=item.sku, location_id=1, quantity=42,
        )  # fmt: skip
    assert newer == stock
    assert _states(service, [stock]) == {stock: "held"}

    # Stock on: the connection is due again, its stock goes; fulfillment stays held.
    service.update("shop", ConnectionChanges(enable=["write_stock"]))
    assert view.id in _due(service)
    pushed = await push_connection(service, "shop", options=FAST)
    assert pushed.outcomes[stock].state == IntentState.CONFIRMED
    assert _on_hand(sandbox, item) == 42
    assert _states(service, [shipment, status]) == {shipment: "held", status: "held"}
    assert shipments_of(store, order.id) == 0
    assert pushed.held == {"shipment": 1, "order_status": 2}
    assert view.id not in _due(service)

    # Fulfillment on: the shipment is created once, then its status; the other status too.
    service.update("shop", ConnectionChanges(enable=["write_fulfillment"]))
    assert view.id in _due(service)
    shipped = await push_connection(service, "shop", options=FAST)
    assert {shipped.outcomes[i].state for i in (shipment, status)} == {IntentState.CONFIRMED}
    assert shipments_of(store, order.id) == 1
    assert store.sales.orders[order.id].status_id == SHIPPED
    assert store.sales.orders[other.id].status_id == SHIPPED
    assert shipped.held == {}
    await push_connection(service, "shop")
    assert shipments_of(store, order.id) == 1


async def test_turning_a_feature_off_settles_a_write_already_on_its_way(
    service: ConnectionService, store: StoreState
) -> None:
    """A shipment marked `sending` when the process died was maybe created: it is settled
    (looked up, created only if missing) even though the feature is now off."""
    view = service.add(
        NewConnection(name="shop", store=store.hash, access_token=token_of(store))
    ).connection
    service.update("shop", ConnectionChanges(enable=["write_fulfillment"]))
    await service.test("shop")
    (order,) = shippable_orders(store, 1)
    with service.db.write() as conn:
        shipment = record_shipment(conn, view.id, ship_all(order, "ONWAY-1"))

    class Crash(BaseException):
        pass

    def die_after_the_answer(step: str, ids: object) -> None:
        if step == "answered":
            raise Crash

    credentials = service.credentials("shop")
    async with BigCommerceClient(credentials, base_url=view.api_url) as client:
        dispatcher = OutboxDispatcher(
            service.engine,
            client,
            connection_id=view.id,
            gate=write_gate(service.get("shop")),
            hook=die_after_the_answer,
        )
        with pytest.raises(Crash):
            await dispatcher.run()
    assert _states(service, [shipment]) == {shipment: "sending"}
    assert shipments_of(store, order.id) == 1  # created; its answer was lost

    service.update("shop", ConnectionChanges(disable=["write_fulfillment"]))
    settled = await push_connection(service, "shop")
    assert settled.outcomes[shipment].state == IntentState.CONFIRMED
    assert shipments_of(store, order.id) == 1  # found, not created again


async def test_a_write_feature_turned_on_with_its_scope_missing_fails_with_the_scope(
    service: ConnectionService, store: StoreState
) -> None:
    """On, but the test found its scope missing: the write fails at once naming the scope
    (what to fix), rather than waiting silently."""
    view = service.add(
        NewConnection(name="shop", store=store.hash, access_token=token_of(store, "catalog-only"))
    ).connection
    try:
        service.update("shop", ConnectionChanges(enable=["write_stock"]))
    except BigsyncError as error:  # pragma: no cover - the update accepts it, blocked
        pytest.fail(str(error))
    await service.test("shop")
    assert "write_stock" in service.get("shop").disabled_features
    with service.db.write() as conn:
        stock = record_stock(
            conn, view.id, product_id=1, variant_id=1, sku="A", location_id=1, quantity=5
        )
    result = await push_connection(service, "shop")
    assert result.outcomes[stock].state == IntentState.FAILED
    assert "missing scope store_inventory" in result.outcomes[stock].detail


def _on_hand(sandbox: Sandbox, item: InventoryItem, location_id: int = 1) -> int:
    sandbox.settle()
    level = item.stock.get(location_id)
    return level.on_hand if level is not None else 0
