"""Readers of streams that are not paged collections: SINGLE objects, PER_PARENT streams
(one request per mirrored parent) and transactions, which trail the orders stream behind
its committed frontier."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bigsync.bigcommerce.pagination import records_of
from bigsync.errors import NotFoundError
from bigsync.store import mirror_repository as repo
from bigsync.streams.spec import Api, Batch, Owned, StreamSpec
from bigsync.sync.context import RunState, StreamContext
from bigsync.sync.model import StreamProgress

# --- SINGLE -----------------------------------------------------------------------------------


async def read_single(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """A SINGLE stream: one object."""
    ctx.begin_state(spec, resumed=False)
    body = await ctx.get(progress, spec.path, {})
    batch = spec.to_batch([body] if isinstance(body, dict) else [], None)
    now = ctx.clock()
    await ctx.commit(spec, progress, batch, records=batch.count, status="ok", last_success_at=now)


# --- PER_PARENT ---------------------------------------------------------------------------


async def _children(
    ctx: StreamContext, spec: StreamSpec, progress: StreamProgress, parent_ids: Sequence[int]
) -> Batch:
    """Fetch the children of `parent_ids` concurrently and merge them into one batch."""

    async def one(parent_id: int) -> Batch:
        path = spec.path.replace("{id}", str(parent_id))
        params = {"limit": spec.page_size} if spec.api is Api.V3 else {}
        try:
            body = await ctx.get(progress, path, params)
        except NotFoundError:
            body = None
        return spec.to_batch(records_of(body), parent_id)

    batches = await asyncio.gather(*(one(i) for i in parent_ids))
    return merge_batches(batches)


async def read_per_parent(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """A PER_PARENT stream: one request per mirrored parent; once complete, what the read did
    not write goes."""
    assert spec.parent is not None
    ctx.begin_state(spec, resumed=False)
    scan_started = ctx.clock()
    with ctx.db.connect() as conn:
        parents = repo.parent_ids(conn, spec.parent, connection_id=ctx.connection_id)
    progress.expected_requests = len(parents)
    groups = chunks(parents, ctx.options.concurrency * 4) or [[]]
    for index, chunk in enumerate(groups):
        batch = await _children(ctx, spec, progress, chunk)
        last = index == len(groups) - 1
        if last:
            await ctx.commit(
                spec,
                progress,
                batch,
                records=batch.count,
                finish=repo.RemoveUnseen(spec.table, scan_started),
                status="ok",
                last_success_at=ctx.clock(),
            )
        else:
            await ctx.commit(spec, progress, batch, records=batch.count)


async def read_transactions(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """Transactions of the orders new or changed since the last run, in
    `(date_modified, id)` order; a first run only covers orders created in the window.

    It runs alongside the orders stream, behind that stream's committed frontier (orders
    modified before it are final for this run), and finishes after it. The requests of
    one chunk of orders are sent while the previous chunk is written."""
    run = ctx.run
    after, created_since = _transactions_start(ctx, spec, progress)
    ctx.begin_state(spec, resumed=False)
    cap = (run.started_at, 0)  # orders stamped in the start's second are read again
    chunk_size = ctx.options.concurrency * 4
    parent = spec.trails or "orders"
    committed = after
    inflight: list[tuple[tuple[datetime, int] | None, asyncio.Future[Batch], bool]] = []

    async def commit() -> None:
        nonlocal committed
        keyset, task, final = inflight.pop()
        batch = await task
        committed = keyset or committed
        capped = min(committed, cap) if committed is not None else None
        values: dict[str, Any] = {
            "cursor": capped[0] if capped else None,
            "checkpoint": {"after_id": capped[1]} if capped else None,
        }
        if final:
            values.update(status="ok", last_success_at=ctx.clock())
            if capped is None:  # nothing read yet: start from the window next time
                values = {"status": "ok", "last_success_at": ctx.clock()}
        await ctx.commit(spec, progress, batch, records=batch.count, **values)

    try:
        while True:
            if parent in run.advanced:  # cleared before reading: no progress is missed
                run.advanced[parent].clear()
            orders, parent_done = _next_orders(
                ctx, run, parent, after=after, created_since=created_since, limit=chunk_size
            )
            final = parent_done and len(orders) < chunk_size
            if not orders and not final:
                if inflight:
                    await commit()
                await run.advanced[parent].wait()
                continue
            keyset = (orders[-1][1], orders[-1][0]) if orders else None
            after = keyset or after
            ids = [order_id for order_id, _ in orders]
            task = asyncio.ensure_future(_children(ctx, spec, progress, ids))
            if inflight:
                await commit()
            inflight.append((keyset, task, final))
            if final:
                await commit()
                return
    finally:
        for _, pending, _ in inflight:
            pending.cancel()


def _transactions_start(
    ctx: StreamContext, spec: StreamSpec, progress: StreamProgress
) -> tuple[tuple[datetime, int] | None, datetime | None]:
    """Where the transactions stream starts: after its keyset, or (first or full sync) at
    the orders created in the window; the progress note tells the user which, and the cost."""
    run = ctx.run
    state = run.states.get(spec.name)
    if state is not None and state.cursor is not None and not ctx.options.full:
        progress.note = "orders new or changed since the last sync, one request each"
        return (state.cursor, int((state.checkpoint or {}).get("after_id", 0))), None
    window = ctx.options.transactions_window
    progress.note = f"orders created in the last {window.days} days, one request each"
    return None, run.started_at - window


def _next_orders(
    ctx: StreamContext,
    run: RunState,
    parent: str,
    *,
    after: tuple[datetime, int] | None,
    created_since: datetime | None,
    limit: int,
) -> tuple[list[tuple[int, datetime]], bool]:
    """The next mirrored orders after `after` that are final for this run (below the
    orders stream's frontier while it runs), and whether that stream is done."""
    parent_done = run.finished[parent].is_set() if parent in run.finished else True
    before = None if parent_done else run.frontier.get(parent)
    if not parent_done and before is None:
        return [], False
    with ctx.db.connect() as conn:
        orders = repo.orders_after(
            conn,
            connection_id=ctx.connection_id,
            after=after,
            before=before,
            created_since=created_since,
            limit=limit,
        )
    return orders, parent_done


def merge_batches(batches: Sequence[Batch]) -> Batch:
    """One batch holding the rows and owned child sets of several."""
    rows: dict[str, list[Any]] = {}
    parents: dict[tuple[str, str], list[int]] = {}
    for batch in batches:
        for name, table_rows in batch.rows.items():
            rows.setdefault(name, []).extend(table_rows)
        for owned in batch.owned:
            parents.setdefault((owned.table, owned.parent_column), []).extend(owned.parent_ids)
    merged = tuple(Owned(table, column, tuple(ids)) for (table, column), ids in parents.items())
    return Batch(rows, merged)


def chunks(values: Sequence[int], size: int) -> list[list[int]]:
    """`values` cut into consecutive lists of at most `size`."""
    return [list(values[i : i + size]) for i in range(0, len(values), size)]
