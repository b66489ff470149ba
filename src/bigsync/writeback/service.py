"""Write-back use-cases over the connection service: dispatch a connection's outbox with a
real client (what `bigsync push` and the scheduler run), find the connections with work
waiting, list it (a page at a time, by state or by filter), retry or drop an entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bigsync.bigcommerce import BigCommerceClient, ClientOptions
from bigsync.errors import InputError
from bigsync.store import connection_repository
from bigsync.store import outbox_repository as repo
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.writeback import outbox
from bigsync.writeback.dispatcher import DispatchOptions, DispatchResult, OutboxDispatcher
from bigsync.writeback.gate import kinds_of, write_gate
from bigsync.writeback.intents import OPEN_STATES, IntentKind, IntentState, describe

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from bigsync.connections import ConnectionService


async def push_connection(
    service: ConnectionService,
    name: str,
    *,
    options: DispatchOptions | None = None,
    client_options: ClientOptions | None = None,
) -> DispatchResult:
    """Dispatch the outbox of the connection called `name` and wait for the outcome (raises
    DispatchLockedError when another dispatch of it runs). Writes whose feature is off are
    held (`writeback.gate`), and held ones whose feature is on again are sent; writes whose
    scope the last connection test found missing fail at once, with the scope named."""
    view = service.get(name)
    gate = write_gate(view)
    db = UnitOfWork(service.engine)
    with db.read() as conn:
        counts = repo.count_by_state(conn, view.id)
    if counts.get(IntentState.HELD) and gate.allowed:
        with db.write() as conn:
            kinds = sorted(gate.allowed)
            if repo.release_held(conn, view.id, kinds=kinds, now=repo.utcnow()):
                counts = repo.count_by_state(conn, view.id)
    if not any(state in OPEN_STATES for state in counts):
        # Nothing to send: no client, no lock (the scheduler's case).
        return _with_held(DispatchResult(), db, view.id, gate.held)
    credentials = service.credentials(name)
    async with BigCommerceClient(
        credentials, base_url=view.api_url, options=client_options
    ) as client:
        dispatcher = OutboxDispatcher(
            service.engine,
            client,
            connection_id=view.id,
            connection_name=view.name,
            gate=gate,
            options=options,
        )
        result = await dispatcher.run()
    return _with_held(result, db, view.id, gate.held)


def _with_held(
    result: DispatchResult,
    db: UnitOfWork,
    connection_id: int,
    reasons: Mapping[IntentKind, str],
) -> DispatchResult:
    """`result` with the connection's held intents counted by kind, and why they are held."""
    with db.read() as conn:
        held = repo.count_held_by_kind(conn, connection_id)
    result.held = held
    result.held_reasons = {kind: reasons[IntentKind(kind)] for kind in held if kind in reasons}
    return result


def connections_with_due_intents(db: Engine, *, now: datetime) -> set[int]:
    """The connections whose outbox has work for a dispatch now: an intent pending or sent
    (a stock level to read back) whose next attempt has come, one left `sending`, or a held
    one whose write feature is on again."""
    with UnitOfWork(db).read() as conn:
        due = repo.connections_with_work(
            conn,
            anytime=[IntentState.SENDING],
            when_due=[IntentState.PENDING, IntentState.SENT],
            now=now,
        )
        held = repo.held_kinds(conn)
        if held.keys() - due:
            features = connection_repository.features_by_id(conn, held.keys() - due)
            due |= {cid for cid, on in features.items() if kinds_of(on) & held[cid]}
    return due


def list_outbox(
    service: ConnectionService,
    name: str,
    *,
    states: tuple[IntentState, ...] | None = None,
    limit: int | None = 200,
) -> list[repo.OutboxRow]:
    """The connection's outbox entries, newest first."""
    view = service.get(name)
    with service.db.read() as conn:
        return outbox.list_intents(conn, view.id, states=states, limit=limit)


OUTBOX_FILTERS: dict[str, tuple[IntentState, ...]] = {
    "pending": (IntentState.PENDING, IntentState.HELD, IntentState.SENDING, IntentState.SENT),
    "failed": (IntentState.FAILED, IntentState.MISMATCHED),
    "done": (IntentState.CONFIRMED, IntentState.DROPPED, IntentState.SUPERSEDED),
}
"""What a list of the outbox can be narrowed to: still to be sent (or confirmed), needing
the user (retry or drop), settled."""


def outbox_states(text: str | None) -> tuple[IntentState, ...] | None:
    """The states a filter (`pending`, `failed`, `done`) or a single state name stands for
    (`pending` is the filter: pending, held, sending and sent); None or `all`: every state.
    InputError naming the valid words otherwise."""
    if text is None or text.strip().lower() in ("", "all"):
        return None
    word = text.strip().lower()
    if word in OUTBOX_FILTERS:
        return OUTBOX_FILTERS[word]
    try:
        return (IntentState(word),)
    except ValueError:
        states = [s.value for s in IntentState if s.value not in OUTBOX_FILTERS]
        valid = ", ".join([*OUTBOX_FILTERS, *states])
        raise InputError(f"no outbox state or filter {text!r} (valid: all, {valid})") from None


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox row as a list shows it: the row and one line saying what it writes."""

    row: repo.OutboxRow
    what: str

    @property
    def can_retry(self) -> bool:
        """Whether `retry_entry` accepts it."""
        return self.row.state in (IntentState.FAILED, IntentState.MISMATCHED)

    @property
    def can_drop(self) -> bool:
        """Whether `drop_entry` accepts it."""
        return self.row.state in (IntentState.PENDING, IntentState.SENT) or self.can_retry


@dataclass(frozen=True)
class OutboxPage:
    """One page of a connection's outbox, newest first; `next_before_id` is where the next
    page starts (None: this is the last). `counts` has every state's total."""

    entries: tuple[OutboxEntry, ...]
    next_before_id: int | None
    counts: dict[str, int]


def outbox_page(
    service: ConnectionService,
    name: str,
    *,
    states: tuple[IntentState, ...] | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> OutboxPage:
    """A page of the connection's outbox (newest first; entries older than `before_id`)."""
    view = service.get(name)
    with service.db.read() as conn:
        rows = outbox.list_intents(
            conn, view.id, states=states, limit=limit + 1, before_id=before_id
        )
        counts = repo.count_by_state(conn, view.id)
    more = len(rows) > limit
    shown = rows[:limit]
    return OutboxPage(
        entries=tuple(OutboxEntry(r, describe(r.kind, r.payload)) for r in shown),
        next_before_id=shown[-1].id if more else None,
        counts=counts,
    )


def outbox_entry(service: ConnectionService, name: str, intent_id: int) -> OutboxEntry:
    """One entry of the connection's outbox (IntentNotFoundError when there is none)."""
    view = service.get(name)
    with service.db.read() as conn:
        row = repo.get_intent(conn, view.id, intent_id)
    if row is None:
        raise outbox.IntentNotFoundError(f"no outbox entry {intent_id} for this connection")
    return OutboxEntry(row, describe(row.kind, row.payload))


def retry_entry(service: ConnectionService, name: str, intent_id: int) -> repo.OutboxRow:
    """Send a failed or mismatched entry again at the next push."""
    view = service.get(name)
    with service.db.write() as conn:
        return outbox.retry_intent(conn, view.id, intent_id)


def drop_entry(service: ConnectionService, name: str, intent_id: int) -> repo.OutboxRow:
    """Give an entry up; it stays listed as dropped."""
    view = service.get(name)
    with service.db.write() as conn:
        return outbox.drop_intent(conn, view.id, intent_id)
