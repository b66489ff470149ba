"""The Integrations pages and `/api/v1/connections` over HTTP (httpx on the ASGI app), on
SQLite and PostgreSQL, against the sandbox on a real socket: the wizard (live hash check,
Test, Connect; a refused token saves nothing and is never echoed), the connection page and
its actions, and the API (cursor pages, create tested first, update, sync requests, runs,
progress, delete with purge). No answer holds a token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.jobs.context import JobContext
from bigsync.jobs.tasks import sync_connection_job
from bigsync.sandbox.backend import Sandbox
from bigsync.sync.history import pending_request
from bigsync.web.app import create_app
from bigsync.web.cookies import SESSION_COOKIE
from tests.accounts.hashing import FAST_HASHER

PASSWORD = "correct horse battery staple"


@dataclass
class Web:
    """A logged-in browser (`page`, with its CSRF token) and an API client (Bearer token)
    on one app, and the sandbox's first store."""

    page: httpx.AsyncClient
    api: httpx.AsyncClient
    csrf: str
    ctx: JobContext
    store_hash: str
    tokens: dict[str, str]

    def form(self, **fields: str) -> dict[str, str]:
        return {"csrf_token": self.csrf, **fields}


@pytest.fixture
def ctx(tmp_path: Path, database_url: str, live_url: str) -> Iterator[JobContext]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, api_url=live_url)
    context = JobContext.open(settings)
    yield context
    context.close()


@contextlib.asynccontextmanager
async def _serving(app: FastAPI, **cookies: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub", cookies=cookies
    ) as client:
        yield client


@pytest.fixture
async def web(ctx: JobContext, sandbox: Sandbox) -> AsyncIterator[Web]:
    # No jobs in this process: syncs are run by the tests, where they want one.
    app = create_app(context=ctx, run_jobs=False)
    accounts = app.state.accounts = AccountService(ctx.engine, hasher=FAST_HASHER)
    accounts.setup_admin("admin", PASSWORD)
    opened = accounts.login("admin", PASSWORD, client="test")
    created = accounts.create_token(opened.principal, "tests")
    store = next(iter(sandbox.stores.values()))
    tokens = {a.name: t for t, a in store.accounts.items()}
    async with (
        app.router.lifespan_context(app),
        _serving(app, **{SESSION_COOKIE: opened.token}) as page,
        _serving(app) as api,
    ):
        api.headers["Authorization"] = f"Bearer {created.token}"
        assert opened.principal.csrf_token is not None
        yield Web(page, api, opened.principal.csrf_token, ctx, store.hash, tokens)


def _no_token_in(web: Web, text: str) -> None:
    for token in web.tokens.values():
        assert token not in text


async def _connect(web: Web, name: str = "lantern", account: str = "full") -> int:
    answer = await web.page.post(
        "/integrations/new/bigcommerce",
        data=web.form(
            name=name,
            store=f"https://api.bigcommerce.com/stores/{web.store_hash}/v3/",
            access_token=web.tokens[account],
            every="5m",
            action="connect",
        ),
    )
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/integrations/(\d+)", answer.headers["location"])
    assert match is not None
    return int(match[1])


# --- the wizard -------------------------------------------------------------------------------


async def test_the_store_field_is_checked_as_it_is_pasted(web: Web) -> None:
    check = "/integrations/new/store-hash"
    api_path = f"https://api.bigcommerce.com/stores/{web.store_hash}/v3/"
    for pasted in (api_path, web.store_hash, f"store-{web.store_hash}.mybigcommerce.com"):
        answer = (await web.page.get(check, params={"value": pasted})).json()
        assert answer == {"ok": True, "store_hash": web.store_hash, "message": ""}
    wrong = (await web.page.get(check, params={"value": "https://shop.example.com"})).json()
    assert not wrong["ok"]
    assert "paste the API path" in wrong["message"]
    token = (await web.page.get(check, params={"value": "a" * 32})).json()
    assert "an access token or client id rather than a store hash" in token["message"]
    _no_token_in(web, str(token))


async def test_a_wrong_token_is_a_clear_error_and_nothing_is_saved(web: Web) -> None:
    wrong = "q" * 31
    answer = await web.page.post(
        "/integrations/new/bigcommerce",
        data=web.form(name="lantern", store=web.store_hash, access_token=wrong, action="connect"),
    )
    assert answer.status_code == 400
    assert "Not connected, nothing was saved" in answer.text
    assert "the access token is not valid" in answer.text
    assert wrong not in answer.text
    assert 'name="access_token" type="password" value=""' in answer.text
    assert f'value="{web.store_hash}"' in answer.text  # what is not secret stays filled in
    assert web.ctx.connections().list() == []


async def test_the_wizards_test_reports_scopes_without_saving(web: Web) -> None:
    fields = web.form(name="lantern", store=web.store_hash, access_token=web.tokens["catalog-only"])
    answer = (await web.page.post("/integrations/new/check", data=fields)).json()
    assert answer["ok"] is True
    assert "What to change in BigCommerce" in answer["html"]
    assert "Under OAuth scopes set Orders to read-only." in answer["html"]
    _no_token_in(web, answer["html"])
    refused = (
        await web.page.post("/integrations/new/check", data={**fields, "access_token": "q" * 31})
    ).json()
    assert refused["ok"] is False
    assert "not valid" in refused["html"]
    assert web.ctx.connections().list() == []
    # Without the form's security token, nothing runs.
    forged = await web.page.post("/integrations/new/check", data={**fields, "csrf_token": "x"})
    assert forged.status_code == 403


async def test_connect_saves_asks_for_the_first_sync_and_shows_it(web: Web) -> None:
    connection_id = await _connect(web)
    view = web.ctx.connections().get_by_id(connection_id)
    assert view.last_test is not None
    assert view.last_test.ok
    assert pending_request(web.ctx.engine, connection_id=connection_id) is not None
    page = await web.page.get(f"/integrations/{connection_id}")
    assert page.status_code == 200
    assert "the first sync has started" in page.text
    assert "Waiting" in page.text
    _no_token_in(web, page.text)
    assert "••••" + web.tokens["full"][-4:] in page.text

    outcome = await sync_connection_job(web.ctx, connection_id)
    assert outcome.status == "ok", outcome.message
    progress = (await web.page.get(f"/integrations/{connection_id}/progress")).json()
    assert progress["done"] is True
    assert "Last sync #1 (initial)" in progress["html"]
    page = await web.page.get(f"/integrations/{connection_id}")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="history-chart"' in page.text
    listing = await web.page.get("/integrations")
    assert "lantern" in listing.text
    assert "Connected" in listing.text
    _no_token_in(web, listing.text)


async def test_the_connection_pages_actions(web: Web) -> None:
    connection_id = await _connect(web)
    base = f"/integrations/{connection_id}"
    answer = await web.page.post(f"{base}/sync", data=web.form(full="1"))
    assert answer.status_code == 303
    request = pending_request(web.ctx.engine, connection_id=connection_id)
    assert request is not None
    assert request.full

    await web.page.post(f"{base}/schedule", data=web.form(every="1h"))
    view = web.ctx.connections().get_by_id(connection_id)
    assert view.sync_every is not None
    assert view.sync_every.total_seconds() == 3600

    await web.page.post(f"{base}/features", data=web.form(feature="read_catalog"))
    view = web.ctx.connections().get_by_id(connection_id)
    assert view.features == ("read_catalog",)

    assert (await web.page.post(f"{base}/test", data=web.form())).status_code == 303

    # Credentials: the token must be entered again, and a refused edit says why.
    edit = await web.page.get(f"{base}/edit")
    assert 'name="access_token" type="password" value=""' in edit.text
    _no_token_in(web, edit.text)
    missing = await web.page.post(
        f"{base}/edit", data=web.form(name="lantern", store=web.store_hash, access_token="")
    )
    assert missing.status_code == 400
    assert "enter the access token again" in missing.text
    saved = await web.page.post(
        f"{base}/edit",
        data=web.form(name="lantern", store=web.store_hash, access_token=web.tokens["read-only"]),
    )
    assert saved.status_code == 303
    assert (
        web.ctx.connections()
        .get_by_id(connection_id)
        .token_hint.endswith(web.tokens["read-only"][-4:])
    )

    # Removal asks for the name first, then keeps or deletes the mirrored data.
    assert "Type <strong>lantern</strong>" in (await web.page.get(f"{base}/remove")).text
    refused = await web.page.post(f"{base}/remove", data=web.form(confirm="nope"))
    assert refused.headers["location"] == f"{base}/remove"
    assert web.ctx.connections().list() != []
    removed = await web.page.post(f"{base}/remove", data=web.form(confirm="lantern", data="purge"))
    assert removed.headers["location"] == "/integrations"
    assert web.ctx.connections().list() == []
    assert (await web.page.get(base)).status_code == 404


async def test_pages_need_a_session(web: Web, ctx: JobContext) -> None:
    app = web.page._transport.app  # type: ignore[attr-defined]
    async with _serving(app) as anonymous:
        answer = await anonymous.get("/integrations")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")


# --- the API ----------------------------------------------------------------------------------


async def test_api_create_refused_saves_nothing(web: Web) -> None:
    answer = await web.api.post(
        "/api/v1/connections",
        json={"name": "bad", "store": web.store_hash, "access_token": "q" * 31},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "nothing saved" in answer.json()["detail"]
    assert "q" * 31 not in answer.text
    listed = (await web.api.get("/api/v1/connections")).json()
    assert listed == {"items": [], "next_cursor": None}


async def test_api_connections_from_create_to_delete(web: Web) -> None:
    created = await web.api.post(
        "/api/v1/connections",
        json={
            "name": "one",
            "store": f"https://api.bigcommerce.com/stores/{web.store_hash}/v3/",
            "access_token": web.tokens["full"],
            "sync_every": "5m",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["test"]["ok"] is True
    assert body["connection"]["token_hint"] == "••••" + web.tokens["full"][-4:]
    assert body["connection"]["sync_every_s"] == 300
    first = body["connection"]["id"]
    second = (
        await web.api.post(
            "/api/v1/connections",
            json={"name": "two", "store": web.store_hash, "access_token": web.tokens["read-only"]},
        )
    ).json()["connection"]["id"]

    page = (await web.api.get("/api/v1/connections", params={"limit": 1})).json()
    assert [c["name"] for c in page["items"]] == ["one"]
    rest = (
        await web.api.get("/api/v1/connections", params={"limit": 1, "cursor": page["next_cursor"]})
    ).json()
    assert [c["name"] for c in rest["items"]] == ["two"]
    assert rest["next_cursor"] is None
    bad = await web.api.get("/api/v1/connections", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400

    edited = await web.api.patch(f"/api/v1/connections/{first}", json={"sync_every": "1h"})
    assert edited.json()["sync_every_s"] == 3600
    refused = await web.api.patch(f"/api/v1/connections/{first}", json={"store": "abc"})
    assert refused.status_code == 400
    assert "access token" in refused.json()["detail"]

    tested = await web.api.post(f"/api/v1/connections/{second}/test")
    assert tested.json()["ok"] is True

    # Syncs: a request is stored (full stays full), runs page newest first, progress.
    asked = await web.api.post(f"/api/v1/connections/{first}/sync", params={"full": "true"})
    assert asked.status_code == 202
    assert asked.json()["request"]["full"] is True
    assert (await sync_connection_job(web.ctx, first)).status == "ok"
    assert (await sync_connection_job(web.ctx, first)).status == "ok"
    runs = (await web.api.get(f"/api/v1/connections/{first}/runs", params={"limit": 1})).json()
    assert [(r["number"], r["mode"]) for r in runs["items"]] == [(2, "incremental")]
    older = (
        await web.api.get(
            f"/api/v1/connections/{first}/runs", params={"limit": 1, "cursor": runs["next_cursor"]}
        )
    ).json()
    assert [(r["number"], r["mode"]) for r in older["items"]] == [(1, "full")]
    assert older["items"][0]["records_read"] > 0
    assert older["items"][0]["streams"]
    progress = (await web.api.get(f"/api/v1/connections/{first}/progress")).json()
    assert progress["done"] is True
    assert progress["run"]["number"] == 2

    got = await web.api.get(f"/api/v1/connections/{first}")
    assert got.json()["state"] == "connected"
    assert got.json()["last_sync_at"] is not None
    _no_token_in(web, got.text + str(rest) + str(page))

    deleted = await web.api.delete(f"/api/v1/connections/{first}", params={"purge": "true"})
    assert deleted.status_code == 200
    assert deleted.json()["data_kept"] is False
    assert deleted.json()["data_deleted"]["sync_runs"] == 2
    assert (await web.api.get(f"/api/v1/connections/{first}")).status_code == 404
    kept = await web.api.delete(f"/api/v1/connections/{second}")
    assert kept.json()["data_kept"] is True


async def test_the_api_needs_a_token(web: Web) -> None:
    app = web.page._transport.app  # type: ignore[attr-defined]
    async with _serving(app) as anonymous:
        answer = await anonymous.get("/api/v1/connections")
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_openapi_document_describes_the_connections_api(web: Web) -> None:
    document = (await web.api.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    assert "/api/v1/connections" in paths
    assert "/api/v1/connections/{connection_id}/runs" in paths
    assert not any(p.startswith("/integrations") for p in paths)
    schemas = document["components"]["schemas"]
    assert "access_token" not in schemas["ConnectionOut"]["properties"]


async def test_out_of_range_ids_and_control_characters_are_refused(web: Web) -> None:
    huge = 2**40
    assert (await web.api.get(f"/api/v1/connections/{huge}")).status_code == 422
    assert (await web.api.get("/api/v1/connections/0")).status_code == 422
    assert (await web.page.get(f"/integrations/{huge}")).status_code in (400, 422)
    nul = await web.api.post(
        "/api/v1/connections",
        json={"name": "a\x00b", "store": web.store_hash, "access_token": "t" * 31},
    )
    assert nul.status_code == 422
    token = await web.api.post(
        "/api/v1/connections",
        json={"name": "ok", "store": web.store_hash, "access_token": "secret\x00" + "t" * 24},
    )
    assert token.status_code == 400
    assert "secret" not in token.text
    form = await web.page.post(
        "/integrations/new/bigcommerce",
        data=web.form(name="ok", store=web.store_hash, access_token="t" * 31, client_id="id\x00x"),
    )
    assert form.status_code == 400
    assert "control characters" in form.text
    assert web.ctx.connections().list() == []
