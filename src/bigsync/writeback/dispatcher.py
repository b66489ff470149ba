"""The outbox dispatcher: send each recorded intent to the store exactly once.

`OutboxDispatcher(engine, client, connection_id=...).run()` holds the connection's dispatch
lock (`store.outbox_lock`) and works in rounds until nothing is due (or, without `wait`,
once): stock first, then shipments, then order statuses (a status set after a shipment waits
until that shipment is confirmed). Every request goes through the client, so through the
store's rate governor and the one retry decision (`bigcommerce.retry`): absolute PUTs are
marked idempotent, a shipment POST is repeated only after a 429.

Crash safety. An intent is marked `sending` in a committed transaction before its request
goes out, and settled in another after the answer. A dispatcher that dies in between leaves
it in `sending`; the next one resolves it first:

* stock: the level computed at the first send is sent again (absolute, safe to repeat);
* a shipment that was ever sent before is looked up among the order's shipments (same
  tracking number and items) and only created when none is there (`writeback.shipments`);
* an order status is set again (absolute).

Outcomes: a 4xx that repeating cannot fix -> `failed` with BigCommerce's message (a batch of
stock that fails 400/413/422 is split in halves until the bad item is alone, so one bad item
does not fail 1,999 good ones); 403 -> `failed` naming the missing scope; a retriable error
that outlived the client's retries -> back to `pending` with a growing delay, `failed` after
`max_attempts` dispatches. Nothing leaves the outbox: failed intents stay, with their error,
for `bigsync outbox NAME retry|drop ID`.

`hook(step, intent_ids)` is called at each step between marking and settling (tests raise or
kill the process there to prove the claims above); `now` and `sleep` are injectable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigsync.errors import (
    ApiError,
    BadRequestError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnprocessableError,
    is_retriable,
)
from bigsync.store import outbox_repository as repo
from bigsync.store import webhook_repository
from bigsync.store.outbox_lock import hold_dispatch_lock
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.streams.rows import inventory_batch
from bigsync.writeback import order_status, shipments, stock_push
from bigsync.writeback.gate import OPEN_GATE, WriteGate, missing_scope_message, write_need
from bigsync.writeback.intents import (
    OPEN_STATES,
    IntentKind,
    IntentState,
    describe,
    shipment_from_payload,
    status_from_payload,
    stock_from_payload,
)
from bigsync.writeback.stock_push import ItemKey, PlannedItem, item_key

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from bigsync.bigcommerce import BigCommerceClient

log = logging.getLogger(__name__)

Now = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
Hook = Callable[[str, Sequence[int]], None]
"""Steps: "marked" (sending committed), "answered" (answer in hand, nothing committed),
"settling" (inside the settling transaction, before its commit)."""

P, S = IntentState.PENDING, IntentState.SENDING


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DispatchOptions:
    """How persistent a dispatch is. Waits are in seconds of the injected clock."""

    max_attempts: int = 8
    """Dispatches of one intent (each may hold several client retries) before it fails."""
    retry_base_s: float = 5.0
    retry_max_s: float = 600.0
    confirm_checks: int = 5
    """Read-backs of a sent stock level before it is declared mismatched."""
    confirm_delay_s: float = 1.0
    """Wait before the first read-back (the inventory API applies writes later); doubles."""
    batch_size: int = stock_push.MAX_BATCH
    read_chunk: int = stock_push.READ_CHUNK
    wait: bool = True
    """Keep dispatching until nothing is due (True), or make one round (False)."""
    max_wait_s: float = 300.0
    """With `wait`: stop once the next due intent is further away than this from the start."""

    def retry_delay_s(self, attempts: int) -> float:
        """The wait before dispatch number `attempts + 1` of an intent."""
        return float(min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class IntentOutcome:
    """Where one intent ended up in a dispatch."""

    id: int
    kind: str
    state: str
    description: str
    detail: str = ""


@dataclass
class DispatchResult:
    """What a dispatch did."""

    outcomes: dict[int, IntentOutcome] = field(default_factory=dict)
    requests: int = 0
    rounds: int = 0
    left: dict[str, int] = field(default_factory=dict)
    """Intents still open afterwards, by state."""
    held: dict[str, int] = field(default_factory=dict)
    """Held intents afterwards (their write feature is off), by kind."""
    held_reasons: dict[str, str] = field(default_factory=dict)
    """Why each kind in `held` is held, and how to turn its feature on."""

    def count(self, state: IntentState) -> int:
        """How many intents this dispatch left in `state`."""
        return sum(1 for o in self.outcomes.values() if o.state == state)

    def to_json(self) -> dict[str, Any]:
        """Plain data for `--json` and the API."""
        return {
            "requests": self.requests,
            "rounds": self.rounds,
            "counts": {s.value: self.count(s) for s in IntentState if self.count(s)},
            "left": self.left,
            "held": self.held,
            "held_reasons": self.held_reasons,
            "intents": [o.__dict__ for o in sorted(self.outcomes.values(), key=lambda o: o.id)],
        }


class OutboxDispatcher:
    """Sends one connection's outbox through `client`."""

    def __init__(
        self,
        engine: Engine,
        client: BigCommerceClient,
        *,
        connection_id: int,
        connection_name: str = "NAME",
        gate: WriteGate = OPEN_GATE,
        options: DispatchOptions | None = None,
        now: Now = utcnow,
        sleep: Sleep = asyncio.sleep,
        hook: Hook | None = None,
    ) -> None:
        self.engine = engine
        self.db = UnitOfWork(engine)
        self.client = client
        self.connection_id = connection_id
        self.connection_name = connection_name
        self.gate = gate
        self.options = options or DispatchOptions()
        self._now = now
        self._sleep = sleep
        self._hook = hook
        self.result = DispatchResult()
        self._changes = 0
        self._sent_now: dict[int, bool] = {}

    # --- the loop --------------------------------------------------------------------------

    async def run(self) -> DispatchResult:
        """Dispatch until nothing is due (see `DispatchOptions.wait`); returns the outcome."""
        before = self.client.stats.requests
        started = self._now()
        with hold_dispatch_lock(self.engine, connection_id=self.connection_id):
            while True:
                self.result.rounds += 1
                changes = self._changes
                await self.round()
                if not self.options.wait:
                    break
                due = self._next_due()
                if due is None:
                    break
                delay = (due - self._now()).total_seconds()
                if delay <= 0 and self._changes == changes:  # due, but nothing could move
                    delay = self.options.confirm_delay_s
                wake = self._now() + timedelta(seconds=max(0.0, delay))
                if (wake - started).total_seconds() > self.options.max_wait_s:
                    break
                if delay > 0:
                    await self._sleep(delay)
        with self.db.read() as conn:
            counts = repo.count_by_state(conn, self.connection_id)
        self.result.left = {s: n for s, n in counts.items() if s in OPEN_STATES}
        self.result.requests = self.client.stats.requests - before
        return self.result

    def _next_due(self) -> datetime | None:
        """When the next open intent that can move is due (a status waiting for a shipment
        that failed cannot move, and must not keep the dispatch alive)."""
        with self.db.read() as conn:
            rows = repo.list_intents(conn, self.connection_id, states=sorted(OPEN_STATES))
            afters = repo.get_intents(conn, [r.after_id for r in rows if r.after_id])
        due = [
            row.next_attempt_at
            for row in rows
            if row.after_id is None or afters[row.after_id].state == IntentState.CONFIRMED
        ]
        return min(due) if due else None

    async def round(self) -> None:
        """One pass over every kind, in order."""
        await self._stock()
        await self._confirm_stock()
        await self._shipments()
        await self._statuses()

    # --- helpers ---------------------------------------------------------------------------

    def _step(self, name: str, ids: Sequence[int]) -> None:
        if self._hook is not None:
            self._hook(name, ids)

    def _note(self, row: repo.OutboxRow, state: str, detail: str = "") -> None:
        if state != row.state or row.id not in self.result.outcomes:
            self._changes += 1
        self.result.outcomes[row.id] = IntentOutcome(
            row.id, row.kind, state, describe(row.kind, row.payload), detail
        )

    def _open_rows(self, conn: Connection, kind: IntentKind) -> list[repo.OutboxRow]:
        """`sending` intents of `kind` (left by a crash) and the pending ones now due."""
        sending = repo.list_intents(
            conn, self.connection_id, states=[S], kinds=[kind], oldest_first=True
        )
        pending = repo.due_intents(conn, self.connection_id, kind=kind, state=P, now=self._now())
        return sorted([*sending, *pending], key=lambda r: r.id)

    def _fail_all(self, rows: Iterable[repo.OutboxRow], message: str) -> None:
        now = self._now()
        rows = list(rows)
        with self.db.write() as conn:
            for row in rows:
                repo.update_intent(
                    conn, row.id, now=now, state=IntentState.FAILED, last_error=message
                )
        for row in rows:
            self._note(row, IntentState.FAILED, message)

    def _hold_off(self, rows: Sequence[repo.OutboxRow], kind: IntentKind) -> list[repo.OutboxRow]:
        """Hold the pending `rows` when the gate holds `kind`; the rows left to dispatch (all
        of them, or those already on their way: `sending` ones are settled as usual)."""
        reason = self.gate.hold(kind)
        if reason is None:
            return list(rows)
        pending = [r for r in rows if r.state == P]
        with self.db.write() as conn:
            held = set(repo.hold(conn, [r.id for r in pending], reason=reason, now=self._now()))
        for row in pending:
            if row.id in held:
                self._note(row, IntentState.HELD, reason)
        return [r for r in rows if r.state != P]

    def _error_text(self, error: ApiError, kind: IntentKind) -> str:
        if isinstance(error, PermissionDeniedError):
            return missing_scope_message(write_need(kind), self.connection_name)
        return _one_line(str(error))

    def _after_error(
        self, rows: Sequence[repo.OutboxRow], error: ApiError, kind: IntentKind
    ) -> None:
        """Settle intents whose request failed with `error` (the client's retries are over)."""
        now = self._now()
        text = self._error_text(error, kind)
        with self.db.write() as conn:
            for row in rows:
                current = repo.get_intents(conn, [row.id])[row.id]
                attempts = current.attempts
                if is_retriable(error) and attempts < self.options.max_attempts:
                    delay = self.options.retry_delay_s(attempts)
                    repo.update_intent(
                        conn,
                        row.id,
                        now=now,
                        state=P,
                        last_error=f"attempt {attempts} failed: {text}",
                        next_attempt_at=now + timedelta(seconds=delay),
                    )
                    self._note(row, P, f"will retry: {text}")
                else:
                    final = (
                        text
                        if not is_retriable(error)
                        else f"gave up after {attempts} attempts: {text}"
                    )
                    repo.update_intent(
                        conn, row.id, now=now, state=IntentState.FAILED, last_error=final
                    )
                    self._note(row, IntentState.FAILED, final)

    # --- stock -----------------------------------------------------------------------------

    async def _stock(self) -> None:
        with self.db.read() as conn:
            rows = self._open_rows(conn, IntentKind.STOCK)
        rows = self._hold_off(rows, IntentKind.STOCK)
        if not rows:
            return
        with self.db.read() as conn:
            waiting = {
                item_key(stock_from_payload(r.payload))
                for r in repo.list_intents(
                    conn, self.connection_id, states=[IntentState.SENT], kinds=[IntentKind.STOCK]
                )
            }
        refusal = self.gate.refusal(IntentKind.STOCK)
        if refusal is not None:
            self._fail_all(rows, refusal)
            return
        chosen, superseded = _choose_stock(rows, busy=waiting)
        if superseded:
            self._supersede(superseded)
        if not chosen:
            return
        planned = await self._plan_levels(chosen)
        if planned is None:
            return
        self._step("marked", [p.intent_id for p in planned])
        rows_by_id = {r.id: r for r in chosen}
        for batch in stock_push.batches(planned, size=self.options.batch_size):
            await self._send_stock_batch(batch, rows_by_id)
        # Read back once every batch had its delay: one read per 500 items, not per batch.
        sent = [p.intent_id for p in planned if self._sent_now.get(p.intent_id)]
        if sent:
            now = self._now()
            at = now + timedelta(seconds=self.options.confirm_delay_s)
            with self.db.write() as conn:
                repo.set_next_attempt(conn, sent, at=at, now=now)

    def _supersede(self, rows: Sequence[tuple[repo.OutboxRow, int]]) -> None:
        now = self._now()
        with self.db.write() as conn:
            for row, newer in rows:
                repo.update_intent(
                    conn,
                    row.id,
                    now=now,
                    state=IntentState.SUPERSEDED,
                    live_key=None,
                    last_error=None,
                    result={**(row.result or {}), "superseded_by": newer},
                )
        for row, newer in rows:
            self._note(row, IntentState.SUPERSEDED, f"replaced by #{newer}")

    async def _plan_levels(self, rows: Sequence[repo.OutboxRow]) -> list[PlannedItem] | None:
        """Apply the conflict rule and mark the intents `sending` with the level to send
        (one transaction). A level computed before is kept (see `stock_push`)."""
        fresh = [r for r in rows if (r.result or {}).get("sent_quantity") is None]
        with self.db.read() as conn:
            baselines = repo.confirmed_stock_levels(
                conn, self.connection_id, [item_key(stock_from_payload(r.payload)) for r in fresh]
            )
        current: dict[ItemKey, int] = {}
        if baselines:
            try:
                docs = await stock_push.read_items(
                    self.client, baselines, chunk=self.options.read_chunk
                )
            except ApiError as error:
                self._after_error(fresh, error, IntentKind.STOCK)
                return None
            current = stock_push.levels_of(docs)
        now = self._now()
        planned: list[PlannedItem] = []
        changes: list[dict[str, Any]] = []
        for row in rows:
            level = stock_from_payload(row.payload)
            result = dict(row.result or {})
            if result.get("sent_quantity") is None:
                key = item_key(level)
                baseline, seen = baselines.get(key), current.get(key)
                result = {
                    "hub_quantity": level.quantity,
                    "baseline": baseline,
                    "bc_before": seen,
                    "sent_quantity": stock_push.level_to_send(
                        level.quantity, baseline=baseline, current=seen
                    ),
                }
            planned.append(PlannedItem(row.id, level, int(result["sent_quantity"])))
            changes.append(
                {
                    "id": row.id,
                    "state": S,
                    "attempts": row.attempts + 1,
                    "live_key": None,
                    "result": result,
                }
            )
        with self.db.write() as conn:
            repo.set_many(conn, changes, now=now)
        return planned

    async def _send_stock_batch(
        self, batch: Sequence[PlannedItem], rows_by_id: Mapping[int, repo.OutboxRow]
    ) -> None:
        ids = [p.intent_id for p in batch]
        try:
            transaction = await stock_push.send_batch(self.client, batch)
        except (BadRequestError, PayloadTooLargeError, UnprocessableError) as error:
            if len(batch) > 1:  # find the item BigCommerce refuses; send the others
                half = len(batch) // 2
                await self._send_stock_batch(batch[:half], rows_by_id)
                await self._send_stock_batch(batch[half:], rows_by_id)
                return
            self._after_error([rows_by_id[i] for i in ids], error, IntentKind.STOCK)
            return
        except ApiError as error:
            self._after_error([rows_by_id[i] for i in ids], error, IntentKind.STOCK)
            return
        self._step("answered", ids)
        now = self._now()
        check_at = now + timedelta(seconds=self.options.confirm_delay_s)
        changes = [
            {
                "id": p.intent_id,
                "state": IntentState.SENT,
                "sent_at": now,
                "next_attempt_at": check_at,
                "last_error": None,
                "result": {
                    **_result_of(rows_by_id[p.intent_id]),
                    "sent_quantity": p.quantity,
                    "transaction_id": transaction,
                },
            }
            for p in batch
        ]
        with self.db.write() as conn:
            _keep_planned(conn, changes)
            self._step("settling", ids)
            repo.set_many(conn, changes, now=now)
        for p in batch:
            self._note(rows_by_id[p.intent_id], IntentState.SENT)
            self._sent_now[p.intent_id] = True

    async def _confirm_stock(self) -> None:
        soon = self._now()
        with self.db.read() as conn:
            rows = repo.due_intents(
                conn, self.connection_id, kind=IntentKind.STOCK, state=IntentState.SENT, now=soon
            )
        if not rows:
            return
        keys = {item_key(stock_from_payload(r.payload)) for r in rows}
        try:
            docs = await stock_push.read_items(self.client, keys, chunk=self.options.read_chunk)
        except ApiError as error:
            log.info("read-back of %d stock levels failed, later again: %s", len(rows), error)
            return
        levels = stock_push.levels_of(docs)
        now = self._now()
        confirmed: list[dict[str, Any]] = []
        later: list[dict[str, Any]] = []
        mismatched: list[dict[str, Any]] = []
        for row in rows:
            sent = int((row.result or {})["sent_quantity"])
            seen = levels.get(item_key(stock_from_payload(row.payload)))
            result = {**(row.result or {}), "read_back": seen}
            if seen == sent:
                confirmed.append(
                    {
                        "id": row.id,
                        "state": IntentState.CONFIRMED,
                        "confirmed_at": now,
                        "result": result,
                        "checks": row.checks + 1,
                    }
                )
            elif row.checks + 1 >= self.options.confirm_checks:
                message = f"sent {sent}, BigCommerce shows {seen} after {row.checks + 1} checks"
                mismatched.append(
                    {
                        "id": row.id,
                        "state": IntentState.MISMATCHED,
                        "result": result,
                        "checks": row.checks + 1,
                        "last_error": message,
                    }
                )
            else:
                delay = self.options.confirm_delay_s * 2 ** (row.checks + 1)
                later.append(
                    {
                        "id": row.id,
                        "checks": row.checks + 1,
                        "next_attempt_at": now + timedelta(seconds=delay),
                    }
                )
        confirmed_ids: set[int] = {int(c["id"]) for c in confirmed}
        by_id = {r.id: r for r in rows}
        with self.db.write() as conn:
            for changes in (confirmed, mismatched, later):
                repo.set_many(conn, changes, now=now)
            variants = {item_key(stock_from_payload(by_id[i].payload))[0] for i in confirmed_ids}
            good = [d for d in docs if _variant_of(d) in variants]
            repo.write_confirmed_levels(conn, self.connection_id, inventory_batch(good), now=now)
        for c in confirmed:
            self._note(by_id[c["id"]], IntentState.CONFIRMED)
        for m in mismatched:
            self._note(by_id[m["id"]], IntentState.MISMATCHED, m["last_error"])

    # --- shipments -------------------------------------------------------------------------

    async def _shipments(self) -> None:
        with self.db.read() as conn:
            rows = self._open_rows(conn, IntentKind.SHIPMENT)
        rows = self._hold_off(rows, IntentKind.SHIPMENT)
        if not rows:
            return
        refusal = self.gate.refusal(IntentKind.SHIPMENT)
        if refusal is not None:
            self._fail_all(rows, refusal)
            return
        for row in rows:
            await self._ship(row)

    async def _ship(self, row: repo.OutboxRow) -> None:
        request = shipment_from_payload(row.payload)
        if row.attempts > 0:  # sent before: BigCommerce may have made it, answer lost
            try:
                found = await shipments.find_existing(self.client, request)
            except ApiError as error:
                with self.db.write() as conn:  # a failed lookup counts as an attempt
                    repo.update_intent(conn, row.id, now=self._now(), attempts=row.attempts + 1)
                self._after_error([row], error, IntentKind.SHIPMENT)
                return
            if found is not None:
                self._settle(
                    row, {"shipment_id": found, "found_by": "lookup"}, order_id=request.order_id
                )
                return
        with self.db.write() as conn:
            moved = repo.claim(conn, [row.id], from_state=row.state, now=self._now())
        if not moved:
            return
        self._step("marked", [row.id])
        try:
            shipment_id = await shipments.create(self.client, request)
        except ApiError as error:
            self._after_error([row], error, IntentKind.SHIPMENT)
            return
        self._step("answered", [row.id])
        self._settle(
            row, {"shipment_id": shipment_id, "found_by": "created"}, order_id=request.order_id
        )

    def _settle(self, row: repo.OutboxRow, result: Mapping[str, Any], *, order_id: int) -> None:
        """Confirm a shipment or status change and, in the same transaction, queue a refresh
        of its order (the targeted refreshes of `webhooks.refresh`), so that the mirror shows
        what the store made of it (status, items shipped) before the next sync."""
        now = self._now()
        with self.db.write() as conn:
            self._step("settling", [row.id])
            webhook_repository.request_refresh(
                conn, connection_id=self.connection_id, kind="order", record_id=order_id, now=now
            )
            repo.update_intent(
                conn,
                row.id,
                now=now,
                state=IntentState.CONFIRMED,
                result=dict(result),
                last_error=None,
                sent_at=now,
                confirmed_at=now,
            )
        self._note(row, IntentState.CONFIRMED, _detail(result))

    # --- order statuses --------------------------------------------------------------------

    async def _statuses(self) -> None:
        with self.db.read() as conn:
            rows = self._open_rows(conn, IntentKind.ORDER_STATUS)
        rows = self._hold_off(rows, IntentKind.ORDER_STATUS)
        with self.db.read() as conn:
            afters = repo.get_intents(conn, [r.after_id for r in rows if r.after_id])
        ready = []
        for row in rows:
            after = afters.get(row.after_id) if row.after_id else None
            if after is None or after.state == IntentState.CONFIRMED:
                ready.append(row)
            else:
                self._note(row, row.state, f"waits for shipment #{after.id} ({after.state})")
        if not ready:
            return
        refusal = self.gate.refusal(IntentKind.ORDER_STATUS)
        if refusal is not None:
            self._fail_all(ready, refusal)
            return
        for row in ready:
            await self._set_status(row)

    async def _set_status(self, row: repo.OutboxRow) -> None:
        with self.db.write() as conn:
            moved = repo.claim(conn, [row.id], from_state=row.state, now=self._now())
        if not moved:
            return
        self._step("marked", [row.id])
        change = status_from_payload(row.payload)
        try:
            status = await order_status.set_status(self.client, change)
        except ApiError as error:
            self._after_error([row], error, IntentKind.ORDER_STATUS)
            return
        self._step("answered", [row.id])
        self._settle(row, {"status_id": status}, order_id=change.order_id)


def _choose_stock(
    rows: Sequence[repo.OutboxRow], *, busy: set[ItemKey]
) -> tuple[list[repo.OutboxRow], list[tuple[repo.OutboxRow, int]]]:
    """Per item and location, the one intent to send now, and the older ones a newer one
    replaces. An intent whose level was computed (it may have reached BigCommerce) goes
    before newer ones, which wait for its confirmation; so do items with a level `busy`
    (sent, not yet read back)."""
    by_key: dict[ItemKey, list[repo.OutboxRow]] = {}
    for row in rows:
        by_key.setdefault(item_key(stock_from_payload(row.payload)), []).append(row)
    chosen: list[repo.OutboxRow] = []
    superseded: list[tuple[repo.OutboxRow, int]] = []
    for key, group in by_key.items():
        group.sort(key=lambda r: r.id)
        computed = [r for r in group if (r.result or {}).get("sent_quantity") is not None]
        if computed:
            newest = computed[-1]
            superseded += [(r, newest.id) for r in computed[:-1]]
            if key not in busy:
                chosen.append(newest)
            continue
        newest = group[-1]
        superseded += [(r, newest.id) for r in group[:-1]]
        if key not in busy:
            chosen.append(newest)
    chosen.sort(key=lambda r: r.id)
    return chosen, superseded


def _result_of(row: repo.OutboxRow) -> dict[str, Any]:
    return dict(row.result or {})


def _keep_planned(conn: Connection, changes: list[dict[str, Any]]) -> None:
    """Carry the planned fields (hub quantity, baseline) the marking stored into `changes`."""
    stored = repo.get_intents(conn, [c["id"] for c in changes])
    for change in changes:
        row = stored.get(change["id"])
        if row is not None and row.result:
            change["result"] = {**row.result, **change["result"]}


def _variant_of(doc: Mapping[str, Any]) -> int:
    identity = doc.get("identity") or {}
    return int(identity.get("variant_id") or -int(identity.get("product_id") or 0))


def _detail(result: Mapping[str, Any]) -> str:
    if "shipment_id" in result:
        how = "found (its answer had been lost)" if result.get("found_by") == "lookup" else ""
        return f"shipment {result['shipment_id']} {how}".strip()
    return f"status {result.get('status_id')}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
