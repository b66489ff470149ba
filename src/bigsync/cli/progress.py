"""Rich progress for a running sync: one line per stream (records, requests, rate-limit
waits, ETA) while it runs, and a summary table when it ends."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from rich.console import Console, Group
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from bigsync.streams import STREAMS

if TYPE_CHECKING:
    from bigsync.sync.model import StreamProgress, SyncResult

NAME_WIDTH = max(len(stream.name) for stream in STREAMS)  # every stream name whole

STATUS_STYLE = {
    "ok": "green",
    "warning": "yellow",
    "failed": "red",
    "skipped": "yellow",
    "running": "cyan",
}


class SyncProgress:
    """A live display fed by the engine's progress callback (use as a context manager)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.client_stats: Any = None
        self.reported: set[str] = set()
        # At 80 columns the name, counts and times stay whole; the bar takes what is left.
        self.progress = Progress(
            TextColumn(
                "{task.fields[name]}",
                table_column=Column(no_wrap=True, min_width=NAME_WIDTH),
            ),
            BarColumn(bar_width=max(8, min(28, console.width - 64))),
            TextColumn("{task.fields[counts]}", table_column=Column(no_wrap=True)),
            TextColumn("[dim]{task.fields[requests]} req"),
            TextColumn("[yellow]{task.fields[waits]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def attach(self, client: Any) -> None:
        """Show the rate-limit waits of `client` (a BigCommerceClient; reads `stats`)."""
        self.client_stats = client.stats

    def waited_s(self) -> float:
        return float(getattr(self.client_stats, "waited_s", 0.0))

    def __call__(self, stream: StreamProgress) -> None:
        """The engine's progress callback."""
        task = self.tasks.get(stream.name)
        if task is None:
            task = self.progress.add_task(
                "", total=None, name=stream.name, counts="", requests=0, waits=""
            )
            self.tasks[stream.name] = task
        total, completed = _totals(stream)
        if stream.status in ("ok", "skipped", "failed"):
            total = completed = max(completed, 1) if total is None else max(total, completed)
        waited = self.waited_s()
        self.progress.update(
            task,
            total=total,
            completed=completed,
            counts=_counts(stream),
            requests=stream.requests,
            waits=f"waited {waited:.1f}s" if waited >= 0.05 else "",
        )
        if stream.status == "skipped" and stream.name not in self.reported:
            # The reason on a line of its own, above the display, wrapped whole.
            self.reported.add(stream.name)
            reason = (stream.error or stream.note or "").removeprefix("skipped: ")
            if reason:
                self.progress.console.print(
                    f"[dim]{stream.name} skipped: {escape(reason)}[/dim]", highlight=False
                )


def _totals(stream: StreamProgress) -> tuple[float | None, float]:
    if stream.expected_requests is not None:
        return float(stream.expected_requests), float(stream.requests)
    if stream.expected is not None:
        return float(max(stream.expected, stream.records)), float(stream.records)
    return None, float(stream.records)


def _counts(stream: StreamProgress) -> str:
    style = STATUS_STYLE.get(stream.status, "")
    text = f"{stream.records:,}"
    if stream.expected is not None and stream.status == "running":
        text += f"/{max(stream.expected, stream.records):,}"
    if stream.status != "running":
        text += f" [{style}]{stream.status}[/{style}]" if style else f" {stream.status}"
    return text


def summary_table(result: SyncResult) -> Group:
    """One row per stream (status, records read, rows changed, requests, deletes, seconds),
    then each stream's note or error on a line of its own, so that nothing is cut at 80
    columns."""
    seconds = (result.finished_at - result.started_at).total_seconds()
    table = Table(
        title=f"Sync #{result.number} ({result.mode}): {result.status}, "
        f"{result.records:,} records read, {result.changed:,} rows changed, "
        f"{result.requests:,} requests in {seconds:.1f}s",
        title_justify="left",
    )
    for column in ("stream", "status", "read", "changed", "requests", "deleted", "seconds"):
        left = column in ("stream", "status")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    notes: list[str] = []
    for stream in result.streams:
        style = STATUS_STYLE.get(stream.status, "")
        elapsed = (
            f"{stream.finished - stream.started:.2f}"
            if stream.started is not None and stream.finished is not None
            else ""
        )
        table.add_row(
            stream.name,
            f"[{style}]{stream.status}[/{style}]" if style else stream.status,
            f"{stream.records:,}",
            f"{stream.changed:,}",
            f"{stream.requests:,}",
            f"{stream.deleted:,}" if stream.deleted else "",
            elapsed,
        )
        if stream.error or stream.note:
            notes.append(f"{stream.name}: {escape(stream.error or stream.note or '')}")
    return Group(table, *(Text.from_markup(note) for note in notes))
