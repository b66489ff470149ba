"""Which connections the tick gives an outbox job: the real query
(`writeback.service.connections_with_due_intents`) on both backends, one connection per
intent state and due time, so that a wrong state list or a wrong comparison fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigsync.store import outbox_repository
from bigsync.writeback.intents import IntentState
from bigsync.writeback.service import connections_with_due_intents
from tests.databases import add_connection

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)
LATER = NOW + timedelta(minutes=5)

# name -> (state, next_attempt_at), one intent per connection.
CASES: dict[str, tuple[IntentState, datetime]] = {
    "pending-due": (IntentState.PENDING, EARLIER),
    "pending-due-now": (IntentState.PENDING, NOW),  # due from its instant on
    "pending-later": (IntentState.PENDING, LATER),
    "sent-due": (IntentState.SENT, EARLIER),  # a stock level to read back
    "sent-later": (IntentState.SENT, LATER),
    "sending-later": (IntentState.SENDING, LATER),  # left by a crash: always work
    "confirmed": (IntentState.CONFIRMED, EARLIER),
    "failed": (IntentState.FAILED, EARLIER),
    "mismatched": (IntentState.MISMATCHED, EARLIER),
    "dropped": (IntentState.DROPPED, EARLIER),
    "superseded": (IntentState.SUPERSEDED, EARLIER),
}
WITH_WORK = {"pending-due", "pending-due-now", "sent-due", "sending-later"}


def _seed(engine: sa.Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, (state, due) in CASES.items():
        connection_id = add_connection(engine, name, store_hash=f"s{len(ids)}")
        with engine.begin() as conn:
            intent_id = outbox_repository.insert_intent(
                conn,
                connection_id,
                kind="stock",
                dedupe_key=f"stock:{name}",
                live_key=None,
                payload={"level": 1},
                state=state,
                now=EARLIER - timedelta(hours=1),
            )
            outbox_repository.update_intent(conn, intent_id, next_attempt_at=due, now=EARLIER)
        ids[name] = connection_id
    return ids


def test_the_tick_finds_exactly_the_connections_with_due_intents(engine: sa.Engine) -> None:
    ids = _seed(engine)
    names = {connection_id: name for name, connection_id in ids.items()}

    found = connections_with_due_intents(engine, now=NOW)

    assert {names[i] for i in found} == WITH_WORK


def test_an_intent_becomes_work_when_its_time_comes(engine: sa.Engine) -> None:
    ids = _seed(engine)
    names = {connection_id: name for name, connection_id in ids.items()}

    before = connections_with_due_intents(engine, now=EARLIER - timedelta(seconds=1))
    after = connections_with_due_intents(engine, now=LATER)

    assert {names[i] for i in before} == {"sending-later"}
    assert {names[i] for i in after} == WITH_WORK | {"pending-later", "sent-later"}


def test_two_intents_of_one_connection_name_it_once(engine: sa.Engine) -> None:
    connection_id = add_connection(engine, "busy-shop")
    with engine.begin() as conn:
        for n in range(3):
            outbox_repository.insert_intent(
                conn,
                connection_id,
                kind="stock",
                dedupe_key=f"stock:{n}",
                live_key=None,
                payload={"level": n},
                now=EARLIER,
            )

    assert connections_with_due_intents(engine, now=NOW) == {connection_id}
