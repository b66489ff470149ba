"""The values of write-back: what an intended write says, its kind, its state, its dedupe key.

Pure: nothing here does I/O. The outbox stores an intent's payload as the JSON these
functions build, and the dispatcher reads it back with the `*_from_payload` functions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bigsync.errors import InputError


class IntentKind(enum.StrEnum):
    """What an intent writes; also the order in which a dispatch sends them."""

    STOCK = "stock"
    SHIPMENT = "shipment"
    ORDER_STATUS = "order_status"


class IntentState(enum.StrEnum):
    """Where an intent stands.

    pending     recorded, waiting to be sent (`next_attempt_at` says from when)
    held        kept, not sent: its write feature (write_stock, write_fulfillment) is off on
                the connection; it goes back to pending when the feature is turned on (a
                newer stock level of the item still replaces it)
    sending     marked (and committed) just before its request went out; a crash leaves it
                here, and the next dispatch resolves it before anything else
    sent        stock only: BigCommerce accepted the adjustment; it applies asynchronously,
                so the level is read back until it shows (or the checks run out)
    confirmed   done: the shipment exists, the status is set, the level was read back
    mismatched  stock only: read back a level other than the one sent, after every check
    failed      will not succeed as it is (a 4xx, a missing scope, retries used up);
                `last_error` says why. `bigsync outbox NAME retry ID` sends it again
    dropped     the user gave it up (`bigsync outbox NAME drop ID`); kept for the record
    superseded  stock only: a newer level of the same item and location replaced it before
                it was confirmed (the newer one is sent instead)
    """

    PENDING = "pending"
    HELD = "held"
    SENDING = "sending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    MISMATCHED = "mismatched"
    FAILED = "failed"
    DROPPED = "dropped"
    SUPERSEDED = "superseded"


OPEN_STATES = frozenset({IntentState.PENDING, IntentState.SENDING, IntentState.SENT})
"""States in which the dispatcher still has work to do."""

FINAL_STATES = frozenset(
    {
        IntentState.CONFIRMED,
        IntentState.MISMATCHED,
        IntentState.FAILED,
        IntentState.DROPPED,
        IntentState.SUPERSEDED,
    }
)


@dataclass(frozen=True)
class ShipmentLine:
    """One order product and how many of it a shipment carries."""

    order_product_id: int
    quantity: int


@dataclass(frozen=True)
class ShipmentRequest:
    """A shipment to create in BigCommerce (`POST /v2/orders/{order_id}/shipments`)."""

    order_id: int
    order_address_id: int
    tracking_number: str
    shipping_provider: str  # BigCommerce's `shipping_provider` value, may be ""
    tracking_carrier: str  # may be ""
    items: tuple[ShipmentLine, ...]
    then_status_id: int | None = None  # the order status to set once the shipment exists
    comments: str = ""


@dataclass(frozen=True)
class StockLevel:
    """The hub's quantity of one item at one store location."""

    product_id: int
    variant_id: int
    sku: str
    location_id: int
    quantity: int


@dataclass(frozen=True)
class StatusChange:
    """An order status to set (`PUT /v2/orders/{order_id}` with `status_id`)."""

    order_id: int
    status_id: int


# --- checks -------------------------------------------------------------------------------

MAX_STOCK_QUANTITY = 2_147_483_647
MAX_TRACKING_NUMBER = 50


def check_stock(level: StockLevel) -> StockLevel:
    """`level` if BigCommerce can take it, else an InputError saying what is wrong."""
    if not 0 <= level.quantity <= MAX_STOCK_QUANTITY:
        raise InputError(f"stock of {level.sku or level.variant_id} must be 0 or more")
    if level.location_id < 1:
        raise InputError("a stock level needs the store location id it is for")
    if level.product_id < 1 and level.variant_id < 1:
        raise InputError("a stock level needs a product id or a variant id")
    return level


def check_shipment(request: ShipmentRequest) -> ShipmentRequest:
    """`request` if it can be sent, else an InputError naming the first problem."""
    if request.order_id < 1 or request.order_address_id < 1:
        raise InputError("a shipment needs the order id and the order's shipping address id")
    if not request.tracking_number.strip():
        raise InputError("a shipment needs a tracking number")
    if len(request.tracking_number) > MAX_TRACKING_NUMBER:
        raise InputError(f"a tracking number has at most {MAX_TRACKING_NUMBER} characters")
    if not request.items:
        raise InputError("a shipment needs at least one item")
    for line in request.items:
        if line.quantity < 1:
            raise InputError(f"order product {line.order_product_id}: quantity must be 1 or more")
    return request


# --- dedupe keys --------------------------------------------------------------------------


def stock_key(variant_id: int, location_id: int) -> str:
    """One item at one location: a newer level replaces a pending one (latest wins)."""
    return f"stock:{variant_id}:{location_id}"


def shipment_items_key(items: tuple[ShipmentLine, ...]) -> str:
    """The items of a shipment in a canonical order (quantities of one product added)."""
    totals: dict[int, int] = {}
    for line in items:
        totals[line.order_product_id] = totals.get(line.order_product_id, 0) + line.quantity
    return ",".join(f"{pid}x{qty}" for pid, qty in sorted(totals.items()))


def shipment_key(request: ShipmentRequest) -> str:
    """Same order, tracking number and items: the same shipment."""
    tracking = request.tracking_number.strip()
    return f"shipment:{request.order_id}:{tracking}:{shipment_items_key(request.items)}"


def status_key(order_id: int, *, after: int | None = None) -> str:
    """An order's status; one set after a shipment belongs to that shipment."""
    return f"status:{order_id}" if after is None else f"status:{order_id}:after:{after}"


# --- payloads -----------------------------------------------------------------------------


def stock_payload(level: StockLevel) -> dict[str, Any]:
    """The JSON an outbox row keeps for a stock level."""
    return {
        "product_id": level.product_id,
        "variant_id": level.variant_id,
        "sku": level.sku,
        "location_id": level.location_id,
        "quantity": level.quantity,
    }


def stock_from_payload(payload: Mapping[str, Any]) -> StockLevel:
    """The stock level `stock_payload` stored."""
    return StockLevel(
        product_id=int(payload["product_id"]),
        variant_id=int(payload["variant_id"]),
        sku=str(payload.get("sku") or ""),
        location_id=int(payload["location_id"]),
        quantity=int(payload["quantity"]),
    )


def shipment_payload(request: ShipmentRequest) -> dict[str, Any]:
    """The JSON an outbox row keeps for a shipment."""
    return {
        "order_id": request.order_id,
        "order_address_id": request.order_address_id,
        "tracking_number": request.tracking_number.strip(),
        "shipping_provider": request.shipping_provider,
        "tracking_carrier": request.tracking_carrier,
        "items": [
            {"order_product_id": line.order_product_id, "quantity": line.quantity}
            for line in request.items
        ],
        "then_status_id": request.then_status_id,
        "comments": request.comments,
    }


def shipment_from_payload(payload: Mapping[str, Any]) -> ShipmentRequest:
    """The shipment `shipment_payload` stored."""
    return ShipmentRequest(
        order_id=int(payload["order_id"]),
        order_address_id=int(payload["order_address_id"]),
        tracking_number=str(payload["tracking_number"]),
        shipping_provider=str(payload.get("shipping_provider") or ""),
        tracking_carrier=str(payload.get("tracking_carrier") or ""),
        items=tuple(
            ShipmentLine(int(i["order_product_id"]), int(i["quantity"])) for i in payload["items"]
        ),
        then_status_id=payload.get("then_status_id"),
        comments=str(payload.get("comments") or ""),
    )


def status_payload(change: StatusChange) -> dict[str, Any]:
    """The JSON an outbox row keeps for an order status."""
    return {"order_id": change.order_id, "status_id": change.status_id}


def status_from_payload(payload: Mapping[str, Any]) -> StatusChange:
    """The status change `status_payload` stored."""
    return StatusChange(order_id=int(payload["order_id"]), status_id=int(payload["status_id"]))


def describe(kind: str, payload: Mapping[str, Any]) -> str:
    """One short line saying what an intent writes (for lists and errors)."""
    if kind == IntentKind.STOCK:
        item = payload.get("sku") or f"variant {payload.get('variant_id')}"
        return f"{item} at location {payload.get('location_id')} = {payload.get('quantity')}"
    if kind == IntentKind.SHIPMENT:
        items = sum(int(i["quantity"]) for i in payload.get("items", ()))
        return (
            f"order {payload.get('order_id')}: ship {items} item(s), "
            f"tracking {payload.get('tracking_number')}"
        )
    return f"order {payload.get('order_id')}: status {payload.get('status_id')}"
