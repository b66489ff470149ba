"""Recording intents: in the caller's transaction, coalesced, deduplicated (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bigsync.errors import InputError
from bigsync.store import outbox_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.writeback.intents import IntentState, ShipmentLine, ShipmentRequest
from bigsync.writeback.outbox import (
    drop_intent,
    list_intents,
    record_order_status,
    record_shipment,
    record_stock,
    retry_intent,
)
from tests.databases import add_connection


@pytest.fixture
def uow(database_url: str) -> Iterator[tuple[UnitOfWork, int]]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield UnitOfWork(engine), add_connection(engine)
    engine.dispose()


def _ship(tracking: str = "TRK1", **changes: object) -> ShipmentRequest:
    values: dict[object, object] = {
        "order_id": 100,
        "order_address_id": 5,
        "tracking_number": tracking,
        "shipping_provider": "",
        "tracking_carrier": "",
        "items": (ShipmentLine(1, 2), ShipmentLine(2, 1)),
    }
    values.update(changes)
    return ShipmentRequest(**values)  # type: ignore[arg-type]


def test_stock_coalesces_into_the_pending_intent(uow: tuple[UnitOfWork, int]) -> None:
    db, cid = uow
    with db.write() as conn:
        first = record_stock(
            conn, cid, product_id=1, variant_id=10, sku="A", location_id=1, quantity=3
        )
        again = record_stock(
            conn, cid, product_id=1, variant_id=10, sku="A", location_id=1, quantity=7
        )
        other = record_stock(
            conn, cid, product_id=1, variant_id=10, sku="A", location_id=2, quantity=1
        )
    assert first == again != other
    with db.read() as conn:
        states = outbox_repository.stock_push_states(conn, cid)
        rows = list_intents(conn, cid)
    assert states[(10, 1)].quantity == 7
    assert states[(10, 1)].state == IntentState.PENDING
    assert states[(10, 1)].confirmed_quantity is None
    assert len(rows) == 2


def test_an_intent_is_rolled_back_with_the_change_that_caused_it(
    uow: tuple[UnitOfWork, int],
) -> None:
    db, cid = uow

    def change_that_fails() -> None:
        with db.write() as conn:
            record_stock(conn, cid, product_id=1, variant_id=10, sku="A", location_id=1, quantity=3)
            raise RuntimeError("the local change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with db.read() as conn:
        assert list_intents(conn, cid) == []


def test_the_same_shipment_twice_is_one_intent_with_its_status(
    uow: tuple[UnitOfWork, int],
) -> None:
    db, cid = uow
    with db.write() as conn:
        first = record_shipment(conn, cid, _ship(then_status_id=2))
        # the same items listed in another order are the same shipment
        again = record_shipment(
            conn, cid, _ship(items=(ShipmentLine(2, 1), ShipmentLine(1, 2)), then_status_id=2)
        )
        other = record_shipment(conn, cid, _ship("TRK2"))
    assert first == again != other
    with db.read() as conn:
        rows = list_intents(conn, cid, limit=None)
    kinds = sorted(r.kind for r in rows)
    assert kinds == ["order_status", "shipment", "shipment"]
    status = next(r for r in rows if r.kind == "order_status")
    assert status.after_id == first
    assert status.payload["status_id"] == 2


def test_bad_input_is_refused_and_nothing_is_written(uow: tuple[UnitOfWork, int]) -> None:
    db, cid = uow

    def stock_then_bad_shipment() -> None:
        with db.write() as conn:
            record_stock(conn, cid, product_id=1, variant_id=10, sku="A", location_id=1, quantity=3)
            record_shipment(conn, cid, _ship("  "))

    with pytest.raises(InputError, match="tracking number"):
        stock_then_bad_shipment()
    with pytest.raises(InputError, match="0 or more"), db.write() as conn:
        record_stock(conn, cid, product_id=1, variant_id=10, sku="A", location_id=1, quantity=-1)
    with pytest.raises(InputError, match="quantity"), db.write() as conn:
        record_shipment(conn, cid, _ship(items=(ShipmentLine(1, 0),)))
    with db.read() as conn:
        assert list_intents(conn, cid) == []


def test_order_status_coalesces_and_drop_and_retry(uow: tuple[UnitOfWork, int]) -> None:
    db, cid = uow
    with db.write() as conn:
        first = record_order_status(conn, cid, order_id=100, status_id=9)
        again = record_order_status(conn, cid, order_id=100, status_id=10)
        shipment = record_shipment(conn, cid, _ship(then_status_id=2))
    assert first == again
    with db.write() as conn:
        with pytest.raises(InputError, match="only failed or mismatched"):
            retry_intent(conn, cid, first)
        dropped = drop_intent(conn, cid, shipment)
        with pytest.raises(InputError, match="already dropped"):
            drop_intent(conn, cid, shipment)
        with pytest.raises(InputError, match="no outbox entry"):
            drop_intent(conn, cid, 999)
    assert dropped.state == IntentState.DROPPED
    with db.read() as conn:
        rows = {r.id: r for r in list_intents(conn, cid)}
    assert rows[first].payload["status_id"] == 10
    # the status waiting for the dropped shipment is dropped with it
    assert [r.state for r in rows.values() if r.after_id == shipment] == ["dropped"]
    # a dropped shipment recorded again is a new intent
    with db.write() as conn:
        assert record_shipment(conn, cid, _ship(then_status_id=2)) != shipment


def test_outbox_rows_go_with_their_connection(uow: tuple[UnitOfWork, int]) -> None:
    from bigsync.store.purge import delete_connection_data

    db, cid = uow
    with db.write() as conn:
        record_order_status(conn, cid, order_id=1, status_id=2)
        deleted = delete_connection_data(conn, cid)
    assert deleted.get("outbox") == 1
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 0
