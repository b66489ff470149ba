"""`bigsync locations NAME [list|add|map|unmap|remove|default]`: the hub's locations and the
store inventory locations they write to (thin shells over `bigsync.fulfillment.locations`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.hub import echo_json, open_hub, print_table, say
from bigsync.cli.service import JSON_HELP

if TYPE_CHECKING:
    from bigsync.fulfillment.locations import LocationView

locations_app = typer.Typer(
    name="locations",
    help="Hub locations (warehouses) and the store locations they write to, one to one.",
    invoke_without_command=True,
    rich_markup_mode=None,
)

JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
CodeArgument = Annotated[str, typer.Argument(help="Hub location code.")]


@locations_app.callback()
def locations(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Connection name.")],
) -> None:
    """The hub's locations of connection NAME (listed when no command is given; `list
    --json` for JSON)."""
    ctx.obj = name
    if ctx.invoked_subcommand is None:
        _list(name, as_json=False)


@locations_app.command("list")
def list_command(ctx: typer.Context, *, as_json: JsonOption = False) -> None:
    """List hub locations, their store locations, and store locations not written."""
    _list(ctx.obj, as_json=as_json)


def _list(name: str, *, as_json: bool) -> None:
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(name, "cli:locations") as (hub, _service):
        views = use_case.list_locations(hub)
    if as_json:
        echo_json(views)
        return
    rows = [
        (
            (v.code or "") + (" *" if v.is_default else ""),
            v.name if v.code else "",
            "" if v.store_location_id is None else v.store_location_id,
            v.store_label or "",
            v.state,
        )
        for v in views
    ]
    print_table(
        f"Locations of {hub.name} (* default)",
        ("hub code", "hub name", "store id", "store location", "state"),
        rows,
        right=("store id",),
        wrap=("hub name", "store location", "state"),
    )


def _print_one(view: LocationView, *, as_json: bool, text: str) -> None:
    if as_json:
        echo_json(view)
    else:
        say(text)


@locations_app.command("add")
def add(
    ctx: typer.Context,
    code: CodeArgument,
    *,
    name: Annotated[str | None, typer.Option(help="A readable name (default: the code).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a hub location (map it to write its stock to the store)."""
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:locations") as (hub, _service):
        view = use_case.add(hub, code, name=name)
    _print_one(
        view,
        as_json=as_json,
        text=f"Added hub location {code}; map it to a store location with "
        f"`bigsync locations {hub.name} map {code} STORE_LOCATION_ID`.",
    )


@locations_app.command("map")
def map_command(
    ctx: typer.Context,
    code: CodeArgument,
    store_location_id: Annotated[int, typer.Argument(help="The store's inventory location id.")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Write the hub location's stock to this store location."""
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:locations") as (hub, _service):
        view = use_case.map_to_store(hub, code, store_location_id)
    label = f" ({view.store_label})" if view.store_label else ""
    _print_one(
        view,
        as_json=as_json,
        text=f"Hub location {code} now writes to store location {store_location_id}{label}.",
    )


@locations_app.command("unmap")
def unmap(ctx: typer.Context, code: CodeArgument, *, as_json: JsonOption = False) -> None:
    """Stop writing the hub location's stock to the store (its hub stock stays)."""
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:locations") as (hub, _service):
        view = use_case.unmap(hub, code)
    _print_one(view, as_json=as_json, text=f"Hub location {code} is no longer written.")


@locations_app.command("remove")
def remove(ctx: typer.Context, code: CodeArgument, *, as_json: JsonOption = False) -> None:
    """Remove a hub location and its hub stock (not the default)."""
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:locations") as (hub, _service):
        dropped = use_case.remove(hub, code)
    if as_json:
        echo_json({"removed": code, "stock_levels_removed": dropped})
    else:
        say(f"Removed hub location {code} and its {dropped} stock level(s).")


@locations_app.command("default")
def default(ctx: typer.Context, code: CodeArgument, *, as_json: JsonOption = False) -> None:
    """Make a hub location the one used when none is named."""
    from bigsync.fulfillment import locations as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:locations") as (hub, _service):
        view = use_case.make_default(hub, code)
    _print_one(view, as_json=as_json, text=f"Hub location {code} is now the default.")


def register(app: typer.Typer) -> None:
    """Add `bigsync locations` to the main app."""
    app.add_typer(locations_app)
