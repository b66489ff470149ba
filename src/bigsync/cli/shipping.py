"""`bigsync shipping NAME ...`: carrier services, the rules that link the store's shipping
methods to them (`*` wildcards), the default service, and the order statuses after a
shipment (thin shells over `bigsync.fulfillment.shipping`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.hub import echo_json, open_hub, print_table, say
from bigsync.cli.service import JSON_HELP

if TYPE_CHECKING:
    from bigsync.fulfillment.shipping import ShippingSettings

shipping_app = typer.Typer(
    name="shipping",
    help="Shipping services, method rules (`*` wildcards), default service, statuses.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
services_app = typer.Typer(
    name="services",
    help="List the hub's carrier services, or add / remove one.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
shipping_app.add_typer(services_app)

JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
PatternArgument = Annotated[
    str,
    typer.Argument(help="Method name, `*` matching any characters (quote it)."),
]


@shipping_app.callback()
def shipping(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Connection name.")],
) -> None:
    """Shipping of connection NAME: services, rules, methods, default, statuses."""
    ctx.obj = name


@services_app.callback()
def services(ctx: typer.Context, *, as_json: JsonOption = False) -> None:
    """The hub's carrier services (listed when no command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        found = use_case.list_services(hub)
        settings = use_case.get_settings(hub)
    if as_json:
        echo_json(found)
        return
    rows = [
        (s.code + (" *" if s.code == settings.default_service else ""), s.carrier, s.name)
        for s in found
    ]
    print_table(
        f"Shipping services of {hub.name} (* default)",
        ("code", "carrier", "name"),
        rows,
        wrap=("name",),
        empty=f"none yet (`bigsync shipping {hub.name} services add CODE --carrier CARRIER`)",
    )


@services_app.command("add")
def add_service(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Service code.")],
    *,
    carrier: Annotated[
        str,
        typer.Option(help="BigCommerce shipping provider (ups, usps, ...) or AfterShip slug."),
    ],
    name: Annotated[str | None, typer.Option(help="A readable name.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a carrier service."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        service = use_case.add_service(hub, code, carrier=carrier, name=name)
    if as_json:
        echo_json(service)
    else:
        say(f"Added service {service.code} ({service.carrier}).")


@services_app.command("remove")
def remove_service(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Service code.")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Remove a service no rule uses."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        service = use_case.remove_service(hub, code)
    if as_json:
        echo_json(service)
    else:
        say(f"Removed service {service.code}.")


@shipping_app.command("rules")
def rules(ctx: typer.Context, *, as_json: JsonOption = False) -> None:
    """List the rules, most specific first (the order in which they win)."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        found = use_case.list_rules(hub)
    if as_json:
        echo_json(found)
        return
    rows = [(r.pattern, r.service, "exact" if r.exact else "wildcard") for r in found]
    print_table(
        f"Shipping rules of {hub.name}",
        ("pattern", "service", "kind"),
        rows,
        wrap=("pattern",),
        empty=f"none yet (`bigsync shipping {hub.name} map PATTERN SERVICE_CODE`)",
    )
    if found:
        say("Exact rules win; then more literal characters, fewer *, a longer literal start.")


@shipping_app.command("map")
def map_command(
    ctx: typer.Context,
    pattern: PatternArgument,
    service_code: Annotated[str, typer.Argument(help="Service code.")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Link the shipping methods PATTERN matches to a service."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        replaced = use_case.map_pattern(hub, pattern, service_code)
    if as_json:
        echo_json({"pattern": pattern.strip(), "service": service_code, "replaced": replaced})
    else:
        verb = "now maps" if replaced else "maps"
        say(f"{pattern.strip()!r} {verb} to {service_code}.")


@shipping_app.command("unmap")
def unmap(ctx: typer.Context, pattern: PatternArgument, *, as_json: JsonOption = False) -> None:
    """Remove the rule of PATTERN."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        use_case.unmap_pattern(hub, pattern)
    if as_json:
        echo_json({"removed": pattern.strip()})
    else:
        say(f"Removed the rule {pattern.strip()!r}.")


@shipping_app.command("methods")
def methods(ctx: typer.Context, *, as_json: JsonOption = False) -> None:
    """Every shipping method of the store, the service it maps to and the rule that chose it."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        found = use_case.methods(hub)
    if as_json:
        echo_json(found)
        return
    rows = [
        (
            m.name,
            ", ".join(m.zones) or "(orders only)",
            m.orders,
            m.service or "",
            m.rule if m.rule != use_case.UNMATCHED or not m.service else "unmatched (default)",
        )
        for m in found
    ]
    print_table(
        f"Shipping methods of {hub.name}",
        ("method", "zones", "orders", "service", "rule"),
        rows,
        right=("orders",),
        wrap=("method", "zones", "rule"),
        empty=f"none in the mirror (`bigsync sync {hub.name}`)",
    )
    unmatched = sum(1 for m in found if m.rule == use_case.UNMATCHED)
    if unmatched:
        say(
            f"{unmatched} method(s) no rule matches: `bigsync shipping {hub.name} map PATTERN CODE`"
        )


@shipping_app.command("default")
def default(
    ctx: typer.Context,
    service_code: Annotated[str, typer.Argument(help="Service code, or `none`.")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Set the service for methods no rule matches (`none`: no default)."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    code = None if service_code.casefold() == "none" else service_code
    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        settings = use_case.set_default_service(hub, code)
    _print_settings(settings, as_json=as_json)


@shipping_app.command("statuses")
def statuses(
    ctx: typer.Context,
    *,
    partial: Annotated[
        str | None,
        typer.Option(help="Status after a shipment that leaves items unshipped (or `keep`)."),
    ] = None,
    shipped: Annotated[
        str | None,
        typer.Option(help="Status after a shipment that ships the rest (or `keep`)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show (or set) the order statuses after a shipment, by id or the store's name."""
    from bigsync.fulfillment import shipping as use_case  # noqa: PLC0415 -- lazy

    with open_hub(ctx.obj, "cli:shipping") as (hub, _service):
        if partial is None and shipped is None:
            settings = use_case.get_settings(hub)
        else:
            settings = use_case.set_statuses(hub, partial=partial, shipped=shipped)
    _print_settings(settings, as_json=as_json)


def _print_settings(settings: ShippingSettings, *, as_json: bool) -> None:
    if as_json:
        echo_json(settings)
        return

    def shown(status: tuple[int, str] | None) -> str:
        return "keep the status" if status is None else f"{status[1]} ({status[0]})"

    say(f"default service: {settings.default_service or 'none'}")
    say(f"after a partial shipment: {shown(settings.partial_status)}")
    say(f"after the last shipment: {shown(settings.shipped_status)}")


def register(app: typer.Typer) -> None:
    """Add `bigsync shipping` to the main app."""
    app.add_typer(shipping_app)
