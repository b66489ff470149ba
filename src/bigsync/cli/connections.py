"""CLI commands for connections and keys: connect, test, connections, disconnect, keys rotate.

Registered on the main Typer app by `bigsync.cli`. Each command is a thin shell over
`ConnectionService`; tokens are read from a hidden prompt (or `--token`) and never printed.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bigsync.config import get_settings
from bigsync.connections.features import FEATURE_TITLES, Feature
from bigsync.connections.model import ConnectionChanges, ConnectionKind, NewConnection
from bigsync.connections.report import CheckReport
from bigsync.connections.service import ConnectionService
from bigsync.errors import BigsyncError
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault

keys_app = typer.Typer(help="Manage the vault's master keys.", no_args_is_help=True)

_STATUS_STYLE = {
    "granted": "green",
    "missing": "red",
    "unverified": "yellow",
    "unknown": "yellow",
}


@contextmanager
def open_service(actor: str | None = None) -> Iterator[ConnectionService]:
    """The use-cases over the configured database and vault, acting as `actor` (default: the
    CLI user); errors become clean exits. Every CLI command that needs a connection uses it."""
    settings = get_settings()
    console = Console(stderr=True)
    try:
        engine = create_engine_for(settings.resolved_database_url)
        try:
            migrate(engine)
            vault = Vault.from_settings(settings)
            yield ConnectionService(
                engine, vault, actor=actor or f"cli:{_user()}", default_api_url=settings.api_url
            )
        finally:
            engine.dispose()
    except BigsyncError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


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
            help="Access token (asked for, hidden, when not given).",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Client id (the username in the basic form).")
    ] = None,
    kind: Annotated[
        ConnectionKind | None,
        typer.Option(help="How the connection authenticates [default: api_account]."),
    ] = None,
    feature: Annotated[
        list[str] | None,
        typer.Option(
            "--feature",
            "-f",
            help="Feature to enable (repeatable or comma-separated): "
            + ", ".join(f.value for f in Feature),
        ),
    ] = None,
    enable: Annotated[
        list[str] | None,
        typer.Option(
            "--enable", help="With --update: turn one feature on (repeatable), others untouched."
        ),
    ] = None,
    disable: Annotated[
        list[str] | None,
        typer.Option(
            "--disable", help="With --update: turn one feature off (repeatable), others untouched."
        ),
    ] = None,
    api_url: Annotated[str | None, typer.Option(help="API host (default: BigCommerce's).")] = None,
    update: Annotated[bool, typer.Option("--update", help="Edit an existing connection.")] = False,
    test: Annotated[bool, typer.Option(help="Test the connection once saved.")] = True,
) -> None:
    """Connect a BigCommerce store (or edit a connection with --update)."""
    console = Console(soft_wrap=True)
    name = name_option or name_argument
    if name is None or (name_option and name_argument and name_option != name_argument):
        raise typer.BadParameter("give the connection's name once, as NAME or --name")
    if store is None and not update:
        store = typer.prompt("Store hash or API path")
    if token is None and (not update or store is not None or client_id is not None):
        token = typer.prompt("Access token", hide_input=True)
    with open_service() as service:
        if update:
            changes = ConnectionChanges(
                store=store,
                access_token=token,
                client_id=client_id if client_id is not None else ConnectionChanges().client_id,
                kind=kind,
                features=feature,
                api_url=api_url,
                enable=enable or (),
                disable=disable or (),
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
                kind=kind or ConnectionKind.API_ACCOUNT,
                client_id=client_id,
                features=feature or None,
                api_url=api_url,
            )
            result = service.add(new)
            verb = "Saved"
        for notice in result.notices:
            console.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
        view = result.connection
        console.print(
            f"{verb} connection [bold]{view.name}[/bold]: store {view.store_hash}, "
            f"token {view.token_hint}",
            highlight=False,
        )
        if test:
            report = asyncio.run(service.test(view.name))
            _print_report(console, view.name, report)
            if not report.ok:
                raise typer.Exit(1)


def check(
    name: Annotated[str, typer.Argument(help="The connection to test.")],
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Test a connection: host, token, store information and the scope of every feature."""
    console = Console(soft_wrap=True)
    with open_service() as service:
        report = asyncio.run(service.test(name))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(console, name, report)
    if not report.ok:
        raise typer.Exit(1)


def connections(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List connections (tokens are shown only as ••••1234)."""
    with open_service() as service:
        views = service.list()
    if as_json:
        typer.echo(json.dumps([v.to_json() for v in views], indent=2))
        return
    console = Console(soft_wrap=True)
    if not views:
        console.print("No connections yet. Add one with: bigsync connect NAME --store HASH")
        return
    table = Table("Name", "Kind", "Store", "Token", "Active features", "Disabled", "Last test")
    failing = [f"{v.name}: failing — {v.failing_reason}" for v in views if v.failing_reason]
    reasons = []
    for view in views:
        last = view.last_test
        status = "never" if last is None else ("ok" if last.ok else "failed")
        status = "failing" if view.is_failing else status
        table.add_row(
            view.name,
            view.kind.value,
            view.store_hash,
            view.token_hint,
            ", ".join(view.active_features) or "-",
            ", ".join(view.disabled_features) or "-",
            f"{status} {view.last_tested_at:%Y-%m-%d %H:%M}" if view.last_tested_at else status,
        )
        reasons += [f"{view.name}: {f} disabled — {r}" for f, r in view.disabled_features.items()]
    console.print(table)
    for line in [*failing, *reasons]:
        console.print(line, highlight=False, soft_wrap=True)


def disconnect(
    name: Annotated[str, typer.Argument(help="The connection to remove.")],
    *,
    purge_data: Annotated[
        bool, typer.Option("--purge-data", help="Also delete its mirrored data.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a connection and its secrets (and its mirrored data with --purge-data)."""
    what = "its secrets and mirrored data" if purge_data else "its secrets (mirrored data is kept)"
    if not yes:
        typer.confirm(f"Remove connection {name!r} and {what}?", abort=True)
    with open_service() as service:
        result = service.remove(name, purge_data=purge_data)
    rows = sum(result.data_deleted.values())
    tail = f", {rows} mirrored rows deleted" if purge_data else ", mirrored data kept"
    typer.echo(f"Removed {result.name}: {result.secrets_deleted} secrets deleted{tail}.")


@keys_app.command("rotate")
def rotate_keys(
    batch_size: Annotated[int, typer.Option(min=1, help="Secrets re-sealed per transaction.")] = 50,
) -> None:
    """Re-seal every secret under a new master key; safe to interrupt and run again."""
    with open_service() as service:
        result = service.rotate_keys(batch_size=batch_size)
        env = service.vault.uses_env_key
    lines = [
        ("Resumed an interrupted rotation. " if result.resumed else "")
        + f"Re-sealed {result.resealed} secrets under master key {result.key_id}."
    ]
    if result.unused_key_ids:
        ids = ", ".join(result.unused_key_ids)
        lines.append(
            f"Retired keys no longer needed: {ids}; remove them from BIGSYNC_SECRET_KEY."
            if env
            else f"Removed retired keys from the key file: {ids}."
        )
    elif env and result.resealed == 0:
        lines.append(
            "With BIGSYNC_SECRET_KEY, rotate by putting a new key first: "
            "BIGSYNC_SECRET_KEY=NEW,OLD, run this again, then drop OLD."
        )
    if result.unreadable:
        lines.append(
            f"{result.unreadable} secrets are sealed with a key no keyring holds; "
            "enter those connections' tokens again (bigsync connect NAME --update)."
        )
    typer.echo("\n".join(lines))
    if result.unreadable:
        raise typer.Exit(1)


def _print_report(console: Console, name: str, report: CheckReport) -> None:
    console.print(f"Test of [bold]{name}[/bold] ({report.tested_at}):", highlight=False)
    for check in report.checks:
        mark = {True: "[green]ok[/green]", False: "[red]failed[/red]", None: "[yellow]?[/yellow]"}
        console.print(f"  {check.name:<11} {mark[check.ok]}  {check.message}", highlight=False)
    for feature in report.features:
        state = {
            "on": "[green]enabled[/green]",
            "off": f"off (turned off by you; to turn on: {feature.enable_command})",
            "available": f"available (to turn on: {feature.enable_command})",
        }.get(feature.state, f"[red]disabled[/red] ({feature.disabled_reason})")
        if feature.state == "blocked" and not feature.wanted:
            state = f"[red]blocked[/red] ({feature.disabled_reason})"
        console.print(f"  {FEATURE_TITLES[Feature(feature.feature)]}: {state}", highlight=False)
        if feature.state not in {"on", "blocked"}:
            continue
        for scope in feature.scopes:
            style = _STATUS_STYLE.get(scope.status, "white")
            note = f" — {scope.note}" if scope.status == "unknown" else ""
            console.print(
                f"      {scope.control_panel_name:<34} [{style}]{scope.status}[/{style}]{note}",
                highlight=False,
            )
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if report.instructions:
        console.print("To fix:", highlight=False)
        for i, line in enumerate(report.instructions, 1):
            console.print(f"  {i}. {line}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(connect)
    app.command("test")(check)
    app.command()(connections)
    app.command()(disconnect)
    app.add_typer(keys_app, name="keys")
