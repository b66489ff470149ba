"""Control API for webhook delivery (see `bigsync.sandbox.webhooks`).

    GET  /_sandbox/webhooks            {settings, stats, pending, deliveries, hooks}
                                       ?store=&hook_id=&limit= narrow `deliveries` (newest first)
    PUT  /_sandbox/webhooks/settings   {timescale?, timeout?, sign?, strict_destinations?,
                                        max_in_flight?} for the whole sandbox, or
                                       {store, strict_destinations: true|false|null} for one store
    POST /_sandbox/webhooks/drain      {timeout?} wait until every delivery has settled
                                       (504 when some are still pending at the timeout)
    POST /_sandbox/webhooks/deactivate {store?, hook_id} switch a hook off as BigCommerce
                                       does after its deliveries kept failing (is_active
                                       false, status deactivated), to test repair

`stats` counts events that reached a hook, attempts, successes, failures, retries,
deactivations and dropped retries; `hooks` lists every store's hooks, all client ids,
with their `status` (active, inactive, deactivated).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from bigsync.sandbox.context import sandbox_of
from bigsync.sandbox.control import ControlError, _body, _json_endpoint, _store
from bigsync.sandbox.dates import unix

FLAG_SETTINGS = frozenset({"sign", "strict_destinations"})
NUMBER_SETTINGS = frozenset({"timescale", "timeout", "max_in_flight"})
"""The fields of `DeliverySettings`."""


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


async def get_webhooks(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    report = sandbox.webhooks.report(
        store_hash=request.query_params.get("store"),
        hook_id=_query_int(request, "hook_id"),
        limit=_query_int(request, "limit") or 100,
    )
    report["hooks"] = [
        {**hook.as_json(), "status": hook.status}
        for store in sandbox.stores.values()
        for hook in store.hooks.hooks.values()
    ]
    return report


async def put_settings(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    if "store" in body:
        store = _store(sandbox, body["store"])
        strict = body.get("strict_destinations")
        if set(body) != {"store", "strict_destinations"} or strict not in (True, False, None):
            raise ControlError(400, "with store, give only strict_destinations: true|false|null")
        store.hooks.strict_destinations = strict
        return {"store": store.hash, "strict_destinations": sandbox.webhooks.is_strict(store)}
    for name, value in body.items():
        if name in FLAG_SETTINGS:
            if not isinstance(value, bool):
                raise ControlError(400, f"{name} must be true or false")
        elif name in NUMBER_SETTINGS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ControlError(400, f"{name} must be a positive number")
        else:
            raise ControlError(400, f"unknown setting {name!r}")
    if "max_in_flight" in body:
        body["max_in_flight"] = int(body["max_in_flight"])
    return sandbox.webhooks.configure(**body).as_json()


async def post_drain(request: Request) -> tuple[int, dict[str, Any]]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    timeout = body.get("timeout", 10)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ControlError(400, "timeout must be a positive number")
    try:
        async with asyncio.timeout(timeout):
            await sandbox.webhooks.drain()
    except TimeoutError:
        pending = sandbox.webhooks.pending
        raise ControlError(504, f"{pending} webhook deliveries still pending") from None
    report = sandbox.webhooks.report(limit=0)
    return 200, {"pending": report["pending"], "stats": report["stats"]}


async def post_deactivate(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    store = _store(sandbox, body.get("store"))
    hook_id = body.get("hook_id")
    if not isinstance(hook_id, int) or isinstance(hook_id, bool):
        raise ControlError(400, "hook_id must be an integer")
    hook = store.hooks.deactivate(hook_id, now=unix(sandbox.now()))
    if hook is None:
        raise ControlError(404, f"store {store.hash} has no hook {hook_id}")
    return {"store": store.hash, **hook.as_json(), "status": hook.status}


routes = [
    Route("/_sandbox/webhooks", _json_endpoint(get_webhooks), methods=["GET"]),
    Route("/_sandbox/webhooks/settings", _json_endpoint(put_settings), methods=["PUT"]),
    Route("/_sandbox/webhooks/drain", _json_endpoint(post_drain), methods=["POST"]),
    Route("/_sandbox/webhooks/deactivate", _json_endpoint(post_deactivate), methods=["POST"]),
]
"""Mounted at the app's root (see `app.EXTENSIONS`)."""
