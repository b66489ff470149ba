"""`bigsync stock NAME set|import|show`: hub stock, and the hub and the store side by side
(thin shells over `bigsync.fulfillment.stock`). A change and the outbox intent that writes it
to the store are recorded together; `bigsync push NAME` sends them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.hub import echo_json, open_hub, print_table, say, sends_it
from bigsync.cli.service import JSON_HELP, fail
from bigsync.cli.when import ago
from bigsync.writeback.intents import IntentKind

if TYPE_CHECKING:
    from datetime import datetime

    from bigsync.fulfillment.stock import StockChange

stock_app = typer.Typer(
    name="stock",
    help="Hub stock: set a level, import a CSV file, show hub and store side by side.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


@stock_app.callback()
def stock(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Connection name.")],
) -> None:
    """Hub stock of connection NAME: set a level, import a CSV file, show side by side."""
    ctx.obj = name


@stock_app.command("set")
def set_level(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="SKU of a managed variant.")],
    quantity: Annotated[int, typer.Argument(help="The hub's on-hand quantity.", min=0)],
    *,
    location: Annotated[
        str | None, typer.Option(help="Hub location code (default: the default location).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set the hub quantity of one SKU at one location (and record its write to the store)."""
    from bigsync.fulfillment import stock as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:stock") as (hub, service):
        change = use_case.set_stock(hub, sku, quantity, location=location)
        then = sends_it(service, hub.name, IntentKind.STOCK)
    if as_json:
        echo_json(change)
        return
    say(_change_line(change, then=then))


def _change_line(change: StockChange, *, then: str) -> str:
    before = "none" if change.before is None else str(change.before)
    line = f"{change.sku} at {change.location}: {before} -> {change.quantity}"
    if change.intent_id is None:
        return line + " (hub only: the location is not mapped to a store location)"
    return f"{line} (store location {change.store_location_id})\nOutbox #{change.intent_id}: {then}"


@stock_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: sku,quantity[,location].")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Import hub stock from a CSV file: every row, or nothing when any row is bad."""
    from bigsync.fulfillment import stock as use_case  # noqa: PLC0415 -- lazy

    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror or error}")
    with open_hub(ctx.obj, "cli:stock") as (hub, service):
        changes = use_case.import_stock(hub, data, source=file.name)
        then = sends_it(service, hub.name, IntentKind.STOCK, them=True)
    if as_json:
        echo_json(changes)
        return
    written = sum(1 for c in changes if c.intent_id is not None)
    changed = sum(1 for c in changes if c.before != c.quantity)
    say(
        f"{file.name}: {len(changes)} rows applied ({changed} changed), {written} to write to "
        f"the store: {then}"
    )


@stock_app.command("show")
def show(
    ctx: typer.Context,
    *,
    differs: Annotated[
        bool, typer.Option("--differs", help="Only where hub and store differ.")
    ] = False,
    never_pushed: Annotated[
        bool, typer.Option("--never-pushed", help="Only levels never written to the store.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every managed item and location: hub quantity, store quantity, difference, last push."""
    from bigsync.fulfillment import stock as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:stock") as (hub, _service):
        report = use_case.side_by_side(hub, differs=differs, never_pushed=never_pushed)
    if as_json:
        echo_json(report)
        return
    age = ago(report.store_synced_at) if report.store_synced_at else "never"
    rows = [
        (
            line.sku,
            line.location,
            line.hub_quantity,
            "" if line.store_location_id is None else line.store_quantity,
            "" if line.difference is None else f"{line.difference:+d}",
            _push(line.push_state, line.pushed_at),
        )
        for line in report.lines
    ]
    print_table(
        f"Stock of {hub.name}",
        ("SKU", "location", "hub", "store", "diff", "last push"),
        rows,
        right=("hub", "store", "diff"),
        wrap=("SKU",),
        empty="nothing matches"
        if differs or never_pushed
        else f"no managed items (`bigsync manage {hub.name} --sku SKU`)",
    )
    say(f"Store quantities: on hand, from the mirror (inventory synced {age}).")
    for line in report.lines:
        if line.push_error:
            say(f"{line.sku} at {line.location}: {line.push_error}")


def _push(state: str | None, at: datetime | None) -> str:
    if state is None:
        return "never"
    return f"{state} {ago(at)}".strip()


def register(app: typer.Typer) -> None:
    """Add `bigsync stock` to the main app."""
    app.add_typer(stock_app)
