"""Random, seeded changes to a store's sales data, for `/_sandbox/mutate`.

`MUTATIONS[kind](sandbox, store, action, count, rng)` applies up to `count` changes through
the same operations the API uses (so timestamps move and webhooks fire) and returns the ids
it touched. Kinds and actions:

- `order`: `create` (Awaiting Fulfillment), `update` (staff notes), `delete` (archive)
- `incomplete_order`: `create` (new orders in status 0 Incomplete), `update` (complete
  them: status 0 -> 11 Awaiting Fulfillment, the way a finished checkout does)
- `order_status`: `update` (a live order moves to another status)
- `shipment`: `create` (ships what is left for one address of an order)
- `transaction`: `create` (an unpaid order is paid: a purchase transaction, payment status
  `captured`, and Awaiting Payment (7) moves on to Awaiting Fulfillment (11))
- `customer`: `create`, `update`, `delete`

An unknown action raises ValueError.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from bigsync.sandbox.sales import customers as customer_ops
from bigsync.sandbox.sales import fulfilment
from bigsync.sandbox.sales import orders as order_ops
from bigsync.sandbox.sales.records import (
    AWAITING_FULFILLMENT,
    AWAITING_PAYMENT,
    INCOMPLETE,
    STATUS_NAMES,
    Json,
    now_of,
)

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

Mutation = Callable[["Sandbox", "StoreState", str, int, random.Random], list[int]]

FIRST_NAMES = ("Ada", "Brian", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines")
LAST_NAMES = ("Novak", "Okafor", "Petersen", "Quinn", "Rossi", "Sato", "Tamm", "Ullah", "Varga")


def _sample(ids: list[int], count: int, rng: random.Random) -> list[int]:
    return rng.sample(ids, min(count, len(ids)))


def _new_order_body(store: StoreState, rng: random.Random, *, status_id: int) -> Json:
    items = order_ops.sellable_items(store)
    if items:
        picks = [rng.choice(items) for _ in range(rng.randint(1, 3))]
        lines: list[Json] = [
            {"product_id": i.product_id, "variant_id": i.variant_id, "quantity": rng.randint(1, 3)}
            for i in picks
        ]
    else:  # no catalog yet: custom line items
        lines = [{"name": "Custom item", "quantity": 1, "price_ex_tax": 10, "price_inc_tax": 10}]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    address = {
        "first_name": first,
        "last_name": last,
        "street_1": f"{rng.randint(1, 999)} Harbour Road",
        "city": "Tallinn",
        "zip": f"{rng.randint(10000, 99999)}",
        "country": "Estonia",
        "country_iso2": "EE",
        "email": f"{first.lower()}.{last.lower()}@example.com",
    }
    customer_ids = list(store.sales.customers)
    return {
        "customer_id": rng.choice(customer_ids) if customer_ids and rng.random() < 0.8 else 0,
        "status_id": status_id,
        "billing_address": address,
        "shipping_addresses": [{**address, "shipping_method": "DHL Express"}],
        "products": lines,
        "payment_method": "Credit Card",
    }


def _create_orders(
    sandbox: Sandbox, store: StoreState, count: int, rng: random.Random, *, status_id: int
) -> list[int]:
    ids = []
    for _ in range(count):
        body = _new_order_body(store, rng, status_id=status_id)
        ids.append(order_ops.create_order(sandbox, store, body).id)
    return ids


def mutate_orders(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    state = store.sales
    if action == "create":
        return _create_orders(sandbox, store, count, rng, status_id=AWAITING_FULFILLMENT)
    live = [o.id for o in state.orders.values() if not o.is_deleted]
    chosen = _sample(live, count, rng)
    for order_id in chosen:
        order = state.orders[order_id]
        if action == "update":
            note = f"Checked on {sandbox.now():%Y-%m-%d %H:%M:%S}"
            order_ops.update_order(sandbox, store, order, {"staff_notes": note})
        elif action == "delete":
            order_ops.archive_order(sandbox, store, order)
        else:
            raise ValueError(f"unknown order mutation {action!r}")
    return chosen


def mutate_incomplete_orders(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    if action == "create":
        return _create_orders(sandbox, store, count, rng, status_id=INCOMPLETE)
    if action != "update":
        raise ValueError(f"unknown incomplete_order mutation {action!r}")
    orders = store.sales.orders
    waiting = [o.id for o in orders.values() if o.status_id == INCOMPLETE and not o.is_deleted]
    chosen = _sample(waiting, count, rng)
    for order_id in chosen:
        order_ops.complete_incomplete(sandbox, store, orders[order_id], AWAITING_FULFILLMENT)
    return chosen


def mutate_order_status(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    if action != "update":
        raise ValueError(f"unknown order_status mutation {action!r}")
    state = store.sales
    live = [o.id for o in state.orders.values() if not o.is_deleted and o.status_id != INCOMPLETE]
    chosen = _sample(live, count, rng)
    statuses = [s for s in STATUS_NAMES if s != INCOMPLETE]
    for order_id in chosen:
        order = state.orders[order_id]
        new = rng.choice([s for s in statuses if s != order.status_id])
        order_ops.update_order(sandbox, store, order, {"status_id": new})
    return chosen


def mutate_shipments(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    if action != "create":
        raise ValueError(f"unknown shipment mutation {action!r}")
    candidates = [
        o.id
        for o in store.sales.orders.values()
        if not o.is_deleted
        and o.status_id != INCOMPLETE
        and o.shipping_addresses
        and any(p.quantity_shipped < p.quantity and p.order_address_id for p in o.products)
    ]
    created = []
    for order_id in _sample(candidates, count, rng):
        order = store.sales.orders[order_id]
        open_lines = [p for p in order.products if p.quantity_shipped < p.quantity]
        address_id = open_lines[0].order_address_id
        items = [
            {"order_product_id": p.id, "quantity": p.quantity - p.quantity_shipped}
            for p in open_lines
            if p.order_address_id == address_id
        ]
        body: Json = {
            "order_address_id": address_id,
            "items": items,
            "tracking_number": f"JD{rng.randint(10**9, 10**10 - 1)}",
            "shipping_provider": "",
            "tracking_carrier": "dhl",
            "shipping_method": "DHL Express",
        }
        created.append(fulfilment.create_shipment(sandbox, store, order, body).id)
    return created


def mutate_transactions(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    """Returns the ids of the orders that were paid."""
    if action != "create":
        raise ValueError(f"unknown transaction mutation {action!r}")
    unpaid = [
        o.id
        for o in store.sales.orders.values()
        if not o.is_deleted and o.status_id != INCOMPLETE and not o.transactions
    ]
    chosen = _sample(unpaid, count, rng)
    for order_id in chosen:
        order = store.sales.orders[order_id]
        gateway = rng.choice(("stripe", "braintree", "adyen"))
        fulfilment.add_transaction(
            sandbox, store, order, event="purchase", amount=order.total_inc_tax, gateway=gateway
        )
        order.payment_status = "captured"
        if order.status_id == AWAITING_PAYMENT:
            order_ops.set_status(sandbox, store, order, AWAITING_FULFILLMENT)
        order_ops.touch(store, order, now_of(sandbox))
        sandbox.emit(store, "store/order/updated", {"type": "order", "id": order.id})
    return chosen


def mutate_customers(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    state = store.sales
    if action == "create":
        created: list[int] = []
        while len(created) < count:
            batch: list[Json] = []
            for _ in range(min(customer_ops.MAX_BATCH, count - len(created))):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                serial = store.next_id("mutation_email")
                email = f"{first.lower()}.{last.lower()}.m{serial}@example.com"
                batch.append({"email": email, "first_name": first, "last_name": last})
            created += [c.id for c in customer_ops.create_customers(sandbox, store, batch)]
        return created
    chosen = _sample(list(state.customers), count, rng)
    if action == "update":
        for start in range(0, len(chosen), customer_ops.MAX_BATCH):
            updates: list[Json] = [
                {"id": i, "notes": f"Updated {sandbox.now():%Y-%m-%d %H:%M:%S}"}
                for i in chosen[start : start + customer_ops.MAX_BATCH]
            ]
            customer_ops.update_customers(sandbox, store, updates)
        return chosen
    if action == "delete":
        return customer_ops.delete_customers(sandbox, store, chosen)
    raise ValueError(f"unknown customer mutation {action!r}")


MUTATIONS: dict[str, Mutation] = {
    "order": mutate_orders,
    "incomplete_order": mutate_incomplete_orders,
    "order_status": mutate_order_status,
    "shipment": mutate_shipments,
    "transaction": mutate_transactions,
    "customer": mutate_customers,
}
