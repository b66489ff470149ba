"""The SQL of the mirror and of the sync engine's state. Every function takes an open
connection; the caller owns the transaction (the engine commits a page's rows, its
checkpoint and its lease renewal in one).

Upserts are `INSERT … ON CONFLICT (key) DO UPDATE` through the SQLite and PostgreSQL
dialects, prepared once per table and executed as one executemany per table and page
(`bulk`); `commit_page` reads the stored rows of a page first and rewrites only those that
changed (the others get a new `synced_at` and nothing else).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigsync.errors import SyncLockLostError
from bigsync.store import bulk
from bigsync.store.mirror_schema import MIRROR_TABLES, sync_locks, sync_runs, sync_state
from bigsync.streams.spec import Batch, Owned, Row

# --- mirrored rows ----------------------------------------------------------------------------


def key_columns(table: sa.Table) -> list[str]:
    """The primary key of a mirror table (connection_id first)."""
    return [column.name for column in table.primary_key.columns]


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return _dialect_insert(conn.dialect.name, table)


def _dialect_insert(dialect: str, table: sa.Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {dialect}")


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Row],
    *,
    connection_id: int,
    now: datetime,
) -> int:
    """Insert or update `rows` (by primary key) for `connection_id`; returns the row count."""
    if not rows:
        return 0
    if bulk.can_prepare(table):
        insert = _insert(conn, table)
        bulk.write_rows(conn, table, rows, insert=insert, connection_id=connection_id, now=now)
        return len(rows)
    keys = key_columns(table)
    statement = _insert(conn, table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
    payload = [{**row, "connection_id": connection_id, "synced_at": now} for row in rows]
    conn.execute(statement, payload)
    return len(payload)


def replace_owned(
    conn: sa.Connection, owned: Owned, rows: Sequence[Row], *, connection_id: int, now: datetime
) -> None:
    """Remove the children of `owned.parent_ids` that are not among `rows` (soft-delete when
    the table has `deleted_at`). The caller upserts `rows` afterwards. The live children are
    read first (their ids alone), and only those `rows` no longer list are written."""
    if not owned.parent_ids:
        return
    table = MIRROR_TABLES[owned.table]
    keep = {row["id"] for row in rows}
    live = bulk.live_children(
        conn, table, owned.parent_column, owned.parent_ids, connection_id=connection_id
    )
    gone = [child for child in live if child not in keep]
    if not gone:
        return
    for start in range(0, len(gone), bulk.KEY_CHUNK):
        chunk = gone[start : start + bulk.KEY_CHUNK]
        condition = sa.and_(table.c.connection_id == connection_id, table.c.id.in_(chunk))
        if "deleted_at" in table.c:
            conn.execute(table.update().where(condition).values(deleted_at=now, synced_at=now))
        else:
            conn.execute(table.delete().where(condition))


def count_changed(
    conn: sa.Connection, table_name: str, rows: Sequence[Row], *, connection_id: int
) -> int:
    """How many of `rows` are new to the mirror or differ from the row stored (by `raw`):
    what a page brings, as against what it reads again (call before writing the page)."""
    if not rows:
        return 0
    table = MIRROR_TABLES[table_name]
    keys = [k for k in key_columns(table) if k != "connection_id"]
    wanted = {tuple(row[k] for k in keys): row["raw"] for row in rows}
    stored: dict[tuple[Any, ...], Any] = {}
    key_list = list(wanted)
    for start in range(0, len(key_list), 500):
        chunk = key_list[start : start + 500]
        query = sa.select(*(table.c[k] for k in keys), table.c.raw).where(
            table.c.connection_id == connection_id
        )
        if keys:  # else one row per connection (store_info)
            query = query.where(sa.tuple_(*(table.c[k] for k in keys)).in_(chunk))
        if "deleted_at" in table.c:
            query = query.where(table.c.deleted_at.is_(None))
        for row in conn.execute(query):
            stored[tuple(row[: len(keys)])] = row.raw
    return sum(1 for key, raw in wanted.items() if stored.get(key) != raw)


def write_batch(conn: sa.Connection, batch: Batch, *, connection_id: int, now: datetime) -> int:
    """Write one page's rows: replace owned child sets, then upsert every table."""
    for owned in batch.owned:
        rows = batch.rows.get(owned.table, ())
        replace_owned(conn, owned, rows, connection_id=connection_id, now=now)
    written = 0
    for name, rows in batch.rows.items():
        written += upsert(conn, MIRROR_TABLES[name], rows, connection_id=connection_id, now=now)
    return written


def write_changed(
    conn: sa.Connection, batch: Batch, *, connection_id: int, now: datetime, table: str
) -> int:
    """`write_batch`, rewriting only the rows that differ from the stored ones (the others
    get `synced_at = now` alone); returns `count_changed` of `table`'s rows, as read before
    the write."""
    for owned in batch.owned:
        rows = batch.rows.get(owned.table, ())
        replace_owned(conn, owned, rows, connection_id=connection_id, now=now)
    changed = 0
    for name, rows in batch.rows.items():
        mirror_table = MIRROR_TABLES[name]
        if not bulk.can_prepare(mirror_table):
            if name == table:
                changed = count_changed(conn, name, rows, connection_id=connection_id)
            upsert(conn, mirror_table, rows, connection_id=connection_id, now=now)
            continue
        written = bulk.write_rows(
            conn,
            mirror_table,
            rows,
            insert=_insert(conn, mirror_table),
            connection_id=connection_id,
            now=now,
            skip_unchanged=True,
        )
        if name == table:
            changed = written.changed
    return changed


def remove_unseen(
    conn: sa.Connection, table_name: str, *, connection_id: int, since: datetime, now: datetime
) -> int:
    """After a complete full scan begun at `since`: remove the rows that scan did not write
    (soft-delete where the table has `deleted_at`). Returns how many rows went."""
    table = MIRROR_TABLES[table_name]
    condition = sa.and_(table.c.connection_id == connection_id, table.c.synced_at < since)
    if "deleted_at" in table.c:
        statement = (
            table.update()
            .where(condition, table.c.deleted_at.is_(None))
            .values(deleted_at=now, synced_at=now)
        )
        return conn.execute(statement).rowcount
    return conn.execute(table.delete().where(condition)).rowcount


def soft_delete(
    conn: sa.Connection, table_name: str, ids: Iterable[int], *, connection_id: int, now: datetime
) -> int:
    """Mark the rows with `ids` deleted (those not already marked)."""
    table = MIRROR_TABLES[table_name]
    id_list = list(ids)
    if not id_list:
        return 0
    statement = (
        table.update()
        .where(
            table.c.connection_id == connection_id,
            table.c.id.in_(id_list),
            table.c.deleted_at.is_(None),
        )
        .values(deleted_at=now, synced_at=now)
    )
    return conn.execute(statement).rowcount


def soft_delete_orphans(
    conn: sa.Connection,
    child: str,
    column: str,
    *,
    parent: str,
    connection_id: int,
    now: datetime,
) -> int:
    """Soft-delete the live rows of `child` whose `column` points at a deleted `parent` row."""
    child_table, parent_table = MIRROR_TABLES[child], MIRROR_TABLES[parent]
    deleted_parents = sa.select(parent_table.c.id).where(
        parent_table.c.connection_id == connection_id, parent_table.c.deleted_at.is_not(None)
    )
    statement = (
        child_table.update()
        .where(
            child_table.c.connection_id == connection_id,
            child_table.c.deleted_at.is_(None),
            child_table.c[column].in_(deleted_parents),
        )
        .values(deleted_at=now, synced_at=now)
    )
    return conn.execute(statement).rowcount


def live_ids_between(
    conn: sa.Connection, table_name: str, *, connection_id: int, after: int, upto: int | None
) -> list[int]:
    """Ids of live (not soft-deleted) rows with `after < id <= upto` (no upper bound: None)."""
    table = MIRROR_TABLES[table_name]
    query = sa.select(table.c.id).where(table.c.connection_id == connection_id, table.c.id > after)
    if upto is not None:
        query = query.where(table.c.id <= upto)
    if "deleted_at" in table.c:
        query = query.where(table.c.deleted_at.is_(None))
    return list(conn.scalars(query.order_by(table.c.id)))


def has_soft_delete(table_name: str) -> bool:
    """Whether the mirror table keeps deleted rows (with `deleted_at` set)."""
    return "deleted_at" in MIRROR_TABLES[table_name].c


def parent_ids(conn: sa.Connection, table_name: str, *, connection_id: int) -> list[int]:
    """Every live id of a (small) parent table, ascending."""
    return live_ids_between(conn, table_name, connection_id=connection_id, after=-1, upto=None)


def orders_after(
    conn: sa.Connection,
    *,
    connection_id: int,
    after: tuple[datetime, int] | None,
    before: datetime | None = None,
    created_since: datetime | None,
    limit: int,
) -> list[tuple[int, datetime]]:
    """Mirrored orders in `(date_modified, id)` order strictly after `after` and modified
    strictly before `before`, optionally only those created since `created_since`:
    `(id, date_modified)` pairs."""
    orders = MIRROR_TABLES["orders"]
    query = sa.select(orders.c.id, orders.c.date_modified).where(
        orders.c.connection_id == connection_id, orders.c.date_modified.is_not(None)
    )
    if after is not None:
        query = query.where(
            sa.tuple_(orders.c.date_modified, orders.c.id) > sa.tuple_(after[0], after[1])
        )
    if before is not None:
        query = query.where(orders.c.date_modified < before)
    if created_since is not None:
        query = query.where(orders.c.date_created >= created_since)
    query = query.order_by(orders.c.date_modified, orders.c.id).limit(limit)
    return [(row.id, row.date_modified) for row in conn.execute(query)]


def count_rows(conn: sa.Connection, table_name: str, *, connection_id: int) -> int:
    """Live rows of one mirror table for a connection."""
    table = MIRROR_TABLES[table_name]
    query = sa.select(sa.func.count()).select_from(table)
    query = query.where(table.c.connection_id == connection_id)
    if "deleted_at" in table.c:
        query = query.where(table.c.deleted_at.is_(None))
    return int(conn.scalar(query) or 0)


def iter_rows(conn: sa.Connection, table_name: str, *, connection_id: int) -> Iterator[Row]:
    """Every row of a mirror table for one connection, as dicts, in key order."""
    table = MIRROR_TABLES[table_name]
    keys = [table.c[name] for name in key_columns(table)]
    query = table.select().where(table.c.connection_id == connection_id).order_by(*keys)
    for row in conn.execute(query):
        yield dict(row._mapping)


# --- sync state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamState:
    """One stream's row of `sync_state`."""

    stream: str
    status: str
    cursor: datetime | None
    checkpoint: dict[str, Any] | None
    records_total: int
    last_run_records: int
    last_error: str | None
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_scan_at: datetime | None
    updated_at: datetime


def _state_row(row: sa.Row[Any]) -> StreamState:
    m = row._mapping
    return StreamState(**{name: m[name] for name in StreamState.__dataclass_fields__})


def load_states(conn: sa.Connection, *, connection_id: int) -> dict[str, StreamState]:
    """Every stream state of a connection, by stream name."""
    query = sync_state.select().where(sync_state.c.connection_id == connection_id)
    return {row.stream: _state_row(row) for row in conn.execute(query)}


def save_state(
    conn: sa.Connection,
    *,
    connection_id: int,
    stream: str,
    now: datetime,
    add_records: int | None = None,
    restart_run: bool = False,
    **values: Any,
) -> None:
    """Create or update a stream's state with `values` (columns of `sync_state`); with
    `add_records`, also add it to the record counters (`add_records()`) in the same
    statement, and with `restart_run` too, start this run's counter at it instead (the
    first page of a new read)."""
    row = {"status": "idle", **values, "connection_id": connection_id, "stream": stream}
    row["updated_at"] = now
    if add_records is not None:
        if {"records_total", "last_run_records"} & values.keys():
            raise ValueError("set the record counters or add to them, not both")
        row["records_total"] = row["last_run_records"] = add_records
    elif restart_run:
        raise ValueError("restart_run needs add_records: the run's count starts at it")
    counters = "restart" if restart_run else "add" if add_records is not None else "set"
    statement = _state_upsert(conn.dialect.name, tuple(values), counters=counters)
    conn.execute(statement, row)


@functools.cache
def _state_upsert(dialect: str, names: tuple[str, ...], *, counters: str) -> Any:
    """The `sync_state` upsert that updates `names` and the record counters as `counters`
    says: `set` (only those among `names`), `add` (both add the row's count), `restart`
    (the total adds it, this run's counter starts at it). Built once per column set: its
    `excluded` columns cost more to build than the statement takes to run."""
    statement = _dialect_insert(dialect, sync_state)
    updates: dict[str, Any] = {name: statement.excluded[name] for name in (*names, "updated_at")}
    total, run = sync_state.c.records_total, sync_state.c.last_run_records
    if counters in ("add", "restart"):
        updates["records_total"] = total + statement.excluded.records_total
    if counters == "add":
        updates["last_run_records"] = run + statement.excluded.last_run_records
    if counters == "restart":
        updates["last_run_records"] = statement.excluded.last_run_records
    return statement.on_conflict_do_update(index_elements=["connection_id", "stream"], set_=updates)


def add_records(conn: sa.Connection, *, connection_id: int, stream: str, count: int) -> None:
    """Add `count` to a stream's record counters (this run's and the all-time total)."""
    conn.execute(
        sync_state.update()
        .where(sync_state.c.connection_id == connection_id, sync_state.c.stream == stream)
        .values(
            records_total=sync_state.c.records_total + count,
            last_run_records=sync_state.c.last_run_records + count,
        )
    )


# --- a page and its checkpoint, in one transaction -------------------------------------------


@dataclass(frozen=True)
class RemoveUnseen:
    """After a complete read begun at `since`: remove what it did not write (`remove_unseen`),
    then soft-delete the children (`cascade`: child table, parent column) of removed rows."""

    table: str
    since: datetime
    cascade: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RemoveMissing:
    """After a page of an id-ordered scan: soft-delete the live rows with `after < id <= upto`
    (no upper bound: None) that the page did not list, and their children."""

    table: str
    after: int
    upto: int | None
    listed: frozenset[int]
    cascade: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CatalogStockFromLevels:
    """After a complete read of `inventory_levels`: set the catalog's `inventory_level`
    (column and `raw`) of variants and products to the stock just read at the default
    location, where they differ. The catalog shows the default location's on-hand stock
    (API-NOTES §8.1), summed over the variants for a product tracked by variant; a
    product-level item carries the base variant's id. Rows keep their `synced_at`."""


DEFAULT_LOCATION_ID = 1
"""BigCommerce's default location, whose stock the catalog's `inventory_level` shows."""

PageFinish = RemoveUnseen | RemoveMissing | CatalogStockFromLevels
"""What a page's transaction changes after writing the page."""


def _cascade(
    conn: sa.Connection,
    table: str,
    cascade: Sequence[tuple[str, str]],
    *,
    connection_id: int,
    now: datetime,
) -> None:
    for child, column in cascade:
        soft_delete_orphans(conn, child, column, parent=table, connection_id=connection_id, now=now)


def apply_finish(
    conn: sa.Connection, finish: PageFinish, *, connection_id: int, now: datetime
) -> int:
    """Apply one `PageFinish`; returns how many rows were removed."""
    if isinstance(finish, CatalogStockFromLevels):
        set_catalog_stock(conn, connection_id=connection_id)
        return 0
    if isinstance(finish, RemoveUnseen):
        removed = remove_unseen(
            conn, finish.table, connection_id=connection_id, since=finish.since, now=now
        )
        _cascade(conn, finish.table, finish.cascade, connection_id=connection_id, now=now)
        return removed
    known = live_ids_between(
        conn, finish.table, connection_id=connection_id, after=finish.after, upto=finish.upto
    )
    gone = [i for i in known if i not in finish.listed]
    if not gone:
        return 0
    removed = soft_delete(conn, finish.table, gone, connection_id=connection_id, now=now)
    _cascade(conn, finish.table, finish.cascade, connection_id=connection_id, now=now)
    return removed


def _set_inventory_levels(
    conn: sa.Connection,
    table: sa.Table,
    levels: sa.Subquery,
    key: sa.ColumnElement[Any],
    *,
    connection_id: int,
) -> int:
    """Set `table.inventory_level` (and `raw`) to `levels.c.level` where `key` matches and the
    value differs; returns how many rows changed."""
    query = (
        sa.select(table.c.id, table.c.raw, levels.c.level)
        .join(levels, key == table.c.id)
        .where(
            table.c.connection_id == connection_id,
            table.c.deleted_at.is_(None),
            table.c.inventory_level.is_distinct_from(levels.c.level),
        )
    )
    changes = [
        {"_id": row.id, "_level": row.level, "_raw": {**row.raw, "inventory_level": row.level}}
        for row in conn.execute(query)
    ]
    if changes:
        conn.execute(
            table.update()
            .where(table.c.connection_id == connection_id, table.c.id == sa.bindparam("_id"))
            .values(inventory_level=sa.bindparam("_level"), raw=sa.bindparam("_raw")),
            changes,
        )
    return len(changes)


def set_catalog_stock(conn: sa.Connection, *, connection_id: int) -> int:
    """Apply `CatalogStockFromLevels`; returns how many variant and product rows changed."""
    stock = MIRROR_TABLES["inventory_levels"]
    at_default = sa.and_(
        stock.c.connection_id == connection_id, stock.c.location_id == DEFAULT_LOCATION_ID
    )
    by_variant = (
        sa.select(stock.c.variant_id, stock.c.total_inventory_onhand.label("level"))
        .where(at_default, stock.c.variant_id != 0)
        .subquery()
    )
    by_product = (
        sa.select(stock.c.product_id, sa.func.sum(stock.c.total_inventory_onhand).label("level"))
        .where(at_default)
        .group_by(stock.c.product_id)
        .subquery()
    )
    changed = _set_inventory_levels(
        conn,
        MIRROR_TABLES["variants"],
        by_variant,
        by_variant.c.variant_id,
        connection_id=connection_id,
    )
    return changed + _set_inventory_levels(
        conn,
        MIRROR_TABLES["products"],
        by_product,
        by_product.c.product_id,
        connection_id=connection_id,
    )


@dataclass(frozen=True)
class PageWritten:
    """What one committed page did: rows of the stream's table that were new or changed
    (`count_changed`), and rows its finish steps removed."""

    changed: int
    removed: int


@dataclass(frozen=True)
class RunTally:
    """A run's live figures as they stand when a page is written (see `commit_page`):
    requests sent, 429 answers, seconds held back, and per stream its figures."""

    run_id: int
    requests: int = 0
    rate_limited: int = 0
    waited_s: float = 0.0
    streams: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def commit_page(
    db: sa.Engine,
    *,
    connection_id: int,
    owner: str,
    lease: timedelta,
    stream: str,
    table: str,
    batch: Batch,
    records: int,
    state: Mapping[str, Any],
    finish: PageFinish | Sequence[PageFinish] = (),
    now: datetime,
    tally: RunTally | None = None,
    restart_run: bool = False,
) -> PageWritten:
    """Write one page of `stream` in ONE transaction: renew `owner`'s lease (raise
    SyncLockLostError, writing nothing, when it is no longer ours), write the batch, apply
    `finish` (one step or several), save the stream's `state` and add `records` to its
    counters (`restart_run`: this run's counter starts at `records`); with a `tally`, the
    run's live figures too (one UPDATE of its `sync_runs` row, so another process can show
    the run's progress). Returns how many rows of the
    stream's table were new or changed, and how many rows `finish` removed."""
    with db.begin() as conn:
        if not renew(conn, connection_id=connection_id, owner=owner, now=now, ttl=lease):
            raise SyncLockLostError(f"the sync lease of connection {connection_id} was taken over")
        changed = write_changed(conn, batch, connection_id=connection_id, now=now, table=table)
        finishes = finish if isinstance(finish, Sequence) else (finish,)
        removed = 0
        for step in finishes:
            removed += apply_finish(conn, step, connection_id=connection_id, now=now)
        save_state(
            conn,
            connection_id=connection_id,
            stream=stream,
            now=now,
            add_records=records,
            restart_run=restart_run,
            **state,
        )
        if tally is not None:
            record_tally(conn, tally, now=now, records=records, changed=changed)
    return PageWritten(changed=changed, removed=removed)


def record_tally(
    conn: sa.Connection, tally: RunTally, *, now: datetime, records: int = 0, changed: int = 0
) -> None:
    """Add a page's `records` (read) and `changed` rows to its run, and set the run's live
    figures from `tally`."""
    conn.execute(
        _tally_update(),
        {
            "_run_id": tally.run_id,
            "_changed": changed,
            "_records": records,
            "_requests": tally.requests,
            "_rate_limited": tally.rate_limited,
            "_waited_s": tally.waited_s,
            "_progress": {name: dict(figures) for name, figures in tally.streams.items()},
            "_now": now,
        },
    )


@functools.cache
def _tally_update() -> sa.Update:
    """`record_tally`'s statement, built once (it runs with every page)."""
    return (
        sync_runs.update()
        .where(sync_runs.c.id == sa.bindparam("_run_id"))
        .values(
            records=sync_runs.c.records + sa.bindparam("_changed"),
            records_read=sync_runs.c.records_read + sa.bindparam("_records"),
            requests=sa.bindparam("_requests"),
            rate_limited=sa.bindparam("_rate_limited"),
            waited_s=sa.bindparam("_waited_s"),
            progress=sa.bindparam("_progress"),
            updated_at=sa.bindparam("_now"),
        )
    )


# --- runs -------------------------------------------------------------------------------------


def start_run(
    conn: sa.Connection, *, connection_id: int, mode: str, streams: Sequence[str], now: datetime
) -> int:
    """Record a sync run as started; returns its id."""
    result = conn.execute(
        sync_runs.insert().values(
            connection_id=connection_id,
            mode=mode,
            streams=list(streams),
            status="running",
            started_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(
    conn: sa.Connection,
    run_id: int,
    *,
    status: str,
    records: int,
    requests: int,
    error: str | None,
    now: datetime,
    tally: RunTally | None = None,
) -> None:
    """Record how a run ended (`records`: rows it found new or changed; `tally`: its last
    live figures)."""
    extra: dict[str, Any] = {}
    if tally is not None:
        extra = {
            "rate_limited": tally.rate_limited,
            "waited_s": tally.waited_s,
            "progress": {name: dict(figures) for name, figures in tally.streams.items()},
            "records_read": sum(int(f.get("records", 0)) for f in tally.streams.values()),
        }
    conn.execute(
        sync_runs.update()
        .where(sync_runs.c.id == run_id)
        .values(
            status=status,
            records=records,
            requests=requests,
            error=error,
            finished_at=now,
            updated_at=now,
            **extra,
        )
    )


def recent_runs(conn: sa.Connection, *, connection_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The newest runs of a connection, newest first."""
    query = (
        sync_runs.select()
        .where(sync_runs.c.connection_id == connection_id)
        .order_by(sync_runs.c.id.desc())
        .limit(limit)
    )
    runs: list[dict[str, Any]] = [dict(row._mapping) for row in conn.execute(query)]
    for run in runs:
        run["number"] = run_number(conn, run["id"], connection_id=connection_id)
    return runs


def run_number(conn: sa.Connection, run_id: int, *, connection_id: int) -> int:
    """The run's number among its connection's runs (1 for the first; runs are kept for
    the connection's life, so a number is never given twice)."""
    query = sa.select(sa.func.count()).where(
        sync_runs.c.connection_id == connection_id, sync_runs.c.id <= run_id
    )
    return int(conn.scalar(query) or 0)


# --- the per-connection lease -----------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    """Who holds a connection's sync lease, and until when."""

    owner: str | None
    expires_at: datetime | None


def try_acquire(
    conn: sa.Connection, *, connection_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the connection's lease for `owner` when it is free, expired, or already ours.

    One conditional UPDATE decides, so two processes racing for it cannot both win.
    """
    conn.execute(
        _insert(conn, sync_locks)
        .values(connection_id=connection_id)
        .on_conflict_do_nothing(index_elements=["connection_id"])
    )
    statement = (
        sync_locks.update()
        .where(
            sync_locks.c.connection_id == connection_id,
            sa.or_(
                sync_locks.c.owner.is_(None),
                sync_locks.c.expires_at < now,
                sync_locks.c.owner == owner,
            ),
        )
        .values(owner=owner, acquired_at=now, expires_at=now + ttl)
    )
    return conn.execute(statement).rowcount == 1


def renew(
    conn: sa.Connection, *, connection_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Extend our lease; False when it is no longer ours (it expired and was taken)."""
    values = {"_connection_id": connection_id, "_owner": owner, "_expires_at": now + ttl}
    return conn.execute(_renew_update(), values).rowcount == 1


@functools.cache
def _renew_update() -> sa.Update:
    """`renew`'s statement, built once (it runs with every page)."""
    return (
        sync_locks.update()
        .where(
            sync_locks.c.connection_id == sa.bindparam("_connection_id"),
            sync_locks.c.owner == sa.bindparam("_owner"),
        )
        .values(expires_at=sa.bindparam("_expires_at"))
    )


def release(conn: sa.Connection, *, connection_id: int, owner: str) -> None:
    """Give the lease back (no-op when it is not ours)."""
    conn.execute(
        sync_locks.update()
        .where(sync_locks.c.connection_id == connection_id, sync_locks.c.owner == owner)
        .values(owner=None, expires_at=None)
    )


def current_lease(conn: sa.Connection, *, connection_id: int) -> Lease:
    """The connection's lease as stored (owner None: free)."""
    row = conn.execute(
        sa.select(sync_locks.c.owner, sync_locks.c.expires_at).where(
            sync_locks.c.connection_id == connection_id
        )
    ).first()
    return Lease(owner=row.owner, expires_at=row.expires_at) if row else Lease(None, None)


# --- targeted refreshes (webhooks) ------------------------------------------------------------


def replace_inventory_of(
    conn: sa.Connection,
    product_ids: Sequence[int],
    rows: Sequence[Row],
    *,
    connection_id: int,
    now: datetime,
) -> int:
    """Make `rows` the whole stock (every item and location) of the products in
    `product_ids`: their other `inventory_levels` rows go. Returns the rows written."""
    table = MIRROR_TABLES["inventory_levels"]
    if product_ids:
        conn.execute(
            table.delete().where(
                table.c.connection_id == connection_id, table.c.product_id.in_(list(product_ids))
            )
        )
    return upsert(conn, table, rows, connection_id=connection_id, now=now)


def delete_where(
    conn: sa.Connection, table_name: str, column: str, ids: Iterable[int], *, connection_id: int
) -> int:
    """Delete the rows of `table_name` whose `column` is one of `ids` (a record the store no
    longer has, in a table without soft deletes). Returns how many went."""
    table = MIRROR_TABLES[table_name]
    id_list = list(ids)
    if not id_list:
        return 0
    statement = table.delete().where(
        table.c.connection_id == connection_id, table.c[column].in_(id_list)
    )
    return conn.execute(statement).rowcount
