"""The prepared page writer (`store.bulk` through `mirror_repository.commit_page`): rows land
exactly as the per-row upsert wrote them, unchanged rows are not rewritten but have their
`synced_at` moved, and soft-deleted rows come back — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.store import bulk, connection_repository
from bigsync.store import mirror_repository as repo
from bigsync.store.db import create_engine_for, json_dumps, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES, JsonDocument
from bigsync.store.schema import UtcDateTime
from bigsync.streams.rows import inventory_batch, orders_batch, products_batch, store_info_batch
from bigsync.streams.spec import Batch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[sa.Engine, int]]:
    engine = create_engine_for(database_url)
    migrate(engine)
    with engine.begin() as conn:
        connection_id = connection_repository.insert_connection(
            conn, name="bulk", name_key="bulk", kind="api_account", store_hash="abc",
            api_url="http://127.0.0.1", client_id=None, granted_scopes=None, features=[],
        )  # fmt: skip
        repo.try_acquire(conn, connection_id=connection_id, owner="me", now=T0, ttl=LEASE)
    yield engine, connection_id
    engine.dispose()


def product(pid: int, *, price: str = "10.5", name: str = "Thing") -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "sku": f"SKU-{pid}",
        "type": "physical",
        "price": price,
        "is_visible": True,
        "brand_id": 3,
        "inventory_level": 4,
        "inventory_tracking": "product",
        "date_created": "2026-01-05T10:00:00+00:00",
        "date_modified": "2026-02-05T10:00:00+02:00",
        "custom": {"nested": [1, 2.5, "ü", None]},
        "variants": [
            {"id": pid * 10, "product_id": pid, "sku": f"V-{pid}", "price": 1.25},
            {"id": pid * 10 + 1, "product_id": pid, "sku": f"W-{pid}", "price": None},
        ],
    }


def order(oid: int, *, status: str = "Shipped") -> dict[str, Any]:
    line = {"id": oid * 100, "order_id": oid, "product_id": 1, "quantity": 2, "sku": "S"}
    return {
        "id": oid,
        "customer_id": 7,
        "status_id": 2,
        "status": status,
        "total_inc_tax": "62.6793",
        "date_created": "Tue, 05 Mar 2019 21:40:11 +0000",
        "date_modified": "Tue, 05 Mar 2019 21:40:11 -0400",
        "consignments": {"shipping": [{"id": oid + 5, "city": "Oslo", "line_items": [line]}]},
    }


def commit(db: tuple[sa.Engine, int], stream: str, table: str, batch: Batch, now: datetime) -> int:
    engine, connection_id = db
    written = repo.commit_page(
        engine, connection_id=connection_id, owner="me", lease=LEASE, stream=stream,
        table=table, batch=batch, records=batch.count, state={"status": "running"}, now=now,
    )  # fmt: skip
    return written.changed


def stored(db: tuple[sa.Engine, int], table: str) -> list[dict[str, Any]]:
    engine, connection_id = db
    with engine.connect() as conn:
        return list(repo.iter_rows(conn, table, connection_id=connection_id))


def reference(db: tuple[sa.Engine, int], table: str, batch: Batch) -> list[dict[str, Any]]:
    """The rows as SQLAlchemy's own per-row upsert writes them (same connection, table
    emptied first), to compare the prepared path with."""
    engine, connection_id = db
    mirror = MIRROR_TABLES[table]
    with engine.begin() as conn:
        conn.execute(mirror.delete().where(mirror.c.connection_id == connection_id))
        statement = repo._insert(conn, mirror)
        keys = repo.key_columns(mirror)
        updates = {c.name: statement.excluded[c.name] for c in mirror.columns if c.name not in keys}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
        rows = [{**r, "connection_id": connection_id, "synced_at": T0} for r in batch.rows[table]]
        conn.execute(statement, rows)
    return stored(db, table)


def test_prepared_rows_read_back_as_sqlalchemys_own_upsert_wrote_them(
    db: tuple[sa.Engine, int],
) -> None:
    batches = {
        "products": products_batch([product(1), product(2, price="")]),
        "orders": orders_batch([order(5), order(6)]),
    }
    for stream, batch in batches.items():
        commit(db, stream, stream, batch, T0)
    written = {t: stored(db, t) for b in batches.values() for t in b.rows}
    for batch in batches.values():
        for table in batch.rows:
            assert written[table] == reference(db, table, batch), table


def test_an_unchanged_page_moves_synced_at_only_and_counts_nothing_changed(
    db: tuple[sa.Engine, int],
) -> None:
    batch = products_batch([product(1), product(2)])
    assert commit(db, "products", "products", batch, T0) == 2
    first = stored(db, "products") + stored(db, "variants")
    later = T0 + timedelta(hours=1)
    assert commit(db, "products", "products", products_batch([product(1), product(2)]), later) == 0
    again = stored(db, "products") + stored(db, "variants")
    assert [r["synced_at"] for r in again] == [later] * 6
    assert [{**r, "synced_at": None} for r in again] == [{**r, "synced_at": None} for r in first]


def test_a_changed_row_is_rewritten_and_its_unchanged_neighbours_are_not(
    db: tuple[sa.Engine, int],
) -> None:
    commit(db, "products", "products", products_batch([product(1), product(2)]), T0)
    later = T0 + timedelta(hours=1)
    page = products_batch([product(1, name="Renamed"), product(2)])
    assert commit(db, "products", "products", page, later) == 1
    rows = {r["id"]: r for r in stored(db, "products")}
    assert rows[1]["name"] == "Renamed"
    assert rows[1]["raw"]["name"] == "Renamed"
    assert rows[2]["name"] == "Thing"
    assert rows[1]["synced_at"] == rows[2]["synced_at"] == later


def test_a_soft_deleted_row_seen_again_is_live_again(db: tuple[sa.Engine, int]) -> None:
    engine, connection_id = db
    commit(db, "products", "products", products_batch([product(1)]), T0)
    with engine.begin() as conn:
        repo.soft_delete(conn, "products", [1], connection_id=connection_id, now=T0)
    assert commit(db, "products", "products", products_batch([product(1)]), T0) == 1
    assert [r["deleted_at"] for r in stored(db, "products")] == [None]


def test_a_full_scan_still_removes_what_it_did_not_see_when_the_rest_was_unchanged(
    db: tuple[sa.Engine, int],
) -> None:
    engine, connection_id = db

    def item(variant: int, level: int) -> dict[str, Any]:
        identity = {"product_id": 1, "variant_id": variant, "sku": f"V{variant}"}
        location = {"location_id": 1, "available_to_sell": level, "settings": {}}
        return {"identity": identity, "locations": [location]}

    commit(
        db, "inventory_levels", "inventory_levels", inventory_batch([item(1, 3), item(2, 4)]), T0
    )
    scan = T0 + timedelta(hours=1)
    page = inventory_batch([item(1, 3)])  # variant 2 is gone, variant 1 unchanged
    assert commit(db, "inventory_levels", "inventory_levels", page, scan) == 0
    with engine.begin() as conn:
        removed = repo.remove_unseen(
            conn, "inventory_levels", connection_id=connection_id, since=scan, now=scan
        )
    assert removed == 1
    assert [r["variant_id"] for r in stored(db, "inventory_levels")] == [1]


def test_write_rows_writes_in_full_only_the_rows_that_differ(db: tuple[sa.Engine, int]) -> None:
    engine, connection_id = db
    table = MIRROR_TABLES["products"]
    rows = products_batch([product(1), product(2), product(3)]).rows["products"]
    edited = products_batch([product(1), product(2, price="11"), product(3)]).rows["products"]

    def write(page: Any, *, skip: bool) -> bulk.TableWrite:
        with engine.begin() as conn:
            return bulk.write_rows(
                conn, table, page, insert=repo._insert(conn, table),
                connection_id=connection_id, now=T0, skip_unchanged=skip,
            )  # fmt: skip

    assert write(rows, skip=True) == bulk.TableWrite(changed=3, written=3)
    assert write(rows, skip=True) == bulk.TableWrite(changed=0, written=0)
    assert write(edited, skip=True) == bulk.TableWrite(changed=1, written=1)
    assert write(edited, skip=False) == bulk.TableWrite(changed=3, written=3)
    assert {r["id"]: r["price"] for r in stored(db, "products")} == {1: 10.5, 2: 11.0, 3: 10.5}


@pytest.mark.parametrize(
    "dialect", [sa.dialects.sqlite.dialect(), sa.dialects.postgresql.dialect()]
)
def test_dedicated_processors_return_what_sqlalchemys_own_return(dialect: sa.Dialect) -> None:
    dialect._json_serializer = json_dumps  # as our engines set it
    stamp = UtcDateTime()
    own = stamp._cached_bind_processor(dialect)
    fast = bulk._fast_processor(stamp, dialect, own)
    assert fast is not None
    assert own is not None
    assert fast is not own
    moments = [
        None,
        T0,
        datetime(2019, 3, 5, 21, 40, 11, 5, tzinfo=timezone(timedelta(hours=-4))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    for moment in moments:
        assert fast(moment) == own(moment)
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 1, 1))
    document: Any = JsonDocument
    own_json = document._cached_bind_processor(dialect)
    fast_json = bulk._fast_processor(document, dialect, own_json)
    assert fast_json is not None
    assert own_json is not None
    for value in ({"a": [1, 2.5, "ü", None]}, [1, {"b": True}], None, sa.JSON.NULL, {}):
        mine, theirs = fast_json(value), own_json(value)
        if dialect.name == "postgresql":  # psycopg wrappers: compare what they wrap
            mine, theirs = getattr(mine, "obj", mine), getattr(theirs, "obj", theirs)
        assert mine == theirs


def test_a_page_whose_children_are_unchanged_deletes_nothing(db: tuple[sa.Engine, int]) -> None:
    """Child replacement reads the live children's ids and removes only those gone."""
    engine, _ = db
    commit(db, "orders", "orders", orders_batch([order(5), order(6)]), T0)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        commit(db, "orders", "orders", orders_batch([order(5), order(6)]), T0 + LEASE)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert "DELETE" not in statements
    smaller = order(6)
    smaller["consignments"] = {"shipping": []}
    commit(db, "orders", "orders", orders_batch([order(5), smaller]), T0 + 2 * LEASE)
    assert [r["order_id"] for r in stored(db, "order_products")] == [5]
    assert [r["order_id"] for r in stored(db, "order_shipping_addresses")] == [5]


def test_the_record_counters_are_set_or_added_to_not_both(db: tuple[sa.Engine, int]) -> None:
    engine, connection_id = db
    with engine.begin() as conn, pytest.raises(ValueError, match="not both"):
        repo.save_state(
            conn, connection_id=connection_id, stream="orders", now=T0,
            add_records=3, last_run_records=0,
        )  # fmt: skip
    pages = [orders_batch([order(5)]), orders_batch([order(6), order(7)])]
    for page in pages:
        commit(db, "orders", "orders", page, T0)  # adds the page's count to both counters
    with engine.connect() as conn:
        state = repo.load_states(conn, connection_id=connection_id)["orders"]
    total = sum(page.count for page in pages)
    assert (state.records_total, state.last_run_records) == (total, total)


def level_item(variant: int, level: int | None, *, sku: str | None = None) -> dict[str, Any]:
    """An item of `/v3/inventory/items` (product 100 + variant) at location 1 (no settings:
    those columns are NULL)."""
    identity = {"product_id": 100 + variant, "variant_id": variant, "sku": sku}
    return {"identity": identity, "locations": [{"location_id": 1, "available_to_sell": level}]}


def write(db: tuple[sa.Engine, int], table: str, rows: Any, now: datetime) -> bulk.TableWrite:
    engine, connection_id = db
    mirror = MIRROR_TABLES[table]
    with engine.begin() as conn:
        return bulk.write_rows(
            conn, mirror, rows, insert=repo._insert(conn, mirror),
            connection_id=connection_id, now=now, skip_unchanged=True,
        )  # fmt: skip


def test_unchanged_rows_with_null_columns_are_only_touched(db: tuple[sa.Engine, int]) -> None:
    rows = inventory_batch([level_item(1, None), level_item(2, 4, sku="V2")]).rows
    assert write(db, "inventory_levels", rows["inventory_levels"], T0).written == 2
    later = T0 + timedelta(hours=1)
    again = write(db, "inventory_levels", rows["inventory_levels"], later)
    assert again == bulk.TableWrite(changed=0, written=0)
    assert [r["synced_at"] for r in stored(db, "inventory_levels")] == [later, later]


def test_a_page_holding_a_key_twice_keeps_its_last_row(db: tuple[sa.Engine, int]) -> None:
    first = inventory_batch([level_item(1, 3)]).rows["inventory_levels"]
    write(db, "inventory_levels", first, T0)
    twice = inventory_batch([level_item(1, 3), level_item(1, 5)]).rows["inventory_levels"]
    write(db, "inventory_levels", twice, T0 + timedelta(hours=1))
    assert [r["available_to_sell"] for r in stored(db, "inventory_levels")] == [5]


def test_a_row_differing_only_in_a_typed_column_is_rewritten_but_not_counted_changed(
    db: tuple[sa.Engine, int],
) -> None:
    rows = inventory_batch([level_item(1, 3)]).rows["inventory_levels"]
    write(db, "inventory_levels", rows, T0)
    edited = [{**rows[0], "available_to_sell": 9}]  # `raw` still says 3
    assert write(db, "inventory_levels", edited, T0) == bulk.TableWrite(changed=0, written=1)
    assert [r["available_to_sell"] for r in stored(db, "inventory_levels")] == [9]


def test_a_table_keyed_by_the_connection_alone_is_compared_too(db: tuple[sa.Engine, int]) -> None:
    rows = store_info_batch([{"id": "abc", "name": "Shop", "domain": None}]).rows["store_info"]
    assert write(db, "store_info", rows, T0) == bulk.TableWrite(changed=1, written=1)
    assert write(db, "store_info", rows, T0) == bulk.TableWrite(changed=0, written=0)
    renamed = store_info_batch([{"id": "abc", "name": "Shop 2"}]).rows["store_info"]
    assert write(db, "store_info", renamed, T0) == bulk.TableWrite(changed=1, written=1)
    assert [r["name"] for r in stored(db, "store_info")] == ["Shop 2"]
