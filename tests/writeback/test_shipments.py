"""Shipments and order statuses: created once, whatever crashes between the POST and the
commit that records it; a status set after its shipment; a missing scope fails at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest

from bigsync.connections.model import ConnectionKind, ConnectionView
from bigsync.connections.report import CheckReport, FeatureResult, ScopeResult
from bigsync.sandbox.builder import add_account
from bigsync.sandbox.faults import FaultSpec
from bigsync.store import outbox_repository
from bigsync.writeback.gate import write_gate
from bigsync.writeback.intents import IntentState
from tests.writeback.conftest import EPOCH, WbWorld, open_world
from tests.writeback.helpers import ship_all, shipments_of, shippable_orders

SHIPPED = 2


class Crash(BaseException):
    """What a dying process looks like to the code after the step (nothing runs after it)."""


def crash_at(step: str, *, times: int = 1) -> object:
    left = [times]

    def hook(name: str, ids: Sequence[int]) -> None:
        if name == step and left[0] > 0:
            left[0] -= 1
            raise Crash(step)

    return hook


async def test_a_shipment_then_its_status(wb: WbWorld) -> None:
    (order,) = shippable_orders(wb.store, 1)
    intent = wb.ship(ship_all(order, "1Z-A", then_status_id=SHIPPED))
    assert wb.ship(ship_all(order, "1Z-A", then_status_id=SHIPPED)) == intent
    result = await wb.push()
    assert shipments_of(wb.store, order.id) == 1
    assert order.status_id == SHIPPED
    assert result.count(IntentState.CONFIRMED) == 2
    shipment = order.shipments[0]
    assert shipment.tracking_number == "1Z-A"
    assert result.outcomes[intent].detail == f"shipment {shipment.id}"
    # nothing is sent twice: a second push has nothing to do
    before = wb.store.stats.total.requests
    again = await wb.push()
    assert again.outcomes == {}
    assert wb.store.stats.total.requests == before


@pytest.mark.parametrize("step", ["marked", "answered", "settling"])
async def test_a_crash_at_any_step_never_duplicates_or_loses_a_shipment(
    wb: WbWorld, step: str
) -> None:
    orders = shippable_orders(wb.store, 2)
    ids = [wb.ship(ship_all(o, f"TRK-{o.id}", then_status_id=SHIPPED)) for o in orders]
    wb.hook = crash_at(step)  # type: ignore[assignment]
    with pytest.raises(Crash):
        await wb.push()
    wb.hook = None
    result = await wb.push()
    for order, intent in zip(orders, ids, strict=True):
        assert shipments_of(wb.store, order.id) == 1, step
        assert order.status_id == SHIPPED
        assert result.outcomes[intent].state == IntentState.CONFIRMED
    with wb.uow.read() as conn:
        states = outbox_repository.count_by_state(conn, wb.connection_id)
    assert states == {"confirmed": 4}


async def test_an_answer_lost_after_the_shipment_was_made(wb: WbWorld) -> None:
    (order,) = shippable_orders(wb.store, 1)
    intent = wb.ship(ship_all(order, "LOST-1"))
    # BigCommerce creates the shipment, then the connection drops before the answer
    spec = FaultSpec(kind="drop", path="/v2/orders/*/shipments", methods=frozenset({"POST"}))
    wb.sandbox.faults.add(spec, now=wb.sandbox.now())
    result = await wb.push(retry_base_s=1.0)
    assert shipments_of(wb.store, order.id) == 1
    assert result.outcomes[intent].state == IntentState.CONFIRMED
    assert "answer had been lost" in result.outcomes[intent].detail
    assert wb.requests("POST /v2/orders/{order_id:int}/shipments") == 1


async def test_a_crash_after_a_lost_answer_is_resolved_by_lookup(wb: WbWorld) -> None:
    (order,) = shippable_orders(wb.store, 1)
    wb.ship(ship_all(order, "LOST-2"))
    spec = FaultSpec(
        kind="drop", path="/v2/orders/*/shipments", methods=frozenset({"POST"}), count=1
    )
    wb.sandbox.faults.add(spec, now=wb.sandbox.now())
    await wb.push(wait=False)  # the POST was applied, its answer lost: back to pending
    wb.hook = crash_at("settling")  # type: ignore[assignment]
    with pytest.raises(Crash):
        await wb.push()  # finds it, dies before recording that
    wb.hook = None
    await wb.push()
    assert shipments_of(wb.store, order.id) == 1


async def test_a_refused_shipment_fails_with_bigcommerce_s_message(wb: WbWorld) -> None:
    (order,) = shippable_orders(wb.store, 1)
    request = ship_all(order, "TOO-MANY")
    line = request.items[0]
    too_many = type(line)(line.order_product_id, line.quantity + 5)
    intent = wb.ship(type(request)(**{**request.__dict__, "items": (too_many,)}))
    result = await wb.push()
    outcome = result.outcomes[intent]
    assert outcome.state == IntentState.FAILED
    assert "exceeds what is left to ship" in outcome.detail
    assert shipments_of(wb.store, order.id) == 0


def _view(status: str) -> ConnectionView:
    scope = ScopeResult("store_v2_orders", "Orders: modify", "modify", status)
    stock = ScopeResult("store_inventory", "Store inventory: modify", "modify", "granted")
    report = CheckReport(
        ok=True,
        tested_at="2026-01-05T12:00:00+00:00",
        checks=(),
        features=(
            FeatureResult("write_fulfillment", "Write shipments", (scope,)),
            FeatureResult("write_stock", "Write stock", (stock,)),
        ),
    )
    now = datetime(2026, 1, 5, tzinfo=EPOCH.tzinfo)
    return ConnectionView(
        id=1,
        name="sandbox",
        kind=ConnectionKind("api_account"),
        store_hash="x",
        api_url="http://sandbox",
        client_id=None,
        granted_scopes=None,
        features=("write_stock", "write_fulfillment"),
        disabled_features={},
        features_off=(),
        secret_hints={},
        last_test=report,
        failing_reason=None,
        last_tested_at=now,
        created_at=now,
        updated_at=now,
    )


async def test_a_write_whose_scope_is_known_missing_fails_at_once(wb: WbWorld) -> None:
    (order,) = shippable_orders(wb.store, 1)
    shipment = wb.ship(ship_all(order, "NOSCOPE", then_status_id=SHIPPED))
    status = wb.status(order.id, 11)
    wb.gate = write_gate(_view("missing"))
    assert write_gate(_view("unverified")).missing == {}
    result = await wb.push()
    for intent in (shipment, status):
        assert result.outcomes[intent].state == IntentState.FAILED
        assert "missing scope store_v2_orders (Orders: modify)" in result.outcomes[intent].detail
    assert wb.store.stats.total.requests == 0


async def test_a_write_refused_for_its_scope_names_it(wb: WbWorld, tmp_path: Path) -> None:
    add_account(wb.sandbox, wb.store, name="orders-read", scopes={"store_v2_orders_read_only"})
    other_db = f"sqlite:///{tmp_path}/other.db"
    world, api = await open_world(wb.sandbox, wb.app, other_db, account="orders-read")
    async with api:
        (order,) = shippable_orders(wb.store, 1)
        intent = world.ship(ship_all(order, "NOSCOPE"))
        result = await world.push()
    outcome = result.outcomes[intent]
    assert outcome.state == IntentState.FAILED
    assert "missing scope store_v2_orders (Orders: modify)" in outcome.detail
    assert shipments_of(wb.store, order.id) == 0


async def test_a_shipment_that_keeps_failing_stays_visible_and_can_be_retried(
    wb: WbWorld,
) -> None:
    from bigsync.writeback.outbox import retry_intent

    (order,) = shippable_orders(wb.store, 1)
    intent = wb.ship(ship_all(order, "OUTAGE-1"))
    spec = FaultSpec(kind="error", status=503, path="/v2/orders/*/shipments")
    fault = wb.sandbox.faults.add(spec, now=wb.sandbox.now())
    result = await wb.push(max_attempts=3, retry_base_s=1.0)
    outcome = result.outcomes[intent]
    assert outcome.state == IntentState.FAILED
    assert outcome.detail.startswith("gave up after 3 attempts")
    assert "503" in outcome.detail
    assert shipments_of(wb.store, order.id) == 0
    wb.sandbox.faults.remove(fault.id)
    with wb.uow.write() as conn:
        retried = retry_intent(conn, wb.connection_id, intent, now=wb.now())
    assert retried.state == IntentState.PENDING
    result = await wb.push()
    assert result.outcomes[intent].state == IntentState.CONFIRMED
    assert shipments_of(wb.store, order.id) == 1
