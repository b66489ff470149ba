"""Build sandbox stores from a `BuildSpec`: hashes, API accounts, store information, data.

Everything derives from the seed: the same seed and spec give the same hashes, tokens, client
ids and records. Each store gets three API accounts: `full` (every modify scope), `read-only`
(every `_read_only` scope) and `catalog-only` (`store_v2_products_read_only`). Tokens are 31
lowercase alphanumeric characters, the form of BigCommerce's access tokens.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bigsync.sandbox.backend import ApiAccount, BuildSpec, Clock, Sandbox, StoreState, plan_quota
from bigsync.sandbox.faults import FaultBook
from bigsync.sandbox.generator import generate_store
from bigsync.sandbox.scopes import MODIFY_SCOPES, READ_ONLY_SCOPES

ALPHANUMERIC = string.ascii_lowercase + string.digits
TOKEN_LENGTH = 31

FULL_SCOPES = frozenset(MODIFY_SCOPES)
READ_ONLY = frozenset(READ_ONLY_SCOPES)
CATALOG_ONLY = frozenset({"store_v2_products_read_only"})
DEFAULT_ACCOUNTS = (("full", FULL_SCOPES), ("read-only", READ_ONLY), ("catalog-only", CATALOG_ONLY))

_FIRST_WORDS = ("Northwind", "Harbor", "Juniper", "Copper", "Meadow", "Summit", "Lantern", "Atlas")
_SECOND_WORDS = ("Outfitters", "Supply", "Goods", "Trading", "Provisions", "Market", "Works")
_TIMEZONES = (
    ("America/Chicago", -21600, -18000, True),
    ("Europe/London", 0, 3600, True),
    ("Australia/Brisbane", 36000, 36000, False),
)
_PLAN_NAMES = {
    "standard": "Standard",
    "plus": "Plus",
    "pro": "Pro",
    "enterprise": "Enterprise",
    "unlimited": "Enterprise",
}


def random_token(rng: random.Random, length: int = TOKEN_LENGTH) -> str:
    """A lowercase alphanumeric string drawn from `rng`."""
    return "".join(rng.choice(ALPHANUMERIC) for _ in range(length))


def new_account(rng: random.Random, name: str, scopes: Iterable[str]) -> ApiAccount:
    """An API account with a fresh client id and access token drawn from `rng`."""
    return ApiAccount(
        name=name,
        client_id=random_token(rng),
        access_token=random_token(rng),
        scopes=frozenset(scopes),
    )


def add_account(
    sandbox: Sandbox, store: StoreState, *, name: str, scopes: Iterable[str]
) -> ApiAccount:
    """Create one more API account on `store` (deterministic: seeded by its position)."""
    rng = random.Random(f"{sandbox.spec.seed}/{store.hash}/account/{len(store.accounts)}")
    account = new_account(rng, name, scopes)
    store.accounts[account.access_token] = account
    return account


def plan_name(plan: str) -> str:
    """The `plan_name` / `plan_level` that `GET /v2/store` shows for a sandbox plan."""
    return _PLAN_NAMES[plan]


def _store_info(rng: random.Random, store_hash: str) -> dict[str, Any]:
    tz_name, raw_offset, dst_offset, dst = rng.choice(_TIMEZONES)
    first, last = (
        rng.choice(("Jane", "Alex", "Sam", "Priya")),
        rng.choice(("Doe", "Rivera", "Chen")),
    )
    return {
        "account_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "domain": f"{store_hash}.sandbox.example",
        "first_name": first,
        "last_name": last,
        "timezone": {
            "name": tz_name,
            "raw_offset": raw_offset,
            "dst_offset": dst_offset,
            "dst_correction": dst,
            "date_format": {
                "display": "M jS Y",
                "export": "M jS Y",
                "extended_display": "M jS Y @ g:i A",
            },
        },
    }


def build_store(spec: BuildSpec, index: int) -> StoreState:
    """Store number `index` of `spec`: hash, id, name, plan, accounts; no records yet."""
    rng = random.Random(f"{spec.seed}/store/{index}")
    store_hash = random_token(rng, 10)
    name = f"{rng.choice(_FIRST_WORDS)} {rng.choice(_SECOND_WORDS)}"
    store = StoreState(
        hash=store_hash,
        store_id=1_000_000 + rng.randrange(9_000_000),
        name=name if index == 0 else f"{name} {index + 1}",
        plan=spec.plan,
    )
    store.info = _store_info(rng, store_hash)
    for account_name, scopes in DEFAULT_ACCOUNTS:
        account = new_account(rng, account_name, scopes)
        store.accounts[account.access_token] = account
    return store


def populate(sandbox: Sandbox, spec: BuildSpec) -> None:
    """Replace every store of `sandbox` by the stores of `spec`, with generated data.

    Faults are removed, and so are the pending webhook deliveries of the replaced stores;
    the clock is left alone (generated dates are relative to its now).
    """
    plan_quota(spec.plan)  # refuse an unknown plan before anything is replaced
    sandbox.spec = spec
    sandbox.faults = FaultBook(seed=spec.seed)
    sandbox.webhooks.cancel_store_deliveries(sandbox.stores.values())
    sandbox.stores.clear()
    now: datetime = sandbox.now()
    for index in range(spec.stores):
        store = build_store(spec, index)
        sandbox.stores[store.hash] = store
        data_rng = random.Random(f"{spec.seed}/store/{index}/data")
        generate_store(store, rng=data_rng, sizes=spec.sizes, now=now)


def build_sandbox(
    spec: BuildSpec | None = None, *, clock: Clock | None = None, latency_ms: float = 0.0
) -> Sandbox:
    """A sandbox holding the stores of `spec` (default: one standard store, seed 1)."""
    sandbox = Sandbox(clock=clock or Clock(), latency_ms=latency_ms)
    populate(sandbox, spec or BuildSpec())
    return sandbox


def store_json(store: StoreState) -> dict[str, Any]:
    """A store as `GET /_sandbox/stores` shows it, API accounts and tokens included."""
    return {
        "hash": store.hash,
        "store_id": store.store_id,
        "name": store.name,
        "plan": store.plan,
        "v2_empty_as_200": store.v2_empty_as_200,
        "foreign_token_status": store.foreign_token_status,
        "inventory_delay_ms": store.inventory_delay_ms,
        "accounts": [account.as_json() for account in store.accounts.values()],
    }
