"""`bigsync connect`, `test`, `connections` and `disconnect`: thin shells over
`ConnectionService`. Tokens are read from a hidden prompt (or `--token`) and never printed.

The use-cases and rich are imported inside the commands (see `bigsync.cli.service`)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.service import (
    JSON_HELP,
    bigsync_command,
    folded,
    open_service,
    run_async,
    runnable,
)
from bigsync.cli.when import ago

if TYPE_CHECKING:
    from rich.console import Console

    from bigsync.connections.report import CheckReport

# Spelled out so that parsing a command line needs no import of the use-cases; a test checks
# that these agree with `ConnectionKind` and `Feature`.
CONNECTION_KINDS = ("api_account", "oauth_app", "basic")
FEATURE_NAMES = (
    "read_catalog",
    "read_orders",
    "read_transactions",
    "read_customers",
    "read_inventory",
    "write_stock",
    "write_fulfillment",
    "webhooks",
)

ASK_TOKEN = "-"  # noqa: S105 -- `--token -` means: ask for the token
"""`--token -`: ask for the token (hidden), or read it from stdin when piped."""

_STATUS_STYLE = {
    "granted": "green",
    "missing": "red",
    "unverified": "yellow",
    "unknown": "yellow",
}


def connect(
    name_argument: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME", help="A unique name for this connection.", show_default=False
        ),
    ] = None,
    *,
    name_option: Annotated[
        str | None, typer.Option("--name", help="The same as NAME.", show_default=False)
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            "--store-hash",
            "--api-path",
            help="Store hash, API path (https://api.bigcommerce.com/stores/…/v3/) or store URL.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            "--access-token",
            help="Access token; `-` or none: asked for, hidden (read from stdin when piped).",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Client id (the username in the basic form).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="How the connection authenticates: "
            + ", ".join(CONNECTION_KINDS)
            + " [default: api_account].",
            show_default=False,
        ),
    ] = None,
    feature: Annotated[
        list[str] | None,
        typer.Option(
            "--feature",
            "-f",
            help="Feature to enable (repeatable or comma-separated): " + ", ".join(FEATURE_NAMES),
        ),
    ] = None,
    enable: Annotated[
        list[str] | None,
        typer.Option("--enable", help="Turn one feature on (repeatable), others untouched."),
    ] = None,
    disable: Annotated[
        list[str] | None,
        typer.Option("--disable", help="Turn one feature off (repeatable), others untouched."),
    ] = None,
    api_url: Annotated[str | None, typer.Option(help="API host (default: BigCommerce's).")] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="How often `bigsync serve` syncs the latest changes: 30s, 5m, 1h, 1d "
            "(at least 1m) [default: 15m].",
            show_default=False,
        ),
    ] = None,
    update: Annotated[bool, typer.Option("--update", help="Edit an existing connection.")] = False,
    test: Annotated[bool, typer.Option(help="Test the connection once saved.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Connect a BigCommerce store (or edit a connection with --update)."""
    name = name_option or name_argument
    if name is None or (name_option and name_argument and name_option != name_argument):
        raise typer.BadParameter("give the connection's name once, as NAME or --name")
    if kind is not None and kind not in CONNECTION_KINDS:
        raise typer.BadParameter(
            f"{kind!r} is not one of {', '.join(CONNECTION_KINDS)}", param_hint="--kind"
        )
    if store is None and not update:
        store = typer.prompt("Store hash or API path")
    needs_token = not update or store is not None or client_id is not None
    if token == ASK_TOKEN or (token is None and needs_token):
        token = _ask_token()
    from bigsync.connections.model import (  # noqa: PLC0415 -- lazy
        AddResult,
        ConnectionChanges,
        ConnectionKind,
        NewConnection,
    )

    console = _console()
    with open_service() as service:
        if update:
            changes = ConnectionChanges(
                store=store,
                access_token=token,
                client_id=client_id if client_id is not None else ConnectionChanges().client_id,
                kind=ConnectionKind(kind) if kind else None,
                features=feature,
                api_url=api_url,
                enable=enable or (),
                disable=disable or (),
                sync_every=every,
            )
            result = service.update(name, changes)
            verb = "Updated"
        else:
            assert store is not None
            assert token is not None
            new = NewConnection(
                name=name,
                store=store,
                access_token=token,
                kind=ConnectionKind(kind or ConnectionKind.API_ACCOUNT),
                client_id=client_id,
                features=feature or None,
                api_url=api_url,
                sync_every=every,
            )
            result = service.add(new)
            if enable or disable:  # on top of the features the test turns on
                switched = service.update(
                    name, ConnectionChanges(enable=enable or (), disable=disable or ())
                )
                result = AddResult(switched.connection, result.notices + switched.notices)
            verb = "Saved"
        view = result.connection
        report = run_async(service.test(view.name)) if test else None
    if as_json:
        document = {
            "connection": view.to_json(),
            "notices": list(result.notices),
            "test": report.to_json() if report else None,
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        for notice in result.notices:
            console.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
        from bigsync.connections.inputs import format_every  # noqa: PLC0415 -- lazy

        every = f", syncs every {format_every(view.sync_every)}" if view.sync_every else ""
        console.print(
            f"{verb} connection [bold]{view.name}[/bold]: store {view.store_hash}, "
            f"token {view.token_hint}{every}",
            highlight=False,
        )
        if report is not None:
            _print_report(console, view.name, report)
    if report is not None and not report.ok:
        raise typer.Exit(1)


def check(
    name: Annotated[str, typer.Argument(help="The connection to test.")],
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Test a connection: host, token, store information and the scope of every feature."""
    with open_service() as service:
        report = run_async(service.test(name))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(_console(), name, report)
    if not report.ok:
        raise typer.Exit(1)


def connections(
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List connections (tokens are shown only as ••••1234)."""
    with open_service() as service:
        views = service.list()
    if as_json:
        typer.echo(json.dumps([v.to_json() for v in views], indent=2))
        return
    from rich.table import Table  # noqa: PLC0415 -- lazy: see the module doc

    console = _console()
    if not views:
        console.print(
            f"No connections yet. Add one with: {bigsync_command()} connect NAME --store HASH",
            highlight=False,
        )
        return
    table = Table("Name", "Store", "Token", "Features", "Last test")
    for column in (table.columns[1], table.columns[2], table.columns[4]):
        column.no_wrap = True
    table.columns[0].overflow = "fold"
    failing = [f"{v.name}: failing — {v.failing_reason}" for v in views if v.failing_reason]
    reasons = []
    for view in views:
        last = view.last_test
        status = "never" if last is None else ("ok" if last.ok else "failed")
        status = "failing" if view.is_failing else status
        table.add_row(
            view.name,
            view.store_hash,
            view.token_hint,
            " ".join(_short_feature(f) for f in view.active_features) or "-",
            f"{status}, {ago(view.last_tested_at)}" if view.last_tested_at else status,
        )
        reasons += [f"{view.name}: {f} disabled — {r}" for f, r in view.disabled_features.items()]
    console.print(table)
    for line in [*failing, *reasons]:
        console.print(runnable(line), highlight=False)


def _ask_token() -> str:
    """The token, asked for without echo on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return str(typer.prompt("Access token", hide_input=True))
    return sys.stdin.readline().strip()


def _short_feature(name: str) -> str:
    """A feature as the table shows it: `catalog` for read_catalog, write features whole."""
    return name.removeprefix("read_")


def disconnect(
    name: Annotated[str, typer.Argument(help="The connection to remove.")],
    *,
    purge_data: Annotated[
        bool, typer.Option("--purge-data", help="Also delete its mirrored data.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Remove a connection, its webhooks and its secrets (and its mirrored data with
    --purge-data)."""
    from bigsync.webhooks.subscriptions import disconnect as remove  # noqa: PLC0415 -- lazy

    what = "its secrets and mirrored data" if purge_data else "its secrets (mirrored data is kept)"
    with open_service() as service:
        service.get(name)  # no such connection: say so before asking anything
        if not yes:
            typer.confirm(f"Remove connection {name!r} and {what}?", abort=True)
        outcome = run_async(remove(service, name, purge_data=purge_data))
    result = outcome.removed
    if as_json:
        document = {
            "name": result.name,
            "secrets_deleted": result.secrets_deleted,
            "data_deleted": dict(result.data_deleted),
            "data_kept": result.data_kept,
            "hooks_removed": outcome.hooks_removed,
            "hooks_error": outcome.hooks_error,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    rows = sum(result.data_deleted.values())
    tail = f", {rows} mirrored rows deleted" if purge_data else ", mirrored data kept"
    if outcome.hooks_removed:
        tail += f", {outcome.hooks_removed} webhooks removed"
    typer.echo(f"Removed {result.name}: {result.secrets_deleted} secrets deleted{tail}.")
    if outcome.hooks_error:
        print(
            f"its webhooks could not be removed from the store ({outcome.hooks_error}); "
            "their deliveries are refused until BigCommerce drops them",
            file=sys.stderr,
        )


def _console() -> Console:
    from rich.console import Console  # noqa: PLC0415 -- lazy: see the module doc

    return Console(soft_wrap=True)


def _print_report(console: Console, name: str, report: CheckReport) -> None:
    from rich.text import Text  # noqa: PLC0415 -- lazy

    from bigsync.connections.features import FEATURE_TITLES, Feature  # noqa: PLC0415 -- lazy

    def line(head: str, text: str, *, indent: int | None = None) -> None:
        """`head` (markup) then `text` folded to the terminal's width, its later lines
        `indent` columns in (default: under the text's first line)."""
        start = Text.from_markup(head).cell_len
        body = folded(
            text, width=console.width, start=start, indent=start if indent is None else indent
        )
        console.print(head + body, highlight=False)

    verdict = {True: "[green]ok[/green]", False: "[red]failed[/red]", None: "[yellow]?[/yellow]"}
    console.print(f"Test of [bold]{name}[/bold] ({report.tested_at}):", highlight=False)
    for check in report.checks:
        line(f"  {check.name:<11} {verdict[check.ok]}  ", runnable(check.message))
    for feature in report.features:
        command = f"`{feature.enable_command}`"  # made runnable with the text
        mark, text = {
            "on": ("[green]enabled[/green]", ""),
            "off": ("off", f"— turned off by you; to turn on: {command}"),
            "available": ("available", f"— to turn on: {command}"),
        }.get(feature.state, ("[red]disabled[/red]", f"({feature.disabled_reason})"))
        if feature.state == "blocked" and not feature.wanted:
            mark = "[red]blocked[/red]"
        title = FEATURE_TITLES[Feature(feature.feature)]
        head = f"  {title}: {mark}"
        line(head + (" " if text else ""), runnable(text), indent=4)
        if feature.state not in {"on", "blocked"}:
            continue
        for scope in feature.scopes:
            style = _STATUS_STYLE.get(scope.status, "white")
            note = f" — {scope.note}" if scope.status == "unknown" else ""
            line(f"      {scope.control_panel_name:<34} [{style}]{scope.status}[/{style}]", note,
                 indent=8)  # fmt: skip
    for note in report.notes:
        line("[yellow]note:[/yellow] ", runnable(note))
    if report.instructions:
        console.print("To fix:", highlight=False)
        for i, instruction in enumerate(report.instructions, 1):
            line(f"  {i}. ", runnable(instruction))


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(connect)
    app.command("test")(check)
    app.command()(connections)
    app.command()(disconnect)
