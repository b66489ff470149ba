"""Readers of paged streams: INCREMENTAL (by `date_modified`, `bookmark` explains the
keyset), SCAN (every record in id order, deletes found by id gaps) and FULL_SCAN (every page,
what a complete scan did not see is deleted). The next page is fetched while the current one
is written."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from bigsync.errors import BigsyncError
from bigsync.store import mirror_repository as repo
from bigsync.streams.dates import format_filter, parse_timestamp
from bigsync.streams.spec import Api, Json, StreamSpec
from bigsync.sync import bookmark
from bigsync.sync.bookmark import Checkpoint
from bigsync.sync.context import StreamContext
from bigsync.sync.model import StreamProgress
from bigsync.sync.pages import end_cursor_of, items_of, total_of


async def _page(
    ctx: StreamContext, spec: StreamSpec, progress: StreamProgress, params: dict[str, Any]
) -> tuple[list[Json], int | None]:
    """One page of a collection: its items and, for v3, the total the filter matches."""
    body = await ctx.get(progress, spec.path, params)
    return items_of(body, spec.api), total_of(body)


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


def _incremental_finish(spec: StreamSpec, checkpoint: Checkpoint) -> repo.PageFinish | None:
    """After a complete full read: soft-delete what the read did not write."""
    if not checkpoint.full or checkpoint.wall_started_at is None:
        return None
    if not repo.has_soft_delete(spec.table):
        return None
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
    pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

    def fetch(cp: Checkpoint) -> None:
        params: dict[str, Any] = {**spec.params, **spec.sort, "limit": spec.page_size}
        params["page"] = cp.page
        if cp.bound is not None and spec.cursor_param:
            params[spec.cursor_param] = format_filter(cp.bound)
        pending.append(asyncio.ensure_future(_page(ctx, spec, progress, params)))

    run.publish(spec.name, checkpoint.bound)
    fetch(checkpoint)
    try:
        done = False
        while not done:
            items, total = await pending.pop()
            if total is not None:
                progress.expected = progress.records + total
            modified = [parse_timestamp(item.get(spec.cursor_field)) for item in items]
            next_cp, done = bookmark.advance(checkpoint, modified, page_size=spec.page_size)
            read = (checkpoint.page - 1) * spec.page_size + len(items)
            if total is not None and read >= total:
                done = True  # a full last page: no need to ask for an empty one
            if not done:  # the next page is fetched while this one is written
                fetch(next_cp)
            state: dict[str, Any] = {
                "cursor": bookmark.final_cursor(next_cp, previous),
                "checkpoint": None if done else next_cp.to_json(),
            }
            if done:
                state.update(status="ok", last_success_at=ctx.clock())
            finish = _incremental_finish(spec, next_cp) if done else None
            batch = spec.to_batch(items, None)
            await ctx.commit(spec, progress, batch, records=len(items), finish=finish, **state)
            checkpoint = next_cp
            run.publish(spec.name, next_cp.bound)
    finally:
        for future in pending:
            future.cancel()


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
    last = state.last_scan_at if state else None
    if bookmark.is_due(last, every=ctx.options.scan_every, now=ctx.clock()):
        return False
    progress.note = "scan not due"
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
    while True:
        params: dict[str, Any] = {**spec.params, "limit": spec.page_size}
        if spec.after_param and position.get("after_id"):
            params[spec.after_param] = position["after_id"]
        elif position.get("cursor"):
            params["after"] = position["cursor"]
        body = await ctx.get(progress, spec.path, params)
        items = items_of(body, spec.api)
        ids = sorted(int(item["id"]) for item in items)
        end_cursor = end_cursor_of(body)
        done = len(items) < spec.page_size or (spec.after_param is None and not end_cursor)
        after = int(position.get("after_id") or 0)
        finish = repo.RemoveMissing(
            spec.table,
            after=after,
            upto=None if done else ids[-1],
            listed=frozenset(ids),
            cascade=spec.cascade,
        )
        position = {"after_id": ids[-1] if ids else after, "cursor": end_cursor}
        values: dict[str, Any] = {"checkpoint": None if done else position}
        if done:
            values.update(status="ok", last_scan_at=ctx.clock(), last_success_at=ctx.clock())
        batch = spec.to_batch(items, None)
        await ctx.commit(spec, progress, batch, records=len(items), finish=finish, **values)
        if done:
            return


# --- FULL_SCAN --------------------------------------------------------------------------------


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
    pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

    def fetch(number: int) -> None:
        params: dict[str, Any] = {}
        if spec.page_size:
            params = {**spec.params, "limit": spec.page_size, "page": number}
        pending.append(asyncio.ensure_future(_page(ctx, spec, progress, params)))

    fetch(page)
    try:
        while True:
            items, total = await pending.pop()
            if total is not None:
                progress.expected = total
            done = not spec.page_size or len(items) < spec.page_size
            if total is not None and (page - 1) * spec.page_size + len(items) >= total:
                done = True  # the last page was full: no need to ask for an empty one
            if not done:  # the next page is fetched while this one is written
                fetch(page + 1)
            batch = spec.to_batch(items, None)
            if done:
                await ctx.commit(
                    spec,
                    progress,
                    batch,
                    records=len(items),
                    finish=repo.RemoveUnseen(spec.table, scan_started),
                    checkpoint=None,
                    status="ok",
                    last_success_at=ctx.clock(),
                    last_scan_at=ctx.clock(),
                )
                return
            marker = {"scan_started_at": scan_started.isoformat(), "page": page}
            await ctx.commit(spec, progress, batch, records=len(items), checkpoint=marker)
            page += 1
    finally:
        for future in pending:
            future.cancel()
