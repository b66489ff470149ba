"""Webhook subscriptions (`/v3/hooks` state) and the engine that delivers events to them.

`HookState` is one store's subscriptions: CRUD with BigCommerce's limits (10 hooks per
client id and scope, one per client id, scope and destination) and the scope matching that
decides who hears an event (`store/product/*` hears `store/product/updated`).

`WebhookDelivery` is registered as a sandbox event sink. Each event that an active hook
matches becomes a real HTTP POST to the hook's destination, run as an asyncio task on the
loop that emitted the event (the server's loop), so API requests never wait for it; an
event emitted outside any loop (Python code on a test's thread) is delivered from the
serving app's loop while one runs (`attach`), and dropped otherwise:

    {"scope", "store_id", "data", "hash", "created_at", "producer"}

- `hash` is the SHA-1 hex of the JSON-encoded `data` (sorted keys, compact), identical on
  every redelivery of the event; `created_at` is the sandbox clock at the event.
- The hook's custom `headers` are sent with every attempt.
- When the hook's client id belongs to a registered OAuth app with a client secret and
  `DeliverySettings.sign` is on (the default), the request also carries Standard Webhooks
  headers: `webhook-id` (one per event and hook, stable across retries), `webhook-timestamp`
  (real Unix seconds at the attempt, so receivers can check freshness against their own
  clock) and `webhook-signature: v1,<base64 HMAC-SHA256(client secret, "{id}.{ts}.{body}")>`.
- Deliveries on one event loop reuse a pool of keep-alive connections (up to
  `max_in_flight`), so a burst does not open one connection per event; the pool is closed
  once no delivery is pending.
- A non-2xx answer, a timeout or a connection/TLS error is a failure; failures are retried
  after `RETRY_DELAYS` seconds multiplied by `DeliverySettings.timescale` (1.0 is
  BigCommerce's real ~48 h schedule; tests use e.g. 1e-6). After the last retry fails the
  hook is deactivated (`is_active: false`). A retry is dropped if its hook was deleted or
  deactivated meanwhile.

Destinations: BigCommerce only accepts `https://` on port 443. That check is off by default,
so tests and local integrators can deliver to `http://127.0.0.1:<port>`; turn it on for the
whole sandbox with `DeliverySettings.strict_destinations` or for one store with
`HookState.strict_destinations` (control API: `PUT /_sandbox/webhooks/settings`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import ssl
import time
import uuid
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson

from bigsync.sandbox.dates import unix
from bigsync.sandbox.responses import ApiProblem

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState

RETRY_DELAYS: tuple[int, ...] = (60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400)
"""Seconds BigCommerce waits before each retry of a failed delivery (11 retries, ~48 h)."""

MAX_HOOKS_PER_SCOPE = 10
INVALID_JSON = "JSON data is missing or invalid"
MISSING = "error.path.missing."
_SCOPE = re.compile(r"store(/[A-Za-z0-9_*]+)+")


def not_found(hook_id: int | str) -> ApiProblem:
    return ApiProblem(404, f"Webhook with id [{hook_id}] not found")


def invalid(field_name: str, reason: str) -> ApiProblem:
    return ApiProblem(422, INVALID_JSON, errors={field_name: reason})


def scope_matches(pattern: str, scope: str) -> bool:
    """Whether a hook on `pattern` hears an event on `scope`.

    A `*` segment stands for one segment (`store/channel/*/inventory/...` means every
    channel); a trailing `*` stands for one or more (`store/product/*` hears
    `store/product/inventory/updated`).
    """
    if pattern == scope:
        return True
    wanted, actual = pattern.split("/"), scope.split("/")
    if wanted[-1] == "*":
        head = wanted[:-1]
        return len(actual) > len(head) and _segments_match(head, actual[: len(head)])
    return len(wanted) == len(actual) and _segments_match(wanted, actual)


def _segments_match(wanted: list[str], actual: list[str]) -> bool:
    return all(w in ("*", a) for w, a in zip(wanted, actual, strict=True))


def is_strict_destination(url: str) -> bool:
    """BigCommerce's rule: an `https://` URL served on port 443."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and port in (None, 443)


def _check_destination(url: str, *, strict: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("destination", "error.destination.invalid_url.")
    if strict and not is_strict_destination(url):
        raise invalid("destination", "The destination must use https on port 443.")


@dataclass(frozen=True)
class Hook:
    """One webhook subscription, as `webhook_Full` describes it."""

    id: int
    client_id: str
    store_hash: str
    scope: str
    destination: str
    is_active: bool
    headers: Mapping[str, str] | None
    created_at: int
    updated_at: int
    deactivated: bool = False  # switched off by failed deliveries, not by its owner

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "store_hash": self.store_hash,
            "scope": self.scope,
            "destination": self.destination,
            "is_active": self.is_active,
            "headers": dict(self.headers) if self.headers is not None else None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @property
    def status(self) -> str:
        """`active`, `inactive` (off by choice) or `deactivated` (off after failures)."""
        if self.is_active:
            return "active"
        return "deactivated" if self.deactivated else "inactive"


@dataclass(frozen=True)
class HookChanges:
    """The validated fields of a create or update body (None: not given)."""

    scope: str | None = None
    destination: str | None = None
    is_active: bool | None = None
    headers: Mapping[str, str] | None = None
    headers_given: bool = False


def parse_hook_body(body: Any, *, creating: bool) -> HookChanges:
    """Validate a `/v3/hooks` request body; 422 in BigCommerce's shape when it is wrong."""
    if not isinstance(body, dict):
        raise ApiProblem(400, "Input is invalid.")
    if creating:
        for name in ("scope", "destination"):
            if body.get(name) is None:
                raise invalid(name, MISSING)
    elif not {"scope", "destination", "is_active", "headers"} & body.keys():
        raise invalid("webhook", "At least one field is required to perform an update.")
    scope, destination = body.get("scope"), body.get("destination")
    if scope is not None and not (isinstance(scope, str) and _SCOPE.fullmatch(scope)):
        raise invalid("scope", "error.scope.invalid.")
    if destination is not None and not isinstance(destination, str):
        raise invalid("destination", "error.expected.jsstring")
    is_active = body.get("is_active")
    if is_active is not None and not isinstance(is_active, bool):
        raise invalid("is_active", "error.expected.jsboolean")
    headers = body.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise invalid("headers", "error.expected.jsobject")
    return HookChanges(
        scope=scope,
        destination=destination,
        is_active=is_active,
        headers=headers or None,
        headers_given="headers" in body,
    )


@dataclass
class HookState:
    """One store's webhook subscriptions."""

    hooks: dict[int, Hook] = field(default_factory=dict)
    strict_destinations: bool | None = None  # None: follow the sandbox-wide setting
    emails: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by client id (admin)

    def visible_to(self, client_id: str) -> list[Hook]:
        """The hooks `client_id` created, by id (other clients' hooks are invisible)."""
        return [h for h in self.hooks.values() if h.client_id == client_id]

    def get(self, hook_id: int, *, client_id: str) -> Hook:
        hook = self.hooks.get(hook_id)
        if hook is None or hook.client_id != client_id:
            raise not_found(hook_id)
        return hook

    def create(
        self,
        changes: HookChanges,
        *,
        hook_id: int,
        client_id: str,
        store_hash: str,
        now: int,
        strict: bool,
    ) -> Hook:
        """Add a hook after checking its destination and the per-scope limits."""
        assert changes.scope is not None
        assert changes.destination is not None
        hook = Hook(
            id=hook_id,
            client_id=client_id,
            store_hash=store_hash,
            scope=changes.scope,
            destination=changes.destination,
            is_active=True if changes.is_active is None else changes.is_active,
            headers=changes.headers,
            created_at=now,
            updated_at=now,
        )
        self._admit(hook, strict=strict)
        self.hooks[hook.id] = hook
        return hook

    def update(
        self, hook_id: int, changes: HookChanges, *, client_id: str, now: int, strict: bool
    ) -> Hook:
        """Apply a PUT; reactivating a deactivated hook clears its deactivation."""
        hook = self.get(hook_id, client_id=client_id)
        updated = replace(
            hook,
            scope=changes.scope or hook.scope,
            destination=changes.destination or hook.destination,
            is_active=hook.is_active if changes.is_active is None else changes.is_active,
            headers=changes.headers if changes.headers_given else hook.headers,
            updated_at=now,
        )
        if changes.is_active:
            updated = replace(updated, deactivated=False)
        if changes.destination is not None or changes.scope is not None:
            self._admit(updated, strict=strict)
        self.hooks[hook_id] = updated
        return updated

    def delete(self, hook_id: int, *, client_id: str) -> Hook:
        hook = self.get(hook_id, client_id=client_id)
        del self.hooks[hook_id]
        return hook

    def delete_client(self, client_id: str) -> int:
        """Remove every hook of `client_id` (app uninstalled); how many went."""
        gone = [h.id for h in self.hooks.values() if h.client_id == client_id]
        for hook_id in gone:
            del self.hooks[hook_id]
        return len(gone)

    def deactivate(self, hook_id: int, *, now: int) -> Hook | None:
        """Switch a hook off after its deliveries kept failing."""
        hook = self.hooks.get(hook_id)
        if hook is None:
            return None
        hook = self.hooks[hook_id] = replace(
            hook, is_active=False, deactivated=True, updated_at=now
        )
        return hook

    def listening(self, scope: str) -> list[Hook]:
        """The active hooks that hear an event on `scope`."""
        return [h for h in self.hooks.values() if h.is_active and scope_matches(h.scope, scope)]

    def _admit(self, hook: Hook, *, strict: bool) -> None:
        _check_destination(hook.destination, strict=strict)
        same_scope = [
            h
            for h in self.hooks.values()
            if h.id != hook.id and h.client_id == hook.client_id and h.scope == hook.scope
        ]
        if any(h.destination == hook.destination for h in same_scope):
            raise invalid(
                "destination", "A webhook with this scope and destination already exists."
            )
        if len(same_scope) >= MAX_HOOKS_PER_SCOPE:
            raise invalid("scope", f"At most {MAX_HOOKS_PER_SCOPE} webhooks per scope are allowed.")


# --- the payload and its signature ------------------------------------------------------


def event_hash(data: Mapping[str, Any]) -> str:
    """SHA-1 hex of the JSON-encoded event data (sorted keys): stable across redeliveries."""
    encoded = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(encoded, usedforsecurity=False).hexdigest()  # BigCommerce's digest


def callback_body(
    *, scope: str, store_id: int, store_hash: str, data: Mapping[str, Any], created_at: int
) -> bytes:
    """The JSON body BigCommerce POSTs to a destination."""
    return orjson.dumps(
        {
            "scope": scope,
            "store_id": str(store_id),
            "data": data,
            "hash": event_hash(data),
            "created_at": created_at,
            "producer": f"stores/{store_hash}",
        }
    )


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value, keyed by the app's client secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- delivery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliverySettings:
    """How the sandbox delivers webhooks; change with `WebhookDelivery.configure`."""

    timescale: float = 1.0  # multiplies RETRY_DELAYS; 1e-6 makes the 48 h schedule ~0.2 s
    timeout: float = 10.0  # seconds for one attempt (connect + response)
    sign: bool = True  # Standard Webhooks headers when the app has a client secret
    strict_destinations: bool = False  # only https on port 443, as BigCommerce
    max_in_flight: int = 64  # concurrent requests per event loop

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


Outcome = Literal["delivered", "retrying", "deactivated", "dropped"]
STATS = ("events", "attempts", "successes", "failures", "retries", "deactivations", "dropped")
"""The counters `WebhookDelivery.report` gives (events: those that reached a hook)."""


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST to a destination (or a retry given up before it was sent)."""

    seq: int
    store_hash: str
    hook_id: int
    client_id: str
    scope: str
    destination: str
    message_id: str
    hash: str
    attempt: int  # 1 is the first delivery, 2.. are retries
    at: float  # real Unix time
    status: int | None
    error: str | None
    outcome: Outcome
    elapsed_ms: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Message:
    """One event on its way to one hook; its bytes and id never change across retries."""

    store: StoreState
    hook: Hook
    scope: str
    body: bytes
    hash: str
    message_id: str


_Pooled = tuple[httpx.AsyncBaseTransport | None, httpx.AsyncClient]
"""An HTTP client of the delivery pool and the transport it was made with."""


class WebhookDelivery:
    """The sandbox's webhook sender: an event sink plus background delivery tasks.

    `on_event` is the sink; `drain()` waits until every delivery (retries included) has
    settled; `report()` gives counters and the recent attempts for the control API.
    """

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        secret_for: Callable[[str], str | None],
        settings: DeliverySettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        log_size: int = 1000,
    ) -> None:
        self.settings = settings or DeliverySettings()
        self.transport = transport  # e.g. httpx.ASGITransport(app=receiver) for in-process use
        self._now = now
        self._secret_for = secret_for
        self._log: deque[DeliveryAttempt] = deque(maxlen=log_size)
        self._stats: Counter[str] = Counter()
        self._seq = 0
        self._pending = 0
        self._tasks: dict[asyncio.Task[None], StoreState] = {}  # each with its event's store
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._gates = weakref.WeakKeyDictionary()
        self._ssl: ssl.SSLContext | None = None
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop,
            list[tuple[httpx.AsyncBaseTransport | None, httpx.AsyncClient]],
        ] = weakref.WeakKeyDictionary()
        self.clients_opened = 0  # HTTP clients (connection pools) opened so far
        self.home_loop: asyncio.AbstractEventLoop | None = None  # the server's (see attach)

    def configure(self, **changes: Any) -> DeliverySettings:
        """Replace some settings (unknown names raise TypeError)."""
        self.settings = replace(self.settings, **changes)
        self._gates = weakref.WeakKeyDictionary()  # new gates take a new max_in_flight
        return self.settings

    def is_strict(self, store: StoreState) -> bool:
        """Whether `store` only accepts https-on-443 destinations."""
        strict = store.hooks.strict_destinations
        return self.settings.strict_destinations if strict is None else strict

    @property
    def pending(self) -> int:
        """Deliveries not yet settled (in flight or waiting for a retry)."""
        return self._pending

    def on_event(self, store: StoreState, scope: str, data: dict[str, Any]) -> None:
        """The event sink: start one background delivery per active hook that hears `scope`."""
        hooks = store.hooks.listening(scope)
        if not hooks:
            return
        self._stats["events"] += 1
        body = callback_body(
            scope=scope,
            store_id=store.store_id,
            store_hash=store.hash,
            data=data,
            created_at=unix(self._now()),
        )
        digest = event_hash(data)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        home = self.home_loop
        for hook in hooks:
            message = _Message(store, hook, scope, body, digest, f"msg_{uuid.uuid4().hex}")
            if loop is not None:
                self._pending += 1
                self._start(message)
            elif home is not None and home.is_running():  # another thread: the server's loop
                self._pending += 1
                home.call_soon_threadsafe(self._start, message)
            else:  # emitted outside any event loop, and no server: nothing can deliver it
                self._record(message, attempt=1, outcome="dropped", error="no event loop")

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Deliver events emitted outside any event loop (e.g. from a test's thread while a
        server runs) on `loop`, the server's; None detaches. The app's lifespan calls it."""
        self.home_loop = loop

    def _start(self, message: _Message) -> None:
        task = asyncio.get_running_loop().create_task(self._run(message))
        self._tasks[task] = message.store
        task.add_done_callback(self._settled)

    async def drain(self) -> None:
        """Wait until no delivery is pending (bound it with `asyncio.timeout`).

        Polls, so it works from any thread's event loop, e.g. a test's loop while the
        server delivers on its own.
        """
        while self._pending:  # noqa: ASYNC110 -- an Event cannot be awaited from another loop
            await asyncio.sleep(0.002)

    async def aclose(self) -> None:
        """Cancel the deliveries running on the current event loop (at shutdown)."""
        loop = asyncio.get_running_loop()
        mine = [t for t in self._tasks if t.get_loop() is loop]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)
        for _, client in self._clients.pop(loop, []):
            await client.aclose()

    def cancel_store_deliveries(self, stores: Iterable[StoreState]) -> int:
        """Cancel the pending deliveries (retries included) of events from `stores`, e.g. the
        stores a reset replaces; how many there were. Callable from any thread."""
        gone = {id(store) for store in stores}
        doomed = [t for t, store in list(self._tasks.items()) if id(store) in gone]
        for task in doomed:
            _cancel_soon(task)
        return len(doomed)

    def report(
        self, *, store_hash: str | None = None, hook_id: int | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """Counters, settings and the most recent attempts (newest first), for `/_sandbox`."""
        attempts = [
            a
            for a in reversed(self._log)
            if (store_hash is None or a.store_hash == store_hash)
            and (hook_id is None or a.hook_id == hook_id)
        ]
        return {
            "settings": self.settings.as_json(),
            "stats": {name: self._stats[name] for name in STATS},
            "pending": self._pending,
            "deliveries": [a.as_json() for a in attempts[:limit]],
        }

    def attempts(self) -> Iterator[DeliveryAttempt]:
        """Every logged attempt, oldest first."""
        return iter(list(self._log))

    def _settled(self, task: asyncio.Task[None]) -> None:
        # A done callback, not a `finally` in the task: a task cancelled before its first
        # step never runs its coroutine's body.
        self._tasks.pop(task, None)
        self._pending -= 1

    async def _run(self, message: _Message) -> None:
        try:
            await self._deliver(message)
        finally:
            await self._release_idle_clients()

    def _checkout(self) -> _Pooled:
        """An idle client of this loop for the current transport, or a new one. Each client
        holds one keep-alive connection (httpx's pool slows down with many connections in
        one client); the gate admits at most `max_in_flight` requests, so there are at most
        that many clients per loop."""
        idle = self._clients.setdefault(asyncio.get_running_loop(), [])
        for index, pooled in enumerate(idle):
            if pooled[0] is self.transport:
                del idle[index]
                return pooled
        self.clients_opened += 1
        client = httpx.AsyncClient(
            transport=self.transport,
            verify=self._ssl_context(),
            trust_env=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        return (self.transport, client)

    def _checkin(self, pooled: _Pooled) -> None:
        self._clients.setdefault(asyncio.get_running_loop(), []).append(pooled)

    async def _release_idle_clients(self) -> None:
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        if any(t.get_loop() is loop and t is not current and not t.done() for t in self._tasks):
            return
        for _, client in self._clients.pop(loop, []):
            await client.aclose()

    async def _deliver(self, message: _Message) -> None:
        hook = message.hook
        for attempt in range(1, len(RETRY_DELAYS) + 2):
            if attempt > 1:
                await asyncio.sleep(RETRY_DELAYS[attempt - 2] * self.settings.timescale)
                current = message.store.hooks.hooks.get(hook.id)
                if current is None or not current.is_active:
                    self._record(message, attempt=attempt, outcome="dropped", error="hook gone")
                    return
                hook = current
            status, error, elapsed = await self._post(message, hook)
            if error is None:
                self._record(
                    message,
                    attempt=attempt,
                    outcome="delivered",
                    status=status,
                    elapsed=elapsed,
                    destination=hook.destination,
                )
                return
            last = attempt == len(RETRY_DELAYS) + 1
            self._record(
                message,
                attempt=attempt,
                outcome="deactivated" if last else "retrying",
                status=status,
                error=error,
                elapsed=elapsed,
                destination=hook.destination,
            )
        message.store.hooks.deactivate(hook.id, now=unix(self._now()))

    async def _post(self, message: _Message, hook: Hook) -> tuple[int | None, str | None, float]:
        headers = {"content-type": "application/json", **(hook.headers or {})}
        secret = self._secret_for(hook.client_id) if self.settings.sign else None
        if secret:
            timestamp = int(time.time())
            headers["webhook-id"] = message.message_id
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = sign(
                secret, message_id=message.message_id, timestamp=timestamp, body=message.body
            )
        started = time.perf_counter()
        async with self._gate():
            pooled = self._checkout()
            try:
                response = await pooled[1].post(
                    hook.destination,
                    content=message.body,
                    headers=headers,
                    timeout=self.settings.timeout,
                )
            except httpx.HTTPError as exc:
                return None, f"{type(exc).__name__}: {exc}", _ms_since(started)
            finally:
                self._checkin(pooled)
        error = None if response.is_success else f"HTTP {response.status_code}"
        return response.status_code, error, _ms_since(started)

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.settings.max_in_flight)
        return gate

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _record(
        self,
        message: _Message,
        *,
        attempt: int,
        outcome: Outcome,
        status: int | None = None,
        error: str | None = None,
        elapsed: float = 0.0,
        destination: str | None = None,
    ) -> None:
        self._seq += 1
        self._log.append(
            DeliveryAttempt(
                seq=self._seq,
                store_hash=message.store.hash,
                hook_id=message.hook.id,
                client_id=message.hook.client_id,
                scope=message.scope,
                destination=destination or message.hook.destination,
                message_id=message.message_id,
                hash=message.hash,
                attempt=attempt,
                at=time.time(),
                status=status,
                error=error,
                outcome=outcome,
                elapsed_ms=round(elapsed, 3),
            )
        )
        if outcome == "dropped":
            self._stats["dropped"] += 1
            return
        self._stats["attempts"] += 1
        self._stats["successes" if outcome == "delivered" else "failures"] += 1
        if attempt > 1:
            self._stats["retries"] += 1
        if outcome == "deactivated":
            self._stats["deactivations"] += 1


def _cancel_soon(task: asyncio.Task[None]) -> None:
    """Cancel `task` from its own loop's thread (now, if that is the running loop)."""
    loop = task.get_loop()
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is running:
        task.cancel()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(task.cancel)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
