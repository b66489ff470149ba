"""`bigsync ship` and `bigsync order-status`: shipments and order status changes, checked
against the mirror and recorded in the outbox (`bigsync push NAME` sends them). Thin shells
over `bigsync.fulfillment.shipments` and `.order_status`."""

from __future__ import annotations

from typing import Annotated

import typer

from bigsync.cli.hub import echo_json, open_hub, say, sends_it
from bigsync.cli.service import JSON_HELP
from bigsync.writeback.intents import IntentKind

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Connection name.")]
OrderArgument = Annotated[int, typer.Argument(metavar="ORDER_ID", help="Order id.", min=1)]


def parse_item(text: str) -> tuple[int, int]:
    """`ORDER_PRODUCT_ID:QTY` as two numbers (typer.BadParameter otherwise)."""
    head, _, tail = text.partition(":")
    if not (head.strip().isdecimal() and tail.strip().isdecimal()):
        raise typer.BadParameter(f"{text!r} is not ORDER_PRODUCT_ID:QTY", param_hint="--item")
    return int(head), int(tail)


def ship(
    name: NameArgument,
    order_id: OrderArgument,
    *,
    tracking: Annotated[str, typer.Option(help="Tracking number (at most 50 characters).")],
    carrier: Annotated[
        str | None,
        typer.Option(help="Service code or carrier (default: from the shipping-method rules)."),
    ] = None,
    item: Annotated[
        list[str] | None,
        typer.Option(help="ORDER_PRODUCT_ID:QTY (repeatable; default: all not yet shipped)."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Order status after it (id or name; `keep`; default: as configured)."),
    ] = None,
    comments: Annotated[str, typer.Option(help="Comments on the shipment.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Ship an order (or some of its items) with a tracking number."""
    from bigsync.fulfillment.shipments import ShipOrder, ship  # noqa: PLC0415 -- lazy

    items = tuple(parse_item(text) for text in item) if item else None
    request = ShipOrder(order_id, tracking, carrier, items, status, comments)
    with open_hub(name, "cli:ship") as (hub, service):
        result = ship(hub, request)
        sends = sends_it(service, hub.name, IntentKind.SHIPMENT)
    if as_json:
        echo_json(result)
        return
    units = sum(line.quantity for line in result.lines)
    lines = ", ".join(f"{line.order_product_id}×{line.quantity}" for line in result.lines)
    via = f"{result.service} ({result.carrier})" if result.service else result.carrier
    say(
        f"Order {result.order_id}: {units} unit(s) to address {result.order_address_id} "
        f"[{lines}] by {via}, tracking {tracking.strip()}."
    )
    then = (
        f"then status {result.status_name} ({result.status_id})"
        if result.status_id
        else ("status unchanged")
    )
    rest = "all shipped" if result.completes_order else "items remain"
    again = " (already recorded)" if result.already_recorded else ""
    say(f"{rest}; {then}. Outbox #{result.intent_id}{again}: {sends}")


def order_status(
    name: NameArgument,
    order_id: OrderArgument,
    status: Annotated[
        str,
        typer.Argument(metavar="STATUS", help="Status id or the store's name for it."),
    ],
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Change an order's status (by id or by the store's own name)."""
    from bigsync.fulfillment.order_status import change_status  # noqa: PLC0415 -- lazy

    with open_hub(name, "cli:order-status") as (hub, service):
        result = change_status(hub, order_id, status)
        sends = sends_it(service, hub.name, IntentKind.ORDER_STATUS)
    if as_json:
        echo_json(result)
        return
    before = result.before.custom_label or result.before.name if result.before else "unknown"
    after = result.status.custom_label or result.status.name
    say(
        f"Order {order_id}: {before} -> {after} ({result.status.id}); outbox "
        f"#{result.intent_id}: {sends}"
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(ship)
    app.command("order-status")(order_status)
