"""The webhook tables on both backends: dedupe by key, coalescing, finish only when no new
request arrived, postpone, prune; and a purge takes them with the connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigsync.store import webhook_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.purge import delete_connection_data
from tests.databases import add_connection

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _engine(url: str) -> tuple[sa.Engine, int]:
    engine = create_engine_for(url)
    migrate(engine)
    return engine, add_connection(engine, api_url="http://x")


def _record(conn: sa.Connection, cid: int, key: str, record_id: int, at: datetime) -> object:
    return repo.record_event(
        conn,
        connection_id=cid,
        event_key=key,
        hash="h",
        scope="store/product/updated",
        target=("product", record_id),
        created_at=1,
        now=at,
    )


def test_events_dedupe_and_refreshes_coalesce(database_url: str) -> None:
    engine, cid = _engine(database_url)
    try:
        with engine.begin() as conn:
            assert _record(conn, cid, "a", 5, NOW) is None
            assert _record(conn, cid, "a", 5, NOW + timedelta(seconds=9)) == NOW
            assert _record(conn, cid, "b", 5, NOW) is None
            assert _record(conn, cid, "c", 6, NOW) is None
        with engine.begin() as conn:
            due = repo.due_refreshes(conn, now=NOW, limit=10)
            assert [(d.record_id, d.requested) for d in due] == [(5, 2), (6, 1)]
            assert repo.count_events(conn, connection_id=cid) == 3
            repo.request_refresh(conn, connection_id=cid, kind="product", record_id=5, now=NOW)
            assert not repo.finish_refresh(conn, due[0])  # asked again since it was read
            assert repo.finish_refresh(conn, due[1])
            repo.postpone_refresh(conn, due[0], error="boom", not_before=NOW + timedelta(60))
            assert repo.due_refreshes(conn, now=NOW, limit=10) == []
            [late] = repo.due_refreshes(conn, now=NOW + timedelta(61), limit=10)
            assert (late.attempts, late.last_error) == (1, "boom")
            last = repo.last_event(conn, connection_id=cid)
            assert last is not None
            assert last.scope == "store/product/updated"
            assert repo.prune_events(conn, received_before=NOW + timedelta(seconds=1)) == 3
        with engine.begin() as conn:
            deleted = delete_connection_data(conn, cid)
        assert deleted["webhook_refreshes"] == 1
    finally:
        engine.dispose()
