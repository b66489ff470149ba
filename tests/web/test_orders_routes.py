"""The Orders pages and API over a synced sandbox store (SQLite, then PostgreSQL): lists in
keyset pages with filters, an order's page, a shipment and a status change through the
form and through the API (each an outbox intent, then the outbox dispatch is woken),
refusals as flashes (pages) and problem details (API)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.jobs.tasks import DISPATCH_OUTBOX
from bigsync.store import hub_mirror
from bigsync.web.app import create_app
from tests.accounts.hashing import FAST_HASHER
from tests.fulfillment import conftest as fulfillment
from tests.fulfillment.conftest import Shop
from tests.leakscan import LeakRecorder

PASSWORD = "orders-test-password-1"

# The synced sandbox store of the fulfillment tests, and its size.
synced_shop = fulfillment.shop
sandbox_spec = fulfillment.sandbox_spec


@dataclass
class Web:
    """The app over the shop's database, a logged-in admin and an API token."""

    client: httpx.AsyncClient
    csrf: str
    token: str
    cid: int
    shop: Shop
    transport: httpx.ASGITransport
    nudges: list[tuple[str, int]] = field(default_factory=list)

    def api(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def page(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> httpx.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        form: dict[str, list[str]] = {"csrf_token": [self.csrf]}
        for key, value in pairs:
            form.setdefault(key, []).append(str(value))
        return await self.client.post(
            path,
            data=form,
            headers={"Referer": f"http://testserver{path.rsplit('/', 1)[0]}"},
        )


@pytest.fixture
async def web(
    synced_shop: Shop, database_url: str, tmp_path: Path, leak_recorder: LeakRecorder
) -> AsyncIterator[Web]:
    shop = synced_shop
    settings = Settings(data_dir=tmp_path / "hub", database_url=database_url)
    app = create_app(settings=settings, run_jobs=False)
    async with app.router.lifespan_context(app):
        accounts = AccountService(app.state.hub.engine, hasher=FAST_HASHER)
        app.state.accounts = accounts
        accounts.setup_admin("admin", PASSWORD)
        opened = accounts.login("admin", PASSWORD, client="test")
        token = accounts.create_token(opened.principal, "orders").token
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            client.cookies.set("bigsync_session", opened.token)
            assert opened.principal.csrf_token
            web = Web(
                client, opened.principal.csrf_token, token, shop.hub.connection_id, shop, transport
            )
            app.state.hub.nudge = lambda kind, cid, **_: web.nudges.append((kind, cid))
            yield web


def _open_order(shop: Shop) -> int:
    return shop.order_with(
        lambda lines, addresses: (
            len(addresses) == 1
            and any(line.order_address_id and line.quantity >= 2 for line in lines)
            and all(line.quantity_shipped == 0 for line in lines)
        )
    )


def _lines(shop: Shop, order_id: int) -> list[hub_mirror.OrderLine]:
    with shop.hub.db.read() as conn:
        return hub_mirror.order_lines(conn, shop.hub.connection_id, order_id)


async def test_the_orders_page_lists_newest_first_with_filters(web: Web) -> None:
    ids = sorted(web.shop.world.store.sales.orders, reverse=True)
    first = await web.page(f"/integrations/{web.cid}/orders")
    assert first.status_code == 200
    shown = [int(x) for x in re.findall(r'/orders/(\d+)">#', first.text)]
    assert shown == ids[: len(shown)]
    order = web.shop.world.store.sales.orders[ids[3]]
    found = await web.page(f"/integrations/{web.cid}/orders?q={order.billing_address.email}")
    assert f"#{order.id}</a>" in found.text
    assert order.billing_address.email in found.text
    none = await web.page(f"/integrations/{web.cid}/orders?q=nobody-at-all")
    assert "No order matches." in none.text
    bad = await web.page(f"/integrations/{web.cid}/orders?status=lost")
    assert bad.status_code == 422
    assert "no order status" in bad.text


async def test_the_api_list_pages_with_cursors(web: Web) -> None:
    ids = sorted(web.shop.world.store.sales.orders, reverse=True)
    seen: list[int] = []
    cursor = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        answer = await web.client.get(
            f"/api/v1/connections/{web.cid}/orders", params=params, headers=web.api()
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    shipped = await web.client.get(
        f"/api/v1/connections/{web.cid}/orders",
        params={"status": "Shipped", "limit": 200},
        headers=web.api(),
    )
    assert {item["status_id"] for item in shipped.json()["items"]} == {2}
    bad = await web.client.get(
        f"/api/v1/connections/{web.cid}/orders", params={"cursor": "nope"}, headers=web.api()
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    async with httpx.AsyncClient(transport=web.transport, base_url="http://testserver") as other:
        anonymous = await other.get(f"/api/v1/connections/{web.cid}/orders")
    assert anonymous.status_code == 401
    missing = await web.client.get(f"/api/v1/connections/{web.cid}/orders/1", headers=web.api())
    assert missing.status_code == 404
    assert missing.json()["title"] == "No such order"


async def test_ship_from_the_order_page_records_an_intent_and_wakes_the_outbox(web: Web) -> None:
    order_id = _open_order(web.shop)
    line = next(x for x in _lines(web.shop, order_id) if x.quantity >= 2)
    path = f"/integrations/{web.cid}/orders/{order_id}"
    page = await web.page(path)
    assert page.status_code == 200
    assert "Create shipment" in page.text
    assert f'name="line" value="{line.id}"' in page.text

    over = await web.post(
        f"{path}/ship",
        [("tracking_number", "TRK-100"), ("carrier", ""), ("carrier_other", "dhl"),
         ("line", str(line.id)), ("quantity", str(line.quantity + 1))],
    )  # fmt: skip
    assert over.status_code == 303
    refused = await web.page(path)
    assert f"{line.quantity + 1} asked, {line.quantity} left to ship" in refused.text
    assert web.nudges == []

    done = await web.post(
        f"{path}/ship",
        [("tracking_number", "TRK-100"), ("carrier", ""), ("carrier_other", "dhl"),
         ("line", str(line.id)), ("quantity", "1")],
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == path
    assert web.nudges == [(DISPATCH_OUTBOX, web.cid)]
    after = await web.page(path)
    assert "Shipment of 1 item(s) by dhl, tracking TRK-100" in after.text
    assert "<code>TRK-100</code>" in after.text
    assert re.search(r'data-intent-state="pending"', after.text)

    detail = await web.client.get(
        f"/api/v1/connections/{web.cid}/orders/{order_id}", headers=web.api()
    )
    body = detail.json()
    (shipment,) = body["shipments"]
    assert shipment["tracking_number"] == "TRK-100"
    assert shipment["intent"]["state"] == "pending"
    shown = next(x for x in body["shipping_addresses"][0]["lines"] if x["id"] == line.id)
    assert (shown["on_the_way"], shown["remaining"]) == (1, line.quantity - 1)


async def test_status_change_from_the_page_and_the_api(web: Web) -> None:
    order_id = _open_order(web.shop)
    path = f"/integrations/{web.cid}/orders/{order_id}"
    changed = await web.post(f"{path}/status", {"status": "9"})
    assert changed.status_code == 303
    page = await web.page(path)
    assert "Status Awaiting Shipment: outbox #" in page.text
    # Fulfillment write-back is off on this connection: the write is recorded, held.
    assert "held: Write shipments and order status is off for this integration" in page.text
    assert web.nudges == [(DISPATCH_OUTBOX, web.cid)]

    answer = await web.client.put(
        f"/api/v1/connections/{web.cid}/orders/{order_id}/status",
        json={"status": "Awaiting Pickup"},
        headers=web.api(),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"]["name"] == "Awaiting Pickup"
    assert body["intent"]["state"] == "pending"
    assert len(web.nudges) == 2
    wrong = await web.client.put(
        f"/api/v1/connections/{web.cid}/orders/{order_id}/status",
        json={"status": "lost"},
        headers=web.api(),
    )
    assert wrong.status_code == 400
    assert "no order status 'lost'" in wrong.json()["detail"]
    unknown = await web.client.put(
        f"/api/v1/connections/{web.cid}/orders/1/status", json={"status": "2"}, headers=web.api()
    )
    assert unknown.status_code == 404


async def test_api_shipment_refuses_over_shipping_and_records_once(web: Web) -> None:
    order_id = _open_order(web.shop)
    line = next(x for x in _lines(web.shop, order_id) if x.quantity >= 2)
    url = f"/api/v1/connections/{web.cid}/orders/{order_id}/shipments"
    over = await web.client.post(
        url,
        json={"tracking_number": "T-1", "carrier": "ups",
              "items": [{"order_product_id": line.id, "quantity": line.quantity + 1}]},
        headers=web.api(),
    )  # fmt: skip
    assert over.status_code == 400
    assert "left to ship" in over.json()["detail"]
    body = {"tracking_number": "T-1", "carrier": "ups",
            "items": [{"order_product_id": line.id, "quantity": 1}]}  # fmt: skip
    first = await web.client.post(url, json=body, headers=web.api())
    assert first.status_code == 201, first.text
    again = await web.client.post(url, json=body, headers=web.api())
    assert again.json()["already_recorded"] is True
    assert again.json()["intent"]["id"] == first.json()["intent"]["id"]
    assert first.json()["carrier"] == "ups"
    # A session (the page's script) must send the CSRF header on writes.
    no_csrf = await web.client.post(url, json=body)
    assert no_csrf.status_code == 403
