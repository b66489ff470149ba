"""Recording intended writes, inside the caller's write transaction, and managing them.

    with uow.write() as conn:                       # store.unit_of_work.UnitOfWork
        hub_repository.set_stock(conn, ...)         # the local change ...
        record_stock(conn, connection_id, product_id=7, variant_id=70, sku="RED-M",
                     location_id=1, quantity=12)     # ... and its intent commit together

Recording is idempotent where BigCommerce is not: a stock level joins a pending level of the
same item and location (the latest value wins); the same shipment (order, tracking number,
items) recorded twice is one intent; an order status joins a pending status of that order.

Many stock levels at once (a CSV import): `record_stock_many(conn, connection_id, levels)`,
the same outcome as `record_stock` for each in turn, in a few set-based statements. A level
whose pending intent another writer committed while this transaction waited for it (two
imports at once on PostgreSQL) joins that intent instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.store import outbox_repository as repo
from bigsync.writeback.intents import (
    FINAL_STATES,
    IntentKind,
    IntentState,
    ShipmentRequest,
    StatusChange,
    StockLevel,
    check_shipment,
    check_stock,
    shipment_key,
    shipment_payload,
    status_key,
    status_payload,
    stock_key,
    stock_payload,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection


class IntentNotFoundError(InputError):
    """No intent with that id for the connection."""


def record_stock(
    conn: Connection,
    connection_id: int,
    *,
    product_id: int,
    variant_id: int,
    sku: str,
    location_id: int,
    quantity: int,
    now: datetime | None = None,
) -> int:
    """Record the hub's `quantity` of one item at one store location; returns the intent id.

    A pending intent of the same (variant_id, location_id) takes the new value instead (the
    latest wins, one item in one request). `variant_id` is the variant whose stock it is (a
    product-level item: its base variant; 0 if it has none, then `product_id` names it).
    """
    level = StockLevel(product_id, variant_id, sku, location_id, quantity)
    return record_stock_many(conn, connection_id, [level], now=now)[0]


def record_stock_many(
    conn: Connection,
    connection_id: int,
    levels: Sequence[StockLevel],
    *,
    now: datetime | None = None,
) -> list[int]:
    """Record many stock levels at once; returns the intent id of each, in order.

    The same as `record_stock` for each level in turn (a level of an item and location that
    came earlier in `levels` is replaced by the later one, and both get the same id), in a
    few statements: one read of the pending intents per `KEYS_PER_QUERY` keys, one update
    of those and one insert of the rest. Every level is checked before anything is written.
    """
    checked = [check_stock(level) for level in levels]
    keys = [
        stock_key(level.variant_id or -level.product_id, level.location_id) for level in checked
    ]
    latest = {key: stock_payload(level) for key, level in zip(keys, checked, strict=True)}
    if not latest:
        return []
    repo.serialize_recording(conn, connection_id)
    pending = repo.find_live_ids(conn, connection_id, latest, lock=True)
    repo.replace_payloads(conn, {pending[k]: p for k, p in latest.items() if k in pending}, now=now)
    created = repo.insert_live_intents(
        conn,
        connection_id,
        kind=IntentKind.STOCK,
        payloads={k: p for k, p in latest.items() if k not in pending},
        now=now,
    )
    ids = pending | created
    return [ids[key] for key in keys]


def record_shipment(
    conn: Connection, connection_id: int, request: ShipmentRequest, *, now: datetime | None = None
) -> int:
    """Record a shipment to create (and the order status to set after it, if any); returns
    the shipment intent's id. The same order, tracking number and items recorded again
    return the same id (unless that one was dropped)."""
    check_shipment(request)
    key = shipment_key(request)
    same = repo.find_live(conn, connection_id, key)
    if same is not None:
        return same.id
    shipment_id = repo.insert_intent(
        conn,
        connection_id,
        kind=IntentKind.SHIPMENT,
        dedupe_key=key,
        live_key=key,
        payload=shipment_payload(request),
        now=now,
    )
    if request.then_status_id is not None:
        status = StatusChange(request.order_id, request.then_status_id)
        after_key = status_key(request.order_id, after=shipment_id)
        repo.insert_intent(
            conn,
            connection_id,
            kind=IntentKind.ORDER_STATUS,
            dedupe_key=after_key,
            live_key=after_key,
            payload=status_payload(status),
            after_id=shipment_id,
            now=now,
        )
    return shipment_id


def record_order_status(
    conn: Connection,
    connection_id: int,
    *,
    order_id: int,
    status_id: int,
    now: datetime | None = None,
) -> int:
    """Record an order status to set; a pending status of the same order takes the new value.
    Returns the intent id."""
    if order_id < 1 or status_id < 0:
        raise InputError("an order status needs the order id and a status id")
    key = status_key(order_id)
    payload = status_payload(StatusChange(order_id, status_id))
    pending = repo.find_live(conn, connection_id, key)
    if pending is not None:
        repo.replace_payload(conn, pending.id, payload, now=now)
        return pending.id
    return repo.insert_intent(
        conn,
        connection_id,
        kind=IntentKind.ORDER_STATUS,
        dedupe_key=key,
        live_key=key,
        payload=payload,
        now=now,
    )


# --- the user's hand on the outbox ------------------------------------------------------------


def list_intents(
    conn: Connection,
    connection_id: int,
    *,
    states: tuple[IntentState, ...] | None = None,
    limit: int | None = 200,
    before_id: int | None = None,
) -> list[repo.OutboxRow]:
    """The connection's intents, newest first (`before_id`: older than that one)."""
    wanted = [str(s) for s in states] if states is not None else None
    return repo.list_intents(conn, connection_id, states=wanted, limit=limit, before_id=before_id)


def _intent(conn: Connection, connection_id: int, intent_id: int) -> repo.OutboxRow:
    row = repo.get_intent(conn, connection_id, intent_id)
    if row is None:
        raise IntentNotFoundError(f"no outbox entry {intent_id} for this connection")
    return row


def retry_intent(
    conn: Connection, connection_id: int, intent_id: int, *, now: datetime | None = None
) -> repo.OutboxRow:
    """Send a failed or mismatched intent again at the next dispatch (attempts start over).

    A shipment that failed after a request went out is looked up before it is sent again,
    as after any earlier attempt."""
    row = _intent(conn, connection_id, intent_id)
    if row.state not in (IntentState.FAILED, IntentState.MISMATCHED):
        raise InputError(
            f"outbox entry {intent_id} is {row.state}; only failed or mismatched ones are retried"
        )
    when = now or repo.utcnow()
    repo.update_intent(
        conn,
        row.id,
        now=when,
        state=IntentState.PENDING,
        next_attempt_at=when,
        checks=0,
        last_error=None,
    )
    return _intent(conn, connection_id, intent_id)


def drop_intent(
    conn: Connection, connection_id: int, intent_id: int, *, now: datetime | None = None
) -> repo.OutboxRow:
    """Give up an intent that is not done: it is kept as dropped and never sent. An order
    status waiting for a dropped shipment is dropped with it."""
    row = _intent(conn, connection_id, intent_id)
    if row.state in FINAL_STATES - {IntentState.FAILED, IntentState.MISMATCHED}:
        raise InputError(f"outbox entry {intent_id} is already {row.state}")
    if row.state == IntentState.SENDING:
        raise InputError(
            f"outbox entry {intent_id} is being sent; run `push` to settle it, then drop it"
        )
    for dependent in [row, *repo.dependents(conn, row.id)]:
        if dependent.state in FINAL_STATES - {IntentState.FAILED, IntentState.MISMATCHED}:
            continue
        repo.update_intent(
            conn,
            dependent.id,
            now=now,
            state=IntentState.DROPPED,
            live_key=None,
            last_error=dependent.last_error,
        )
    return _intent(conn, connection_id, intent_id)
