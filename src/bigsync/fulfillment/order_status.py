"""Order status changes, by status id or by the store's own name for it.

Names are the mirrored `order_statuses` (BigCommerce's name, or the merchant's
`custom_label`), compared case-blind. The change is an outbox intent (a pending change of
the same order takes the new status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bigsync.errors import InputError
from bigsync.fulfillment.hub import Hub
from bigsync.store import hub_mirror
from bigsync.store.hub_mirror import OrderStatus
from bigsync.writeback.outbox import record_order_status


def resolve_status(statuses: Sequence[OrderStatus], text: str, *, hub: Hub) -> OrderStatus:
    """The status `text` names (an id, or a name or custom label of the store); InputError
    listing the valid names otherwise."""
    if not statuses:
        raise InputError(
            f"the mirror has no order statuses of {hub.name} yet: {hub.sync_hint('order_statuses')}"
        )
    wanted = text.strip()
    if wanted.isdecimal():
        for status in statuses:
            if status.id == int(wanted):
                return status
    else:
        key = wanted.casefold()
        for status in statuses:
            if key in {status.name.casefold(), (status.custom_label or "").casefold()}:
                return status
    valid = ", ".join(f"{s.custom_label or s.name} ({s.id})" for s in statuses)
    raise InputError(f"no order status {text!r}; valid: {valid}")


@dataclass(frozen=True)
class StatusChangeResult:
    """An order status change recorded."""

    order_id: int
    before: OrderStatus | None
    status: OrderStatus
    intent_id: int


def change_status(hub: Hub, order_id: int, status: str) -> StatusChangeResult:
    """Record the order's new status (the order must be in the mirror)."""
    with hub.db.write() as conn:
        order = hub_mirror.store_order(conn, hub.connection_id, order_id)
        if order is None:
            raise InputError(
                f"order {order_id} is not in the mirror of {hub.name}: {hub.sync_hint('orders')}"
            )
        statuses = hub_mirror.store_order_statuses(conn, hub.connection_id)
        chosen = resolve_status(statuses, status, hub=hub)
        intent_id = record_order_status(
            conn, hub.connection_id, order_id=order_id, status_id=chosen.id, now=hub.now()
        )
    before = next((s for s in statuses if s.id == order.status_id), None)
    return StatusChangeResult(order_id, before, chosen, intent_id)
