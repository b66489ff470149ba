"""Readers of paged streams: INCREMENTAL (by `date_modified`, `bookmark` explains the
keyset), SCAN (every record in id order, deletes found by id gaps) and FULL_SCAN (every page,
what a complete scan did not see is deleted). Each reads through its paginator
(`bigcommerce.pagination`), and commits every page with the position the paginator reached;
the next page is fetched while the current one is written (`_crawl`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bigsync.bigcommerce.pagination import (
    IdScanPaginator,
    ModifiedKeysetPaginator,
    Page,
    PageRequest,
    PageScanPaginator,
)
from bigsync.errors import BigsyncError
from bigsync.store import mirror_repository as repo
from bigsync.streams.dates import format_filter, parse_timestamp
from bigsync.streams.spec import Api, StreamSpec
from bigsync.sync import bookmark
from bigsync.sync.bookmark import Checkpoint
from bigsync.sync.context import StreamContext
from bigsync.sync.model import StreamProgress, scan_cost, scan_every_sync


class Paginator(Protocol):
    """What the `bigcommerce.pagination` paginators offer."""

    def first(self) -> list[PageRequest]: ...

    def read(
        self, request: PageRequest, status: int, body: Any
    ) -> tuple[Page, list[PageRequest]]: ...


async def _crawl(
    ctx: StreamContext, spec: StreamSpec, progress: StreamProgress, paginator: Paginator
) -> AsyncGenerator[Page]:
    """The pages `paginator` asks for, in order, one after another. The next page's request
    is sent before a page is handed over, so it is fetched while that page is written; the
    paginator's position is the handed-over page's until the loop asks for the next one."""
    queue = list(reversed(paginator.first()))

    def fetch() -> tuple[PageRequest, asyncio.Future[Any]] | None:
        if not queue:
            return None
        request = queue.pop()
        return request, asyncio.ensure_future(ctx.get(progress, spec.path, request.params))

    running = fetch()
    try:
        while running is not None:
            request, future = running
            body = await future
            page, more = paginator.read(request, 204 if body is None else 200, body)
            queue.extend(reversed(more))
            running = fetch()
            yield page
    finally:
        if running is not None:
            running[1].cancel()


# --- INCREMENTAL ------------------------------------------------------------------------------


def _incremental_start(ctx: StreamContext, spec: StreamSpec) -> tuple[Checkpoint, bool]:
    state = ctx.run.states.get(spec.name)
    if state is not None and state.checkpoint:
        checkpoint = Checkpoint.from_json(state.checkpoint)
        if checkpoint.full or not ctx.options.full:
            return checkpoint, True
    cursor = state.cursor if state else None
    started = bookmark.start(
        cursor, started_at=ctx.run.started_at, full=ctx.options.full, overlap=ctx.options.overlap
    )
    return replace(started, wall_started_at=ctx.clock()), False


def _incremental_finish(spec: StreamSpec, checkpoint: Checkpoint) -> repo.PageFinish | tuple[()]:
    """After a complete full read: soft-delete what the read did not write."""
    if not checkpoint.full or checkpoint.wall_started_at is None:
        return ()
    if not repo.has_soft_delete(spec.table):
        return ()
    return repo.RemoveUnseen(spec.table, checkpoint.wall_started_at, spec.cascade)


async def _v2_count(
    ctx: StreamContext, spec: StreamSpec, progress: StreamProgress, checkpoint: Checkpoint
) -> int | None:
    params: dict[str, Any] = {}
    if checkpoint.bound is not None and spec.cursor_param:
        params[spec.cursor_param] = format_filter(checkpoint.bound)
    try:
        body = await ctx.get(progress, spec.path + "/count", params)
    except BigsyncError:
        return None
    return int(body["count"]) if isinstance(body, dict) and "count" in body else None


async def read_incremental(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """An INCREMENTAL stream: the keyset on `date_modified` from the stream's cursor (or from
    the beginning), committing the checkpoint with every page."""
    run = ctx.run
    checkpoint, resumed = _incremental_start(ctx, spec)
    previous = run.states[spec.name].cursor if spec.name in run.states else None
    if checkpoint.full:
        run.full_streams.add(spec.name)
    ctx.begin_state(spec, resumed=resumed, checkpoint=checkpoint.to_json())
    if spec.api is Api.V2:
        progress.expected = await _v2_count(ctx, spec, progress, checkpoint)
    assert spec.cursor_param is not None
    paginator = ModifiedKeysetPaginator(
        {**spec.params, **spec.sort},
        limit=spec.page_size,
        bound_param=spec.cursor_param,
        keyset=checkpoint.keyset,
        modified=lambda item: parse_timestamp(item.get(spec.cursor_field)),
        format_bound=format_filter,
    )
    run.publish(spec.name, checkpoint.bound)
    async with contextlib.aclosing(_crawl(ctx, spec, progress, paginator)) as pages:
        async for page in pages:
            if page.total is not None:
                progress.expected = progress.records + page.total
            checkpoint, done = checkpoint.at(paginator.keyset), paginator.done
            state: dict[str, Any] = {
                "cursor": bookmark.final_cursor(checkpoint, previous),
                "checkpoint": None if done else checkpoint.to_json(),
            }
            if done:
                state.update(status="ok", last_success_at=ctx.clock())
            finish = _incremental_finish(spec, checkpoint) if done else ()
            batch = spec.to_batch(page.items, None)
            records = len(page.items)
            await ctx.commit(spec, progress, batch, records=records, finish=finish, **state)
            run.publish(spec.name, checkpoint.bound)


# --- SCAN -------------------------------------------------------------------------------------


def _scan_skipped(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> bool:
    """Whether the periodic scan can be skipped in this run (and why, in `note`)."""
    run = ctx.run
    if spec.covered_by in run.full_streams:
        progress.note = f"covered by the full read of {spec.covered_by}"
        now = ctx.clock()
        ctx.save_state(spec, status="ok", checkpoint=None, last_scan_at=now, last_success_at=now)
        return True
    state = run.states.get(spec.name)
    if state is not None and state.checkpoint:
        return False  # an interrupted scan resumes
    with ctx.db.connect() as conn:
        rows = repo.count_rows(conn, spec.table, connection_id=ctx.connection_id)
    cost, quota = scan_cost(rows, spec.page_size), ctx.window_quota()
    if scan_every_sync(cost, quota=quota, share=ctx.options.scan_share):
        progress.note = (
            f"every sync: {cost} request{'' if cost == 1 else 's'}, "
            f"within {ctx.options.scan_share:.0%} of {quota}"
        )
        return False
    last = state.last_scan_at if state else None
    if bookmark.is_due(last, every=ctx.options.scan_every, now=ctx.clock()):
        return False
    progress.note = f"scan not due ({cost} requests, above {ctx.options.scan_share:.0%} of {quota})"
    return True


async def read_scan(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """A SCAN stream, when due: every record in id order (keyset `after_param`, or the
    cursor pagination's `after`); ids missing from a page's id range are no longer in the
    store and are soft-deleted in that page's transaction."""
    if _scan_skipped(ctx, spec, progress):
        return
    state = ctx.run.states.get(spec.name)
    position: dict[str, Any] = dict(state.checkpoint) if state and state.checkpoint else {}
    ctx.begin_state(spec, resumed=bool(position))
    paginator = IdScanPaginator(
        spec.params,
        limit=spec.page_size,
        after_param=spec.after_param,
        after_id=int(position.get("after_id") or 0),
        cursor=position.get("cursor"),
    )
    async with contextlib.aclosing(_crawl(ctx, spec, progress, paginator)) as pages:
        async for page in pages:
            after, done = int(position.get("after_id") or 0), paginator.done
            finish = repo.RemoveMissing(
                spec.table,
                after=after,
                upto=None if done else paginator.after_id,
                listed=frozenset(int(item["id"]) for item in page.items),
                cascade=spec.cascade,
            )
            position = {"after_id": paginator.after_id, "cursor": paginator.cursor}
            values: dict[str, Any] = {"checkpoint": None if done else position}
            if done:
                values.update(status="ok", last_scan_at=ctx.clock(), last_success_at=ctx.clock())
            batch = spec.to_batch(page.items, None)
            await ctx.commit(
                spec, progress, batch, records=len(page.items), finish=finish, **values
            )


# --- FULL_SCAN --------------------------------------------------------------------------------


def _full_scan_finish(spec: StreamSpec, scan_started: datetime) -> list[repo.PageFinish]:
    """After a complete scan: what it did not see goes; stock read sets the catalog's levels."""
    steps: list[repo.PageFinish] = [repo.RemoveUnseen(spec.table, scan_started)]
    if spec.sets_catalog_stock:
        steps.append(repo.CatalogStockFromLevels())
    return steps


async def read_full_scan(ctx: StreamContext, spec: StreamSpec, progress: StreamProgress) -> None:
    """A FULL_SCAN stream: every page; once complete, what the scan did not write goes."""
    state = ctx.run.states.get(spec.name)
    checkpoint = state.checkpoint if state and state.checkpoint else None
    resumed = checkpoint is not None and "scan_started_at" in checkpoint
    scan_started = (
        parse_timestamp(checkpoint["scan_started_at"]) if resumed and checkpoint else None
    ) or ctx.clock()
    page = int(checkpoint.get("page", 0)) + 1 if resumed and checkpoint else 1
    ctx.begin_state(spec, resumed=resumed)
    paginator = PageScanPaginator(spec.params, limit=spec.page_size, start_page=page)
    async with contextlib.aclosing(_crawl(ctx, spec, progress, paginator)) as pages:
        async for read in pages:
            if read.total is not None:
                progress.expected = read.total
            batch = spec.to_batch(read.items, None)
            if paginator.done:
                await ctx.commit(
                    spec,
                    progress,
                    batch,
                    records=len(read.items),
                    finish=_full_scan_finish(spec, scan_started),
                    checkpoint=None,
                    status="ok",
                    last_success_at=ctx.clock(),
                    last_scan_at=ctx.clock(),
                )
                return
            marker = {"scan_started_at": scan_started.isoformat(), "page": read.number}
            await ctx.commit(spec, progress, batch, records=len(read.items), checkpoint=marker)
