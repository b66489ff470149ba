"""Fast page writes: upserts prepared once per table, and rows that did not change skipped.

A page's rows of one table are written by ONE `executemany` of an
`INSERT … ON CONFLICT (key) DO UPDATE` statement compiled once per dialect and table. The
values are converted by the columns' own SQLAlchemy bind processors (the text, numbers and
JSON SQLAlchemy itself would send), through a converter generated once per statement, so
what lands in the database is what the per-row path wrote. psycopg 3 runs an
`executemany` as one pipeline.

With `skip_unchanged`, the rows stored under the page's keys are read first (one query per
500 keys), and a row whose every column equals what is stored (and is not soft-deleted) is
not rewritten: only its `synced_at` moves to `now` (one prepared `UPDATE` per table), so
"a full scan removes what it did not write" (`synced_at` older than the scan) stays true.
SQLite compares the values as stored (the bound text, numbers and JSON text: no parsing);
PostgreSQL compares the values as psycopg returns them (JSON parsed by the driver).

Per value there is one Python call at most: timestamps and JSON documents go through one
dedicated function each (`_fast_processor`: what SQLAlchemy's processors return, without
their layers), other columns through their processor or none; keys are read with
`operator.itemgetter`.
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from bigsync.store.schema import UtcDateTime

Row = Mapping[str, Any]
Converter = Callable[[Row, Mapping[str, Any]], tuple[Any, ...]]
KEY_CHUNK = 500
"""Keys per lookup query (SQLite allows 32,766 variables)."""

_FIXED = ("connection_id", "synced_at")
"""Columns with one value for a whole page, converted once."""


@dataclass(frozen=True)
class PreparedStatement:
    """One compiled statement and how to turn a row into its parameters (`convert`: the
    row, and the page's already-converted `_FIXED` values)."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    convert: Converter

    def fixed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` of `_FIXED` columns converted once for a page."""
        found = dict(zip(self.names, self.processors, strict=True))
        return {n: v if found.get(n) is None else found[n](v) for n, v in values.items()}  # type: ignore[misc]

    def execute_converted(self, conn: sa.Connection, converted: Sequence[tuple[Any, ...]]) -> None:
        """Run the statement once per converted row (one executemany)."""
        if not converted:
            return
        if self.positional:
            conn.exec_driver_sql(self.sql, list(converted))
        else:
            params = [dict(zip(self.names, values, strict=True)) for values in converted]
            conn.exec_driver_sql(self.sql, params)


def _naive(value: datetime) -> None:
    raise ValueError(f"naive datetime given where a UTC timestamp is expected: {value!r}")


def _sqlite_timestamp(value: datetime | None) -> str | None:
    """`UtcDateTime` on SQLite: the naive UTC text SQLAlchemy's DATETIME writes
    (`YYYY-MM-DD HH:MM:SS.ffffff`)."""
    if value is None:
        return None
    if value.tzinfo is None:
        _naive(value)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc_timestamp(value: datetime | None) -> datetime | None:
    """`UtcDateTime` elsewhere: the aware value in UTC (the driver adapts it)."""
    if value is None:
        return None
    if value.tzinfo is None:
        _naive(value)
    return value.astimezone(UTC)


def _json_text(
    serialize: Callable[[Any], str], original: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """A JSON column on SQLite: documents (dicts, lists) through the engine's serializer in
    one call; anything else (None, SQLAlchemy's NULL markers) through SQLAlchemy's own."""

    def process(value: Any) -> Any:
        kind = type(value)
        if kind is dict or kind is list:
            return serialize(value)
        return original(value)

    return process


def _fast_processor(
    column_type: Any, dialect: sa.Dialect, original: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """The bind processor of one column: a dedicated function for timestamps and (SQLite)
    JSON documents, SQLAlchemy's own for the rest."""
    if original is None:
        return None
    if isinstance(column_type, UtcDateTime):
        return _sqlite_timestamp if dialect.name == "sqlite" else _utc_timestamp
    if isinstance(column_type, sa.JSON) and dialect.name == "sqlite":
        serialize = getattr(dialect, "_json_serializer", None) or json.dumps
        return _json_text(serialize, original)
    return original


def _converter(
    names: Sequence[str], processors: Sequence[Callable[[Any], Any] | None]
) -> Converter:
    """A function `(row, fixed) -> tuple` with one expression per column: `fixed[name]` for
    the page's fixed columns, `row[name]` or `processor(row[name])` for the others (a row
    missing a column takes the same path with `row.get`: None). Generated once per
    statement (like `dataclasses` and `namedtuple` do): one Python call per row instead of
    one per value."""
    scope: dict[str, Any] = {}
    parts = []
    for index, (name, processor) in enumerate(zip(names, processors, strict=True)):
        if name in _FIXED:
            parts.append(f"fixed[{name!r}]")
        elif processor is None:
            parts.append(f"row[{name!r}]")
        else:
            scope[f"p{index}"] = processor
            parts.append(f"p{index}(row[{name!r}])")
    values = ", ".join(parts)
    source = (
        "def convert(row, fixed):\n"
        "    try:\n"
        f"        return ({values},)\n"
        "    except KeyError:\n"
        "        row = _Missing(row)\n"
        f"        return ({values},)\n"
    )
    scope["_Missing"] = _Missing
    exec(source, scope)  # noqa: S102 -- our own column names, quoted with repr
    convert: Converter = scope["convert"]
    return convert


class _Missing(dict[str, Any]):
    """A row's copy whose missing columns read as None."""

    def __missing__(self, key: str) -> None:
        return None


_PREPARED: weakref.WeakKeyDictionary[sa.Dialect, dict[tuple[str, str], PreparedStatement]] = (
    weakref.WeakKeyDictionary()
)


def can_prepare(table: sa.Table) -> bool:
    """Whether rows of `table` can go through the prepared path: no column has a default
    (a missing value is NULL, as the per-row upsert made it)."""
    return all(c.default is None and c.server_default is None for c in table.columns)


def prepared_upsert(conn: sa.Connection, table: sa.Table, insert: Any) -> PreparedStatement:
    """`INSERT … ON CONFLICT (key) DO UPDATE SET every other column`, over every column of
    `table`, compiled once for this connection's dialect (`insert`: the dialect's insert)."""

    def build() -> sa.ClauseElement:
        keys = [c.name for c in table.primary_key.columns]
        values = {c.name: sa.bindparam(c.name, type_=c.type) for c in table.columns}
        statement = insert.values(values)
        updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        upsert: sa.ClauseElement = statement.on_conflict_do_update(
            index_elements=keys, set_=updates
        )
        return upsert

    return _prepared(conn, table, "upsert", build, [c.name for c in table.columns])


def prepared_touch(conn: sa.Connection, table: sa.Table) -> PreparedStatement:
    """`UPDATE … SET synced_at = :synced_at WHERE <primary key>`, compiled once."""
    keys = [c.name for c in table.primary_key.columns]

    def build() -> sa.ClauseElement:
        where = [table.c[k] == sa.bindparam(k, type_=table.c[k].type) for k in keys]
        stamp = sa.bindparam("synced_at", type_=table.c.synced_at.type)
        return table.update().where(*where).values(synced_at=stamp)

    return _prepared(conn, table, "touch", build, ["synced_at", *keys])


def _prepared(
    conn: sa.Connection,
    table: sa.Table,
    kind: str,
    build: Callable[[], sa.ClauseElement],
    wanted: list[str],
) -> PreparedStatement:
    dialect = conn.dialect
    cache = _PREPARED.setdefault(dialect, {})
    found = cache.get((kind, table.name))
    if found is not None:
        return found
    compiled = build().compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(wanted)
    processors = tuple(
        _fast_processor(
            compiled.binds[n].type, dialect, compiled.binds[n].type._cached_bind_processor(dialect)
        )
        for n in names
    )
    prepared = PreparedStatement(
        sql=compiled.string,
        names=names,
        processors=processors,
        positional=positional,
        convert=_converter(names, processors),
    )
    cache[(kind, table.name)] = prepared
    return prepared


# --- what is stored ---------------------------------------------------------------------------


def _key_names(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns if c.name != "connection_id"]


def _getter(positions: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """`operator.itemgetter` that always answers a tuple (a single position or key too; no
    position: the empty tuple, the key of a table with one row per connection)."""
    if not positions:
        return lambda _values: ()
    if len(positions) == 1:
        one = positions[0]
        return lambda values: (values[one],)
    getter: Callable[[Any], tuple[Any, ...]] = itemgetter(*positions)
    return getter


def _key_ranges(keys: list[str], chunk: list[tuple[Any, ...]]) -> list[tuple[str, list[Any]]]:
    """IN lists that match at least the keys in `chunk` (the caller keeps the exact keys):
    one per leading key column while the index probes they make (the product of the
    lists' lengths) stay within twice the chunk; a probe per combination of every column
    would be the chunk's size squared for a key of three columns."""
    ranges: list[tuple[str, list[Any]]] = []
    probes = 1
    for index, name in enumerate(keys):
        values = sorted({key[index] for key in chunk})
        if ranges and probes * len(values) > 2 * len(chunk):
            break
        ranges.append((name, values))
        probes *= len(values)
    return ranges


def _marks(conn: sa.Connection, count: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def _stored_as_driver_reads(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    wanted: list[tuple[Any, ...]],
    connection_id: Any,
    *,
    bound: Sequence[Any] = (),
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The live stored rows with the keys `wanted`, as the driver returns them (no
    SQLAlchemy processing), by key: the SQL expressions `columns` in that order (quoted
    names, casts, or parameter marks whose values are `bound`, e.g. a page's new
    `synced_at`, so a stored row compares with a converted one as it is)."""
    keys = _key_names(table)
    quote = conn.dialect.identifier_preparer.quote
    # Identifiers of our own schema, quoted by the dialect; every value is a bound parameter.
    select = f"SELECT {', '.join(columns)} FROM {quote(table.name)} WHERE "  # noqa: S608
    live = " AND deleted_at IS NULL" if "deleted_at" in table.c else ""
    key_of = _getter([list(columns).index(quote(k)) for k in keys])
    exact = set(wanted)
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for start in range(0, len(wanted), KEY_CHUNK):
        chunk = wanted[start : start + KEY_CHUNK]
        params: list[Any] = [*bound, connection_id]
        clauses = [f"connection_id = {_marks(conn, 1)}"]
        for name, values in _key_ranges(keys, chunk):
            clauses.append(f"{quote(name)} IN ({_marks(conn, len(values))})")
            params.extend(values)
        sql = select + " AND ".join(clauses) + live
        for stored in conn.exec_driver_sql(sql, tuple(params)).cursor.fetchall():
            key = key_of(stored)
            if key in exact:
                found[key] = tuple(stored)
    return found


def live_children(
    conn: sa.Connection,
    table: sa.Table,
    parent_column: str,
    parent_ids: Sequence[Any],
    *,
    connection_id: int,
) -> list[Any]:
    """Ids of the live rows of `table` whose `parent_column` is one of `parent_ids` (one
    driver-level query per 500 parents)."""
    quote = conn.dialect.identifier_preparer.quote
    live = " AND deleted_at IS NULL" if "deleted_at" in table.c else ""
    found: list[Any] = []
    for start in range(0, len(parent_ids), KEY_CHUNK):
        chunk = list(parent_ids[start : start + KEY_CHUNK])
        sql = (
            f"SELECT id FROM {quote(table.name)} WHERE connection_id = {_marks(conn, 1)}"  # noqa: S608 -- our identifiers
            f" AND {quote(parent_column)} IN ({_marks(conn, len(chunk))}){live}"
        )
        rows = conn.exec_driver_sql(sql, (connection_id, *chunk)).cursor.fetchall()
        found += [row[0] for row in rows]
    return found


@dataclass(frozen=True)
class TableWrite:
    """What writing one table's rows of a page did."""

    changed: int
    """Rows that are new or whose `raw` differs from the stored row (`count_changed`)."""
    written: int
    """Rows written in full (the others only had `synced_at` set)."""


def write_rows(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Row],
    *,
    insert: Any,
    connection_id: int,
    now: datetime,
    skip_unchanged: bool = False,
) -> TableWrite:
    """Upsert `rows` of `table` for `connection_id` (prepared, one executemany); with
    `skip_unchanged`, rows equal to what is stored only get `synced_at = now`."""
    if not rows:
        return TableWrite(changed=0, written=0)
    upsert = prepared_upsert(conn, table, insert)
    fixed = upsert.fixed({"connection_id": connection_id, "synced_at": now})
    convert = upsert.convert
    converted = [convert(row, fixed) for row in rows]
    if not skip_unchanged:
        upsert.execute_converted(conn, converted)
        return TableWrite(changed=len(rows), written=len(rows))
    if conn.dialect.name == "sqlite":
        full, same, changed = _split_bound(
            conn, table, upsert=upsert, converted=converted, fixed=fixed
        )
    else:
        full, same, changed = _split_read(conn, table, rows, converted, connection_id)
    upsert.execute_converted(conn, full)
    if same:
        touch = prepared_touch(conn, table)
        # The touch's parameters (synced_at, connection_id, key) are converted values already.
        touch_of = _getter([upsert.names.index(n) for n in touch.names])
        touch.execute_converted(conn, [touch_of(values) for values in same])
    return TableWrite(changed=changed, written=len(full))


Split = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]
"""Rows to write in full and rows only to touch (both converted), and how many changed by
`raw`."""


def _split_bound(
    conn: sa.Connection,
    table: sa.Table,
    *,
    upsert: PreparedStatement,
    converted: list[tuple[Any, ...]],
    fixed: Mapping[str, Any],
) -> Split:
    """SQLite: compare each row's bound values with the stored ones (no parsing). The stored
    rows are read with the page's `synced_at` bound in its column, so equal rows are equal
    tuples."""
    names = upsert.names
    quote = conn.dialect.identifier_preparer.quote
    raw_at = names.index("raw")
    key_of = _getter([names.index(k) for k in _key_names(table)])
    wanted = list(dict.fromkeys(map(key_of, converted)))
    columns = [_marks(conn, 1) if n == "synced_at" else quote(n) for n in names]
    stored = _stored_as_driver_reads(
        conn, table, columns, wanted, fixed["connection_id"], bound=(fixed["synced_at"],)
    )
    full: list[tuple[Any, ...]] = []
    same: list[tuple[Any, ...]] = []
    changed = 0
    for values in converted:
        previous = stored.get(key_of(values))
        if previous is not None and previous == values:
            same.append(values)
            continue
        full.append(values)
        if previous is None or previous[raw_at] != values[raw_at]:
            changed += 1
    return full, same, changed


@functools.cache
def _row_values(names: tuple[str, ...]) -> Converter:
    """`(row, {}) -> the row's values of `names`` (missing ones None), generated once."""
    return _converter(names, (None,) * len(names))


def _split_read(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Row],
    converted: list[tuple[Any, ...]],
    connection_id: int,
) -> Split:
    """PostgreSQL: compare each row's values with the stored ones as psycopg returns them
    (JSON parsed, timestamps aware; numeric columns, returned as Decimal, read as float8 as
    SQLAlchemy's `Numeric(asdecimal=False)` reads them)."""
    quote = conn.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns if c.name not in _FIXED]
    columns = [
        f"CAST({quote(n)} AS double precision)"
        if isinstance(table.c[n].type, sa.Numeric) and not isinstance(table.c[n].type, sa.Float)
        else quote(n)
        for n in names
    ]
    raw_at = names.index("raw")
    keys = _key_names(table)
    row_key = _getter(keys)
    mine = _row_values(tuple(names))
    wanted = list(dict.fromkeys(map(row_key, rows)))
    stored = _stored_as_driver_reads(conn, table, columns, wanted, connection_id)
    full: list[tuple[Any, ...]] = []
    same: list[tuple[Any, ...]] = []
    changed = 0
    for row, values in zip(rows, converted, strict=True):
        previous = stored.get(row_key(row))
        if previous is not None and previous == mine(row, {}):
            same.append(values)
            continue
        full.append(values)
        if previous is None or previous[raw_at] != row["raw"]:
            changed += 1
    return full, same, changed
