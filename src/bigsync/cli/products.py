"""`bigsync products`, `manage` and `unmanage`: the store's variants from the mirror and the
ones the hub manages (thin shells over `bigsync.fulfillment.catalog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.hub import echo_json, open_hub, print_table, say
from bigsync.cli.service import JSON_HELP, fail, run_async
from bigsync.cli.when import ago

if TYPE_CHECKING:
    from bigsync.fulfillment.catalog import ManageResult, Selection

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Connection name.")]
SkuOption = Annotated[list[str] | None, typer.Option("--sku", help="A variant's SKU (repeatable).")]
ProductOption = Annotated[
    list[int] | None, typer.Option("--product", help="A product id: all its variants (repeatable).")
]
AllOption = Annotated[bool, typer.Option("--all", help="Every variant.")]


def products(
    name: NameArgument,
    *,
    search: Annotated[
        str | None, typer.Option(help="Only variants whose SKU or product name has TEXT.")
    ] = None,
    managed: Annotated[bool, typer.Option("--managed", help="Only managed variants.")] = False,
    differs: Annotated[
        bool, typer.Option("--differs", help="Only managed variants whose stock differs.")
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option("--refresh", help="Sync the catalog and stock from the store first."),
    ] = False,
    history: Annotated[
        str | None, typer.Option(help="Show the history of the hub item with this SKU.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List the store's products and variants from the mirror, and what the hub manages."""
    from bigsync.fulfillment import catalog  # noqa: PLC0415 -- lazy: see bigsync.cli.service

    with open_hub(name, "cli:products") as (hub, service):
        if refresh:
            result = run_async(catalog.refresh(service, hub.name))
            if result.status == "failed":
                errors = [f"{s.name}: {s.error}" for s in result.streams if s.error]
                fail(f"the refresh of {hub.name} failed: {'; '.join(errors) or 'see status'}")
            if not as_json:
                say(f"Refreshed the catalog and stock of {hub.name} (sync #{result.number}).")
        if history is not None:
            events = catalog.item_history(hub, history)
            if as_json:
                echo_json(events)
                return
            rows = [(ago(e.at), e.event, e.detail) for e in events]
            print_table(
                f"History of {history}", ("when", "event", "detail"), rows, wrap=("detail",)
            )
            return
        lines = catalog.list_products(
            hub, search=search, managed_only=managed, differs_only=differs
        )
    if as_json:
        echo_json(lines)
        return
    table_rows = [
        (
            line.sku or "",
            (line.name, f"({line.options})" if line.options else ""),
            f"{line.product_id}/{line.variant_id}",
            "deleted" if line.deleted_in_store else ("yes" if line.managed else ""),
            line.hub_quantity,
            line.store_quantity,
            "≠" if line.differs else "",
        )
        for line in lines
    ]
    print_table(
        f"Products of {hub.name} ({len(lines)} variant{'' if len(lines) == 1 else 's'})",
        ("SKU", "product", "ids", "managed", "hub", "store", "≠"),
        table_rows,
        right=("hub", "store"),
        cut=("product",),
        empty="nothing matches"
        if search or managed or differs
        else f"no variants (sync the catalog: `bigsync sync {hub.name}`, or --refresh)",
    )
    if lines:
        say("hub, store: on hand at the locations the hub maps (the store's from the mirror).")
    if any(line.differs for line in lines):
        say(f"≠: hub and store differ (`bigsync stock {hub.name} show --differs`).")


def _selection(all_: bool, skus: list[str] | None, product_ids: list[int] | None) -> Selection:
    from bigsync.fulfillment.catalog import Selection  # noqa: PLC0415 -- lazy

    return Selection(all=all_, skus=tuple(skus or ()), product_ids=tuple(product_ids or ()))


def manage(
    name: NameArgument,
    *,
    all_: AllOption = False,
    sku: SkuOption = None,
    product: ProductOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Start managing store variants in the hub (--all, or by --sku / --product)."""
    from bigsync.fulfillment import catalog  # noqa: PLC0415 -- lazy: see bigsync.cli.service

    with open_hub(name, "cli:manage") as (hub, _service):
        result = catalog.manage(hub, _selection(all_, sku, product))
    _print_manage(result, as_json=as_json, done="now managed", already="already managed")


def unmanage(
    name: NameArgument,
    *,
    all_: AllOption = False,
    sku: SkuOption = None,
    product: ProductOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Stop managing variants (their hub stock and history are kept)."""
    from bigsync.fulfillment import catalog  # noqa: PLC0415 -- lazy: see bigsync.cli.service

    with open_hub(name, "cli:unmanage") as (hub, _service):
        result = catalog.unmanage(hub, _selection(all_, sku, product))
    _print_manage(result, as_json=as_json, done="no longer managed", already="not managed")


def _print_manage(result: ManageResult, *, as_json: bool, done: str, already: str) -> None:
    if as_json:
        echo_json(result)
        return
    changed, unchanged = result.changed, result.unchanged
    say(f"{len(changed)} variant(s) {done}" + (f": {_short(changed)}" if changed else "."))
    if unchanged:
        say(f"{len(unchanged)} {already}: {_short(unchanged)}")


def _short(labels: tuple[str, ...], limit: int = 10) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(products)
    app.command()(manage)
    app.command()(unmanage)
