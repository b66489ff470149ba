"""Shipment create: `POST /v2/orders/{id}/shipments`, and finding one BigCommerce already made.

BigCommerce takes no idempotency key, and a POST whose answer was lost may have created the
shipment. So a shipment intent that was ever sent before (a crash after `sending`, a dropped
connection, a 5xx) is first looked up: an existing shipment of the order with the same
tracking number and the same items (order product ids and quantities) is that intent's
shipment. Only when none is found is the POST sent again. The POST itself is never repeated
blindly by the client (only after a 429, which BigCommerce refuses before acting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bigsync.writeback.intents import ShipmentLine, ShipmentRequest, shipment_items_key

if TYPE_CHECKING:
    from bigsync.bigcommerce import BigCommerceClient


def shipments_path(order_id: int) -> str:
    """The shipments of an order."""
    return f"/v2/orders/{order_id}/shipments"


def shipment_body(request: ShipmentRequest) -> dict[str, Any]:
    """The POST body (empty provider and carrier are left out: BigCommerce's default)."""
    body: dict[str, Any] = {
        "order_address_id": request.order_address_id,
        "tracking_number": request.tracking_number.strip(),
        "items": [
            {"order_product_id": line.order_product_id, "quantity": line.quantity}
            for line in request.items
        ],
    }
    if request.shipping_provider:
        body["shipping_provider"] = request.shipping_provider
    if request.tracking_carrier:
        body["tracking_carrier"] = request.tracking_carrier
    if request.comments:
        body["comments"] = request.comments
    return body


def is_same_shipment(request: ShipmentRequest, found: Mapping[str, Any]) -> bool:
    """Whether a shipment of the order is the one `request` describes: same tracking number
    and the same items (quantities per order product)."""
    if str(found.get("tracking_number") or "").strip() != request.tracking_number.strip():
        return False
    lines = []
    for item in found.get("items") or ():
        if not isinstance(item, Mapping):
            return False
        lines.append(ShipmentLine(int(item["order_product_id"]), int(item["quantity"])))
    return shipment_items_key(tuple(lines)) == shipment_items_key(request.items)


async def find_existing(client: BigCommerceClient, request: ShipmentRequest) -> int | None:
    """The id of the order's shipment that matches `request`, if BigCommerce has one."""
    async for page in client.paginate_v2(shipments_path(request.order_id)):
        for found in page.items:
            if is_same_shipment(request, found):
                return int(found["id"])
    return None


async def create(client: BigCommerceClient, request: ShipmentRequest) -> int:
    """POST the shipment; returns its id."""
    response = await client.request(
        "POST", shipments_path(request.order_id), json=shipment_body(request)
    )
    body = response.body
    return int(body["id"]) if isinstance(body, Mapping) and "id" in body else 0
