"""Shipments and order status against a synced sandbox store: what may ship is checked
before anything is recorded, the carrier comes from the shipping-method rules, the status
after it as configured; order statuses by id or the store's name."""

from __future__ import annotations

import pytest

from bigsync.errors import InputError
from bigsync.fulfillment import shipping
from bigsync.fulfillment.order_status import change_status
from bigsync.fulfillment.shipments import ShipOrder, plan_shipment, ship
from bigsync.store import hub_mirror, hub_repository
from bigsync.store.hub_mirror import OrderAddress, OrderLine
from bigsync.writeback.intents import ShipmentLine
from bigsync.writeback.outbox import list_intents
from tests.fulfillment.conftest import Shop


def _open(lines: list, addresses: list) -> bool:
    """One shipping address, and every physical line still wholly unshipped, one with 2+."""
    physical = [line for line in lines if line.order_address_id]
    return (
        len(addresses) == 1
        and bool(physical)
        and all(line.quantity_shipped == 0 for line in physical)
        and any(line.quantity >= 2 for line in physical)
    )


def _state(shop: Shop) -> tuple[list, list]:
    with shop.hub.db.read() as conn:
        intents = list_intents(conn, shop.hub.connection_id)
        recorded = [
            s
            for order_id in shop.world.store.sales.orders
            for s in hub_repository.shipments_of_order(conn, shop.hub.connection_id, order_id)
        ]
    return intents, recorded


def _lines(shop: Shop, order_id: int) -> list[hub_mirror.OrderLine]:
    with shop.hub.db.read() as conn:
        return hub_mirror.order_lines(conn, shop.hub.connection_id, order_id)


def _method(shop: Shop, order_id: int) -> str:
    with shop.hub.db.read() as conn:
        (address,) = hub_mirror.order_addresses(conn, shop.hub.connection_id, order_id)
    assert address.shipping_method
    return address.shipping_method


async def test_over_shipping_is_refused_before_anything_is_recorded(shop: Shop) -> None:
    order_id = shop.order_with(_open)
    line = next(x for x in _lines(shop, order_id) if x.quantity >= 2)
    with pytest.raises(InputError, match=rf"{line.quantity + 1} asked, {line.quantity} left"):
        ship(shop.hub, ShipOrder(order_id, "TRK-1", "dhl", ((line.id, line.quantity + 1),)))
    with pytest.raises(InputError, match="has no order product 999999"):
        ship(shop.hub, ShipOrder(order_id, "TRK-1", "dhl", ((999999, 1),)))
    assert _state(shop) == ([], [])

    first = ship(shop.hub, ShipOrder(order_id, "TRK-1", "dhl", ((line.id, line.quantity - 1),)))
    assert not first.completes_order
    assert first.status_id == 3  # Partially Shipped, as configured by default
    # The first shipment is not in the mirror yet: it still counts.
    with pytest.raises(InputError, match=r"2 asked, 1 left to ship .* in shipments not sent"):
        ship(shop.hub, ShipOrder(order_id, "TRK-2", "dhl", ((line.id, 2),)))
    intents, recorded = _state(shop)
    assert [i.kind for i in intents] == ["order_status", "shipment"]  # newest first
    assert len(recorded) == 1

    rest = ship(shop.hub, ShipOrder(order_id, "TRK-2", "dhl"))  # everything left
    assert rest.completes_order
    assert rest.status_id == 2
    shipped = {x.order_product_id: x.quantity for x in rest.lines}
    assert shipped[line.id] == 1
    with pytest.raises(InputError, match="nothing left to ship"):
        ship(shop.hub, ShipOrder(order_id, "TRK-3", "dhl"))
    items = tuple((x.order_product_id, x.quantity) for x in rest.lines)
    same = ship(shop.hub, ShipOrder(order_id, "TRK-2", "dhl", items))
    assert same.already_recorded
    assert same.intent_id == rest.intent_id


async def test_the_carrier_comes_from_the_shipping_method_rules(shop: Shop) -> None:
    order_id = shop.order_with(_open)
    method = _method(shop, order_id)
    with pytest.raises(InputError, match=f"no shipping service for the method '{method}'"):
        ship(shop.hub, ShipOrder(order_id, "TRK-9"))
    shipping.add_service(shop.hub, "express", carrier="DHL", name="DHL Express")
    shipping.add_service(shop.hub, "ground", carrier="ups")
    shipping.add_service(shop.hub, "other", carrier="gls")
    shipping.map_pattern(shop.hub, "*", "other")
    shipping.map_pattern(shop.hub, f"{method[:2]}*", "ground")
    shipping.map_pattern(shop.hub, method.upper(), "express")  # exact wins, case-blind
    mapped = {m.name: m for m in shipping.methods(shop.hub)}
    assert (mapped[method].service, mapped[method].rule) == ("express", method.upper())
    assert mapped[method].orders >= 1

    result = ship(shop.hub, ShipOrder(order_id, "TRK-9"))
    assert (result.service, result.carrier) == ("express", "dhl")
    intents, _ = _state(shop)
    payload = next(i.payload for i in intents if i.kind == "shipment")
    assert (payload["tracking_carrier"], payload["shipping_provider"]) == ("dhl", "")

    other = next(o for o in shop.orders_with(_open) if o != order_id)
    shipping.unmap_pattern(shop.hub, method.upper())
    shipping.unmap_pattern(shop.hub, f"{method[:2]}*")
    by_star = ship(shop.hub, ShipOrder(other, "TRK-10", status="keep"))
    assert (by_star.service, by_star.carrier, by_star.status_id) == ("other", "gls", None)
    with pytest.raises(InputError, match="nothing left to ship"):
        ship(shop.hub, ShipOrder(order_id, "TRK-11", "ground"))  # a service code as --carrier


async def test_methods_list_every_store_method_matched_or_not(shop: Shop) -> None:
    shipping.add_service(shop.hub, "dhl", carrier="dhl")
    shipping.map_pattern(shop.hub, "DHL*", "dhl")
    found = {m.name: m for m in shipping.methods(shop.hub)}
    zones = set(shop.world.store.sales.shipping_zones)
    assert zones
    assert {"DHL-1", "DHL Express", "Omniva", "Flat Rate", "GLS Europe", "UPS Ground"} <= set(found)
    assert (found["DHL-1"].service, found["DHL-1"].rule) == ("dhl", "DHL*")
    assert (found["Omniva"].service, found["Omniva"].rule) == (None, "unmatched")
    shipping.add_service(shop.hub, "post", carrier="omniva")
    shipping.set_default_service(shop.hub, "post")
    found = {m.name: m for m in shipping.methods(shop.hub)}
    assert (found["Omniva"].service, found["Omniva"].rule) == ("post", "unmatched")
    with pytest.raises(InputError, match="used by the rules 'DHL\\*'"):
        shipping.remove_service(shop.hub, "dhl")
    shipping.remove_service(shop.hub, "post")
    assert shipping.get_settings(shop.hub).default_service is None


async def test_statuses_after_a_shipment_are_configurable(shop: Shop) -> None:
    settings = shipping.set_statuses(shop.hub, partial="awaiting fulfillment", shipped="keep")
    assert settings.partial_status == (11, "Awaiting Fulfillment")
    assert settings.shipped_status is None
    order_id = shop.order_with(_open)
    result = ship(shop.hub, ShipOrder(order_id, "TRK-1", "dhl"))
    assert result.completes_order
    assert result.status_id is None
    intents, _ = _state(shop)
    assert [i.kind for i in intents] == ["shipment"]


def _line(line_id: int, address: int | None, quantity: int, shipped: int = 0) -> OrderLine:
    kind = "physical" if address else "digital"
    return OrderLine(line_id, address, 7, 70, f"SKU-{line_id}", "x", quantity, shipped, kind)


def test_a_plan_checks_addresses_and_lines() -> None:
    """The pure check, on an order with two addresses and a digital line."""
    lines = [_line(1, 10, 2), _line(2, 10, 1, shipped=1), _line(3, 20, 3), _line(4, None, 1)]
    addresses = [OrderAddress(10, "DHL-1", 1), OrderAddress(20, "Omniva", 1)]
    with pytest.raises(InputError, match=r"ships to 2 addresses \(10, 20\)"):
        plan_shipment(100, lines, addresses, reserved={}, items=None)
    with pytest.raises(InputError, match=r"different addresses \(10, 20\)"):
        plan_shipment(100, lines, addresses, reserved={}, items=[(1, 1), (3, 1)])
    with pytest.raises(InputError, match="order product 4 of order 100 is not shipped"):
        plan_shipment(100, lines, addresses, reserved={}, items=[(4, 1)])
    with pytest.raises(InputError, match=r"1 asked, 0 left to ship \(of 1: 1 shipped\)"):
        plan_shipment(100, lines, addresses, reserved={}, items=[(2, 1)])
    with pytest.raises(InputError, match=r"3 asked, 2 left"):  # the same line twice adds up
        plan_shipment(100, lines, addresses, reserved={}, items=[(1, 1), (1, 2)])
    with pytest.raises(InputError, match="at least 1"):
        plan_shipment(100, lines, addresses, reserved={}, items=[(1, 0)])
    plan = plan_shipment(100, lines, addresses, reserved={3: 1}, items=[(3, 2)])
    assert (plan.order_address_id, plan.lines, plan.completes_order) == (
        20,
        (ShipmentLine(3, 2),),
        False,  # line 1 is left
    )
    done = plan_shipment(100, lines, addresses, reserved={3: 3}, items=[(1, 2)])
    assert done.completes_order
    one = [OrderAddress(10, "DHL-1", 1)]
    everything = plan_shipment(100, lines[:2], one, reserved={}, items=None)
    assert everything.lines == (ShipmentLine(1, 2),)
    assert everything.completes_order
    with pytest.raises(InputError, match="no shipping address"):
        plan_shipment(100, lines, [], reserved={}, items=None)


async def test_orders_not_in_the_mirror_and_bad_tracking_are_refused(shop: Shop) -> None:
    with pytest.raises(
        InputError, match=r"order 424242 is not in the mirror.*bigsync sync sandbox"
    ):
        ship(shop.hub, ShipOrder(424242, "TRK-1", "dhl"))
    with pytest.raises(InputError, match="1 to 50 characters"):
        ship(shop.hub, ShipOrder(424242, " ", "dhl"))
    order_id = shop.order_with(_open)
    with pytest.raises(InputError, match="is not a carrier"):
        ship(shop.hub, ShipOrder(order_id, "TRK-1", "D H L"))
    assert _state(shop) == ([], [])


async def test_order_status_by_id_or_store_name(shop: Shop) -> None:
    order_id = next(iter(shop.world.store.sales.orders))
    by_name = change_status(shop.hub, order_id, "  shipped ")
    assert by_name.status.id == 2
    by_id = change_status(shop.hub, order_id, "10")
    assert (by_id.status.name, by_id.intent_id) == ("Completed", by_name.intent_id)  # coalesced
    with pytest.raises(InputError, match=r"no order status 'Sent'; valid: .*Shipped \(2\)"):
        change_status(shop.hub, order_id, "Sent")
    with pytest.raises(InputError, match="not in the mirror"):
        change_status(shop.hub, 424242, "2")
    intents, _ = _state(shop)
    assert [(i.kind, i.payload["status_id"]) for i in intents] == [("order_status", 10)]
