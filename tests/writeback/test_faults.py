"""5xx answers, dropped connections (after the store applied the write) and 429 storms during
a dispatch: every intent ends applied exactly once."""

from __future__ import annotations

from bigsync.sandbox.faults import FaultSpec
from bigsync.writeback.intents import IntentState
from tests.writeback.conftest import WbWorld, tracked_items
from tests.writeback.helpers import ship_all, shipments_of, shippable_orders

SHIPPED, COMPLETED = 2, 10


async def test_every_intent_applies_exactly_once_through_a_fault_storm(wb: WbWorld) -> None:
    items = tracked_items(wb.store)[:300]
    wb.stock_many([(item, 100 + n, 1 + n % 2) for n, item in enumerate(items)])
    orders = shippable_orders(wb.store, 14)
    shipped, statused = orders[:10], orders[10:]
    intents = [wb.ship(ship_all(o, f"STORM-{o.id}", then_status_id=SHIPPED)) for o in shipped]
    intents += [wb.status(o.id, COMPLETED) for o in statused]
    now = wb.sandbox.now()
    for spec in (
        FaultSpec(kind="error", status=503, rate=0.25, seed=1),
        FaultSpec(kind="drop", rate=0.15, seed=2),  # the write is applied, its answer lost
        FaultSpec(kind="rate_limit", rate=0.15, seed=3),
        FaultSpec(kind="rate_limit", rate=0.05, with_headers=False, seed=4),
    ):
        wb.sandbox.faults.add(spec, now=now)
    result = await wb.push(max_attempts=30, retry_base_s=0.5, max_wait_s=3600)
    fired = {f.spec.kind: f.fired for f in wb.sandbox.faults.faults}
    wb.sandbox.faults.clear()
    assert result.left == {}
    assert {o.state for o in result.outcomes.values()} == {IntentState.CONFIRMED}
    for n, item in enumerate(items):
        assert wb.on_hand(item, 1 + n % 2) == 100 + n
    for order in shipped:
        assert shipments_of(wb.store, order.id) == 1
        assert order.status_id == SHIPPED
    for order in statused:
        assert order.status_id == COMPLETED
    statuses = wb.store.stats.total.statuses
    assert statuses[503] > 0
    assert statuses[429] > 0
    assert statuses[0] > 0  # dropped
    assert all(fired.values()), fired
