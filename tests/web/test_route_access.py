"""No route of the app answers without authentication, except those that must: the health
checks, the login and first-run setup, /static, and the BigCommerce callbacks and webhook
receiver (which verify their callers their own way). Walks `app.routes`, so routes added
later are covered without changes here."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from bigsync.web.openapi import route_table
from tests.web.conftest import ADMIN, ADMIN_PASSWORD

OPEN = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/setup"),
    ("POST", "/setup"),
}
OWN_VERIFICATION = ("/webhooks/", "/bigcommerce/")


def _requests(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, route path, a concrete URL) for every route; path parameters become 1."""
    calls = []
    for path, methods in route_table(app):
        for method in sorted(methods - {"HEAD"}):
            calls.append((method, path, re.sub(r"\{[^}]+\}", "1", path)))
    return calls


def test_the_walk_sees_the_routes_of_every_kind(web_app: FastAPI) -> None:
    paths = {path for _, path, _ in _requests(web_app)}
    assert {"/settings/tokens", "/api/v1/tokens", "/api/v1/openapi.json"} <= paths
    assert any(p.startswith("/webhooks/") for p in paths)
    assert any(p.startswith("/bigcommerce/") for p in paths)
    assert len(paths) > 15


@pytest.mark.parametrize("has_admin", [False, True], ids=["before-setup", "after-setup"])
async def test_no_route_answers_without_authentication(
    web_app: FastAPI, web_client: httpx.AsyncClient, has_admin: bool
) -> None:
    if has_admin:
        web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    landing = "/login" if has_admin else "/setup"
    checked = 0
    for method, path, url in _requests(web_app):
        if (method, path) in OPEN:
            continue
        answer = await web_client.request(method, url)
        where = f"{method} {url} answered {answer.status_code}"
        if path.startswith(OWN_VERIFICATION):
            assert answer.status_code in (400, 401, 403, 404, 503), where
        elif path.startswith("/api/"):
            assert answer.status_code == 401, where
            assert answer.headers["content-type"] == "application/problem+json", where
            assert answer.headers["www-authenticate"] == "Bearer", where
        else:
            assert answer.status_code == 303, where
            assert answer.headers["location"].startswith(landing), where
        checked += 1
    assert checked > 10


async def test_a_wrong_or_revoked_token_is_no_authentication(
    web_app: FastAPI, web_client: httpx.AsyncClient, api_headers: dict[str, str]
) -> None:
    for _, path, url in _requests(web_app):
        if path.startswith("/api/") and "{" not in path:
            wrong = await web_client.get(url, headers={"Authorization": "Bearer bsk_nope"})
            assert wrong.status_code in (401, 405), (url, wrong.status_code)
    me = await web_client.get("/api/v1/me", headers=api_headers)
    assert me.status_code == 200
    [token] = (await web_client.get("/api/v1/tokens", headers=api_headers)).json()["items"]
    await web_client.delete(f"/api/v1/tokens/{token['id']}", headers=api_headers)
    assert (await web_client.get("/api/v1/me", headers=api_headers)).status_code == 401


async def test_what_is_open_stays_harmless(web_app: FastAPI, web_client: httpx.AsyncClient) -> None:
    assert (await web_client.get("/static/app.css")).status_code == 200
    assert (await web_client.get("/healthz")).status_code == 200
    assert (await web_client.get("/setup")).status_code == 200  # no user yet
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    after = await web_client.get("/setup")
    assert (after.status_code, after.headers["location"]) == (303, "/login")
    posted = await web_client.post("/setup", data={"username": "eve", "password": "x" * 12})
    assert (posted.status_code, posted.headers["location"]) == (303, "/login")
    assert [u.username for u in web_app.state.accounts.users()] == [ADMIN]
