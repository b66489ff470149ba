"""The orders a merchant browses, against a synced sandbox store (SQLite, then PostgreSQL):
newest first in keyset pages, search, status and shipping filters; one order with its
lines, addresses, transactions, and the hub's shipments and status changes with their
intents."""

from __future__ import annotations

import pytest

from bigsync.errors import InputError
from bigsync.fulfillment import orders_view
from bigsync.fulfillment.order_status import change_status
from bigsync.fulfillment.shipments import ShipOrder, ship
from tests.fulfillment.conftest import Shop


def _all_pages(shop: Shop, **filters: object) -> list[orders_view.OrderSummary]:
    seen: list[orders_view.OrderSummary] = []
    before = None
    for _ in range(100):
        page = orders_view.list_orders(shop.hub, before=before, limit=7, **filters)  # type: ignore[arg-type]
        assert len(page.orders) <= 7
        seen += page.orders
        if page.next_before is None:
            return seen
        assert page.next_before == page.orders[-1].id
        before = page.next_before
    raise AssertionError("the pages never ended")


def _one_address_order(shop: Shop) -> int:
    return shop.order_with(
        lambda lines, addresses: (
            len(addresses) == 1
            and any(
                line.order_address_id and line.quantity > line.quantity_shipped for line in lines
            )
            and all(line.quantity_shipped == 0 for line in lines)
        )
    )


async def test_pages_cover_every_order_once_newest_first(shop: Shop) -> None:
    orders = _all_pages(shop)
    ids = [o.id for o in orders]
    assert ids == sorted(shop.world.store.sales.orders, reverse=True)
    page = orders_view.list_orders(shop.hub, limit=7)
    assert {s.id for s in page.statuses} >= {2, 3, 11}


async def test_search_by_id_email_and_name(shop: Shop) -> None:
    order = shop.world.store.sales.orders[max(shop.world.store.sales.orders)]
    billing = order.billing_address
    found = orders_view.list_orders(shop.hub, search=f"#{order.id}")
    assert [o.id for o in found.orders] == [order.id]
    by_email = orders_view.list_orders(shop.hub, search=billing.email.upper()[2:])
    assert order.id in {o.id for o in by_email.orders}
    assert all(billing.email[2:].lower() in (o.customer_email or "") for o in by_email.orders)
    name = f"{billing.first_name} {billing.last_name}"
    by_name = orders_view.list_orders(shop.hub, search=billing.last_name.lower())
    assert name in {o.customer_name for o in by_name.orders}
    assert orders_view.list_orders(shop.hub, search="%").orders == ()  # a literal character
    assert orders_view.list_orders(shop.hub, search="no such customer").next_before is None


async def test_status_and_shipping_filters(shop: Shop) -> None:
    every = _all_pages(shop)
    shipped_status = _all_pages(shop, status="shipped")
    assert {o.status_id for o in shipped_status} == {2}
    assert [o.id for o in shipped_status] == [o.id for o in every if o.status_id == 2]
    assert [o.id for o in _all_pages(shop, status="2")] == [o.id for o in shipped_status]
    with pytest.raises(InputError, match="no order status 'lost'"):
        orders_view.list_orders(shop.hub, status="lost")

    to_ship = _all_pages(shop, shipping_filter="to_ship")
    done = _all_pages(shop, shipping_filter="shipped")
    assert to_ship
    assert done
    assert {o.shipping for o in to_ship} <= {"unshipped", "partial"}
    assert {o.shipping for o in done} == {"shipped"}
    assert [o.id for o in every if o.shipping in ("unshipped", "partial")] == [
        o.id for o in to_ship
    ]
    with pytest.raises(InputError, match="no shipping filter"):
        orders_view.list_orders(shop.hub, shipping_filter="lost")
    with pytest.raises(InputError, match="1 to 200"):
        orders_view.list_orders(shop.hub, limit=0)


async def test_detail_shows_lines_addresses_and_payments(shop: Shop) -> None:
    order_id = _one_address_order(shop)
    order = shop.world.store.sales.orders[order_id]
    detail = orders_view.order_detail(shop.hub, order_id)
    assert detail is not None
    assert detail.summary.id == order_id
    assert detail.billing.email == order.billing_address.email
    (address,) = detail.addresses
    assert address.lines
    assert all(line.shippable and line.remaining == line.quantity for line in address.lines)
    assert detail.remaining == sum(line.quantity for line in address.lines)
    assert detail.shipments == ()
    assert detail.status_changes == ()
    assert orders_view.order_detail(shop.hub, 1) is None


async def test_a_shipment_and_a_status_change_show_with_their_intents(shop: Shop) -> None:
    order_id = _one_address_order(shop)
    before = orders_view.order_detail(shop.hub, order_id)
    assert before is not None
    line = before.addresses[0].lines[0]
    result = ship(shop.hub, ShipOrder(order_id, "TRK-9", "dhl", ((line.id, 1),)))

    detail = orders_view.order_detail(shop.hub, order_id)
    assert detail is not None
    (shipment,) = detail.shipments
    assert shipment.tracking_number == "TRK-9"
    assert shipment.intent is not None
    assert shipment.intent.id == result.intent_id
    assert shipment.intent.state == "pending"
    assert shipment.on_the_way
    assert not shipment.in_mirror
    shown = next(x for x in detail.addresses[0].lines if x.id == line.id)
    assert (shown.on_the_way, shown.remaining) == (1, line.remaining - 1)
    assert detail.remaining == before.remaining - 1
    assert detail.summary.on_the_way == 1
    listed = orders_view.list_orders(shop.hub, search=str(order_id)).orders[0]
    assert listed.on_the_way == 1

    change = change_status(shop.hub, order_id, "Awaiting Pickup")
    detail = orders_view.order_detail(shop.hub, order_id)
    assert detail is not None
    latest = detail.status_changes[0]
    assert latest.intent.id == change.intent_id
    assert (latest.status, latest.intent.state) == ("Awaiting Pickup", "pending")
    # The status the shipment sets afterwards is listed as well.
    assert result.status_id in {c.status_id for c in detail.status_changes}
    state = orders_view.intent_state(shop.hub, change.intent_id)
    assert state is not None
    assert state.kind == "order_status"
    assert orders_view.intent_state(shop.hub, 999_999) is None
