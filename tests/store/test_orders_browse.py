"""Migration 0012 fills the billing name and email of orders mirrored before it, and the
list query pages below an id with no OFFSET (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bigsync.store import mirror_repository, orders_browse
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import orders
from tests.databases import add_connection

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def _before_0012() -> str:
    """The revision 0012_orders_browse follows (wherever the chain puts it)."""
    from alembic.script import ScriptDirectory

    from bigsync.store.db import alembic_config

    down = ScriptDirectory.from_config(alembic_config()).get_revision("0012_orders_browse")
    assert down is not None
    assert isinstance(down.down_revision, str)
    return down.down_revision


def _order(order_id: int, first: str | None, last: str | None, email: str | None) -> dict[str, Any]:
    billing = {"first_name": first, "last_name": last, "email": email}
    return {
        "connection_id": 0,
        "id": order_id,
        "status_id": 11,
        "is_deleted": False,
        "raw": {"id": order_id, "billing_address": billing},
        "synced_at": NOW,
    }


def test_the_migration_fills_billing_fields_from_the_documents(database_url: str) -> None:
    engine = create_engine_for(database_url)
    migrate(engine, revision=_before_0012())
    cid = add_connection(engine)
    rows = [
        _order(100, " Ada ", "Lovelace", "ada@example.com"),
        _order(101, None, "Solo", ""),
        _order(102, None, None, None),
    ]
    # The table as the revision before left it: no billing columns.
    old_orders = sa.table(
        "orders", *(sa.column(c.name, c.type) for c in orders.c if not c.name.startswith("billing"))
    )
    with engine.begin() as conn:
        conn.execute(old_orders.insert(), [{**r, "connection_id": cid} for r in rows])
    migrate(engine)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(orders.c.id, orders.c.billing_name, orders.c.billing_email).order_by(
                orders.c.id
            )
        ).all()
    assert [tuple(r) for r in found] == [
        (100, "Ada Lovelace", "ada@example.com"),
        (101, "Solo", None),
        (102, None, None),
    ]
    engine.dispose()


def test_pages_below_an_id(database_url: str) -> None:
    engine = create_engine_for(database_url)
    migrate(engine)
    cid = add_connection(engine)
    rows: list[dict[str, Any]] = [
        {"id": i, "status_id": 11 if i % 2 else 2, "is_deleted": False, "raw": {},
         "billing_name": f"Customer {i}", "billing_email": f"c{i}_x@example.com"}
        for i in range(1, 26)
    ]  # fmt: skip
    with engine.begin() as conn:
        mirror_repository.upsert(conn, orders, rows, connection_id=cid, now=NOW)
    with engine.connect() as conn:
        first = orders_browse.list_orders(conn, cid, limit=10)
        second = orders_browse.list_orders(conn, cid, before_id=first[-1].id, limit=10)
        status = orders_browse.list_orders(conn, cid, status_id=2, before_id=10)
        underscore = orders_browse.list_orders(conn, cid, search="c1_x")
        wildcard = orders_browse.list_orders(conn, cid, search="c_1")
    assert [o.id for o in first] == list(range(25, 15, -1))
    assert [o.id for o in second] == list(range(15, 5, -1))
    assert [o.id for o in status] == [8, 6, 4, 2]
    assert [o.id for o in underscore] == [1]
    assert wildcard == []
    engine.dispose()
