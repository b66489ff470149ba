"""In-memory state of every sandbox store, and the clock they share.

`Sandbox` holds the stores (by hash), the registered OAuth apps and the clock. Each
`StoreState` holds one store's API accounts and its domain state: `catalog` (products,
variants, categories, brands, locations, inventory), `sales` (orders and everything under
them, customers, shipping) and `hooks` (webhook subscriptions). Domain modules own their
state classes and the operations on them; this module only ties them together.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bigsync.sandbox.catalog import CatalogState
from bigsync.sandbox.catalog.inventory_queue import InventoryQueue
from bigsync.sandbox.faults import FaultBook
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.oauth import AppRegistry
from bigsync.sandbox.ratelimit import RateWindow
from bigsync.sandbox.sales import SalesState
from bigsync.sandbox.stats import StoreStats
from bigsync.sandbox.webhooks import HookState, WebhookDelivery

PLAN_QUOTAS: dict[str, int | None] = {
    "standard": 150,
    "plus": 150,
    "pro": 450,
    "enterprise": 1500,
    "unlimited": None,
}
"""Requests per 30-second window by plan (None: no request-rate limit)."""


def plan_quota(plan: str) -> int | None:
    """The quota of `plan`; ValueError for a plan the sandbox does not know."""
    if plan not in PLAN_QUOTAS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLAN_QUOTAS)}")
    return PLAN_QUOTAS[plan]


@dataclass(frozen=True)
class BuildSpec:
    """What the sandbox generates on seed and reset: stores, their sizes and their plan."""

    seed: int = 1
    stores: int = 1
    sizes: StoreSizes = field(default_factory=StoreSizes)
    plan: str = "standard"


class Clock:
    """Wall-clock time that tests can freeze and move forward."""

    def __init__(self) -> None:
        self._frozen_at: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current sandbox time (aware, UTC)."""
        if self._frozen_at is not None:
            return self._frozen_at
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock at `at` (default: now)."""
        self._frozen_at = (at or self.now()).astimezone(UTC)

    def unfreeze(self) -> None:
        """Let the clock run again from where it stands."""
        if self._frozen_at is not None:
            self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None

    def set(self, at: datetime) -> None:
        """Jump to `at` (frozen or not); the clock may go backwards."""
        at = at.astimezone(UTC)
        if self._frozen_at is not None:
            self._frozen_at = at
        else:
            self._offset = at - datetime.now(UTC)

    @property
    def is_frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (frozen or not)."""
        if self._frozen_at is not None:
            self._frozen_at += delta
        else:
            self._offset += delta


@dataclass(frozen=True)
class ApiAccount:
    """A store-level API account (or an app installation): its token and granted scopes."""

    name: str
    client_id: str
    access_token: str
    scopes: frozenset[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "client_id": self.client_id,
            "access_token": self.access_token,
            "scopes": sorted(self.scopes),
        }


@dataclass
class StoreState:
    """One sandbox store."""

    hash: str
    store_id: int
    name: str
    plan: str
    accounts: dict[str, ApiAccount] = field(default_factory=dict)  # by access token
    catalog: CatalogState = field(default_factory=CatalogState)
    sales: SalesState = field(default_factory=SalesState)
    hooks: HookState = field(default_factory=HookState)
    v2_empty_as_200: bool = False  # v2 lists past the end: 204 (default) or `200 []`
    foreign_token_status: int = 401  # a token of another store: 401 (default) or 403
    inventory_delay_ms: int = 0  # inventory adjustments apply this long after (sandbox clock)
    inventory_queue: InventoryQueue = field(default_factory=InventoryQueue, repr=False)
    _ids: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)
    rate: RateWindow = field(init=False, repr=False)
    stats: StoreStats = field(default_factory=StoreStats, repr=False)
    info: dict[str, Any] = field(default_factory=dict, repr=False)  # GET /v2/store fields

    def __post_init__(self) -> None:
        self.rate = RateWindow(quota=plan_quota(self.plan))

    def set_plan(self, plan: str) -> None:
        """Move the store to `plan` (its quota applies from the next request)."""
        self.plan = plan
        self.rate.quota = plan_quota(plan)

    def next_id(self, kind: str, *, start: int = 1) -> int:
        """The next id in the sequence of `kind` (each kind has its own id space)."""
        counter = self._ids.get(kind)
        if counter is None:
            counter = self._ids[kind] = itertools.count(start)
        return next(counter)

    def account_for(self, token: str | None) -> ApiAccount | None:
        """The API account that owns `token` in this store, if any."""
        return self.accounts.get(token) if token else None


EventSink = Callable[["StoreState", str, dict[str, Any]], None]


@dataclass
class Sandbox:
    """Every store the sandbox serves, plus the shared clock and the event sink."""

    clock: Clock = field(default_factory=Clock)
    stores: dict[str, StoreState] = field(default_factory=dict)
    event_sinks: list[EventSink] = field(default_factory=list)
    spec: BuildSpec = field(default_factory=BuildSpec)  # what the stores were built from
    faults: FaultBook = field(default_factory=FaultBook)
    latency_ms: float = 0.0  # added to every store API request
    apps: AppRegistry = field(default_factory=AppRegistry)  # OAuth apps (oauth.py)
    webhooks: WebhookDelivery = field(init=False, repr=False)  # delivery engine (webhooks.py)

    def __post_init__(self) -> None:
        self.webhooks = WebhookDelivery(now=self.now, secret_for=self.apps.secret_for)
        self.event_sinks.append(self.webhooks.on_event)

    def settle(self, now: datetime | None = None) -> int:
        """Apply every inventory write due at `now` (default: the sandbox clock) in every
        store; how many applied. Requests settle by themselves; Python code that reads state
        directly after moving the clock calls this."""
        moment = now or self.now()
        return sum(store.inventory_queue.settle(moment) for store in list(self.stores.values()))

    def emit(self, store: StoreState, scope: str, data: dict[str, Any]) -> None:
        """Announce a change (`store/product/updated`, ...); webhook delivery listens here."""
        for sink in self.event_sinks:
            sink(store, scope, data)

    def now(self) -> datetime:
        return self.clock.now()
