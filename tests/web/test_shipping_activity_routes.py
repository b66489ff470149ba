"""The shipping and activity pages and their API over HTTP: a synced sandbox store's mirror
(SQLite, then PostgreSQL), the app without its scheduler, an admin's session cookie and API
token, and a session limited to another connection."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.fulfillment import shipping
from bigsync.jobs.context import JobContext
from bigsync.store import outbox_repository
from bigsync.vault import Vault
from bigsync.web.app import create_app
from bigsync.web.cookies import SESSION_COOKIE
from bigsync.writeback.outbox import record_stock
from tests.accounts.hashing import FAST_HASHER
from tests.databases import add_connection
from tests.fulfillment.conftest import Shop, sandbox_spec, shop

__all__ = ["sandbox_spec", "shop"]  # the fulfillment tests' fixtures: a synced sandbox store

PASSWORD = "a long enough password 1"
BASE = "http://hub"


@dataclass
class Web:
    """The app over the shop's database, a logged-in browser and an API token."""

    app: FastAPI
    client: httpx.AsyncClient
    shop: Shop
    token: str
    limited_cookie: str

    @property
    def cid(self) -> int:
        return self.shop.hub.connection_id

    async def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        async with httpx.AsyncClient(transport=self.client._transport, base_url=BASE) as bare:
            return await bare.request(method, f"/api/v1{path}", headers=headers, **kw)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def html(self, path: str) -> str:
        response = await self.client.get(path)
        assert response.status_code == 200, response.text
        return response.text

    async def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', await self.html(path))
        assert match
        return match.group(1)

    async def form(self, path: str, data: dict[str, str], *, page: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": await self.csrf(page), **data})

    def other_client(self, cookie: str | None = None) -> httpx.AsyncClient:
        cookies = {SESSION_COOKIE: cookie} if cookie else None
        return httpx.AsyncClient(transport=self.client._transport, base_url=BASE, cookies=cookies)

    def record(self, *variants: int) -> list[int]:
        with self.shop.hub.db.write() as conn:
            return [
                record_stock(
                    conn,
                    self.cid,
                    product_id=1,
                    variant_id=v,
                    sku=f"WEB-{v}",
                    location_id=1,
                    quantity=v,
                )
                for v in variants
            ]

    def fail(self, intent_id: int) -> None:
        with self.shop.hub.db.write() as conn:
            outbox_repository.update_intent(
                conn, intent_id, state="failed", last_error="422: the variant is gone"
            )


@pytest.fixture
async def web(shop: Shop, tmp_path: Path) -> AsyncIterator[Web]:
    settings = Settings(data_dir=tmp_path / "data", secret_key=None)
    engine = shop.world.db
    context = JobContext(engine=engine, vault=Vault.from_settings(settings), settings=settings)
    accounts = AccountService(engine, hasher=FAST_HASHER)
    accounts.setup_admin("admin", PASSWORD)
    opened = accounts.login("admin", PASSWORD, client="test")
    token = accounts.create_token(opened.principal, "tests").token
    other = add_connection(engine, "other", store_hash="other1")
    limited = accounts.open_store_session(other, store_user_id=7, email=None)
    app = create_app(context=context, run_jobs=False, migrate=False)
    app.state.accounts = accounts
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        cookies = {SESSION_COOKIE: opened.token}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, cookies=cookies) as c:
            yield Web(app, c, shop, token, limited.token)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


# --- the API: shipping ------------------------------------------------------------------------


async def test_services_rules_and_the_default_through_the_api(web: Web) -> None:
    base = f"/connections/{web.cid}/shipping"
    added = await web.api("POST", f"{base}/services", json={"code": "dhl", "carrier": "DHL"})
    assert (added.status_code, added.json()) == (
        201,
        {"code": "dhl", "carrier": "dhl", "name": "dhl", "is_default": False},
    )
    taken = _problem(
        await web.api("POST", f"{base}/services", json={"code": "dhl", "carrier": "x"}), 409
    )
    assert "already has a shipping service 'dhl'" in taken["detail"]
    bad = _problem(
        await web.api("POST", f"{base}/services", json={"code": "x", "carrier": "D H"}), 422
    )
    assert "carrier" in str(bad)  # the schema's pattern
    unknown = await web.api("POST", f"{base}/rules", json={"pattern": "X*", "service": "nope"})
    assert "no shipping service 'nope'" in _problem(unknown, 404)["detail"]
    await web.api("POST", f"{base}/services", json={"code": "post", "carrier": "omniva"})

    saved = await web.api("POST", f"{base}/rules", json={"pattern": " DHL* ", "service": "dhl"})
    assert saved.json() == {"pattern": "DHL*", "service": "dhl", "exact": False, "replaced": False}
    again = await web.api("POST", f"{base}/rules", json={"pattern": "dhl*", "service": "dhl"})
    assert again.json()["replaced"] is True
    await web.api("POST", f"{base}/rules", json={"pattern": "DHL Express", "service": "post"})
    rules = (await web.api("GET", f"{base}/rules")).json()
    assert [(r["pattern"], r["exact"]) for r in rules] == [("DHL Express", True), ("dhl*", False)]

    methods = {m["name"]: m for m in (await web.api("GET", f"{base}/methods")).json()}
    assert (methods["DHL-1"]["service"], methods["DHL-1"]["rule"]) == ("dhl", "dhl*")
    assert methods["DHL Express"]["service"] == "post"
    assert (methods["Omniva"]["matched"], methods["Omniva"]["service"]) == (False, None)

    settings = (await web.api("PUT", f"{base}/default", json={"service": "post"})).json()
    assert settings["default_service"] == "post"
    methods = {m["name"]: m for m in (await web.api("GET", f"{base}/methods")).json()}
    assert (methods["Omniva"]["matched"], methods["Omniva"]["service"]) == (False, "post")
    services = {
        s["code"]: s["is_default"] for s in (await web.api("GET", f"{base}/services")).json()
    }
    assert services == {"dhl": False, "post": True}

    used = _problem(await web.api("DELETE", f"{base}/services/dhl"), 409)
    assert "used by the rules 'dhl*'" in used["detail"]
    assert (await web.api("DELETE", f"{base}/rules", params={"pattern": "DHL*"})).status_code == 204
    _problem(await web.api("DELETE", f"{base}/rules", params={"pattern": "DHL*"}), 404)
    assert (await web.api("DELETE", f"{base}/services/dhl")).json()["code"] == "dhl"
    assert (await web.api("PUT", f"{base}/default", json={"service": None})).json()[
        "default_service"
    ] is None


async def test_preview_says_which_methods_a_pattern_would_win(web: Web) -> None:
    base = f"/connections/{web.cid}/shipping"
    await web.api("POST", f"{base}/services", json={"code": "dhl", "carrier": "dhl"})
    await web.api("POST", f"{base}/rules", json={"pattern": "DHL Express", "service": "dhl"})
    preview = (await web.api("GET", f"{base}/preview", params={"pattern": "DHL*"})).json()
    found = {m["name"]: m for m in preview["matches"]}
    assert {"DHL-1", "DHL Express"} <= set(found)
    assert (found["DHL-1"]["wins"], found["DHL Express"]["beaten_by"]) == (True, "DHL Express")
    assert preview["wins"] == len(found) - 1
    assert (await web.api("GET", f"{base}/rules")).json() == [
        {"pattern": "DHL Express", "service": "dhl", "exact": True}
    ]  # nothing saved
    empty = _problem(await web.api("GET", f"{base}/preview", params={"pattern": "  "}), 400)
    assert "needs a pattern" in empty["detail"]
    for method, path in (("GET", f"{base}/preview"), ("DELETE", f"{base}/rules")):
        _problem(await web.api(method, path, params={"pattern": "DHL\x00*"}), 422)
    _problem(await web.api("GET", f"/connections/{2**31}/shipping/methods"), 422)


async def test_statuses_after_a_shipment_by_name_or_keep(web: Web) -> None:
    base = f"/connections/{web.cid}/shipping"
    before = (await web.api("GET", f"{base}/statuses")).json()
    assert before["partial_status"] == {"id": 3, "name": "Partially Shipped"}
    after = (
        await web.api(
            "PUT", f"{base}/statuses", json={"partial": "awaiting fulfillment", "shipped": "keep"}
        )
    ).json()
    assert after["partial_status"] == {"id": 11, "name": "Awaiting Fulfillment"}
    assert after["shipped_status"] is None
    names = {s["id"]: s["name"] for s in (await web.api("GET", f"{base}/order-statuses")).json()}
    assert names[11] == "Awaiting Fulfillment"
    wrong = _problem(await web.api("PUT", f"{base}/statuses", json={"partial": "lost"}), 400)
    assert "no order status 'lost'" in wrong["detail"]


# --- the API: outbox, push, audit -------------------------------------------------------------


async def test_the_outbox_pages_by_cursor_and_filters_by_state(web: Web) -> None:
    ids = web.record(1, 2, 3, 4, 5)
    web.fail(ids[0])
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await web.api("GET", f"/connections/{web.cid}/outbox", params=params)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    failed = (
        await web.api("GET", f"/connections/{web.cid}/outbox", params={"state": "failed"})
    ).json()
    assert [(e["id"], e["can_retry"], e["last_error"]) for e in failed["items"]] == [
        (ids[0], True, "422: the variant is gone")
    ]
    pending = await web.api("GET", f"/connections/{web.cid}/outbox", params={"state": "pending"})
    assert [e["id"] for e in pending.json()["items"]] == ids[:0:-1]
    _problem(await web.api("GET", f"/connections/{web.cid}/outbox", params={"state": "lost"}), 422)
    _problem(await web.api("GET", f"/connections/{web.cid}/outbox", params={"cursor": "!!"}), 400)


async def test_retry_drop_and_push_through_the_api(web: Web) -> None:
    failed, pending = web.record(1, 2)
    web.fail(failed)
    base = f"/connections/{web.cid}/outbox"
    refused = _problem(await web.api("POST", f"{base}/{pending}/retry"), 409)
    assert "only failed or mismatched ones are retried" in refused["detail"]
    retried = (await web.api("POST", f"{base}/{failed}/retry")).json()
    assert (retried["state"], retried["last_error"]) == ("pending", None)
    dropped = (await web.api("POST", f"{base}/{pending}/drop")).json()
    assert (dropped["state"], dropped["can_drop"]) == ("dropped", False)
    _problem(await web.api("POST", f"{base}/{pending}/drop"), 409)
    _problem(await web.api("POST", f"{base}/999999/retry"), 404)
    pushed = await web.api("POST", f"/connections/{web.cid}/push")
    assert pushed.status_code == 202
    assert pushed.json() == {
        "nudged": False,
        "detail": "this server runs no jobs: run `bigsync push sandbox` where they run",
    }


async def test_audit_of_one_connection_and_of_all(web: Web, tmp_path: Path) -> None:
    service = ConnectionService(web.shop.world.db, Vault.from_settings(Settings(data_dir=tmp_path)))
    for n in range(3):
        service.note("sandbox", "note", f"sandbox {n}")
        service.note("other", "note", f"other {n}")
    page = (await web.api("GET", f"/connections/{web.cid}/audit", params={"limit": 2})).json()
    assert [e["detail"] for e in page["items"]] == ["sandbox 2", "sandbox 1"]
    rest = (
        await web.api(
            "GET", f"/connections/{web.cid}/audit", params={"cursor": page["next_cursor"]}
        )
    ).json()
    assert ([e["detail"] for e in rest["items"]], rest["next_cursor"]) == (["sandbox 0"], None)
    every = (await web.api("GET", "/audit", params={"limit": 3})).json()
    assert [e["connection_name"] for e in every["items"]] == ["other", "sandbox", "other"]


async def test_who_may_see_what(web: Web) -> None:
    async with web.other_client() as anonymous:
        assert (await anonymous.get(f"/api/v1/connections/{web.cid}/outbox")).status_code == 401
        page = await anonymous.get(f"/integrations/{web.cid}/shipping")
        assert (page.status_code, page.headers["location"]) == (
            303,
            f"/login?next=/integrations/{web.cid}/shipping",
        )
    async with web.other_client(web.limited_cookie) as limited:
        _problem(await limited.get(f"/api/v1/connections/{web.cid}/shipping/methods"), 404)
        _problem(await limited.get("/api/v1/audit"), 403)
        assert (await limited.get(f"/integrations/{web.cid}/activity")).status_code == 404
        assert (await limited.get("/audit")).status_code == 403
    _problem(await web.api("GET", "/connections/999999/outbox"), 404)
    # The session cookie alone changes nothing without the CSRF header.
    ids = web.record(1)
    web.fail(ids[0])
    _problem(await web.client.post(f"/api/v1/connections/{web.cid}/outbox/{ids[0]}/retry"), 403)


# --- the pages --------------------------------------------------------------------------------


async def test_the_shipping_page_flags_unmatched_methods_and_saves_by_forms(web: Web) -> None:
    page = f"/integrations/{web.cid}/shipping"
    html = (await web.client.get(page)).text
    assert 'data-method="DHL-1" class="unmatched"' in html
    assert "Add a carrier service first" in html

    added = await web.form(f"{page}/services", {"code": "dhl", "carrier": "dhl"}, page=page)
    assert (added.status_code, added.headers["location"]) == (303, f"{page}#services")
    assert "Added service dhl (dhl)." in (await web.client.get(page)).text

    preview = await web.form(
        f"{page}/rules", {"pattern": "DHL*", "service": "dhl", "intent": "preview"}, page=page
    )
    assert preview.status_code == 200
    assert 'id="preview-summary"' in preview.text
    assert '<li data-method="DHL-1" class="wins">' in preview.text
    assert shipping.list_rules(web.shop.hub) == []  # a preview saves nothing

    saved = await web.form(f"{page}/rules", {"pattern": "DHL*", "service": "dhl"}, page=page)
    assert saved.headers["location"] == f"{page}#rules"
    html = (await web.client.get(page)).text
    assert "&#39;DHL*&#39; maps to dhl." in html
    assert 'data-method="DHL-1">' in html  # matched now
    assert 'data-method="Omniva" class="unmatched"' in html

    refused = await web.form(f"{page}/rules", {"pattern": "UPS*", "service": "nope"}, page=page)
    assert refused.headers["location"] == f"{page}?pattern=UPS%2A&service=nope#rules"
    html = (await web.client.get(refused.headers["location"])).text
    assert "no shipping service &#39;nope&#39;" in html
    assert 'value="UPS*"' in html

    await web.form(f"{page}/default", {"service": "dhl"}, page=page)
    assert shipping.get_settings(web.shop.hub).default_service == "dhl"
    await web.form(f"{page}/statuses", {"partial": "keep", "shipped": "2"}, page=page)
    settings = shipping.get_settings(web.shop.hub)
    assert (settings.partial_status, settings.shipped_status) == (None, (2, "Shipped"))

    used = await web.form(f"{page}/services/remove", {"code": "dhl"}, page=page)
    assert used.status_code == 303
    assert "used by the rules" in (await web.client.get(page)).text
    await web.form(f"{page}/rules/remove", {"pattern": "DHL*"}, page=page)
    await web.form(f"{page}/services/remove", {"code": "dhl"}, page=page)
    assert shipping.list_services(web.shop.hub) == []


async def test_a_form_without_its_csrf_token_is_refused(web: Web) -> None:
    page = f"/integrations/{web.cid}/shipping"
    refused = await web.client.post(f"{page}/services", data={"code": "dhl", "carrier": "dhl"})
    assert refused.status_code == 403
    assert shipping.list_services(web.shop.hub) == []


async def test_the_activity_page_filters_retries_drops_and_pages(web: Web) -> None:
    ids = web.record(*range(1, 53))
    web.fail(ids[0])
    page = f"/integrations/{web.cid}/activity"
    html = (await web.client.get(page)).text
    assert html.count('<tr data-entry="') == 50
    assert f'href="{page}?state=all&amp;before={ids[2]}"' in html
    assert "data-refresh-s" in html  # entries on their way: the page follows them
    older = (await web.client.get(f"{page}?before={ids[2]}")).text
    assert [int(i) for i in re.findall(r'<tr data-entry="(\d+)"', older)] == [ids[1], ids[0]]

    failed = (await web.client.get(f"{page}?state=failed")).text
    assert re.findall(r'<tr data-entry="(\d+)" data-state="(\w+)"', failed) == [
        (str(ids[0]), "failed")
    ]
    assert "422: the variant is gone" in failed
    assert "data-refresh-s" not in failed

    back = f"{page}?state=failed"
    retried = await web.form(f"{page}/outbox/{ids[0]}/retry", {"back": back}, page=page)
    assert (retried.status_code, retried.headers["location"]) == (303, back)
    assert f"Entry {ids[0]} is now pending." in (await web.client.get(back)).text
    dropped = await web.form(
        f"{page}/outbox/{ids[1]}/drop", {"back": "https://evil.example/"}, page=page
    )
    assert dropped.headers["location"] == page
    done = (await web.client.get(f"{page}?state=done")).text
    assert f'<tr data-entry="{ids[1]}" data-state="dropped">' in done
    again = await web.form(f"{page}/outbox/{ids[1]}/drop", {}, page=page)
    assert (
        f"outbox entry {ids[1]} is already dropped"
        in (await web.client.get(again.headers["location"])).text
    )

    pushed = await web.form(f"{page}/push", {}, page=page)
    assert "this server runs no jobs" in (await web.client.get(pushed.headers["location"])).text
    assert (await web.client.get(f"{page}?state=lost")).status_code == 400


async def test_the_audit_log_pages(web: Web, tmp_path: Path) -> None:
    service = ConnectionService(web.shop.world.db, Vault.from_settings(Settings(data_dir=tmp_path)))
    for n in range(25):
        service.note("sandbox", "note", f"entry {n}")
    html = (await web.client.get(f"/integrations/{web.cid}/activity")).text
    assert "entry 24" in html
    assert "entry 5" in html
    assert "entry 4" not in html
    match = re.search(r'href="([^"]*audit_before=\d+#audit)"', html)
    assert match
    older = (await web.client.get(match.group(1).replace("&amp;", "&"))).text
    assert "entry 4" in older
    every = (await web.client.get("/audit")).text
    assert "entry 24" in every
    assert f'href="/integrations/{web.cid}/activity">sandbox' in every
