"""The app install flow against the sandbox's OAuth endpoints, over real sockets: auth
(token exchange), load, remove_user, uninstall; and refused signed payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

import jwt
import pytest
import uvicorn

from bigsync.connections.model import ConnectionKind, SecretPurpose
from bigsync.web.oauth import protect_access_log
from tests.hub import hub_app
from tests.oauth.conftest import APP_SCOPES, AppWorld


def test_install_load_remove_user_uninstall(app_world: AppWorld) -> None:
    store = app_world.stores[0]
    answer = app_world.install()
    assert answer.status_code == 200, answer.text
    assert "ready" in answer.text
    [view] = app_world.service.list()
    assert view.kind is ConnectionKind.OAUTH_APP
    assert view.store_hash == store.hash
    assert view.client_id == app_world.app.client_id
    assert sorted(view.granted_scopes or ()) == sorted(APP_SCOPES)
    assert view.last_test is not None
    assert view.last_test.ok
    assert {"read_catalog", "read_orders", "read_customers"} <= set(view.features)
    token = app_world.service.credentials(view.name).access_token
    assert any(a.access_token == token for a in store.accounts.values())

    load = app_world.browse(app_world.signed("load")["callback_url"])
    assert load.status_code == 303  # to the store's page, logged in for that store
    assert load.headers["location"] == f"/integrations/{view.id}"
    assert "bigsync_session=" in load.headers["set-cookie"]

    removed = app_world.browse(app_world.signed("remove_user")["callback_url"])
    assert removed.status_code == 200
    audit = [e.detail for e in app_world.service.audit(view.name)]
    assert any("removed from the app" in d for d in audit)

    again = app_world.install()  # a re-install replaces the token of the same connection
    assert again.status_code == 200
    [same] = app_world.service.list()
    assert same.id == view.id
    assert app_world.service.credentials(same.name).access_token != token

    gone = app_world.browse(app_world.signed("uninstall")["callback_url"])
    assert gone.status_code == 200
    assert app_world.service.list() == []
    assert app_world.service.open_secret(view.id, SecretPurpose.ACCESS_TOKEN) is None
    late = _sign(app_world, _claims(app_world))  # valid, for a store no longer connected
    after = app_world.browse(f"{app_world.hub_url}/bigcommerce/load?signed_payload_jwt={late}")
    assert after.status_code == 403


def test_a_refused_code_changes_nothing(app_world: AppWorld) -> None:
    store = app_world.stores[0]
    url = f"{app_world.hub_url}/bigcommerce/auth"
    bad = app_world.browse(f"{url}?code=nope&scope=x&context=stores/{store.hash}")
    assert bad.status_code == 400
    assert "refused" in bad.text
    assert app_world.browse(f"{url}?code=abc&scope=x&context=nowhere").status_code == 400
    assert app_world.service.list() == []


def _claims(app_world: AppWorld, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": app_world.app.client_id,
        "iss": "bc",
        "iat": now,
        "nbf": now,
        "exp": now + 86400,
        "jti": "c5f0bcf5",
        "sub": f"stores/{app_world.stores[0].hash}",
        "user": {"id": 1, "email": "merchant@example.com"},
        "owner": {"id": 1, "email": "merchant@example.com"},
        "url": "/",
    }
    claims.update(changes)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT with any header: HMAC-SHA256 signed with `key`, or unsigned."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(key, head.encode(), hashlib.sha256).digest() if key else b""
    return head + "." + _b64(signature)


BAD_PAYLOADS = {
    "wrong secret": (401, lambda w: jwt.encode(_claims(w), "x" * 64, algorithm="HS256")),
    "wrong aud": (401, lambda w: _sign(w, _claims(w, aud="someone-else"))),
    "wrong sub": (401, lambda w: _sign(w, _claims(w, sub="users/12"))),
    "foreign store": (403, lambda w: _sign(w, _claims(w, sub=f"stores/{w.stores[1].hash}"))),
    "expired": (401, lambda w: _sign(w, _claims(w, exp=int(time.time()) - 3600))),
    "not yet valid": (401, lambda w: _sign(w, _claims(w, nbf=int(time.time()) + 3600))),
    "issued in the future": (401, lambda w: _sign(w, _claims(w, iat=int(time.time()) + 3600))),
    "no exp": (401, lambda w: _sign(w, {k: v for k, v in _claims(w).items() if k != "exp"})),
    "alg none": (401, lambda w: _forged({"alg": "none", "typ": "JWT"}, _claims(w), None)),
    "RS256 with the secret as key": (
        401,
        lambda w: _forged({"alg": "RS256", "typ": "JWT"}, _claims(w), w.app.client_secret.encode()),
    ),
    "HS512": (401, lambda w: jwt.encode(_claims(w), w.app.client_secret, algorithm="HS512")),
    "malformed": (401, lambda w: "not-a-jwt"),
    "truncated": (401, lambda w: _sign(w, _claims(w))[:-12]),
    "empty": (401, lambda w: ""),
}


def _sign(app_world: AppWorld, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, app_world.app.client_secret, algorithm="HS256")


@pytest.mark.parametrize("case", sorted(BAD_PAYLOADS))
def test_bad_signed_payloads_are_refused(
    app_world: AppWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert app_world.install().status_code == 200
    status, make = BAD_PAYLOADS[case]
    token = make(app_world)
    caplog.set_level(logging.INFO)
    for callback in ("load", "uninstall", "remove-user"):
        url = f"{app_world.hub_url}/bigcommerce/{callback}"
        answer = app_world.browse(f"{url}?signed_payload_jwt={token}")
        assert answer.status_code == status, (callback, answer.text)
    assert len(app_world.service.list()) == 1  # nothing uninstalled
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 3
    if len(token) > 20:
        assert not any(token in text for text in refusals)


async def test_signed_deliveries_of_an_app_connection_are_verified(app_world: AppWorld) -> None:
    """The sandbox signs an app's deliveries (Standard Webhooks, the client secret): with the
    right secret they refresh the mirror, with a wrong one they are refused."""
    from bigsync.connections.model import ConnectionChanges
    from bigsync.store import mirror_repository
    from bigsync.webhooks.receiver import WebhookReceiver
    from bigsync.webhooks.refresh import run_pending_refreshes
    from bigsync.webhooks.subscriptions import keep_hooks

    assert app_world.install().status_code == 200
    [view] = app_world.service.list()
    app_world.service.update(view.name, ConnectionChanges(enable=["webhooks"]))
    receiver = WebhookReceiver(app_world.service, app_client_secret="y" * 64)
    app_world.hub.app.state.webhook_receiver = receiver
    await keep_hooks(app_world.service, view.name, public_url=app_world.hub_url)
    body = {"store": view.store_hash, "kind": "product", "action": "update", "count": 1}
    app_world.control("/_sandbox/mutate", body)
    stats = app_world.control("/_sandbox/webhooks/drain", {"timeout": 30})["stats"]
    assert stats["failures"] >= 1  # refused: the signature does not verify with that secret
    receiver.app_client_secret = app_world.app.client_secret
    repaired = await keep_hooks(app_world.service, view.name, public_url=app_world.hub_url)
    assert "store/product/*" in repaired.reactivated  # the refusals deactivated it
    [product_id] = app_world.control("/_sandbox/mutate", body)["ids"]
    app_world.control("/_sandbox/webhooks/drain", {"timeout": 30})
    report = await run_pending_refreshes(app_world.service)
    assert report.refreshed == 1
    attempts = app_world.sandbox.webhooks.report(store_hash=view.store_hash)["deliveries"]
    assert any(a["status"] == 200 for a in attempts)
    assert any(a["status"] == 401 for a in attempts)
    with app_world.service.engine.connect() as conn:
        rows = list(mirror_repository.iter_rows(conn, "products", connection_id=view.id))
    assert [r["id"] for r in rows] == [product_id]  # never synced: the webhook brought it


def test_the_access_log_never_shows_a_signed_payload(app_world: AppWorld) -> None:
    """uvicorn's access log, once `protect_access_log` ran, shows no callback credential."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    app = hub_app(installer=app_world.installer)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="info", access_log=True)
    protect_access_log()
    access = logging.getLogger("uvicorn.access")
    handler = Keep()
    access.addHandler(handler)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        assert app_world.install().status_code == 200
        token = app_world.signed("load")["signed_payload_jwt"]
        url = f"http://127.0.0.1:{port}/bigcommerce/load?signed_payload_jwt={token}"
        assert app_world.browse(url).status_code == 303
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        access.removeHandler(handler)
    assert any("/bigcommerce/load?signed_payload_jwt=[redacted]" in line for line in lines)
    assert not any(token in line for line in lines)
