"""Webhook subscriptions: `/v3/hooks` CRUD and `/v3/hooks/admin` (spec: webhooks.v3.yml).

Every hook belongs to the client id of the API account that created it; other accounts of
the store neither see nor change it (404). No OAuth scope is needed. Limits and 422 bodies
are in `bigsync.sandbox.webhooks`; both limits answer 422 (the only client-error status the
spec lists for create besides 400/401). Lists with no hooks answer `data: []`, although the
spec's list schema says `minItems: 1`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.context import account_of, sandbox_of, store_of
from bigsync.sandbox.dates import unix
from bigsync.sandbox.responses import ApiProblem, no_content, parse_bool, v3_object, v3_page
from bigsync.sandbox.webhooks import Hook, invalid, parse_hook_body


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiProblem(400, "Input is invalid.") from None


def _hook_id(request: Request) -> int:
    return int(request.path_params["webhook_id"])


def _bool_param(request: Request, name: str) -> bool | None:
    try:
        return parse_bool(request.query_params.get(name))
    except ValueError:
        raise ApiProblem(400, f"The value of '{name}' must be true or false.") from None


def _now(request: Request) -> int:
    return unix(sandbox_of(request).now())


async def list_hooks(request: Request) -> Response:
    hooks = store_of(request).hooks.visible_to(account_of(request).client_id)
    is_active = _bool_param(request, "is_active")
    scope = request.query_params.get("scope")
    destination = request.query_params.get("destination")
    chosen = [
        h
        for h in hooks
        if (is_active is None or h.is_active == is_active)
        and (not scope or h.scope == scope)
        and (not destination or h.destination == destination)
    ]
    return v3_page(request, chosen, render=Hook.as_json)


async def create_hook(request: Request) -> Response:
    store, sandbox = store_of(request), sandbox_of(request)
    changes = parse_hook_body(await _json_body(request), creating=True)
    hook = store.hooks.create(
        changes,
        hook_id=store.next_id("hook"),
        client_id=account_of(request).client_id,
        store_hash=store.hash,
        now=_now(request),
        strict=sandbox.webhooks.is_strict(store),
    )
    return v3_object(hook.as_json())


async def get_hook(request: Request) -> Response:
    hook = store_of(request).hooks.get(_hook_id(request), client_id=account_of(request).client_id)
    return v3_object(hook.as_json())


async def update_hook(request: Request) -> Response:
    store, sandbox = store_of(request), sandbox_of(request)
    client_id = account_of(request).client_id
    store.hooks.get(_hook_id(request), client_id=client_id)  # 404 before body errors
    changes = parse_hook_body(await _json_body(request), creating=False)
    hook = store.hooks.update(
        _hook_id(request),
        changes,
        client_id=client_id,
        now=_now(request),
        strict=sandbox.webhooks.is_strict(store),
    )
    return v3_object(hook.as_json())


async def delete_hook(request: Request) -> Response:
    hook = store_of(request).hooks.delete(
        _hook_id(request), client_id=account_of(request).client_id
    )
    return v3_object(hook.as_json())


async def get_admin(request: Request) -> Response:
    hooks_state = store_of(request).hooks
    client_id = account_of(request).client_id
    is_active = _bool_param(request, "is_active")
    hooks = [
        {**h.as_json(), "status": h.status}
        for h in hooks_state.visible_to(client_id)
        if is_active is None or h.is_active == is_active
    ]
    data = {
        "emails": list(hooks_state.emails.get(client_id, ())),
        "hooks_list": hooks,
        "blocked_domains": [],
    }
    return v3_object(data)


async def put_admin(request: Request) -> Response:
    body = await _json_body(request)
    emails = body.get("emails") if isinstance(body, dict) else None
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise invalid("emails", "error.expected.emails")
    store_of(request).hooks.emails[account_of(request).client_id] = tuple(emails)
    return no_content()


routes = [
    Route("/v3/hooks", list_hooks, methods=["GET"]),
    Route("/v3/hooks", create_hook, methods=["POST"]),
    Route("/v3/hooks/admin", get_admin, methods=["GET"]),
    Route("/v3/hooks/admin", put_admin, methods=["PUT"]),
    Route("/v3/hooks/{webhook_id:int}", get_hook, methods=["GET"]),
    Route("/v3/hooks/{webhook_id:int}", update_hook, methods=["PUT"]),
    Route("/v3/hooks/{webhook_id:int}", delete_hook, methods=["DELETE"]),
]
