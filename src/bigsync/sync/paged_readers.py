"""Readers of paged streams: INCREMENTAL (by `date_modified`, `bookmark` explains the
keyset), SCAN (every record in id order, deletes found by id gaps) and FULL_SCAN (every page,
what a complete scan did not see is deleted). The next page is fetched while the current one
is written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bigsync.errors import BigsyncError
from bigsync.store import mirror_repository as repo
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.streams.dates import format_filter, parse_timestamp
from bigsync.streams.spec import Api, Json, StreamSpec
from bigsync.sync import bookmark
from bigsync.sync.bookmark import Checkpoint
from bigsync.sync.model import StreamProgress
from bigsync.sync.pages import end_cursor_of, items_of
from bigsync.sync.stream_io import RunState, StreamIO


class PagedReaders(StreamIO):
    """INCREMENTAL, SCAN and FULL_SCAN streams."""

    # --- INCREMENTAL --------------------------------------------------------------------------

    def _incremental_start(self, spec: StreamSpec, run: RunState) -> tuple[Checkpoint, bool]:
        state = run.states.get(spec.name)
        if state is not None and state.checkpoint:
            checkpoint = Checkpoint.from_json(state.checkpoint)
            if checkpoint.full or not self.options.full:
                return checkpoint, True
        cursor = state.cursor if state else None
        started = bookmark.start(
            cursor, started_at=run.started_at, full=self.options.full, overlap=self.options.overlap
        )
        return replace(started, wall_started_at=self.clock()), False

    async def _incremental(self, spec: StreamSpec, run: RunState, progress: StreamProgress) -> None:
        checkpoint, resumed = self._incremental_start(spec, run)
        previous = run.states[spec.name].cursor if spec.name in run.states else None
        if checkpoint.full:
            run.full_streams.add(spec.name)
        self._begin_state(spec, resumed=resumed, checkpoint=checkpoint.to_json())
        if spec.api is Api.V2:
            progress.expected = await self._v2_count(spec, progress, checkpoint)
        pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

        def fetch(cp: Checkpoint) -> None:
            params: dict[str, Any] = {**spec.params, **spec.sort, "limit": spec.page_size}
            params["page"] = cp.page
            if cp.bound is not None and spec.cursor_param:
                params[spec.cursor_param] = format_filter(cp.bound)
            pending.append(asyncio.ensure_future(self._page(spec, progress, params)))

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
                    state.update(status="ok", last_success_at=self.clock())
                finish = self._finisher(spec, next_cp) if done else None
                batch = spec.to_batch(items, None)
                await self._commit(
                    spec, progress, batch, records=len(items), finish=finish, **state
                )
                checkpoint = next_cp
                run.publish(spec.name, next_cp.bound)
        finally:
            for future in pending:
                future.cancel()

    def _finisher(
        self, spec: StreamSpec, checkpoint: Checkpoint
    ) -> Callable[[sa.Connection, datetime], None] | None:
        """After a complete full read: soft-delete what the read did not write."""
        if not checkpoint.full or checkpoint.wall_started_at is None:
            return None
        if "deleted_at" not in MIRROR_TABLES[spec.table].c:
            return None
        since = checkpoint.wall_started_at

        def finish(conn: sa.Connection, now: datetime) -> None:
            removed = repo.remove_unseen(
                conn, spec.table, connection_id=self.connection_id, since=since, now=now
            )
            self.progress[spec.name].deleted += removed
            self._cascade(conn, spec, now)

        return finish

    async def _v2_count(
        self, spec: StreamSpec, progress: StreamProgress, checkpoint: Checkpoint
    ) -> int | None:
        params: dict[str, Any] = {}
        if checkpoint.bound is not None and spec.cursor_param:
            params[spec.cursor_param] = format_filter(checkpoint.bound)
        try:
            body = await self._get(progress, spec.path + "/count", params)
        except BigsyncError:
            return None
        return int(body["count"]) if isinstance(body, dict) and "count" in body else None

    # --- SCAN ---------------------------------------------------------------------------------

    def _scan_skipped(self, spec: StreamSpec, run: RunState, progress: StreamProgress) -> bool:
        """Whether the periodic scan can be skipped in this run (and why, in `note`)."""
        if spec.covered_by in run.full_streams:
            progress.note = f"covered by the full read of {spec.covered_by}"
            now = self.clock()
            with self.db.begin() as conn:
                repo.save_state(
                    conn,
                    connection_id=self.connection_id,
                    stream=spec.name,
                    now=now,
                    status="ok",
                    checkpoint=None,
                    last_scan_at=now,
                    last_success_at=now,
                )
            return True
        state = run.states.get(spec.name)
        if state is not None and state.checkpoint:
            return False  # an interrupted scan resumes
        last = state.last_scan_at if state else None
        if bookmark.is_due(last, every=self.options.scan_every, now=self.clock()):
            return False
        progress.note = "scan not due"
        return True

    async def _scan(self, spec: StreamSpec, run: RunState, progress: StreamProgress) -> None:
        """Read every record in id order; ids of the mirror missing from a page's id range
        were deleted in the store and are soft-deleted in that page's transaction."""
        if self._scan_skipped(spec, run, progress):
            return
        state = run.states.get(spec.name)
        position: dict[str, Any] = dict(state.checkpoint) if state and state.checkpoint else {}
        self._begin_state(spec, resumed=bool(position))
        while True:
            params: dict[str, Any] = {**spec.params, "limit": spec.page_size}
            if spec.after_param and position.get("after_id"):
                params[spec.after_param] = position["after_id"]
            elif position.get("cursor"):
                params["after"] = position["cursor"]
            body = await self._get(progress, spec.path, params)
            items = items_of(body, spec.api)
            ids = sorted(int(item["id"]) for item in items)
            end_cursor = end_cursor_of(body)
            done = len(items) < spec.page_size or (spec.after_param is None and not end_cursor)
            after = int(position.get("after_id") or 0)
            upto = None if done else ids[-1]
            finish = self._range_deleter(spec, after=after, upto=upto, listed=set(ids))
            position = {"after_id": ids[-1] if ids else after, "cursor": end_cursor}
            values: dict[str, Any] = {"checkpoint": None if done else position}
            if done:
                values.update(status="ok", last_scan_at=self.clock(), last_success_at=self.clock())
            batch = spec.to_batch(items, None)
            await self._commit(spec, progress, batch, records=len(items), finish=finish, **values)
            if done:
                return

    def _range_deleter(
        self, spec: StreamSpec, *, after: int, upto: int | None, listed: set[int]
    ) -> Callable[[sa.Connection, datetime], None]:
        def delete_missing(conn: sa.Connection, now: datetime) -> None:
            known = repo.live_ids_between(
                conn, spec.table, connection_id=self.connection_id, after=after, upto=upto
            )
            gone = [i for i in known if i not in listed]
            if gone:
                deleted = repo.soft_delete(
                    conn, spec.table, gone, connection_id=self.connection_id, now=now
                )
                self.progress[spec.name].deleted += deleted
                self._cascade(conn, spec, now)

        return delete_missing

    # --- FULL_SCAN ----------------------------------------------------------------------------

    async def _full_scan(self, spec: StreamSpec, run: RunState, progress: StreamProgress) -> None:
        state = run.states.get(spec.name)
        checkpoint = state.checkpoint if state and state.checkpoint else None
        resumed = checkpoint is not None and "scan_started_at" in checkpoint
        scan_started = (
            parse_timestamp(checkpoint["scan_started_at"]) if resumed and checkpoint else None
        ) or self.clock()
        page = int(checkpoint.get("page", 0)) + 1 if resumed and checkpoint else 1
        self._begin_state(spec, resumed=resumed)
        pending: list[asyncio.Future[tuple[list[Json], int | None]]] = []

        def fetch(number: int) -> None:
            params: dict[str, Any] = {}
            if spec.page_size:
                params = {**spec.params, "limit": spec.page_size, "page": number}
            pending.append(asyncio.ensure_future(self._page(spec, progress, params)))

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
                    await self._commit(
                        spec,
                        progress,
                        batch,
                        records=len(items),
                        finish=self._remover(spec, scan_started),
                        checkpoint=None,
                        status="ok",
                        last_success_at=self.clock(),
                        last_scan_at=self.clock(),
                    )
                    return
                marker = {"scan_started_at": scan_started.isoformat(), "page": page}
                await self._commit(spec, progress, batch, records=len(items), checkpoint=marker)
                page += 1
        finally:
            for future in pending:
                future.cancel()
