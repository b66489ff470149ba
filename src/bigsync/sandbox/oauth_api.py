"""HTTP side of the OAuth app flow: BigCommerce's token endpoint and its control API.

    POST /oauth2/token                    JSON or form body -> the token response (oauth.py)
    POST /_sandbox/oauth/apps             {auth_callback, scopes, name?, client_id?,
                                           client_secret?, load_callback?, uninstall_callback?,
                                           remove_user_callback?} -> the app, secret included (201)
    GET  /_sandbox/oauth/apps             every registered app
    POST /_sandbox/oauth/install          {client_id, store?, user?: {id, email}, visit?}
                                          -> {code, auth_callback_url, context, scope, ...}
    GET  /_sandbox/oauth/authorize        ?client_id=&store=&user_id=&user_email=
                                          -> 302 to the auth callback URL (a browser's view
                                          of the merchant clicking "install")
    POST /_sandbox/oauth/signed-payload   {client_id, store?, kind: load|uninstall|remove_user,
                                           user?, url?, channel_id?, issued_at?, claims?,
                                           visit?} -> {signed_payload_jwt, callback_url, claims}

`/oauth2/token` lives at the root, as on `login.bigcommerce.com`. A successful exchange adds
an API account (the app's client id, the granted scopes) to the store, replacing a previous
token of the same app. `kind: uninstall` also uninstalls the app: its tokens and webhooks
are removed from the store. load / uninstall / remove_user need the app to be installed
(409 otherwise). Control errors answer `{"error": "..."}` like the rest of `/_sandbox/`.

`claims` (an object) is merged into the minted claims before signing, to make payloads an app
must refuse (`{"aud": "someone-else"}`, `{"exp": 0}`, `{"sub": "stores/other"}`).

`visit: true` makes the sandbox GET the URL itself, as BigCommerce (uninstall, remove_user)
or the merchant's browser (auth, load) would, without following redirects, and adds
`visit: {status, location, body}` (the body's first 1,000 characters; `error` instead when
the app cannot be reached) to the answer. The request goes through the webhook delivery's
transport (`WebhookDelivery.transport`: None for real sockets, or e.g. an
`httpx.ASGITransport` to an app served in process). For install, the app's auth callback
usually exchanges the code at `/oauth2/token` before it answers, so the answer shows what
the app made of it.
"""

from __future__ import annotations

from typing import Any, cast, get_args
from urllib.parse import parse_qsl

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bigsync.sandbox.backend import ApiAccount, Sandbox
from bigsync.sandbox.context import sandbox_of
from bigsync.sandbox.control import ControlError, _body, _json_endpoint, _store
from bigsync.sandbox.oauth import (
    CallbackKind,
    OAuthApp,
    OAuthError,
    Person,
    auth_callback_url,
    callback_with_jwt,
    parse_scopes,
    random_token,
    signed_payload_claims,
    signed_payload_jwt,
    store_owner,
    uninstall,
)
from bigsync.sandbox.responses import json_response

# --- POST /oauth2/token ---------------------------------------------------------------------


async def _token_fields(request: Request) -> dict[str, str]:
    """The exchange's fields from a JSON or a form-encoded body."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise OAuthError("invalid_request", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise OAuthError("invalid_request", "The body must be a JSON object.")
        return {str(k): str(v) for k, v in body.items() if v is not None}
    try:  # application/x-www-form-urlencoded, as the official Python client sends it
        return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The body is not UTF-8.") from None


async def post_token(request: Request) -> Response:
    sandbox = sandbox_of(request)
    try:
        grant = sandbox.apps.redeem(await _token_fields(request))
        store = sandbox.stores.get(grant.store_hash)
        if store is None:
            raise OAuthError("invalid_grant", "The store of this code no longer exists.")
    except OAuthError as error:
        return json_response(error.as_json(), error.status)
    app = sandbox.apps.apps[grant.client_id]
    for token in [t for t, a in store.accounts.items() if a.client_id == app.client_id]:
        del store.accounts[token]  # re-authorising replaces the app's previous token
    account = ApiAccount(
        name=app.name, client_id=app.client_id, access_token=random_token(), scopes=grant.scopes
    )
    store.accounts[account.access_token] = account
    return json_response(grant.token_json(account.access_token))


# --- control ----------------------------------------------------------------------------------


def _app(sandbox: Sandbox, client_id: Any) -> OAuthApp:
    app = sandbox.apps.apps.get(str(client_id))
    if app is None:
        raise ControlError(404, f"no app with client_id {client_id!r}")
    return app


def _person(value: Any, default: Person) -> Person:
    if value is None:
        return default
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        raise ControlError(400, "user must be an object with an integer id and an email")
    return Person(
        id=value["id"],
        email=str(value.get("email") or default.email),
        locale=str(value.get("locale") or default.locale),
    )


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(400, f"{name} must be a string")
    return value


async def post_app(request: Request) -> tuple[int, dict[str, Any]]:
    body = await _body(request)
    auth_callback = _optional_str(body, "auth_callback")
    if not auth_callback:
        raise ControlError(400, "auth_callback is required")
    scopes = body.get("scopes", [])
    if not isinstance(scopes, str | list) or not all(isinstance(s, str) for s in scopes):
        raise ControlError(400, "scopes must be a list of strings or a space-separated string")
    try:
        app = sandbox_of(request).apps.register(
            auth_callback=auth_callback,
            scopes=parse_scopes(scopes),
            name=_optional_str(body, "name") or "Sandbox app",
            client_id=_optional_str(body, "client_id"),
            client_secret=_optional_str(body, "client_secret"),
            load_callback=_optional_str(body, "load_callback"),
            uninstall_callback=_optional_str(body, "uninstall_callback"),
            remove_user_callback=_optional_str(body, "remove_user_callback"),
        )
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return 201, app.as_json()


async def get_apps(request: Request) -> dict[str, Any]:
    return {"apps": [app.as_json() for app in sandbox_of(request).apps.apps.values()]}


VISIT_TIMEOUT = 10.0
VISIT_BODY_CHARS = 1000


async def visit(sandbox: Sandbox, url: str) -> dict[str, Any]:
    """GET `url` as BigCommerce or the merchant's browser would; what the app answered."""
    try:
        async with httpx.AsyncClient(
            transport=sandbox.webhooks.transport, timeout=VISIT_TIMEOUT, trust_env=False
        ) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "status": response.status_code,
        "location": response.headers.get("location"),
        "body": response.text[:VISIT_BODY_CHARS],
    }


def _visit_wanted(body: dict[str, Any]) -> bool:
    value = body.get("visit", False)
    if not isinstance(value, bool):
        raise ControlError(400, "visit must be true or false")
    return value


def _install(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    app = _app(sandbox, body.get("client_id"))
    store = _store(sandbox, body.get("store"))
    owner = store_owner(store)
    grant = sandbox.apps.issue_code(
        app, store_hash=store.hash, user=_person(body.get("user"), owner), owner=owner
    )
    return {
        "code": grant.code,
        "auth_callback_url": auth_callback_url(app, grant),
        "context": grant.context,
        "scope": grant.scope,
        "account_uuid": grant.account_uuid,
        "redirect_uri": app.auth_callback,
    }


async def post_install(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    wanted = _visit_wanted(body)
    answer = _install(sandbox, body)
    if wanted:
        answer["visit"] = await visit(sandbox, answer["auth_callback_url"])
    return answer


async def get_authorize(request: Request) -> Response:
    """The merchant's browser after "install": redirected to the app's auth callback."""
    sandbox = sandbox_of(request)
    params = request.query_params
    body: dict[str, Any] = {"client_id": params.get("client_id"), "store": params.get("store")}
    if params.get("user_id") is not None:
        try:
            user_id = int(params["user_id"])
        except ValueError:
            return json_response({"error": "user_id must be an integer"}, 400)
        body["user"] = {"id": user_id, "email": params.get("user_email")}
    try:
        answer = _install(sandbox, body)
    except ControlError as error:
        return json_response({"error": error.message}, error.status)
    return RedirectResponse(answer["auth_callback_url"], status_code=302)


async def post_signed_payload(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await _body(request)
    app = _app(sandbox, body.get("client_id"))
    store = _store(sandbox, body.get("store"))
    kind = body.get("kind")
    if kind not in get_args(CallbackKind):
        raise ControlError(400, "kind must be one of load, uninstall, remove_user")
    if not any(a.client_id == app.client_id for a in store.accounts.values()):
        raise ControlError(409, f"app {app.client_id} is not installed in store {store.hash}")
    channel_id, issued_at = body.get("channel_id"), body.get("issued_at")
    if not all(v is None or type(v) is int for v in (channel_id, issued_at)):
        raise ControlError(400, "channel_id and issued_at must be integers")
    overrides = body.get("claims", {})
    if not isinstance(overrides, dict):
        raise ControlError(400, "claims must be an object")
    wanted = _visit_wanted(body)
    owner = store_owner(store)
    claims = signed_payload_claims(
        app,
        store_hash=store.hash,
        user=_person(body.get("user"), owner),
        owner=owner,
        url=_optional_str(body, "url") or "/",
        channel_id=channel_id,
        issued_at=issued_at,
    )
    claims.update(overrides)
    token = signed_payload_jwt(app, claims)
    answer: dict[str, Any] = {
        "signed_payload_jwt": token,
        "callback_url": callback_with_jwt(app, cast(CallbackKind, kind), token),
        "claims": claims,
    }
    if kind == "uninstall":
        answer["removed"] = uninstall(store, app.client_id)
    if wanted:
        answer["visit"] = await visit(sandbox, answer["callback_url"])
    return answer


routes = [
    Route("/oauth2/token", post_token, methods=["POST"]),
    Route("/_sandbox/oauth/apps", _json_endpoint(post_app), methods=["POST"]),
    Route("/_sandbox/oauth/apps", _json_endpoint(get_apps), methods=["GET"]),
    Route("/_sandbox/oauth/install", _json_endpoint(post_install), methods=["POST"]),
    Route("/_sandbox/oauth/authorize", get_authorize, methods=["GET"]),
    Route("/_sandbox/oauth/signed-payload", _json_endpoint(post_signed_payload), methods=["POST"]),
]
"""Mounted at the app's root (see `app.EXTENSIONS`)."""
