"""The OAuth app flow: register, install (auth callback URL), token exchange, signed payloads."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bigsync.sandbox.backend import Sandbox, StoreState

AUTH_CALLBACK = "https://app.example.com/bc/auth"
SCOPES = ["store_v2_products", "store_v2_information_read_only"]


@pytest.fixture
async def app_json(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/_sandbox/oauth/apps",
        json={"name": "Mirror", "auth_callback": AUTH_CALLBACK, "scopes": SCOPES},
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def install(client: httpx.AsyncClient, app: dict[str, Any], store: StoreState) -> str:
    """Install `app` in `store`; the auth callback URL the merchant's browser would GET."""
    response = await client.post(
        "/_sandbox/oauth/install", json={"client_id": app["client_id"], "store": store.hash}
    )
    assert response.status_code == 200
    url: str = response.json()["auth_callback_url"]
    return url


def exchange_fields(app: dict[str, Any], callback_url: str) -> dict[str, str]:
    """What an app sends to /oauth2/token after its auth callback was called."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
    return {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code": query["code"],
        "context": query["context"],
        "scope": query["scope"],
        "grant_type": "authorization_code",
        "redirect_uri": AUTH_CALLBACK,
    }


async def installed_token(client: httpx.AsyncClient, app: dict[str, Any], store: StoreState) -> str:
    fields = exchange_fields(app, await install(client, app, store))
    response = await client.post("/oauth2/token", json=fields)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_register_app_returns_its_credentials_and_callbacks(
    client: httpx.AsyncClient, app_json: dict[str, Any]
) -> None:
    assert len(app_json["client_id"]) == 31
    assert len(app_json["client_secret"]) >= 32
    assert app_json["scopes"] == sorted(SCOPES)
    assert app_json["load_callback"] == "https://app.example.com/bc/load"
    assert app_json["uninstall_callback"] == "https://app.example.com/bc/uninstall"
    listed = await client.get("/_sandbox/oauth/apps")
    assert [a["client_id"] for a in listed.json()["apps"]] == [app_json["client_id"]]
    refused = await client.post("/_sandbox/oauth/apps", json={"scopes": SCOPES})
    assert refused.status_code == 400
    short = await client.post(
        "/_sandbox/oauth/apps", json={"auth_callback": AUTH_CALLBACK, "client_secret": "short"}
    )
    assert short.status_code == 400


async def test_install_gives_the_auth_callback_url(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    url = await install(client, app_json, store)
    assert url.startswith(AUTH_CALLBACK + "?account_uuid=")
    assert f"&context=stores%2F{store.hash}&" in url
    assert url.endswith("&scope=store_v2_information_read_only+store_v2_products")
    query = parse_qs(urlsplit(url).query)
    assert query["account_uuid"] == [app_json["account_uuid"]]
    assert len(query["code"][0]) == 16


@pytest.mark.parametrize("encoding", ["json", "form"])
async def test_token_exchange_creates_an_api_account_with_the_scopes(
    client: httpx.AsyncClient,
    app_json: dict[str, Any],
    store: StoreState,
    encoding: str,
) -> None:
    fields = exchange_fields(app_json, await install(client, app_json, store))
    if encoding == "json":
        response = await client.post("/oauth2/token", json=fields)
    else:
        response = await client.post("/oauth2/token", data=fields)
    assert response.status_code == 200
    body = response.json()
    owner = {
        "id": store.store_id,
        "username": f"owner@{store.hash}.example.com",
        "email": f"owner@{store.hash}.example.com",
    }
    assert body == {
        "access_token": body["access_token"],
        "scope": "store_v2_information_read_only store_v2_products",
        "user": owner,
        "owner": owner,
        "context": f"stores/{store.hash}",
        "account_uuid": app_json["account_uuid"],
    }
    account = store.accounts[body["access_token"]]
    assert account.client_id == app_json["client_id"]
    assert account.scopes == frozenset(SCOPES)

    as_app = {"X-Auth-Token": body["access_token"]}
    assert (await client.get(f"/stores/{store.hash}/v2/time", headers=as_app)).status_code == 200
    orders = await client.get(f"/stores/{store.hash}/v2/orders", headers=as_app)
    assert orders.status_code == 403


async def test_a_code_works_once(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    fields = exchange_fields(app_json, await install(client, app_json, store))
    assert (await client.post("/oauth2/token", json=fields)).status_code == 200
    again = await client.post("/oauth2/token", json=fields)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The code is invalid or was already used.",
    }


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "x" * 64}, 401, "invalid_client"),
        ({"client_id": "unknownclient"}, 401, "invalid_client"),
        ({"redirect_uri": "https://evil.example.com/auth"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"code": "nope"}, 400, "invalid_grant"),
        ({"context": "stores/another"}, 400, "invalid_grant"),
        ({"scope": "store_v2_orders"}, 400, "invalid_scope"),
        ({"code": None}, 400, "invalid_request"),
    ],
)
async def test_refused_exchanges_leave_the_code_usable(
    *,
    client: httpx.AsyncClient,
    app_json: dict[str, Any],
    store: StoreState,
    change: dict[str, Any],
    status: int,
    error: str,
) -> None:
    fields = exchange_fields(app_json, await install(client, app_json, store))
    refused = await client.post("/oauth2/token", json={**fields, **change})
    assert refused.status_code == status
    assert refused.json()["error"] == error
    assert not any(a.client_id == app_json["client_id"] for a in store.accounts.values())
    assert (await client.post("/oauth2/token", json=fields)).status_code == 200


async def test_reauthorising_replaces_the_apps_token(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    first = await installed_token(client, app_json, store)
    second = await installed_token(client, app_json, store)
    assert first != second
    assert first not in store.accounts
    assert second in store.accounts


async def test_load_payload_is_a_jwt_signed_with_the_client_secret(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    not_installed = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={"client_id": app_json["client_id"], "store": store.hash, "kind": "load"},
    )
    assert not_installed.status_code == 409
    await installed_token(client, app_json, store)
    user = {"id": 9876543, "email": "clerk@example.com"}
    response = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={
            "client_id": app_json["client_id"],
            "store": store.hash,
            "kind": "load",
            "user": user,
            "url": "/orders",
        },
    )
    assert response.status_code == 200
    body = response.json()
    token = body["signed_payload_jwt"]
    assert body["callback_url"].startswith("https://app.example.com/bc/load?signed_payload_jwt=")
    assert parse_qs(urlsplit(body["callback_url"]).query)["signed_payload_jwt"] == [token]

    claims = jwt.decode(
        token,
        app_json["client_secret"],
        algorithms=["HS256"],
        audience=app_json["client_id"],
        issuer="bc",
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims == body["claims"]
    assert claims["sub"] == f"stores/{store.hash}"
    assert claims["user"] == {**user, "locale": "en-US"}
    assert claims["owner"] == {"id": store.store_id, "email": f"owner@{store.hash}.example.com"}
    assert claims["url"] == "/orders"
    assert claims["channel_id"] is None
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + 86400
    assert abs(claims["iat"] - time.time()) < 5
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "y" * 64, algorithms=["HS256"], audience=app_json["client_id"])
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, app_json["client_secret"], algorithms=["HS256"], audience="someone")


async def test_an_old_payload_is_expired(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    await installed_token(client, app_json, store)
    response = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={
            "client_id": app_json["client_id"],
            "store": store.hash,
            "kind": "remove_user",
            "issued_at": int(time.time()) - 2 * 86400,
        },
    )
    assert response.json()["callback_url"].startswith("https://app.example.com/bc/remove_user?")
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            response.json()["signed_payload_jwt"],
            app_json["client_secret"],
            algorithms=["HS256"],
            audience=app_json["client_id"],
        )


async def test_uninstall_removes_the_apps_token_and_hooks(
    client: httpx.AsyncClient, sandbox: Sandbox, app_json: dict[str, Any], store: StoreState
) -> None:
    token = await installed_token(client, app_json, store)
    as_app = {"X-Auth-Token": token}
    hooks_url = f"/stores/{store.hash}/v3/hooks"
    for scope in ("store/order/*", "store/product/*"):
        body = {"scope": scope, "destination": "https://app.example.com/hooks"}
        assert (await client.post(hooks_url, json=body, headers=as_app)).status_code == 200
    kept = await client.post(
        hooks_url, json={"scope": "store/order/*", "destination": "https://other.example.com"}
    )
    assert kept.status_code == 200

    response = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={"client_id": app_json["client_id"], "store": store.hash, "kind": "uninstall"},
    )
    assert response.status_code == 200
    assert response.json()["removed"] == {"tokens": 1, "hooks": 2}
    assert response.json()["callback_url"].startswith("https://app.example.com/bc/uninstall?")
    assert (await client.get(hooks_url, headers=as_app)).status_code == 401
    assert list(store.hooks.hooks) == [kept.json()["data"]["id"]]
    assert app_json["client_id"] in sandbox.apps.apps  # the app stays registered


async def test_control_errors(client: httpx.AsyncClient, app_json: dict[str, Any]) -> None:
    unknown_app = await client.post("/_sandbox/oauth/install", json={"client_id": "nobody"})
    assert unknown_app.status_code == 404
    unknown_store = await client.post(
        "/_sandbox/oauth/install", json={"client_id": app_json["client_id"], "store": "zzz"}
    )
    assert unknown_store.status_code == 404
    bad_kind = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={"client_id": app_json["client_id"], "kind": "launch"},
    )
    assert bad_kind.status_code in (400, 404)  # two stores: the store must be named
    assert "error" in bad_kind.json()


async def test_authorize_redirects_the_browser_to_the_auth_callback(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    params = {
        "client_id": app_json["client_id"],
        "store": store.hash,
        "user_id": 4242,
        "user_email": "clerk@example.com",
    }
    response = await client.get("/_sandbox/oauth/authorize", params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(AUTH_CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["context"] == [f"stores/{store.hash}"]
    assert query["scope"] == [" ".join(sorted(SCOPES))]
    exchanged = await client.post("/oauth2/token", json=exchange_fields(app_json, location))
    assert exchanged.status_code == 200
    assert exchanged.json()["user"] == {
        "id": 4242,
        "username": "clerk@example.com",
        "email": "clerk@example.com",
    }
    unknown = await client.get("/_sandbox/oauth/authorize", params={"client_id": "nobody"})
    assert unknown.status_code == 404
    bad_user = await client.get("/_sandbox/oauth/authorize", params={**params, "user_id": "x"})
    assert bad_user.status_code == 400


async def test_claims_overrides_make_payloads_an_app_must_refuse(
    client: httpx.AsyncClient, app_json: dict[str, Any], store: StoreState
) -> None:
    await installed_token(client, app_json, store)
    response = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={
            "client_id": app_json["client_id"],
            "store": store.hash,
            "kind": "load",
            "claims": {"aud": "someone-else", "sub": "stores/other"},
        },
    )
    token = response.json()["signed_payload_jwt"]
    unverified = jwt.decode(token, options={"verify_signature": False})
    assert (unverified["aud"], unverified["sub"]) == ("someone-else", "stores/other")
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(
            token, app_json["client_secret"], algorithms=["HS256"], audience=app_json["client_id"]
        )
    bad = await client.post(
        "/_sandbox/oauth/signed-payload",
        json={"client_id": app_json["client_id"], "store": store.hash, "kind": "load", "claims": 1},
    )
    assert bad.status_code == 400


async def test_visit_drives_an_apps_callbacks_end_to_end(
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    app: Starlette,
    app_json: dict[str, Any],
    store: StoreState,
) -> None:
    """An app served in process: its auth callback exchanges the code at /oauth2/token, its
    load callback verifies the JWT, its uninstall callback records the store."""
    seen: dict[str, Any] = {}
    login = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://login")

    async def auth(request: Request) -> Response:
        fields = exchange_fields(app_json, str(request.url))
        answer = await login.post("/oauth2/token", data=fields)
        seen["token"] = answer.json().get("access_token")
        return PlainTextResponse("installed", status_code=answer.status_code)

    def verified(request: Request) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            request.query_params["signed_payload_jwt"],
            app_json["client_secret"],
            algorithms=["HS256"],
            audience=app_json["client_id"],
            issuer="bc",
        )
        return claims

    async def load(request: Request) -> Response:
        seen["load"] = verified(request)
        return RedirectResponse("/dashboard", status_code=302)

    async def uninstall(request: Request) -> Response:
        seen["uninstall"] = verified(request)
        return PlainTextResponse("bye")

    app_under_test = Starlette(
        routes=[
            Route("/bc/auth", auth),
            Route("/bc/load", load),
            Route("/bc/uninstall", uninstall),
        ]
    )
    sandbox.webhooks.transport = httpx.ASGITransport(app=app_under_test)
    async with login:
        installed = await client.post(
            "/_sandbox/oauth/install",
            json={"client_id": app_json["client_id"], "store": store.hash, "visit": True},
        )
        assert installed.json()["visit"] == {"status": 200, "location": None, "body": "installed"}
        assert store.account_for(seen["token"]) is not None
        kinds = {}
        for kind in ("load", "uninstall"):
            answer = await client.post(
                "/_sandbox/oauth/signed-payload",
                json={
                    "client_id": app_json["client_id"],
                    "store": store.hash,
                    "kind": kind,
                    "visit": True,
                },
            )
            kinds[kind] = answer.json()["visit"]
    assert kinds["load"]["status"] == 302
    assert kinds["load"]["location"] == "/dashboard"
    assert kinds["uninstall"]["status"] == 200
    assert seen["load"]["sub"] == seen["uninstall"]["sub"] == f"stores/{store.hash}"
    assert store.account_for(seen["token"]) is None  # uninstalled before the app is told
    bad = await client.post(
        "/_sandbox/oauth/install", json={"client_id": app_json["client_id"], "visit": "yes"}
    )
    assert bad.status_code == 400


async def test_visit_reports_an_app_that_cannot_be_reached(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    registered = await client.post(
        "/_sandbox/oauth/apps",
        json={"auth_callback": f"http://127.0.0.1:{port}/auth", "scopes": SCOPES},
    )
    installed = await client.post(
        "/_sandbox/oauth/install",
        json={"client_id": registered.json()["client_id"], "store": store.hash, "visit": True},
    )
    assert installed.status_code == 200
    assert installed.json()["visit"]["error"].startswith("ConnectError")
