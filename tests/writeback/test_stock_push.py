"""Stock write-back against the sandbox: exact levels, minimum requests, coalescing,
BigCommerce's sales kept (the conflict rule), and an asynchronous inventory API."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.catalog.inventory import record_sale
from bigsync.sandbox.generator import StoreSizes
from bigsync.store import mirror_repository, outbox_repository
from bigsync.writeback.intents import IntentState
from bigsync.writeback.stock_push import level_to_send, minimum_requests
from tests.writeback.conftest import WbWorld, tracked_items, variant_of

ADJUST = "PUT /v3/inventory/adjustments/absolute"
READ = "GET /v3/inventory/items"


def test_the_rule_subtracts_sales_since_the_last_applied_level() -> None:
    assert level_to_send(15, baseline=None, current=3) == 15  # never pushed: hub as it is
    assert level_to_send(15, baseline=10, current=9) == 14  # one sold meanwhile
    assert level_to_send(15, baseline=10, current=12) == 15  # a rise there is overwritten
    assert level_to_send(1, baseline=10, current=5) == 0  # never below zero
    assert minimum_requests({1: 5000, 2: 0}) == 3
    assert minimum_requests({1: 2000, 2: 2001}) == 3


class TestBigPush:
    @pytest.fixture
    def sandbox_spec(self) -> BuildSpec:
        sizes = StoreSizes(products=2200, orders=5, customers=5)
        return BuildSpec(seed=9, stores=1, sizes=sizes, plan="unlimited")

    async def test_5000_items_land_exactly_in_the_minimum_of_requests(self, wb: WbWorld) -> None:
        items = tracked_items(wb.store)[:5000]
        assert len(items) == 5000
        # several changes of one item: only the latest value is sent, once
        wb.stock_many([(item, n % 7, 1) for n, item in enumerate(items)])
        wb.stock_many([(item, 1000 + n, 1) for n, item in enumerate(items[:300])])
        started = time.perf_counter()
        result = await wb.push()
        print(f"dispatch of 5000 levels: {time.perf_counter() - started:.1f}s")
        assert result.count(IntentState.CONFIRMED) == 5000
        assert result.left == {}
        for n, item in enumerate(items):
            assert wb.on_hand(item) == (1000 + n if n < 300 else n % 7), item.sku
        assert wb.requests(ADJUST) == minimum_requests({1: 5000}) == 3
        # read-back: 500 ids per read (variant ids, and product ids for the items without a
        # variant), one page each; no read before a first push (nothing to compare with)
        by_variant = sum(1 for i in items if variant_of(i))
        assert wb.requests(READ) == -(-by_variant // 500) + -(-(5000 - by_variant) // 500)
        with wb.uow.read() as conn:
            states = outbox_repository.stock_push_states(conn, wb.connection_id)
            mirrored = mirror_repository.count_rows(
                conn, "inventory_levels", connection_id=wb.connection_id
            )
        assert len(states) == 5000
        assert {s.state for s in states.values()} == {"confirmed"}
        assert mirrored >= 5000

    async def test_two_locations_are_separate_requests(self, wb: WbWorld) -> None:
        items = tracked_items(wb.store)[:2500]
        wb.stock_many([(i, 4, 1) for i in items] + [(i, 6, 2) for i in items])
        result = await wb.push()
        assert result.count(IntentState.CONFIRMED) == 5000
        assert wb.requests(ADJUST) == minimum_requests({1: 2500, 2: 2500}) == 4
        assert all(wb.on_hand(i, 1) == 4 and wb.on_hand(i, 2) == 6 for i in items)


async def test_a_sale_made_in_bigcommerce_meanwhile_is_not_overwritten(wb: WbWorld) -> None:
    item = tracked_items(wb.store)[0]
    wb.stock(item, 10)
    await wb.push()
    assert wb.on_hand(item) == 10
    # goods arrive at the warehouse: the hub now has 15; before the push, an order sells one
    wb.stock(item, 15)
    record_sale(
        wb.sandbox, wb.store, product_id=item.product.id, variant_id=variant_of(item), quantity=1
    )
    result = await wb.push()
    assert wb.on_hand(item) == 14
    (outcome,) = result.outcomes.values()
    assert outcome.state == IntentState.CONFIRMED
    with wb.uow.read() as conn:
        state = outbox_repository.stock_push_states(conn, wb.connection_id)[
            (variant_of(item) or -item.product.id, 1)
        ]
    assert state.quantity == 15
    assert state.sent_quantity == 14
    # the sale was subtracted once: the next change is sent as it is
    wb.stock(item, 20)
    await wb.push()
    assert wb.on_hand(item) == 20


async def test_confirmation_waits_for_an_asynchronous_inventory_api(wb: WbWorld) -> None:
    wb.store.inventory_delay_ms = 5000  # applies 5 s (sandbox clock) after answering
    items = tracked_items(wb.store)[:3]
    for item in items:
        wb.stock(item, 42)
    result = await wb.push(confirm_delay_s=1.0, confirm_checks=5)
    assert result.count(IntentState.CONFIRMED) == 3
    assert all(wb.on_hand(i) == 42 for i in items)
    # read back at +1 s and +3 s (not yet applied), then at +7 s
    assert wb.requests(READ) == 3
    assert wb.requests(ADJUST) == 1


async def test_a_level_that_never_shows_is_mismatched_after_bounded_checks(
    wb: WbWorld,
) -> None:
    wb.store.inventory_delay_ms = 3_600_000  # an hour: never within the checks
    item = tracked_items(wb.store)[0]
    wb.stock(item, 42)
    result = await wb.push(confirm_delay_s=1.0, confirm_checks=3)
    (outcome,) = result.outcomes.values()
    assert outcome.state == IntentState.MISMATCHED
    assert "sent 42" in outcome.detail
    assert wb.requests(READ) == 3


async def test_a_newer_level_recorded_while_one_is_sent_goes_after_it(wb: WbWorld) -> None:
    wb.store.inventory_delay_ms = 2000
    item = tracked_items(wb.store)[0]
    first = wb.stock(item, 5)
    dispatcher = wb.dispatcher(wait=False)
    await dispatcher.run()  # sent, not yet confirmed
    second = wb.stock(item, 9)
    assert second != first
    wb.time.advance(timedelta(seconds=3).total_seconds())
    await wb.push()
    assert wb.on_hand(item) == 9
    with wb.uow.read() as conn:
        rows = {r.id: r for r in outbox_repository.list_intents(conn, wb.connection_id)}
    assert rows[first].state == rows[second].state == "confirmed"


async def test_one_bad_item_fails_alone(wb: WbWorld) -> None:
    items = tracked_items(wb.store)[:8]
    for item in items:
        wb.stock(item, 3)
    with wb.uow.write() as conn:
        from bigsync.writeback.outbox import record_stock

        bad = record_stock(
            conn,
            wb.connection_id,
            product_id=1,
            variant_id=999_999,
            sku="GONE",
            location_id=1,
            quantity=1,
            now=wb.now(),
        )
    result = await wb.push()
    assert result.outcomes[bad].state == IntentState.FAILED
    assert "999999 not found" in result.outcomes[bad].detail
    assert result.count(IntentState.CONFIRMED) == 8
    assert all(wb.on_hand(i) == 3 for i in items)
