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
    from bigsync.writeback.intents import IntentKind


@contextmanager
def open_hub(name: str, actor: str) -> Iterator[tuple[Hub, ConnectionService]]:
    """The hub of connection `name` (and the connection service); bigsync errors become one
    line on stderr, as in `open_service`."""
    from bigsync.fulfillment.hub import Hub  # noqa: PLC0415 -- lazy: see the module doc

    with open_service(actor) as service:
        view = service.get(name)
        yield Hub(service.db, view.id, view.name), service


def sends_it(service: ConnectionService, name: str, kind: IntentKind, *, them: bool = False) -> str:
    """What becomes of a write just recorded (`them`: of several): `bigsync push NAME` sends
    it, or it is held while its write feature is off (with the command that turns it on)."""
    from bigsync.writeback.gate import write_gate  # noqa: PLC0415 -- lazy: see the module doc

    held = write_gate(service.get(name)).hold(kind)
    return held or f"`bigsync push {name}` sends {'them' if them else 'it'}."


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


MIN_CUT_WIDTH = 12  # a `cut` column never gets narrower than this


def print_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    right: Sequence[str] = (),
    wrap: Sequence[str] = (),
    cut: Sequence[str] = (),
    empty: str = "nothing to show",
) -> None:
    """A plain table: `right` columns aligned right, `wrap` columns may fold, `cut` columns
    take the width the others leave and shorten what does not fit with "…" (a cell given as
    a (text, tail) pair keeps its tail whole: `("Long product name", "(Red, L)")`); the
    others never wrap, so each row stays one line when only `cut` columns are long."""
    from rich import box  # noqa: PLC0415 -- lazy: see the module doc
    from rich.table import Table  # noqa: PLC0415

    out = console()
    if not rows:
        out.print(runnable(f"{title}: {empty}" if title else empty), highlight=False, markup=False)
        return
    if title:  # a line of its own: a table's title wraps to the table's width
        out.print(title, highlight=False, markup=False)
    cells = [[_cell(value) for value in row] for row in rows]
    widths = _cut_widths(out.width, columns, cells, cut)
    table = Table(highlight=False, box=box.SIMPLE_HEAD, show_edge=False)  # no blank rims
    for index, column in enumerate(columns):
        table.add_column(
            column,
            justify="right" if column in right else "left",
            no_wrap=column not in wrap,
            overflow="fold" if column in wrap else "ellipsis",
            max_width=widths.get(index),
        )
    for row in cells:
        table.add_row(
            *(
                _escape(_fit(head, tail, widths[i]) if i in widths else _join(head, tail))
                for i, (head, tail) in enumerate(row)
            )
        )
    out.print(table)


def _cell(value: object) -> tuple[str, str]:
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[0]), str(value[1] or "")
    return ("" if value is None else str(value)), ""


def _join(head: str, tail: str) -> str:
    return f"{head} {tail}" if head and tail else head or tail


def _cut_widths(
    width: int,
    columns: Sequence[str],
    cells: Sequence[Sequence[tuple[str, str]]],
    cut: Sequence[str],
) -> dict[int, int]:
    """The width of each `cut` column (by index): its text's, or its share of what the other
    columns leave of `width` (the box takes 3 per column less 1: padding and separators)."""
    from rich.cells import cell_len  # noqa: PLC0415 -- lazy: see the module doc

    natural = [
        max([cell_len(column)] + [cell_len(_join(*row[i])) for row in cells])
        for i, column in enumerate(columns)
    ]
    shortened = [i for i, column in enumerate(columns) if column in cut]
    if not shortened:
        return {}
    fixed = sum(n for i, n in enumerate(natural) if i not in shortened)
    share = max((width + 1 - 3 * len(columns) - fixed) // len(shortened), MIN_CUT_WIDTH)
    return {i: min(natural[i], share) for i in shortened}


def _fit(head: str, tail: str, width: int) -> str:
    """`head` and `tail` in `width` cells: `head` shortened with "…" first, then both."""
    from rich.cells import cell_len, set_cell_size  # noqa: PLC0415 -- lazy: see the module doc

    def shorten(text: str, size: int) -> str:
        if cell_len(text) <= size:
            return text
        return set_cell_size(text, size - 1).rstrip() + "…"

    whole = _join(head, tail)
    if cell_len(whole) <= width:
        return whole
    room = width - cell_len(tail) - 1
    if head and tail and room >= MIN_CUT_WIDTH // 2:
        return f"{shorten(head, room)} {tail}"
    return shorten(whole, width)


def say(text: str) -> None:
    """Print one plain line (no markup, no highlighting), its `bigsync ...` hints runnable
    as printed."""
    console().print(runnable(text), highlight=False, markup=False)


def _escape(text: str) -> str:
    from rich.markup import escape  # noqa: PLC0415 -- lazy: see the module doc

    return escape(text)
