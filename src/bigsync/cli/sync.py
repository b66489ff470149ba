"""`bigsync sync`, `bigsync status` and `bigsync demo`: thin shells over the sync use-cases.

Every `bigsync` command imports this module: the sandbox (and the demo that serves it) is
imported inside `demo` only."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bigsync.cli.connections import open_service
from bigsync.cli.progress import SyncProgress, summary_table
from bigsync.config import get_settings
from bigsync.connections import ConnectionService
from bigsync.streams import select_streams
from bigsync.sync.engine import SyncOptions
from bigsync.sync.service import mirror_status, sync_connection


def _names(service: ConnectionService, name: str | None) -> list[str]:
    if name:
        return [service.get(name).name]
    names = [view.name for view in service.list()]
    if not names:
        raise typer.BadParameter("no connections yet: add one with `bigsync connect`")
    return names


def sync(
    name: Annotated[str | None, typer.Argument(help="Connection to sync (default: all).")] = None,
    *,
    full: Annotated[
        bool, typer.Option("--full", help="Read everything, not only changes.")
    ] = False,
    streams: Annotated[
        str | None, typer.Option(help="Comma-separated streams (default: all).")
    ] = None,
    scan: Annotated[
        bool,
        typer.Option("--scan", help="Re-read products and customers now (variant edits, deletes)."),
    ] = False,
    transactions_days: Annotated[
        int,
        typer.Option(
            min=0,
            help="On a first (or --full) sync, read transactions of orders created in the last "
            "N days: one request per order.",
        ),
    ] = SyncOptions.transactions_window.days,
) -> None:
    """Mirror a connected store into the local database (only what changed, unless --full)."""
    console = Console()
    try:
        selected = select_streams(streams)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    options = SyncOptions(
        full=full, streams=selected, transactions_window=timedelta(days=transactions_days)
    )
    if scan:
        options = replace(options, scan_every=timedelta(0))
    failed = False
    with open_service("cli:sync") as service:
        for connection in _names(service, name):
            console.print(f"Syncing [bold]{connection}[/bold]...")
            with SyncProgress(console) as progress:
                result = asyncio.run(
                    sync_connection(
                        service,
                        connection,
                        options=options,
                        on_progress=progress,
                        on_client=progress.attach,
                    )
                )
            console.print(summary_table(result))
            failed = failed or result.status == "failed"
    if failed:
        raise typer.Exit(1)


def status(
    name: Annotated[str | None, typer.Argument(help="Connection (default: all).")] = None,
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what is mirrored: streams, cursors, last runs, row counts."""
    console = Console()
    with open_service("cli:status") as service:
        reports = [
            mirror_status(service.engine, connection_id=service.get(n).id, name=n)
            for n in _names(service, name)
        ]
    if as_json:
        typer.echo(json.dumps(reports if name is None else reports[0], indent=2))
        return
    for report in reports:
        _print_status(console, report)


def _print_status(console: Console, report: dict[str, Any]) -> None:
    lease = report["lease"]
    running = f"running ({lease['owner']})" if report["running"] else "idle"
    console.print(f"[bold]{report['connection']}[/bold]: {running}")
    table = Table(title="Streams", title_justify="left")
    for column in ("stream", "status", "cursor", "records", "last success", "error"):
        table.add_column(column, overflow="fold")
    for stream in report["streams"]:
        table.add_row(
            stream["stream"],
            stream["status"] + (" (resumable)" if stream["resumable"] else ""),
            stream["cursor"] or "",
            f"{stream['records_total']:,}",
            stream["last_success_at"] or "",
            stream["last_error"] or "",
        )
    console.print(table)
    rows = Table(title="Mirrored rows", title_justify="left")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for table_name, count in report["tables"].items():
        rows.add_row(table_name, f"{count:,}")
    console.print(rows)
    for run in report["runs"][:3]:
        console.print(
            f"run #{run['id']} {run['mode']} {run['status']}: {run['records']:,} records, "
            f"{run['requests']:,} requests, {run['started_at']} → {run['finished_at'] or '…'}"
            + (f" [red]{run['error']}[/red]" if run["error"] else ""),
            highlight=False,
        )


def demo(
    *,
    products: Annotated[int, typer.Option(min=1, help="Products in the demo store.")] = 200,
    orders: Annotated[int, typer.Option(min=1, help="Orders in the demo store.")] = 500,
    customers: Annotated[int, typer.Option(min=1, help="Customers in the demo store.")] = 200,
    plan: Annotated[str, typer.Option(help="Sandbox plan (sets the request quota).")] = (
        "unlimited"
    ),
    exit_after_sync: Annotated[
        bool,
        typer.Option("--exit", help="Stop the sandbox after the sync instead of serving it."),
    ] = False,
) -> None:
    """Try bigsync end to end: a local sandbox store, connected, mirrored, and kept serving
    (with a working `curl` line) until Ctrl-C."""
    from bigsync.cli.demo import run_demo  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.sandbox.generator import StoreSizes  # noqa: PLC0415 -- lazy: see the module doc

    console = Console()
    sizes = StoreSizes(products=products, orders=orders, customers=customers)
    with open_service("cli:demo") as service:
        try:
            result = run_demo(
                console,
                service,
                get_settings(),
                sizes=sizes,
                plan=plan,
                keep_running=not exit_after_sync,
            )
        except KeyboardInterrupt:  # Ctrl-C before the sync ended: the sandbox is stopped
            console.print("Interrupted.")
            raise typer.Exit(130) from None
    if result.status == "failed":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(sync)
    app.command()(status)
    app.command()(demo)
