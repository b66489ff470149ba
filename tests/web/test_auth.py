"""Sessions, CSRF and the account pages and API, in process: cookie attributes, CSRF on
forms and on session-authenticated API calls, safe redirects after login, the throttle's
answer, problem details and cursor pages."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bigsync.web.pagination import decode_cursor, encode_cursor
from bigsync.web.problems import Problem
from tests.leakscan import LeakRecorder
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, build_app, web_context

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


async def login(client: httpx.AsyncClient, password: str = ADMIN_PASSWORD, **form: str):
    page = await client.get("/login")
    data = {"csrf_token": csrf_of(page), "username": ADMIN, "password": password} | form
    return await client.post("/login", data=data)


async def test_setup_creates_the_admin_and_logs_in(
    web_client: httpx.AsyncClient, web_app: FastAPI, leak_recorder: LeakRecorder
) -> None:
    page = await web_client.get("/setup")
    assert page.status_code == 200
    csrf = csrf_of(page)
    form = {"csrf_token": csrf, "username": ADMIN, "password": ADMIN_PASSWORD}
    differ = await web_client.post("/setup", data=form | {"password_again": "something else"})
    assert differ.status_code == 422
    assert "the two passwords differ" in differ.text
    assert ADMIN_PASSWORD not in differ.text  # never echoed into a form
    done = await web_client.post("/setup", data=form | {"password_again": ADMIN_PASSWORD})
    assert (done.status_code, done.headers["location"]) == (303, "/integrations")
    cookie = next(c for c in done.headers.get_list("set-cookie") if "bigsync_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http, no https public URL
    tokens = await web_client.get("/settings/tokens")
    assert tokens.status_code == 200
    assert ADMIN in tokens.text
    assert "Welcome" in tokens.text  # the flash, once
    assert "Welcome" not in (await web_client.get("/settings/tokens")).text
    leak_recorder.record_output("page", tokens.text)


async def test_cookies_are_secure_behind_https(tmp_path: Path) -> None:
    context = web_context(tmp_path, public_url="https://hub.example.com")
    app = build_app(context)
    app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://hub") as client:
                answer = await login(client)
    finally:
        context.close()
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "bigsync_session=" in c)
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


async def test_forms_without_the_csrf_token_are_refused(
    web_client: httpx.AsyncClient, web_app: FastAPI
) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    no_token = await web_client.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert no_token.status_code == 403  # a login form posted from elsewhere
    assert (await login(web_client)).status_code == 303
    for data in ({"name": "x"}, {"name": "x", "csrf_token": "forged"}):
        refused = await web_client.post("/settings/tokens", data=data)
        assert refused.status_code == 403
        assert "reload the page" in refused.text
    page = await web_client.get("/settings/tokens")
    created = await web_client.post(
        "/settings/tokens", data={"name": "x", "csrf_token": csrf_of(page)}
    )
    assert created.status_code == 201
    assert (await web_client.post("/logout")).status_code == 403  # logging out needs it too


async def test_the_api_with_a_session_needs_the_csrf_header_on_writes(
    web_client: httpx.AsyncClient, web_app: FastAPI
) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    await login(web_client)
    assert (await web_client.get("/api/v1/me")).json()["via"] == "session"
    refused = await web_client.post("/api/v1/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    csrf = csrf_of(await web_client.get("/settings/tokens"))
    headers = {"X-CSRF-Token": csrf}
    created = await web_client.post("/api/v1/tokens", json={"name": "script"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["token"].startswith("bsk_")


@pytest.mark.parametrize(
    ("next_url", "lands"),
    [
        ("/settings/tokens", "/settings/tokens"),
        ("//evil.example.com/x", "/integrations"),
        ("https://evil.example.com/", "/integrations"),
        ("/\\evil.example.com", "/integrations"),
        ("", "/integrations"),
    ],
)
async def test_login_goes_back_only_to_this_hub(
    web_client: httpx.AsyncClient, web_app: FastAPI, next_url: str, lands: str
) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    answer = await login(web_client, next=next_url)
    assert (answer.status_code, answer.headers["location"]) == (303, lands)


async def test_a_protected_page_sends_to_the_login_and_back(
    web_client: httpx.AsyncClient, web_app: FastAPI
) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    first = await web_client.get("/settings/tokens?x=1")
    assert first.headers["location"] == "/login?next=/settings/tokens%3Fx%3D1"
    form = await web_client.get(first.headers["location"])
    assert 'name="next" value="/settings/tokens?x=1"' in form.text


async def test_repeated_failures_answer_429_with_retry_after(
    web_client: httpx.AsyncClient, web_app: FastAPI
) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    for _ in range(5):
        failed = await login(web_client, password="wrong password")
        assert failed.status_code == 400
        assert "wrong username or password" in failed.text
    locked = await login(web_client)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "30"
    assert "too many failed logins" in locked.text


async def test_logout_ends_the_session(web_client: httpx.AsyncClient, web_app: FastAPI) -> None:
    web_app.state.accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
    await login(web_client)
    session = web_client.cookies["bigsync_session"]
    csrf = csrf_of(await web_client.get("/settings/tokens"))
    bye = await web_client.post("/logout", data={"csrf_token": csrf})
    assert (bye.status_code, bye.headers["location"]) == (303, "/login?bye=1")
    assert "bigsync_session" not in web_client.cookies
    web_client.cookies.set("bigsync_session", session)  # the old cookie is worth nothing
    assert (await web_client.get("/settings/tokens")).status_code == 303


async def test_tokens_api_pages_with_a_cursor(
    web_client: httpx.AsyncClient, api_headers: dict[str, str]
) -> None:
    for name in ("a", "b", "c", "d"):
        made = await web_client.post("/api/v1/tokens", json={"name": name}, headers=api_headers)
        assert made.status_code == 201
    seen, url = [], "/api/v1/tokens?limit=2"
    while url:
        page = (await web_client.get(url, headers=api_headers)).json()
        assert len(page["items"]) <= 2
        assert all("token" not in item for item in page["items"])
        seen += [item["name"] for item in page["items"]]
        url = f"/api/v1/tokens?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == ["d", "c", "b", "a", "tests"]
    bad = await web_client.get("/api/v1/tokens?cursor=!!", headers=api_headers)
    assert bad.status_code == 400
    assert bad.json()["title"] == "Invalid cursor"


async def test_errors_are_problem_details(
    web_client: httpx.AsyncClient, api_headers: dict[str, str]
) -> None:
    missing = await web_client.get("/api/v1/tokens/999", headers=api_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no API token with id 999",
        "instance": "/api/v1/tokens/999",
    }
    invalid = await web_client.post("/api/v1/tokens", json={"name": ""}, headers=api_headers)
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["body", "name"]
    blank = await web_client.post("/api/v1/tokens", json={"name": "  "}, headers=api_headers)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["loc"] == ["body", "name"]
    typo = await web_client.get("/api/v1/tokens?limt=5", headers=api_headers)
    assert typo.status_code == 422
    assert typo.json()["detail"] == "unknown query parameter: 'limt'"
    nowhere = await web_client.get("/api/v1/nowhere", headers=api_headers)
    assert (nowhere.status_code, nowhere.json()["title"]) == (404, "Not found")


async def test_the_openapi_document_describes_the_api_only(
    web_client: httpx.AsyncClient, api_headers: dict[str, str]
) -> None:
    document = (await web_client.get("/api/v1/openapi.json", headers=api_headers)).json()
    assert document["paths"]
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    assert "apiToken" in document["components"]["securitySchemes"]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "401" in operation["responses"]
            assert "422" not in operation["responses"]


def test_cursors_are_opaque_round_trips() -> None:
    position = {"id": 41, "name": "ünï"}
    cursor = encode_cursor(position)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor) == position
    for bad in ("", "!!", encode_cursor({"x": 1})[:-3] + "@", "W10", "x" * 2000):
        with pytest.raises(Problem):
            decode_cursor(bad)
