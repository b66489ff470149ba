"""Shipping an order: check what may ship against the mirror, then record the shipment (and
the order status after it) as one outbox intent.

What remains unshipped of an order line is its quantity, minus what the mirror says has
shipped, minus what the hub has recorded and the mirror cannot show yet: shipments whose
intent is still on its way (pending, sending), failed (a retry would send it; drop the
intent to release it), or confirmed after the mirror last read the order. Asking for more
than remains is refused before anything is recorded.

Without items, a shipment carries everything that remains, for an order with one shipping
address. The carrier, when not given, is the service the order's shipping method maps to
(`shipping`); the order status after it is the configured one: Partially Shipped (3) while
items remain, Shipped (2) once all have shipped, unless the merchant set others or `keep`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.fulfillment import shipping
from bigsync.fulfillment.hub import Hub
from bigsync.fulfillment.order_status import resolve_status
from bigsync.store import hub_mirror, hub_repository, shipping_repository
from bigsync.store.hub_mirror import OrderAddress, OrderLine, StoreOrder
from bigsync.store.outbox_repository import get_intents
from bigsync.writeback.intents import IntentState, ShipmentLine, ShipmentRequest
from bigsync.writeback.outbox import record_shipment

if TYPE_CHECKING:
    from sqlalchemy import Connection

RESERVING_STATES = frozenset(
    {IntentState.PENDING, IntentState.SENDING, IntentState.SENT, IntentState.FAILED}
)
SHIPPABLE_TYPES = frozenset({"physical", None})


@dataclass(frozen=True)
class ShipOrder:
    """What the merchant asks: order, tracking number, carrier (a service code or a carrier;
    None: from the shipping-method mapping), items (None: everything left), the status after
    it (None: as configured; `keep`: no change)."""

    order_id: int
    tracking_number: str
    carrier: str | None = None
    items: tuple[tuple[int, int], ...] | None = None
    status: str | None = None
    comments: str = ""


@dataclass(frozen=True)
class ShipmentPlan:
    """The shipment to record: which address, which lines, and whether it ships the rest."""

    order_address_id: int
    lines: tuple[ShipmentLine, ...]
    completes_order: bool


def remaining(lines: Sequence[OrderLine], reserved: Mapping[int, int]) -> dict[int, int]:
    """What is left to ship of each shippable line (order product id -> quantity)."""
    return {
        line.id: max(0, line.quantity - line.quantity_shipped - reserved.get(line.id, 0))
        for line in lines
        if line.order_address_id and line.type in SHIPPABLE_TYPES
    }


def plan_shipment(
    order_id: int,
    lines: Sequence[OrderLine],
    addresses: Sequence[OrderAddress],
    *,
    reserved: Mapping[int, int],
    items: Sequence[tuple[int, int]] | None,
) -> ShipmentPlan:
    """Check a shipment against the order (pure); InputError saying what is wrong."""
    left = remaining(lines, reserved)
    by_id = {line.id: line for line in lines}
    if items is None:
        if not addresses:
            raise InputError(f"order {order_id} has no shipping address: nothing to ship")
        if len(addresses) > 1:
            ids = ", ".join(str(a.id) for a in addresses)
            raise InputError(
                f"order {order_id} ships to {len(addresses)} addresses ({ids}): name the "
                "items of one with --item ORDER_PRODUCT_ID:QTY"
            )
        wanted = {line_id: quantity for line_id, quantity in left.items() if quantity > 0}
        if not wanted:
            raise InputError(f"order {order_id} has nothing left to ship")
    else:
        wanted = {}
        for line_id, quantity in items:
            if quantity < 1:
                raise InputError(f"ship at least 1 of order product {line_id}")
            wanted[line_id] = wanted.get(line_id, 0) + quantity
    for line_id, quantity in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            known = ", ".join(str(i) for i in left) or "none"
            raise InputError(
                f"order {order_id} has no order product {line_id} to ship (its lines: {known})"
            )
        if line_id not in left:
            raise InputError(f"order product {line_id} of order {order_id} is not shipped")
        if quantity > left[line_id]:
            on_way = reserved.get(line_id, 0)
            detail = f"{line.quantity_shipped} shipped" + (
                f", {on_way} in shipments not sent or not yet mirrored" if on_way else ""
            )
            raise InputError(
                f"order product {line_id} ({line.sku or line.name}) of order {order_id}: "
                f"{quantity} asked, {left[line_id]} left to ship (of {line.quantity}: {detail})"
            )
    address_ids = {by_id[line_id].order_address_id for line_id in wanted}
    if len(address_ids) > 1:
        shown = ", ".join(str(a) for a in sorted(a for a in address_ids if a))
        raise InputError(
            f"the items ship to different addresses ({shown}): one shipment per address"
        )
    address_id = address_ids.pop()
    assert address_id is not None
    completes = all(left[line_id] - wanted.get(line_id, 0) == 0 for line_id in left)
    shipment_lines = tuple(ShipmentLine(line_id, q) for line_id, q in sorted(wanted.items()))
    return ShipmentPlan(address_id, shipment_lines, completes)


@dataclass(frozen=True)
class ShipResult:
    """A shipment recorded: its intent, the carrier and service used, the status after it."""

    order_id: int
    intent_id: int
    order_address_id: int
    lines: tuple[ShipmentLine, ...]
    carrier: str
    service: str | None
    status_id: int | None
    status_name: str | None
    completes_order: bool
    already_recorded: bool


def ship(hub: Hub, request: ShipOrder) -> ShipResult:
    """Check the shipment against the mirror and record it (one transaction); nothing is
    recorded when it is refused."""
    tracking = request.tracking_number.strip()
    if not tracking or len(tracking) > 50:
        raise InputError("a tracking number is 1 to 50 characters")
    now = hub.now()
    with hub.db.write() as conn:
        order = _order(conn, hub, request.order_id)
        lines = hub_mirror.order_lines(conn, hub.connection_id, order.id)
        addresses = hub_mirror.order_addresses(conn, hub.connection_id, order.id)
        recorded = hub_repository.shipments_of_order(conn, hub.connection_id, order.id)
        repeated = _repeated(conn, recorded, tracking, request.items)
        if repeated is not None:
            statuses = hub_mirror.store_order_statuses(conn, hub.connection_id)
            return _result(repeated, statuses, already=True)
        reserved = reserved_by_hub(conn, order, recorded)
        plan = plan_shipment(order.id, lines, addresses, reserved=reserved, items=request.items)
        address = next((a for a in addresses if a.id == plan.order_address_id), None)
        carrier, service = _carrier(conn, hub, request.carrier, address)
        status = _status_after(conn, hub, request.status, completes=plan.completes_order)
        provider, tracking_carrier = shipping.provider_and_carrier(carrier)
        intent_id = record_shipment(
            conn,
            hub.connection_id,
            ShipmentRequest(
                order_id=order.id,
                order_address_id=plan.order_address_id,
                tracking_number=tracking,
                shipping_provider=provider,
                tracking_carrier=tracking_carrier,
                items=plan.lines,
                then_status_id=status[0] if status else None,
                comments=request.comments,
            ),
            now=now,
        )
        already = any(s.intent_id == intent_id for s in recorded)
        if not already:
            hub_repository.insert_shipment(
                conn,
                hub.connection_id,
                order_id=order.id,
                order_address_id=plan.order_address_id,
                tracking_number=tracking,
                carrier=carrier,
                service_code=service,
                items=[(line.order_product_id, line.quantity) for line in plan.lines],
                status_id=status[0] if status else None,
                intent_id=intent_id,
                now=now,
            )
    return ShipResult(
        order_id=order.id,
        intent_id=intent_id,
        order_address_id=plan.order_address_id,
        lines=plan.lines,
        carrier=carrier,
        service=service,
        status_id=status[0] if status else None,
        status_name=status[1] if status else None,
        completes_order=plan.completes_order,
        already_recorded=already,
    )


def _repeated(
    conn: Connection,
    recorded: Sequence[hub_repository.HubShipment],
    tracking: str,
    items: Sequence[tuple[int, int]] | None,
) -> hub_repository.HubShipment | None:
    """The live shipment recorded with this tracking number (and these items, when named):
    the same command run again gets it back instead of a refusal or a second shipment."""
    wanted: dict[int, int] = {}
    for line_id, quantity in items or ():
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    intents = get_intents(conn, [s.intent_id for s in recorded if s.intent_id is not None])
    for shipment in recorded:
        intent = intents.get(shipment.intent_id or 0)
        if intent is None or intent.state == IntentState.DROPPED:
            continue
        same_items = items is None or dict(shipment.items) == wanted
        if shipment.tracking_number == tracking and same_items:
            return shipment
    return None


def _result(
    shipment: hub_repository.HubShipment,
    statuses: Sequence[hub_mirror.OrderStatus],
    *,
    already: bool,
) -> ShipResult:
    assert shipment.intent_id is not None
    named = next((s for s in statuses if s.id == shipment.status_id), None)
    return ShipResult(
        order_id=shipment.order_id,
        intent_id=shipment.intent_id,
        order_address_id=shipment.order_address_id,
        lines=tuple(ShipmentLine(p, q) for p, q in shipment.items),
        carrier=shipment.carrier,
        service=shipment.service_code,
        status_id=shipment.status_id,
        status_name=(named.custom_label or named.name) if named else None,
        completes_order=False,
        already_recorded=already,
    )


def _order(conn: Connection, hub: Hub, order_id: int) -> StoreOrder:
    order = hub_mirror.store_order(conn, hub.connection_id, order_id)
    if order is None:
        raise InputError(
            f"order {order_id} is not in the mirror of {hub.name}: {hub.sync_hint('orders')}"
        )
    if order.is_deleted:
        raise InputError(f"order {order_id} is archived in the store")
    return order


def reserved_by_hub(
    conn: Connection, order: StoreOrder, recorded: Sequence[hub_repository.HubShipment]
) -> dict[int, int]:
    """Quantities of the hub's shipments that the mirror does not show yet, by line."""
    intents = get_intents(conn, [s.intent_id for s in recorded if s.intent_id is not None])
    reserved: dict[int, int] = {}
    for shipment in recorded:
        intent = intents.get(shipment.intent_id or 0)
        if intent is None or not not_in_mirror(intent.state, intent.confirmed_at, order.synced_at):
            continue
        for line_id, quantity in shipment.items:
            reserved[line_id] = reserved.get(line_id, 0) + quantity
    return reserved


def not_in_mirror(state: str, confirmed_at: datetime | None, synced_at: datetime) -> bool:
    """Whether a hub shipment whose intent is in `state` is missing from an order the mirror
    last read at `synced_at` (on its way, failed, or confirmed after that read)."""
    if state in RESERVING_STATES:
        return True
    if state == IntentState.CONFIRMED:
        return confirmed_at is None or confirmed_at >= synced_at
    return False  # dropped: never sent


def _carrier(
    conn: Connection, hub: Hub, asked: str | None, address: OrderAddress | None
) -> tuple[str, str | None]:
    """(carrier, service code) for the shipment."""
    services = shipping_repository.list_services(conn, hub.connection_id)
    if asked:
        for service in services:
            if service.code.casefold() == asked.strip().casefold():
                return service.carrier, service.code
        return shipping.check_carrier(asked), None
    method = (address.shipping_method if address else None) or ""
    rules = shipping_repository.list_rules(conn, hub.connection_id)
    settings = shipping_repository.get_settings(conn, hub.connection_id)
    default = next((s for s in services if s.id == settings.default_service_id), None)
    mapped, _rule = shipping.map_method(method, rules, services, default)
    if mapped is None:
        raise InputError(
            f"no shipping service for the method {method!r}: pass --carrier, or map it "
            f"(`bigsync shipping {hub.name} map '{method or '*'}' SERVICE_CODE`)"
        )
    return mapped.carrier, mapped.code


def _status_after(
    conn: Connection, hub: Hub, asked: str | None, *, completes: bool
) -> tuple[int, str] | None:
    """(status id, name) to set after the shipment, or None to keep the status."""
    statuses = hub_mirror.store_order_statuses(conn, hub.connection_id)
    if asked is not None:
        if asked.strip().casefold() == shipping.KEEP_STATUS:
            return None
        chosen = resolve_status(statuses, asked, hub=hub)
        return chosen.id, chosen.custom_label or chosen.name
    settings = shipping_repository.get_settings(conn, hub.connection_id)
    status_id = settings.shipped_status_id if completes else settings.partial_status_id
    if status_id is None:
        return None
    named = next((s for s in statuses if s.id == status_id), None)
    return status_id, (named.custom_label or named.name) if named else f"status {status_id}"
