"""Picking sandbox orders to ship, and counting what the sandbox holds."""

from __future__ import annotations

from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.sales.records import Order
from bigsync.writeback.intents import ShipmentLine, ShipmentRequest


def shippable_orders(store: StoreState, count: int) -> list[Order]:
    """Orders with one shipping address and nothing shipped yet, by id."""
    found = [
        o
        for o in sorted(store.sales.orders.values(), key=lambda o: o.id)
        if not o.is_deleted
        and len(o.shipping_addresses) == 1
        and not o.shipments
        and o.products
        and all(p.quantity_shipped == 0 for p in o.products)
    ]
    assert len(found) >= count, f"only {len(found)} shippable orders"
    return found[:count]


def ship_all(order: Order, tracking: str, *, then_status_id: int | None = None) -> ShipmentRequest:
    """A shipment of everything the order has."""
    return ShipmentRequest(
        order_id=order.id,
        order_address_id=order.shipping_addresses[0].id,
        tracking_number=tracking,
        shipping_provider="",
        tracking_carrier="",
        items=tuple(ShipmentLine(p.id, p.quantity) for p in order.products),
        then_status_id=then_status_id,
    )


def shipments_of(store: StoreState, order_id: int) -> int:
    return len(store.sales.orders[order_id].shipments)
