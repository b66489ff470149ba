"""`mirror_repository.orders_after` (the transactions stream's walk over the mirrored orders):
the same pairs, in the same `(date_modified, id)` order, as one query sorted on both would
give — with many orders in one second, where a page can end inside the second — on SQLite
and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.store import connection_repository
from bigsync.store import mirror_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[sa.Engine, int, list[dict[str, Any]]]]:
    """300 orders over 40 seconds (ties in most), created over 30 days, some unmodified."""
    engine = create_engine_for(database_url)
    migrate(engine)
    pick = random.Random(7)
    orders = [
        {
            "id": oid,
            "date_modified": T0 + timedelta(seconds=pick.randrange(40)) if oid % 17 else None,
            "date_created": T0 - timedelta(days=pick.randrange(30)),
        }
        for oid in pick.sample(range(1, 5000), 300)
    ]
    table = MIRROR_TABLES["orders"]
    with engine.begin() as conn:
        connection_id = connection_repository.insert_connection(
            conn, name="walk", name_key="walk", kind="api_account", store_hash="abc",
            api_url="http://127.0.0.1", client_id=None, granted_scopes=None, features=[],
        )  # fmt: skip
        conn.execute(
            table.insert(),
            [
                {
                    **o,
                    "connection_id": connection_id,
                    "synced_at": T0,
                    "raw": {},
                    "status_id": 2,
                    "is_deleted": False,
                }
                for o in orders
            ],
        )
    yield engine, connection_id, orders
    engine.dispose()


def expected(
    orders: list[dict[str, Any]],
    after: tuple[datetime, int] | None,
    before: datetime | None,
    created_since: datetime | None,
    limit: int,
) -> list[tuple[int, datetime]]:
    pairs = sorted(
        (o["date_modified"], o["id"])
        for o in orders
        if o["date_modified"] is not None
        and (after is None or (o["date_modified"], o["id"]) > after)
        and (before is None or o["date_modified"] < before)
        and (created_since is None or o["date_created"] >= created_since)
    )
    return [(oid, modified) for modified, oid in pairs[:limit]]


@pytest.mark.parametrize("limit", [1, 7, 32, 500])
@pytest.mark.parametrize(
    ("before", "created_since"),
    [(None, None), (T0 + timedelta(seconds=25), None), (None, T0 - timedelta(days=9))],
)
def test_walking_the_orders_in_chunks_visits_each_once_in_order(
    db: tuple[sa.Engine, int, list[dict[str, Any]]],
    limit: int,
    before: datetime | None,
    created_since: datetime | None,
) -> None:
    engine, connection_id, orders = db
    after: tuple[datetime, int] | None = None
    walked: list[tuple[int, datetime]] = []
    with engine.connect() as conn:
        while True:
            chunk = repo.orders_after(
                conn, connection_id=connection_id, after=after, before=before,
                created_since=created_since, limit=limit,
            )  # fmt: skip
            assert chunk == expected(orders, after, before, created_since, limit)
            if not chunk:
                break
            walked += chunk
            after = (chunk[-1][1], chunk[-1][0])
    assert walked == expected(orders, None, before, created_since, 10_000)
    assert len(walked) > 50  # the case is not vacuous
