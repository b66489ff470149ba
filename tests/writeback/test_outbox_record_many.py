"""Recording many stock levels at once: the same outbox as recording them one by one (both
backends), nothing written when one level is bad, and two imports of the same items at the
same time on PostgreSQL (the second joins the first's intents instead of failing)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.errors import InputError
from bigsync.store import outbox_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.writeback.intents import IntentState, StockLevel
from bigsync.writeback.outbox import (
    drop_intent,
    list_intents,
    record_stock,
    record_stock_many,
    retry_intent,
)
from tests.databases import add_connection


def level(variant_id: int, location_id: int, quantity: int, product_id: int = 1) -> StockLevel:
    return StockLevel(product_id, variant_id, f"SKU-{variant_id}", location_id, quantity)


# --- what is in the outbox before the batch ---------------------------------------------------


def record(db: UnitOfWork, cid: int, *levels: StockLevel) -> list[int]:
    with db.write() as conn:
        return [
            record_stock(
                conn,
                cid,
                product_id=lv.product_id,
                variant_id=lv.variant_id,
                sku=lv.sku,
                location_id=lv.location_id,
                quantity=lv.quantity,
            )
            for lv in levels
        ]


def claim(db: UnitOfWork, ids: list[int], *, then: str | None = None) -> None:
    """Move intents to sending (as a dispatcher does), then optionally to `then`."""
    with db.write() as conn:
        outbox_repository.claim(conn, ids, from_state="pending", now=outbox_repository.utcnow())
        for intent_id in ids if then is not None else ():
            outbox_repository.update_intent(conn, intent_id, state=then)


def nothing(db: UnitOfWork, cid: int) -> None:
    """An empty outbox."""


def one_pending(db: UnitOfWork, cid: int) -> None:
    record(db, cid, level(10, 1, 3))


def one_sending(db: UnitOfWork, cid: int) -> None:
    claim(db, record(db, cid, level(10, 1, 3)))


def one_sent(db: UnitOfWork, cid: int) -> None:
    claim(db, record(db, cid, level(10, 1, 3)), then=IntentState.SENT)


def superseded(db: UnitOfWork, cid: int) -> None:
    """Confirmed, then a newer level sent, then a newer one pending; a dropped one elsewhere
    and a failed one retried (pending again, but no longer live)."""
    claim(db, record(db, cid, level(10, 1, 3)), then=IntentState.CONFIRMED)
    claim(db, record(db, cid, level(10, 1, 4)), then=IntentState.SENT)
    record(db, cid, level(10, 1, 5))
    (dropped,) = record(db, cid, level(11, 1, 6))
    with db.write() as conn:
        drop_intent(conn, cid, dropped)
    (failed,) = record(db, cid, level(12, 1, 7))
    claim(db, [failed], then=IntentState.FAILED)
    with db.write() as conn:
        retry_intent(conn, cid, failed)


@dataclass(frozen=True)
class Case:
    name: str
    before: Callable[[UnitOfWork, int], None]
    batch: tuple[StockLevel, ...]


CASES = [
    Case("new levels", nothing, (level(20, 1, 1), level(10, 2, 2), level(10, 1, 3))),
    Case("coalesced into the pending one", one_pending, (level(10, 1, 9), level(20, 1, 1))),
    Case("in flight: sending", one_sending, (level(10, 1, 9),)),
    Case("in flight: sent", one_sent, (level(10, 1, 9), level(10, 2, 8))),
    Case(
        "superseded, dropped and retried",
        superseded,
        (level(10, 1, 9), level(11, 1, 8), level(12, 1, 7), level(13, 1, 6)),
    ),
    Case(
        "duplicates in one batch: the last wins",
        one_pending,
        (level(10, 1, 1), level(20, 1, 2), level(10, 1, 3), level(20, 1, 4), level(10, 1, 5)),
    ),
    Case(
        "a product-level item without a variant id (keyed by its product)",
        nothing,
        (level(0, 1, 1, product_id=7), level(0, 1, 2, product_id=7), level(0, 1, 3, product_id=8)),
    ),
]


def snapshot(db: UnitOfWork, cid: int) -> list[tuple[Any, ...]]:
    """The connection's outbox with ids as their rank (two connections compare equal)."""
    with db.read() as conn:
        rows = sorted(list_intents(conn, cid, limit=None), key=lambda r: r.id)
        live: dict[int, str | None] = dict(
            conn.execute(
                sa.text("SELECT id, live_key FROM outbox WHERE connection_id = :c"), {"c": cid}
            ).all()
        )
    return [
        (n, r.kind, r.dedupe_key, live[r.id], dict(r.payload), r.state, r.attempts)
        for n, r in enumerate(rows)
    ]


def ranks(db: UnitOfWork, cid: int, ids: list[int]) -> list[int]:
    with db.read() as conn:
        order = sorted(r.id for r in list_intents(conn, cid, limit=None))
    return [order.index(i) for i in ids]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_many_is_the_same_as_one_by_one(engine: sa.Engine, case: Case) -> None:
    db = UnitOfWork(engine)
    one_by_one, many = add_connection(engine, "single"), add_connection(engine, "batch")
    for cid in (one_by_one, many):
        case.before(db, cid)
    single_ids = record(db, one_by_one, *case.batch)
    with db.write() as conn:
        many_ids = record_stock_many(conn, many, list(case.batch))
    assert ranks(db, many, many_ids) == ranks(db, one_by_one, single_ids)
    assert snapshot(db, many) == snapshot(db, one_by_one)


def test_many_levels_span_several_reads(engine: sa.Engine) -> None:
    """More keys than one IN list takes: every pending one is found and coalesced."""
    db = UnitOfWork(engine)
    cid = add_connection(engine, "shop")
    count = outbox_repository.KEYS_PER_QUERY * 2 + 7
    with db.write() as conn:
        first = record_stock_many(conn, cid, [level(v, 1, 1) for v in range(1, count + 1)])
    with db.write() as conn:
        again = record_stock_many(conn, cid, [level(v, 1, 2) for v in range(count, 0, -1)])
    assert again == first[::-1]
    assert len(set(first)) == count
    with db.read() as conn:
        states = outbox_repository.stock_push_states(conn, cid)
    assert {s.quantity for s in states.values()} == {2}
    assert len(states) == count


def test_a_bad_level_writes_nothing(engine: sa.Engine) -> None:
    db = UnitOfWork(engine)
    cid = add_connection(engine, "shop")
    with pytest.raises(InputError, match="0 or more"), db.write() as conn:
        record_stock_many(conn, cid, [level(10, 1, 1), level(11, 1, -1)])
    with pytest.raises(InputError, match="location id"), db.write() as conn:
        record_stock_many(conn, cid, [level(10, 1, 1), level(11, 0, 1)])
    with db.write() as conn:
        assert record_stock_many(conn, cid, []) == []
    with db.read() as conn:
        assert list_intents(conn, cid) == []


@pytest.mark.postgres
@pytest.mark.parametrize("reverse", [False, True], ids=["same-order", "reverse-order"])
def test_two_imports_at_once_share_the_live_intents(postgres_url: str, reverse: bool) -> None:
    """The second import waits while the first is open; when the first commits, the second
    joins its intents (its values win), in whatever order it lists the items, instead of
    failing or leaving two live intents of one item and location."""
    engine = create_engine_for(postgres_url)
    migrate(engine)
    db = UnitOfWork(engine)
    cid = add_connection(engine, "shop")
    first_recorded = threading.Event()
    release_first = threading.Event()
    results: dict[str, list[int]] = {}
    first_pid: list[int] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with db.write() as conn:
                first_pid.append(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
                results["first"] = record_stock_many(
                    conn, cid, [level(v, 1, 1) for v in range(1, 51)]
                )
                first_recorded.set()
                assert release_first.wait(60)
        except BaseException as error:
            errors.append(error)
            first_recorded.set()

    def second() -> None:
        try:
            with db.write() as conn:
                items = range(75, 25, -1) if reverse else range(26, 76)
                results["second"] = record_stock_many(conn, cid, [level(v, 1, 2) for v in items])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_recorded.wait(60)
    threads[1].start()
    try:
        _wait_until_blocked_by(engine, first_pid[0])
    finally:
        release_first.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    items = range(75, 25, -1) if reverse else range(26, 76)
    second_ids = dict(zip(items, results["second"], strict=True))
    assert [second_ids[v] for v in range(26, 51)] == results["first"][25:]
    with db.read() as conn:
        states = outbox_repository.stock_push_states(conn, cid)
        live = conn.execute(
            sa.text("SELECT count(*) FROM outbox WHERE live_key IS NOT NULL")
        ).scalar_one()
    assert live == len(states) == 75
    assert {v: s.quantity for (v, _), s in states.items()} == {
        v: 1 if v <= 25 else 2 for v in range(1, 76)
    }
    engine.dispose()


def _wait_until_blocked_by(engine: sa.Engine, pid: int) -> None:
    """Until a session waits for a lock the session `pid` holds (the second import's insert
    waiting for the first import's uncommitted live key)."""
    pause = threading.Event()
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    with engine.connect() as conn:
        for _ in range(1200):
            blocked = conn.execute(query, {"pid": pid}).scalar_one()
            conn.rollback()
            if blocked:
                return
            pause.wait(0.05)
    pytest.fail("the second import never waited for the first")
