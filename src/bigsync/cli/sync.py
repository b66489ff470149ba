"""`bigsync sync` and `bigsync status`: thin shells over the sync use-cases.

The sync engine, the use-cases and rich are imported inside the commands (see
`bigsync.cli.service`)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bigsync.cli.service import (
    JSON_HELP,
    bigsync_command,
    fail,
    open_service,
    run_async,
    runnable,
)
from bigsync.cli.when import ago

if TYPE_CHECKING:
    from rich.console import Console

    from bigsync.connections.service import ConnectionService
    from bigsync.sync.model import SyncResult

TRANSACTIONS_DAYS = 90  # SyncOptions.transactions_window (a test keeps the two equal)


def connection_names(service: ConnectionService, name: str | None) -> list[str]:
    """`[name]` when it exists (else the service's not-found error), or every connection."""
    if name:
        return [service.get(name).name]
    names = [view.name for view in service.list()]
    if not names:
        fail(f"no connections yet: add one with `{bigsync_command()} connect NAME --store HASH`")
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
    ] = TRANSACTIONS_DAYS,
    as_json: Annotated[
        bool, typer.Option("--json", help=JSON_HELP + " No progress is shown.")
    ] = False,
) -> None:
    """Mirror a connected store into the local database (only what changed, unless --full)."""
    from bigsync.streams import select_streams  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.sync.model import SyncOptions  # noqa: PLC0415

    try:
        selected = select_streams(streams)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--streams") from None
    options = SyncOptions(
        full=full, streams=selected, transactions_window=timedelta(days=transactions_days)
    )
    if scan:
        options = replace(options, scan_every=timedelta(0))
    results = []
    with open_service("cli:sync") as service:
        for connection in connection_names(service, name):
            results.append(_sync_one(service, connection, options=options, quiet=as_json))
    if as_json:
        documents = [sync_result_json(r) for r in results]
        typer.echo(json.dumps(documents if name is None else documents[0], indent=2))
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def _sync_one(service: ConnectionService, connection: str, *, options: Any, quiet: bool) -> Any:
    from bigsync.sync.service import sync_connection  # noqa: PLC0415 -- lazy: see the module doc

    if quiet:
        return run_async(sync_connection(service, connection, options=options))
    from bigsync.cli.progress import SyncProgress, summary_table  # noqa: PLC0415

    console = _console()
    console.print(f"Syncing [bold]{connection}[/bold]...")
    with SyncProgress(console) as progress:
        result = run_async(
            sync_connection(
                service,
                connection,
                options=options,
                on_progress=progress,
                on_client=progress.attach,
            )
        )
    console.print(summary_table(result))
    return result


def sync_result_json(result: SyncResult) -> dict[str, Any]:
    """A sync's result as JSON-ready data (times in ISO 8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(result).items()
    } | {"records": result.records, "changed": result.changed, "requests": result.requests}


def status(
    name: Annotated[str | None, typer.Argument(help="Connection (default: all).")] = None,
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Show what is mirrored: streams, cursors, last runs, row counts."""
    from bigsync.jobs.status import schedule_status  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.sync.service import mirror_status  # noqa: PLC0415

    reports = []
    with open_service("cli:status") as service:
        for connection in connection_names(service, name):
            view = service.get(connection)
            report = mirror_status(service.engine, connection_id=view.id, name=view.name)
            report["schedule"] = schedule_status(
                service.engine,
                connection_id=view.id,
                sync_every=view.sync_every,
                ready=bool(view.last_test and view.last_test.ok),
            )
            reports.append(report)
    if as_json:
        typer.echo(json.dumps(reports if name is None else reports[0], indent=2))
        return
    console = _console()
    for report in reports:
        print_status(console, report)


def print_status(console: Console, report: dict[str, Any]) -> None:
    """The status of one connection as tables that stay readable at 80 columns."""
    from rich.table import Table  # noqa: PLC0415 -- lazy: see the module doc

    lease = report["lease"]
    running = f"running ({lease['owner']})" if report["running"] else "idle"
    console.print(f"[bold]{report['connection']}[/bold]: {running}")
    table = Table(title="Streams", title_justify="left")
    for column in ("stream", "status", "cursor", "mirror rows", "last success"):
        right = column == "mirror rows"
        table.add_column(column, no_wrap=True, justify="right" if right else "left")
    errors = []
    for stream in report["streams"]:
        table.add_row(
            stream["stream"],
            stream["status"] + (" (resumable)" if stream["resumable"] else ""),
            ago(stream["cursor"]),
            "" if stream["rows"] is None else f"{stream['rows']:,}",
            ago(stream["last_success_at"]),
        )
        if stream["last_error"]:
            errors.append(f"{stream['stream']}: {stream['last_error']}")
    console.print(table)
    for line in errors:  # whole lines that wrap, not a column cut to a few letters
        console.print(line, highlight=False, markup=False)
    rows = Table(title="Mirrored rows", title_justify="left")
    rows.add_column("table", no_wrap=True)
    rows.add_column("rows", justify="right")
    for table_name, count in report["tables"].items():
        rows.add_row(table_name, f"{count:,}")
    console.print(rows)
    console.print(variants_line(report["variants"]), highlight=False)
    for line in schedule_lines(report["connection"], report["schedule"]):
        console.print(line, highlight=False, markup=False)
    for run in report["runs"][:3]:
        finished = ago(run["finished_at"]) if run["finished_at"] else "running"
        console.print(
            f"sync #{run['number']} ({run['mode']}) {run['status']}: "
            f"{run['records_changed']:,} rows changed, "
            f"{run['requests']:,} requests, started {ago(run['started_at'])}, "
            f"finished {finished}",
            highlight=False,
        )
        if run["error"]:
            console.print(f"  [red]{_escape(run['error'])}[/red]", highlight=False)


def variants_line(variants: dict[str, Any]) -> str:
    """When variant data was last read, what a products scan costs, and how often it runs."""
    last_read = ago(variants["last_read_at"]) if variants["last_read_at"] else "never"
    runs = {"every 1:00:00": "hourly"}.get(variants["scan_runs"], variants["scan_runs"])
    cost = variants["scan_requests"]
    return (
        f"variants: last read {last_read}; a products scan costs "
        f"{cost:,} request{'' if cost == 1 else 's'}, runs {runs}"
    )


def schedule_lines(name: str, schedule: dict[str, Any]) -> list[str]:
    """What `bigsync serve` does with the connection: its interval and next sync, a failing
    schedule's reason, and the last webhook event."""
    every = _every(schedule["sync_every_s"]) + (
        " (default)" if schedule["sync_every_default"] else ""
    )
    if not schedule["ready"]:
        head = f"schedule: every {every}; waits for a passing test (`bigsync test {name}`)"
    elif schedule["next_sync_at"] is None:
        head = f"schedule: every {every}; first sync as soon as `bigsync serve` runs"
    else:
        head = (
            f"schedule: every {every}; next sync {_when(schedule['next_sync_at'])} (bigsync serve)"
        )
    lines = [head]
    sync = schedule["jobs"].get("sync")
    if sync and sync["failures"]:
        lines.append(
            f"  last scheduled sync failed ({sync['failures']} in a row, next try "
            f"{_when(sync['next_run_at'])}): {sync['last_error']}"
        )
    webhook = schedule["last_webhook"]
    if webhook is None:
        lines.append("webhooks: no event received yet")
    else:
        lines.append(
            f"webhooks: last event {ago(webhook['at'])} ({webhook['scope']}), "
            f"{webhook['events']:,} received"
        )
    return [runnable(line) for line in lines]


def _every(seconds: int) -> str:
    from bigsync.connections.inputs import format_every  # noqa: PLC0415 -- lazy

    return format_every(timedelta(seconds=seconds))


def _when(moment: str | None) -> str:
    """A scheduled time: "in 40 s", "in 4 min", "now", or "3 min ago (overdue)"."""
    if moment is None:
        return "when bigsync serve runs"
    seconds = (datetime.fromisoformat(moment) - datetime.now(UTC)).total_seconds()
    if seconds >= 60:
        return ago(moment)
    if seconds >= 1:
        return f"in {int(seconds)} s"
    if seconds > -60:
        return "now"
    return f"{ago(moment)} (overdue)"


def _escape(text: str) -> str:
    from rich.markup import escape  # noqa: PLC0415 -- lazy: see the module doc

    return escape(text)


def _console() -> Console:
    from rich.console import Console  # noqa: PLC0415 -- lazy: see the module doc

    return Console()


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.command()(sync)
    app.command()(status)
