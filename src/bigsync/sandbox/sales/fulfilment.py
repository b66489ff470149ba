"""Shipments and payment transactions of an order.

Assumed where the docs are silent (API-NOTES §8.8, §13): shipments raise `quantity_shipped`
/ `items_shipped` (deleting one lowers them again) and never change the order status;
`date_shipped` is set when every item has shipped and cleared when that stops being true.
Every shipment change moves the order's `date_modified`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.sales.orders import (
    as_int,
    bad_request,
    cents,
    find_by_id,
    touch,
)
from bigsync.sandbox.sales.records import (
    Json,
    Order,
    Shipment,
    ShipmentItem,
    ShippingAddress,
    Transaction,
    now_of,
)

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

SHIPMENT_FIELDS = frozenset(
    {
        "order_address_id",
        "tracking_number",
        "tracking_link",
        "merchant_shipping_cost",
        "shipping_method",
        "shipping_provider",
        "tracking_carrier",
        "comments",
    }
)


def _address_of(order: Order, raw: Any) -> ShippingAddress:
    """The shipping address a body names; 400 when the order has no such address."""
    address_id = as_int(raw, "order_address_id")
    for address in order.shipping_addresses:
        if address.id == address_id:
            return address
    raise bad_request(f"The order has no shipping address {address_id}.")


def _mark_fully_shipped(order: Order, now: datetime) -> None:
    fully = all(p.quantity_shipped >= p.quantity for p in order.products)
    if fully and order.date_shipped is None:
        order.date_shipped = now


def create_shipment(sandbox: Sandbox, store: StoreState, order: Order, body: Any) -> Shipment:
    """`POST /v2/orders/{id}/shipments`: ship items to one of the order's addresses."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if body.get("order_address_id") in (None, "") or not body.get("items"):
        raise bad_request("Required fields missing [order_address_id, items]")
    address = _address_of(order, body["order_address_id"])
    products = {p.id: p for p in order.products}
    planned: dict[int, int] = {}
    for raw in body["items"]:
        if not isinstance(raw, dict):
            raise bad_request("Each entry of 'items' must be an object.")
        if "product_id" in raw:  # read-only (bigcommerce/api-specs #229)
            raise bad_request(
                "The field 'product_id' cannot be written to. Please remove it from your "
                "request before trying again."
            )
        product = products.get(as_int(raw.get("order_product_id"), "items.order_product_id"))
        quantity = as_int(raw.get("quantity"), "items.quantity")
        if product is None:
            raise bad_request(f"The order product {raw.get('order_product_id')} was not found.")
        if product.order_address_id not in (0, address.id):
            raise bad_request(
                f"The order product {product.id} ships to address {product.order_address_id}, "
                f"not {address.id}."
            )
        planned[product.id] = planned.get(product.id, 0) + quantity
        if quantity < 1 or planned[product.id] > product.quantity - product.quantity_shipped:
            raise bad_request(
                f"The quantity {quantity} of order product {product.id} exceeds what is left "
                "to ship."
            )
    items = [ShipmentItem(pid, products[pid].product_id, q) for pid, q in planned.items()]
    now = now_of(sandbox)
    shipment = Shipment(
        id=store.next_id("shipment"),
        order_id=order.id,
        order_address_id=address.id,
        date_created=now,
        items=items,
    )
    _apply_shipment_fields(shipment, body)
    for item in items:
        products[item.order_product_id].quantity_shipped += item.quantity
    order.shipments.append(shipment)
    _mark_fully_shipped(order, now)
    touch(store, order, now)
    sandbox.emit(
        store,
        "store/shipment/created",
        {"type": "shipment", "id": shipment.id, "orderId": order.id},
    )
    return shipment


def _apply_shipment_fields(shipment: Shipment, body: Json) -> None:
    if len(str(body.get("tracking_number") or "")) > 50:
        raise bad_request("The field 'tracking_number' must be at most 50 characters.")
    if len(str(body.get("tracking_link") or "")) > 500:
        raise bad_request("The field 'tracking_link' must be at most 500 characters.")
    for name in SHIPMENT_FIELDS - {"order_address_id", "merchant_shipping_cost"}:
        if name in body:
            setattr(shipment, name, str(body[name] or ""))
    if "merchant_shipping_cost" in body:
        shipment.merchant_shipping_cost = cents(body["merchant_shipping_cost"])


def get_shipment(order: Order, shipment_id: int) -> Shipment:
    """One of the order's shipments; 404 when it has no such shipment."""
    return find_by_id(order.shipments, shipment_id)


def update_shipment(
    sandbox: Sandbox, store: StoreState, order: Order, shipment: Shipment, body: Any
) -> Shipment:
    """`PUT /v2/orders/{id}/shipments/{id}`: tracking details; items cannot change."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if "items" in body:
        raise bad_request(
            "The field 'items' cannot be written to. Please remove it from your request before "
            "trying again."
        )
    if "order_address_id" in body:
        shipment.order_address_id = _address_of(order, body["order_address_id"]).id
    _apply_shipment_fields(shipment, body)
    touch(store, order, now_of(sandbox))
    sandbox.emit(
        store,
        "store/shipment/updated",
        {"type": "shipment", "id": shipment.id, "orderId": order.id},
    )
    return shipment


def delete_shipment(sandbox: Sandbox, store: StoreState, order: Order, shipment: Shipment) -> None:
    """`DELETE /v2/orders/{id}/shipments/{id}`: the items count as unshipped again; the order
    status stays as it is (API-NOTES §8.8)."""
    products = {p.id: p for p in order.products}
    for item in shipment.items:
        product = products.get(item.order_product_id)
        if product is not None:
            product.quantity_shipped = max(0, product.quantity_shipped - item.quantity)
    order.shipments.remove(shipment)
    if any(p.quantity_shipped < p.quantity for p in order.products):
        order.date_shipped = None
    touch(store, order, now_of(sandbox))
    sandbox.emit(
        store,
        "store/shipment/deleted",
        {"type": "shipment", "id": shipment.id, "orderId": order.id},
    )


def add_transaction(
    sandbox: Sandbox, store: StoreState, order: Order, *, event: str, amount: int, gateway: str
) -> Transaction:
    """Record a payment event on `order` and announce it."""
    now = now_of(sandbox)
    transaction = Transaction(
        id=store.next_id("transaction", start=1000),
        order_id=order.id,
        event=event,
        method="credit_card",
        amount=amount,
        currency=order.currency_code,
        gateway=gateway,
        gateway_transaction_id=f"sbx-{order.id}-{now:%H%M%S}",
        date_created=now,
    )
    order.transactions.append(transaction)
    sandbox.emit(
        store,
        "store/order/transaction/created",
        {
            "type": "transaction",
            "order_id": str(order.id),
            "transaction_id": str(transaction.id),
            "transaction_status": "complete",
            "transaction_type": event,
            "result": {"code": "captured", "message": "Captured", "type": "success"},
            "platform_transaction_id": str(transaction.id),
            "provider_transaction_id": transaction.gateway_transaction_id,
        },
    )
    return transaction
