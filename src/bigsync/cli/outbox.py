"""`bigsync outbox NAME [list|retry ID|drop ID]` and `bigsync push NAME`: thin shells over
the write-back use-cases (imported inside the commands, see `bigsync.cli.service`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bigsync.cli.service import JSON_HELP, open_service, run_async, runnable
from bigsync.cli.when import ago

if TYPE_CHECKING:
    from bigsync.store.outbox_repository import OutboxRow
    from bigsync.writeback.dispatcher import DispatchResult

ACTIONS = ("list", "retry", "drop")


def outbox(
    name: Annotated[str, typer.Argument(help="Connection whose outbox to show.")],
    action: Annotated[str, typer.Argument(help="list (default), retry ID or drop ID.")] = "list",
    intent_id: Annotated[int | None, typer.Argument(metavar="ID", help="Entry id.")] = None,
    *,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only entries in this state (pending, held, sending, sent, confirmed, mismatched, "
            "failed, dropped, superseded); repeat for several.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The writes bigsync intends to make to a store, and what became of each."""
    from bigsync.writeback import service as writeback  # noqa: PLC0415 -- lazy
    from bigsync.writeback.intents import IntentState  # noqa: PLC0415

    if action not in ACTIONS:
        raise typer.BadParameter(f"use one of {', '.join(ACTIONS)}", param_hint="ACTION")
    if action != "list" and intent_id is None:
        raise typer.BadParameter(f"`{action}` needs the entry's ID", param_hint="ID")
    try:
        states = tuple(IntentState(s.strip().lower()) for s in state) if state else None
    except ValueError:
        known = ", ".join(s.value for s in IntentState)
        raise typer.BadParameter(f"known states: {known}", param_hint="--state") from None
    with open_service("cli:outbox") as service:
        if action == "list":
            rows = writeback.list_outbox(service, name, states=states, limit=limit)
        else:
            assert intent_id is not None
            change = writeback.retry_entry if action == "retry" else writeback.drop_entry
            rows = [change(service, name, intent_id)]
    if as_json:
        typer.echo(json.dumps([entry_json(r) for r in rows], indent=2))
        return
    if action != "list":
        typer.echo(f"entry {rows[0].id} is now {rows[0].state}")
        return
    print_entries(rows)


def entry_json(row: OutboxRow) -> dict[str, Any]:
    """One entry as plain data."""
    from bigsync.writeback.intents import describe  # noqa: PLC0415 -- lazy

    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "what": describe(row.kind, row.payload),
        "attempts": row.attempts,
        "last_error": row.last_error,
        "payload": dict(row.payload),
        "result": dict(row.result) if row.result else None,
        "after_id": row.after_id,
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "updated_at": row.updated_at.isoformat(timespec="seconds"),
        "next_attempt_at": row.next_attempt_at.isoformat(timespec="seconds"),
    }


def print_entries(rows: list[OutboxRow]) -> None:
    from rich.console import Console  # noqa: PLC0415 -- lazy
    from rich.table import Table  # noqa: PLC0415

    from bigsync.writeback.intents import describe  # noqa: PLC0415

    console = Console()
    if not rows:
        console.print("The outbox is empty.")
        return
    table = Table(title="Outbox", title_justify="left")
    for column in ("id", "kind", "state", "what", "updated"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.kind.replace("order_", ""),
            row.state,
            describe(row.kind, row.payload),
            ago(row.updated_at),
        )
    console.print(table)
    for row in rows:
        if row.last_error and row.state in ("failed", "mismatched", "pending", "held"):
            console.print(f"  #{row.id}: {row.last_error}", highlight=False, markup=False)


def push(
    name: Annotated[str, typer.Argument(help="Connection whose outbox to send.")],
    *,
    max_wait: Annotated[
        float, typer.Option(min=0, help="Seconds to keep retrying and confirming.")
    ] = 120.0,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Send the outbox now and wait: prints what was sent, confirmed, mismatched, failed."""
    from bigsync.webhooks.refresh import run_pending_refreshes  # noqa: PLC0415
    from bigsync.writeback.dispatcher import DispatchOptions  # noqa: PLC0415 -- lazy
    from bigsync.writeback.service import push_connection  # noqa: PLC0415

    async def push_and_read_back() -> DispatchResult:
        result = await push_connection(service, name, options=DispatchOptions(max_wait_s=max_wait))
        # The orders it shipped or changed are read back into the mirror (queued by the outbox).
        await run_pending_refreshes(service, connection_id=service.get(name).id)
        return result

    with open_service("cli:push") as service:
        result = run_async(push_and_read_back())
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        print_push(name, result)
    if any(o.state in ("failed", "mismatched") for o in result.outcomes.values()):
        raise typer.Exit(1)


def print_push(name: str, result: DispatchResult) -> None:
    from rich.console import Console  # noqa: PLC0415 -- lazy

    console = Console()
    doc = result.to_json()
    counts = ", ".join(f"{n} {state}" for state, n in doc["counts"].items()) or "nothing to send"
    console.print(f"[bold]{name}[/bold]: {counts} ({result.requests} requests)")
    for outcome in doc["intents"]:
        if outcome["state"] in ("failed", "mismatched", "pending"):
            line = f"  #{outcome['id']} {outcome['state']}: {outcome['description']}"
            console.print(f"{line}: {outcome['detail']}", highlight=False, markup=False)
    if result.left:
        left = ", ".join(f"{n} {s}" for s, n in result.left.items())
        console.print(runnable(f"Still open: {left}; run `bigsync push {name}` again later."))
    for kind, n in result.held.items():
        reason = result.held_reasons.get(kind, "held")
        console.print(runnable(f"{n} {kind} write(s) {reason}"), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add the commands to the app."""
    app.command()(outbox)
    app.command()(push)
