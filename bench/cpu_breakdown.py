"""Where the sync process spends its CPU, per stream: client, decode, rows, database.

The benchmark installs it around a sync (`CpuBreakdown.install()` ... `uninstall()`). It
measures thread CPU time (`time.thread_time`), so time the process spends waiting, and the
sandbox's own CPU, are not counted:

- every event-loop callback (`asyncio.Handle._run`) is charged to the stream whose task ran
  it (a context variable set when the engine starts the stream; tasks inherit it);
- `decode` is the client's `decode_body`, `rows` the streams' `to_batch`, `database` the
  writer thread's `commit_page` plus the engine's reads and state writes on the loop thread;
- `client` is the rest of the loop thread's time in the stream: HTTP, governor, paginators,
  the engine's own bookkeeping.

Callbacks that run outside any stream (connection set-up, the run's start and end) are the
`(run)` line. Every wrapper is removed by `uninstall()`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import bigsync.bigcommerce.client as client_module
import bigsync.sync.context as context_module
import bigsync.sync.engine as engine_module
from bigsync.store import mirror_repository as repo
from bigsync.streams import STREAMS

CATEGORIES = ("client", "decode", "rows", "database")
_STREAM: contextvars.ContextVar[str] = contextvars.ContextVar("bench_stream", default="(run)")


class CpuBreakdown:
    """CPU seconds per stream and category, collected while installed."""

    def __init__(self) -> None:
        self.loop_total: defaultdict[str, float] = defaultdict(float)
        self.parts: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._depth = threading.local()

    # --- installing ---------------------------------------------------------------------------

    def install(self) -> None:
        self._patch(asyncio.events.Handle, "_run", self._timed_handle)
        self._patch(engine_module.SyncEngine, "_run_stream", self._named_stream)
        self._patch(client_module, "decode_body", self._timed("decode"))
        self._patch(repo, "commit_page", self._timed("writer", stream_arg="stream"))
        self._patch(repo, "orders_after", self._timed("database"))
        self._patch(context_module.StreamContext, "save_state", self._timed("database"))
        for spec in STREAMS:
            original = spec.to_batch
            object.__setattr__(spec, "to_batch", self._timed("rows")(original))
            self._undo.append(functools.partial(object.__setattr__, spec, "to_batch", original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(functools.partial(setattr, owner, name, original))

    # --- wrappers -----------------------------------------------------------------------------

    def _timed_handle(self, original: Callable[..., Any]) -> Callable[..., Any]:
        breakdown = self

        def _run(handle: Any) -> Any:
            started = time.thread_time()
            try:
                return original(handle)
            finally:
                stream = handle._context.get(_STREAM, "(run)")
                breakdown.loop_total[stream] += time.thread_time() - started

        return _run

    def _named_stream(self, original: Callable[..., Any]) -> Callable[..., Any]:
        async def _run_stream(engine: Any, context: Any, spec: Any) -> None:
            _STREAM.set(spec.name)  # this task's context only; tasks it starts inherit it
            await original(engine, context, spec)

        return _run_stream

    def _timed(
        self, category: str, *, stream_arg: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                with self._charge(category, kwargs.get(stream_arg) if stream_arg else None):
                    return original(*args, **kwargs)

            return timed

        return wrap

    @contextmanager
    def _charge(self, category: str, stream: str | None) -> Iterator[None]:
        depth = getattr(self._depth, "value", 0)
        self._depth.value = depth + 1
        started = time.thread_time()
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:  # nested calls (save_state inside commit_page) count once
                with self._lock:
                    self.parts[(stream or _STREAM.get(), category)] += time.thread_time() - started

    # --- reading ------------------------------------------------------------------------------

    def table(self) -> dict[str, dict[str, float]]:
        """Stream -> category -> CPU seconds: `client` is the loop thread's time not charged
        to another category; `database` adds the writer thread's `commit_page`."""
        streams = sorted({s for s, _ in self.parts} | set(self.loop_total))
        result: dict[str, dict[str, float]] = {}
        for stream in streams:
            part = {c: self.parts.get((stream, c), 0.0) for c in (*CATEGORIES, "writer")}
            on_loop = part["decode"] + part["rows"] + part["database"]
            result[stream] = {
                "client": max(0.0, self.loop_total.get(stream, 0.0) - on_loop),
                "decode": part["decode"],
                "rows": part["rows"],
                "database": part["database"] + part["writer"],
            }
        return result


def print_table(breakdown: CpuBreakdown, *, wall_s: float) -> None:
    """The per-stream CPU table under a sync's report."""
    table = breakdown.table()
    header = "".join(f"{c:>10}" for c in (*CATEGORIES, "total"))
    print(f"  CPU s   {'stream':<18}{header}")
    totals = dict.fromkeys(CATEGORIES, 0.0)
    for stream, row in table.items():
        for c in CATEGORIES:
            totals[c] += row[c]
        cells = "".join(f"{row[c]:>10.2f}" for c in CATEGORIES)
        print(f"          {stream:<18}{cells}{sum(row.values()):>10.2f}")
    cells = "".join(f"{totals[c]:>10.2f}" for c in CATEGORIES)
    print(f"          {'all':<18}{cells}{sum(totals.values()):>10.2f}   (wall {wall_s:.1f}s)")
