"""SQL for the outbox (`store.outbox_schema`): record, find, claim and settle intents.

Every function takes an open `sqlalchemy.Connection`; the caller owns the transaction.
Rows come back as frozen dataclasses. States and kinds are plain strings here (their meaning
is `bigsync.writeback.intents`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigsync.errors import InputError
from bigsync.store import mirror_repository
from bigsync.store.outbox_schema import outbox
from bigsync.streams.spec import Batch

STOCK = "stock"
CONFIRMED = "confirmed"
PENDING = "pending"
HELD = "held"


def utcnow() -> datetime:
    """The current time in UTC, as every timestamp in the store."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxRow:
    """One intent."""

    id: int
    connection_id: int
    kind: str
    dedupe_key: str
    payload: Mapping[str, Any]
    state: str
    after_id: int | None
    attempts: int
    checks: int
    last_error: str | None
    result: Mapping[str, Any] | None
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


@dataclass(frozen=True)
class StockPushState:
    """The newest stock intent of one item at one location, and the last confirmed one.

    `quantity` is the hub quantity the newest intent carries; `sent_quantity` the level it
    sent (they differ when BigCommerce sold units meanwhile, see `writeback.stock_push`).
    """

    intent_id: int
    state: str
    quantity: int
    sent_quantity: int | None
    updated_at: datetime
    last_error: str | None
    confirmed_quantity: int | None
    confirmed_at: datetime | None


def _row(row: sa.Row[Any]) -> OutboxRow:
    m = row._mapping
    return OutboxRow(
        id=m["id"],
        connection_id=m["connection_id"],
        kind=m["kind"],
        dedupe_key=m["dedupe_key"],
        payload=m["payload"],
        state=m["state"],
        after_id=m["after_id"],
        attempts=m["attempts"],
        checks=m["checks"],
        last_error=m["last_error"],
        result=m["result"],
        next_attempt_at=m["next_attempt_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        sent_at=m["sent_at"],
        confirmed_at=m["confirmed_at"],
    )


# --- recording ------------------------------------------------------------------------------


def find_live(conn: sa.Connection, connection_id: int, live_key: str) -> OutboxRow | None:
    """The intent that a new recording with `live_key` joins, if there is one."""
    query = sa.select(outbox).where(
        outbox.c.connection_id == connection_id, outbox.c.live_key == live_key
    )
    row = conn.execute(query).first()
    return _row(row) if row is not None else None


def insert_intent(
    conn: sa.Connection,
    connection_id: int,
    *,
    kind: str,
    dedupe_key: str,
    live_key: str | None,
    payload: Mapping[str, Any],
    state: str = "pending",
    after_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A new intent; returns its id. A `live_key` another intent holds is an InputError."""
    now = now or utcnow()
    values = {
        "connection_id": connection_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "live_key": live_key,
        "payload": dict(payload),
        "state": state,
        "after_id": after_id,
        "attempts": 0,
        "checks": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    # No savepoint: a clash means another writer recorded the same intent at the same time,
    # and the caller's transaction is rolled back by the error anyway.
    try:
        result = conn.execute(outbox.insert().values(**values).returning(outbox.c.id))
        intent_id = int(result.scalar_one())
    except sa.exc.IntegrityError:
        raise InputError(
            f"the intent {dedupe_key} was recorded at the same time by another writer; "
            "record it again"
        ) from None
    return intent_id


def replace_payload(
    conn: sa.Connection, intent_id: int, payload: Mapping[str, Any], *, now: datetime | None = None
) -> None:
    """Give a pending intent a newer payload (coalescing: the latest value wins)."""
    now = now or utcnow()
    conn.execute(
        outbox.update()
        .where(outbox.c.id == intent_id)
        .values(payload=dict(payload), updated_at=now, next_attempt_at=now)
    )


KEYS_PER_QUERY = 500  # live keys per IN list: well under every backend's bound-parameter limit


_RECORDING_LOCK = sa.text(
    "SELECT pg_advisory_xact_lock(hashtext('bigsync outbox record ' || current_schema()), "
    ":connection)"
)


def serialize_recording(conn: sa.Connection, connection_id: int) -> None:
    """Make writers that record many intents of one connection take turns, until the end of
    the transaction (PostgreSQL; SQLite's `BEGIN IMMEDIATE` does it already). Two imports of
    overlapping items at once then never deadlock on each other's new live keys: the second
    waits, then coalesces into what the first recorded."""
    if conn.dialect.name == "postgresql":
        conn.execute(_RECORDING_LOCK, {"connection": connection_id})


def find_live_ids(
    conn: sa.Connection, connection_id: int, live_keys: Iterable[str], *, lock: bool = False
) -> dict[str, int]:
    """live_key -> id of the intents that new recordings with these keys join (one query per
    `KEYS_PER_QUERY` keys). With `lock`, the rows are locked until the transaction ends (on
    PostgreSQL: a dispatcher cannot claim them between this read and the caller's update)."""
    keys = sorted(set(live_keys))
    found: dict[str, int] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        query = sa.select(outbox.c.live_key, outbox.c.id).where(
            outbox.c.connection_id == connection_id,
            outbox.c.live_key.in_(keys[start : start + KEYS_PER_QUERY]),
        )
        if lock:
            query = query.with_for_update()
        found.update({str(key): int(intent_id) for key, intent_id in conn.execute(query)})
    return found


def replace_payloads(
    conn: sa.Connection,
    payloads: Mapping[int, Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> None:
    """`replace_payload` for many intents (intent id -> payload), in one executemany."""
    if not payloads:
        return
    now = now or utcnow()
    statement = (
        outbox.update()
        .where(outbox.c.id == sa.bindparam("_id"))
        .values(
            payload=sa.bindparam("_payload", type_=outbox.c.payload.type),
            updated_at=now,
            next_attempt_at=now,
        )
    )
    conn.execute(
        statement,
        [{"_id": intent_id, "_payload": dict(p)} for intent_id, p in sorted(payloads.items())],
    )


def insert_live_intents(
    conn: sa.Connection,
    connection_id: int,
    *,
    kind: str,
    payloads: Mapping[str, Mapping[str, Any]],
    now: datetime | None = None,
) -> dict[str, int]:
    """New pending intents, one per key (dedupe key = live key -> payload), in one
    executemany; returns key -> id. A key another writer recorded meanwhile (its transaction
    committed while this one waited on the unique live key) joins that intent instead: it
    takes this payload, as `replace_payload` would have."""
    if not payloads:
        return {}
    now = now or utcnow()
    insert = (
        postgresql.insert(outbox) if conn.dialect.name == "postgresql" else sqlite.insert(outbox)
    )
    statement = insert.on_conflict_do_update(
        index_elements=[outbox.c.connection_id, outbox.c.live_key],
        set_={
            "payload": insert.excluded.payload,
            "updated_at": insert.excluded.updated_at,
            "next_attempt_at": insert.excluded.next_attempt_at,
        },
    ).returning(outbox.c.live_key, outbox.c.id)
    rows = [
        {
            "connection_id": connection_id,
            "kind": kind,
            "dedupe_key": key,
            "live_key": key,
            "payload": dict(payload),
            "state": "pending",
            "after_id": None,
            "attempts": 0,
            "checks": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for key, payload in payloads.items()  # ids in the caller's order, as one by one
    ]
    result = conn.execute(statement, rows)
    return {str(key): int(intent_id) for key, intent_id in result}


# --- reading ------------------------------------------------------------------------------


def get_intent(conn: sa.Connection, connection_id: int, intent_id: int) -> OutboxRow | None:
    """One intent of the connection, if it exists."""
    query = sa.select(outbox).where(
        outbox.c.connection_id == connection_id, outbox.c.id == intent_id
    )
    row = conn.execute(query).first()
    return _row(row) if row is not None else None


def get_intents(conn: sa.Connection, ids: Iterable[int]) -> dict[int, OutboxRow]:
    """Intents by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(outbox).where(outbox.c.id.in_(wanted)))
    return {r.id: r for r in map(_row, rows)}


def list_intents(
    conn: sa.Connection,
    connection_id: int,
    *,
    states: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    limit: int | None = None,
    oldest_first: bool = False,
    before_id: int | None = None,
) -> list[OutboxRow]:
    """The connection's intents, newest first (or oldest first), optionally by state/kind;
    `before_id`: only intents with a smaller id (the next page of a newest-first list)."""
    query = sa.select(outbox).where(outbox.c.connection_id == connection_id)
    if before_id is not None:
        query = query.where(outbox.c.id < before_id)
    if states is not None:
        query = query.where(outbox.c.state.in_(list(states)))
    if kinds is not None:
        query = query.where(outbox.c.kind.in_(list(kinds)))
    query = query.order_by(outbox.c.id if oldest_first else outbox.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_row(r) for r in conn.execute(query)]


def due_intents(
    conn: sa.Connection, connection_id: int, *, kind: str, state: str, now: datetime
) -> list[OutboxRow]:
    """Intents of `kind` in `state` whose `next_attempt_at` has come, oldest first."""
    query = (
        sa.select(outbox)
        .where(
            outbox.c.connection_id == connection_id,
            outbox.c.kind == kind,
            outbox.c.state == state,
            outbox.c.next_attempt_at <= now,
        )
        .order_by(outbox.c.id)
    )
    return [_row(r) for r in conn.execute(query)]


def next_due_at(conn: sa.Connection, connection_id: int, states: Sequence[str]) -> datetime | None:
    """When the earliest intent in `states` is due, or None when there is none."""
    query = sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
        outbox.c.connection_id == connection_id, outbox.c.state.in_(list(states))
    )
    value = conn.execute(query).scalar_one_or_none()
    if value is None:
        return None
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def connections_with_work(
    conn: sa.Connection, *, anytime: Sequence[str], when_due: Sequence[str], now: datetime
) -> set[int]:
    """The connections with an intent in `anytime`, or in `when_due` with its
    `next_attempt_at` come, across all connections."""
    query = (
        sa.select(outbox.c.connection_id)
        .where(
            sa.or_(
                outbox.c.state.in_(list(anytime)),
                sa.and_(outbox.c.state.in_(list(when_due)), outbox.c.next_attempt_at <= now),
            )
        )
        .distinct()
    )
    return set(conn.execute(query).scalars())


def count_held_by_kind(conn: sa.Connection, connection_id: int) -> dict[str, int]:
    """How many held intents the connection has of each kind."""
    query = (
        sa.select(outbox.c.kind, sa.func.count())
        .where(outbox.c.connection_id == connection_id, outbox.c.state == HELD)
        .group_by(outbox.c.kind)
    )
    return {kind: int(n) for kind, n in conn.execute(query)}


def held_kinds(conn: sa.Connection) -> dict[int, set[str]]:
    """connection id -> the kinds of its held intents, across all connections."""
    query = (
        sa.select(outbox.c.connection_id, outbox.c.kind).where(outbox.c.state == HELD).distinct()
    )
    kinds: dict[int, set[str]] = {}
    for connection_id, kind in conn.execute(query):
        kinds.setdefault(int(connection_id), set()).add(str(kind))
    return kinds


def hold(
    conn: sa.Connection, intent_ids: Sequence[int], *, reason: str, now: datetime
) -> list[int]:
    """Move pending intents to held with `reason`; returns the ids that moved."""
    return _move(
        conn, intent_ids, from_state=PENDING, state=HELD, last_error=reason, updated_at=now
    )


def release_held(
    conn: sa.Connection, connection_id: int, *, kinds: Sequence[str], now: datetime
) -> int:
    """Make the connection's held intents of `kinds` pending and due now; returns how many."""
    if not kinds:
        return 0
    result = conn.execute(
        outbox.update()
        .where(
            outbox.c.connection_id == connection_id,
            outbox.c.state == HELD,
            outbox.c.kind.in_(list(kinds)),
        )
        .values(state=PENDING, last_error=None, next_attempt_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)


def count_by_state(conn: sa.Connection, connection_id: int) -> dict[str, int]:
    """How many intents the connection has in each state."""
    query = (
        sa.select(outbox.c.state, sa.func.count())
        .where(outbox.c.connection_id == connection_id)
        .group_by(outbox.c.state)
    )
    return {state: int(n) for state, n in conn.execute(query)}


def stock_push_states(
    conn: sa.Connection, connection_id: int
) -> dict[tuple[int, int], StockPushState]:
    """(variant_id, location_id) -> the newest stock intent's state and the last confirmed
    level, for every item and location bigsync ever recorded stock for. Dropped intents
    count as the newest only when nothing else was recorded. A product-level item recorded
    without a variant id (0) is keyed by minus its product id."""
    query = (
        sa.select(outbox)
        .where(outbox.c.connection_id == connection_id, outbox.c.kind == STOCK)
        .order_by(outbox.c.id)
    )
    newest: dict[tuple[int, int], OutboxRow] = {}
    confirmed: dict[tuple[int, int], OutboxRow] = {}
    for row in map(_row, conn.execute(query)):
        variant = int(row.payload["variant_id"]) or -int(row.payload["product_id"])
        key = (variant, int(row.payload["location_id"]))
        if row.state != "dropped" or key not in newest or newest[key].state == "dropped":
            newest[key] = row
        if row.state == CONFIRMED:
            confirmed[key] = row
    return {key: _push_state(row, confirmed.get(key)) for key, row in newest.items()}


def _push_state(row: OutboxRow, confirmed: OutboxRow | None) -> StockPushState:
    sent = (row.result or {}).get("sent_quantity")
    return StockPushState(
        intent_id=row.id,
        state=row.state,
        quantity=int(row.payload["quantity"]),
        sent_quantity=int(sent) if sent is not None else None,
        updated_at=row.updated_at,
        last_error=row.last_error,
        confirmed_quantity=_confirmed_level(confirmed),
        confirmed_at=confirmed.confirmed_at if confirmed is not None else None,
    )


def _confirmed_level(row: OutboxRow | None) -> int | None:
    if row is None or row.result is None or row.result.get("sent_quantity") is None:
        return None
    return int(row.result["sent_quantity"])


def confirmed_stock_levels(
    conn: sa.Connection, connection_id: int, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """(variant_id, location_id) -> the level BigCommerce showed at the last confirmed push
    of that item (what the conflict rule compares BigCommerce's current level with)."""
    wanted = set(keys)
    if not wanted:
        return {}
    states = stock_push_states(conn, connection_id)
    return {
        key: state.confirmed_quantity
        for key, state in states.items()
        if key in wanted and state.confirmed_quantity is not None
    }


# --- settling -----------------------------------------------------------------------------


def update_intent(
    conn: sa.Connection,
    intent_id: int,
    *,
    now: datetime | None = None,
    expect_state: str | None = None,
    **values: Any,
) -> bool:
    """Set columns of one intent (`updated_at` too); with `expect_state`, only if the intent
    is still in that state. Returns whether a row changed."""
    allowed = set(outbox.c.keys()) - {"id", "connection_id", "kind", "dedupe_key", "created_at"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not outbox columns: {', '.join(sorted(unknown))}")
    query = outbox.update().where(outbox.c.id == intent_id)
    if expect_state is not None:
        query = query.where(outbox.c.state == expect_state)
    result = conn.execute(query.values(updated_at=now or utcnow(), **values))
    return bool(result.rowcount)


def claim(
    conn: sa.Connection, intent_ids: Sequence[int], *, from_state: str, now: datetime
) -> list[int]:
    """Move intents from `from_state` to `sending` and count an attempt; their live key is
    released for stock and status (a newer recording starts a new intent). Returns the ids
    that moved (an intent another dispatcher took or the user dropped is left alone)."""
    return _move(
        conn,
        intent_ids,
        from_state=from_state,
        state="sending",
        attempts=outbox.c.attempts + 1,
        updated_at=now,
        live_key=sa.case((outbox.c.kind == "shipment", outbox.c.live_key), else_=None),
    )


def _move(
    conn: sa.Connection, intent_ids: Sequence[int], *, from_state: str, **values: Any
) -> list[int]:
    """Set `values` on those of the intents that are in `from_state`, in one statement;
    returns the ids that moved, sorted."""
    if not intent_ids:
        return []
    statement = (
        outbox.update()
        .where(outbox.c.id.in_(list(intent_ids)), outbox.c.state == from_state)
        .values(**values)
        .returning(outbox.c.id)
    )
    return sorted(int(i) for i in conn.execute(statement).scalars())


def dependents(conn: sa.Connection, intent_id: int) -> list[OutboxRow]:
    """Intents that wait for `intent_id` (an order status after its shipment)."""
    query = sa.select(outbox).where(outbox.c.after_id == intent_id).order_by(outbox.c.id)
    return [_row(r) for r in conn.execute(query)]


def set_many(conn: sa.Connection, changes: Sequence[Mapping[str, Any]], *, now: datetime) -> None:
    """Update several intents at once: each change is `{"id": ..., column: value, ...}`;
    every change must set the same columns."""
    if not changes:
        return
    columns = sorted(set(changes[0]) - {"id"})
    statement = (
        outbox.update()
        .where(outbox.c.id == sa.bindparam("_id"))
        .values(updated_at=now, **{c: sa.bindparam(f"_{c}") for c in columns})
    )
    conn.execute(
        statement, [{"_id": ch["id"], **{f"_{c}": ch[c] for c in columns}} for ch in changes]
    )


def write_confirmed_levels(
    conn: sa.Connection, connection_id: int, batch: Batch, *, now: datetime
) -> None:
    """Put inventory levels read back from the store into the mirror (rows as a sync writes
    them), and the catalog's stock that follows from them."""
    if not batch.rows:
        return
    mirror_repository.write_batch(conn, batch, connection_id=connection_id, now=now)
    mirror_repository.set_catalog_stock(conn, connection_id=connection_id)


def set_next_attempt(
    conn: sa.Connection, intent_ids: Sequence[int], *, at: datetime, now: datetime
) -> None:
    """Make these intents due at `at`."""
    ids = list(intent_ids)
    for start in range(0, len(ids), 500):
        conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(ids[start : start + 500]))
            .values(next_attempt_at=at, updated_at=now)
        )
