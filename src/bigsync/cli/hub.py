"""What the hub's commands share (products, stock, locations, shipping, ship): the hub of a
named connection, JSON of use-case values, and plain tables that fit 80 columns.

Heavy imports happen inside the functions (see `bigsync.cli.service`)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from bigsync.cli.service import open_service, runnable

if TYPE_CHECKING:
    from rich.console import Console

    from bigsync.connections.service import ConnectionService
    from bigsync.fulfillment.hub import Hub


@contextmanager
def open_hub(name: str, actor: str) -> Iterator[tuple[Hub, ConnectionService]]:
    """The hub of connection `name` (and the connection service); bigsync errors become one
    line on stderr, as in `open_service`."""
    from bigsync.fulfillment.hub import Hub  # noqa: PLC0415 -- lazy: see the module doc

    with open_service(actor) as service:
        view = service.get(name)
        yield Hub(service.db, view.id, view.name), service


def to_json(value: Any) -> Any:
    """Use-case values (dataclasses, tuples, datetimes, enums) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("differs", "difference", "never_pushed"):  # derived, worth having
            if hasattr(type(value), name):
                data[name] = to_json(getattr(value, name))
        return data
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    """Print `value` as indented JSON."""
    typer.echo(json.dumps(to_json(value), indent=2))


def console() -> Console:
    """A console for tables and lines (rich is imported here)."""
    from rich.console import Console  # noqa: PLC0415 -- lazy: see the module doc

    return Console()


def print_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    right: Sequence[str] = (),
    wrap: Sequence[str] = (),
    empty: str = "nothing to show",
) -> None:
    """A plain table: `right` columns aligned right, `wrap` columns may fold (the others
    never wrap)."""
    from rich import box  # noqa: PLC0415 -- lazy: see the module doc
    from rich.table import Table  # noqa: PLC0415

    out = console()
    if not rows:
        out.print(runnable(f"{title}: {empty}" if title else empty), highlight=False, markup=False)
        return
    if title:  # a line of its own: a table's title wraps to the table's width
        out.print(title, highlight=False, markup=False)
    table = Table(highlight=False, box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in right else "left",
            no_wrap=column not in wrap,
            overflow="fold" if column in wrap else "ellipsis",
        )
    for row in rows:
        table.add_row(*("" if cell is None else _escape(str(cell)) for cell in row))
    out.print(table)


def say(text: str) -> None:
    """Print one plain line (no markup, no highlighting), its `bigsync ...` hints runnable
    as printed."""
    console().print(runnable(text), highlight=False, markup=False)


def _escape(text: str) -> str:
    from rich.markup import escape  # noqa: PLC0415 -- lazy: see the module doc

    return escape(text)
