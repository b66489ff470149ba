"""The control API under `/_sandbox/`: JSON in and out, no authentication.

    GET    /_sandbox/stores                   stores with their API accounts and tokens
    PUT    /_sandbox/stores/{hash}/settings   {v2_empty_as_200?, plan?, window_ms?,
                                               foreign_token_status?: 401|403,
                                               inventory_delay_ms?}
    GET    /_sandbox/stores/{hash}/inventory  {delay_ms, pending: [...], applied}: inventory
                                              writes accepted and not yet applied
    POST   /_sandbox/accounts                 {store, name, scopes} -> a new API account (201)
    POST   /_sandbox/reset                    rebuild the stores from the current spec
    POST   /_sandbox/seed                     {seed?, stores?, products?, orders?, customers?,
                                               plan?} -> rebuild from that spec
    GET    /_sandbox/faults                   installed faults
    POST   /_sandbox/faults                   a FaultSpec as JSON (see faults.py) -> {id, ...} (201)
    DELETE /_sandbox/faults[/{id}]            remove every fault, or one
    GET    /_sandbox/clock                    {now, frozen}
    POST   /_sandbox/clock                    {freeze?: true|iso, unfreeze?, advance_seconds?, set?}
    POST   /_sandbox/mutate                   {store, kind, action, count} -> {ids}
    GET    /_sandbox/stats                    requests, 429s and statuses per store and endpoint
    DELETE /_sandbox/stats                    zero the counters

Every control request first applies the inventory writes now due (see
`catalog.inventory_queue`); a clock change applies those it makes due.
Reset and seed replace every store: pending webhook deliveries (and retries) of the old stores
are cancelled. Errors answer `{"error": "..."}` with 400 or 404.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.backend import BuildSpec, Sandbox, StoreState, plan_quota
from bigsync.sandbox.builder import add_account, populate, store_json
from bigsync.sandbox.context import sandbox_of
from bigsync.sandbox.faults import FaultSpec
from bigsync.sandbox.responses import json_response
from bigsync.sandbox.stats import StoreStats

Mutation = Callable[[Sandbox, StoreState, str, int, random.Random], list[int]]
MUTATION_MODULES = ("bigsync.sandbox.catalog", "bigsync.sandbox.sales")
MUTATION_ACTIONS = ("create", "update", "delete")


class ControlError(Exception):
    """A bad control request: answered `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def mutations() -> dict[str, Mutation]:
    """Every `kind` that `/_sandbox/mutate` knows, from the domain modules' `MUTATIONS`."""
    registry: dict[str, Mutation] = {}
    for name in MUTATION_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        registry.update(getattr(importlib.import_module(name), "MUTATIONS", {}))
    return registry


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ControlError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return cast(dict[str, Any], body)


def _store(sandbox: Sandbox, store_hash: Any) -> StoreState:
    if store_hash is None and len(sandbox.stores) == 1:
        return next(iter(sandbox.stores.values()))
    store = sandbox.stores.get(str(store_hash))
    if store is None:
        raise ControlError(404, f"no store with hash {store_hash!r}")
    return store


def _int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ControlError(400, f"{name} must be a non-negative integer")
    return value


def _stores_json(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "seed": sandbox.spec.seed,
        "stores": [store_json(store) for store in sandbox.stores.values()],
    }


def _clock_json(sandbox: Sandbox) -> dict[str, Any]:
    return {"now": sandbox.now().isoformat(), "frozen": sandbox.clock.is_frozen}


def _parse_time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ControlError(400, f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def get_stores(request: Request) -> dict[str, Any]:
    return _stores_json(sandbox_of(request))


async def put_store_settings(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    store = _store(sandbox, request.path_params["store_hash"])
    body = await _body(request)
    if "plan" in body:
        try:
            plan_quota(str(body["plan"]))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        store.set_plan(str(body["plan"]))
    if "v2_empty_as_200" in body:
        store.v2_empty_as_200 = bool(body["v2_empty_as_200"])
    if "foreign_token_status" in body:
        if body["foreign_token_status"] not in (401, 403):
            raise ControlError(400, "foreign_token_status must be 401 or 403")
        store.foreign_token_status = body["foreign_token_status"]
    if "window_ms" in body:
        store.rate.window_ms = max(1, _int(body, "window_ms", store.rate.window_ms))
        store.rate.reset()
    if "inventory_delay_ms" in body:
        store.inventory_delay_ms = _int(body, "inventory_delay_ms", store.inventory_delay_ms)
    return {
        **store_json(store),
        "window_ms": store.rate.window_ms,
        "inventory_delay_ms": store.inventory_delay_ms,
    }


async def get_store_inventory(request: Request) -> dict[str, Any]:
    store = _store(sandbox_of(request), request.path_params["store_hash"])
    return {"delay_ms": store.inventory_delay_ms, **store.inventory_queue.as_json()}


async def post_account(request: Request) -> tuple[int, dict[str, Any]]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    store = _store(sandbox, body.get("store"))
    scopes = body.get("scopes", [])
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ControlError(400, "scopes must be a list of strings or a space-separated string")
    name = str(body.get("name") or f"account-{len(store.accounts) + 1}")
    account = add_account(sandbox, store, name=name, scopes=scopes)
    return 201, {"store": store.hash, **account.as_json()}


async def post_reset(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    populate(sandbox, sandbox.spec)
    return _stores_json(sandbox)


async def post_seed(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    old = sandbox.spec
    sizes = replace(
        old.sizes,
        products=_int(body, "products", old.sizes.products),
        orders=_int(body, "orders", old.sizes.orders),
        customers=_int(body, "customers", old.sizes.customers),
    )
    spec = BuildSpec(
        seed=_int(body, "seed", old.seed),
        stores=_int(body, "stores", old.stores),
        sizes=sizes,
        plan=str(body.get("plan", old.plan)),
    )
    try:
        populate(sandbox, spec)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return _stores_json(sandbox)


async def get_faults(request: Request) -> dict[str, Any]:
    return {"faults": [fault.as_json() for fault in sandbox_of(request).faults.faults]}


async def post_fault(request: Request) -> tuple[int, dict[str, Any]]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    try:
        spec = FaultSpec.from_json(body)
    except (ValueError, TypeError) as exc:
        raise ControlError(400, str(exc)) from None
    return 201, sandbox.faults.add(spec, now=sandbox.now()).as_json()


async def delete_faults(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    fault_id = request.path_params.get("fault_id")
    if fault_id is None:
        sandbox.faults.clear()
    elif not sandbox.faults.remove(int(fault_id)):
        raise ControlError(404, f"no fault with id {fault_id}")
    return {"faults": [fault.as_json() for fault in sandbox.faults.faults]}


async def get_clock(request: Request) -> dict[str, Any]:
    return _clock_json(sandbox_of(request))


async def post_clock(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    clock = sandbox.clock
    body = await _body(request)
    freeze = body.get("freeze")
    if freeze is True:
        clock.freeze()
    elif freeze:
        clock.freeze(_parse_time(freeze))
    if body.get("set") is not None:
        clock.set(_parse_time(body["set"]))
    if body.get("advance_seconds") is not None:
        try:
            seconds = float(body["advance_seconds"])
        except (TypeError, ValueError):
            raise ControlError(400, "advance_seconds must be a number") from None
        clock.advance(timedelta(seconds=seconds))
    if body.get("unfreeze"):
        clock.unfreeze()
    sandbox.settle()
    return _clock_json(sandbox)


async def post_mutate(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    store = _store(sandbox, body.get("store"))
    registry = mutations()
    kind, action = body.get("kind"), body.get("action")
    if kind not in registry:
        raise ControlError(404, f"unknown kind {kind!r}; known: {', '.join(sorted(registry))}")
    if action not in MUTATION_ACTIONS:
        raise ControlError(400, f"action must be one of {', '.join(MUTATION_ACTIONS)}")
    count = _int(body, "count", 1)
    rng = random.Random(f"{sandbox.spec.seed}/{store.hash}/mutate/{store.next_id('_mutation')}")
    try:
        ids = registry[kind](sandbox, store, action, count, rng)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return {"store": store.hash, "kind": kind, "action": action, "ids": ids}


async def get_stats(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return {"stores": {h: store.stats.as_json() for h, store in sandbox.stores.items()}}


async def delete_stats(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    for store in sandbox.stores.values():
        store.stats = StoreStats()
    return {"stores": {h: store.stats.as_json() for h, store in sandbox.stores.items()}}


Handler = Callable[[Request], Any]


def _json_endpoint(handler: Handler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        sandbox_of(request).settle()
        try:
            result = await handler(request)
        except ControlError as error:
            return json_response({"error": error.message}, error.status)
        if isinstance(result, tuple):
            status, body = result
            return json_response(body, status)
        return json_response(result)

    endpoint.__name__ = handler.__name__
    return endpoint


def _route(path: str, handler: Handler, method: str) -> Route:
    return Route("/_sandbox" + path, _json_endpoint(handler), methods=[method])


routes = [
    _route("/stores", get_stores, "GET"),
    _route("/stores/{store_hash}/settings", put_store_settings, "PUT"),
    _route("/stores/{store_hash}/inventory", get_store_inventory, "GET"),
    _route("/accounts", post_account, "POST"),
    _route("/reset", post_reset, "POST"),
    _route("/seed", post_seed, "POST"),
    _route("/faults", get_faults, "GET"),
    _route("/faults", post_fault, "POST"),
    _route("/faults", delete_faults, "DELETE"),
    _route("/faults/{fault_id:int}", delete_faults, "DELETE"),
    _route("/clock", get_clock, "GET"),
    _route("/clock", post_clock, "POST"),
    _route("/mutate", post_mutate, "POST"),
    _route("/stats", get_stats, "GET"),
    _route("/stats", delete_stats, "DELETE"),
]
"""The control API's routes, mounted at the root of the app."""
