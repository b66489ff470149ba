"""The Orders tab in a real browser, against the served hub and its sandbox store: the list,
an order, a shipment created from the page (the service preselected by the shipping-method
rule) that reaches the store, and a status change that does too."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bigsync.connections import ConnectionView, NewConnection
from bigsync.fulfillment import orders_view, shipping
from bigsync.fulfillment.hub import Hub
from bigsync.store import mirror_repository
from bigsync.store.unit_of_work import UnitOfWork
from tests.browser.conftest import CONNECTED_NAME, HubWorld, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

Shot = Callable[["Page", str], Path]


@pytest.fixture
def store_connected(hub_server: HubWorld) -> ConnectionView:
    """`connected_store`, with the connection test run in a thread of its own: the session's
    Playwright loop already runs in the test's thread, where asyncio.run cannot."""
    service = hub_server.connections()
    added = service.add(
        NewConnection(
            name=CONNECTED_NAME,
            store=hub_server.store.hash,
            access_token=hub_server.tokens["full"],
            api_url=hub_server.sandbox_url,
        )
    )
    reports: list[Any] = []
    worker = threading.Thread(
        target=lambda: reports.append(asyncio.run(service.test(added.connection.name)))
    )
    worker.start()
    worker.join(timeout=60)
    assert reports, "the connection test did not finish"
    assert reports[0].ok, reports[0]

    def synced() -> bool:
        with hub_server.engine.connect() as conn:
            runs = mirror_repository.recent_runs(conn, connection_id=added.connection.id)
        assert not any(r["status"] == "failed" for r in runs), runs
        return any(r["status"] == "ok" for r in runs)

    wait_for("the initial sync", synced)
    return service.get(added.connection.name)


def _store_api(world: HubWorld, path: str) -> Any:
    headers = {"X-Auth-Token": world.tokens["full"], "Accept": "application/json"}
    url = f"{world.sandbox_url}/stores/{world.store.hash}{path}"
    answer = httpx.get(url, headers=headers, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def _order_to_ship(hub: Hub) -> orders_view.OrderDetail:
    """A mirrored order with one shipping address and items left to ship."""
    page = orders_view.list_orders(hub, shipping_filter="to_ship", limit=200)
    for summary in page.orders:
        detail = orders_view.order_detail(hub, summary.id)
        if detail and len(detail.addresses) == 1 and detail.remaining and not summary.is_deleted:
            return detail
    raise AssertionError("the sandbox store has no order left to ship")


def test_ship_an_order_and_change_its_status(
    hub_server: HubWorld, store_connected: ConnectionView, admin_page: Page, shot: Shot
) -> None:
    page, world, cid = admin_page, hub_server, store_connected.id
    hub = Hub(UnitOfWork(world.engine), cid, store_connected.name)
    shipping.add_service(hub, "ups-ground", carrier="ups", name="UPS Ground")
    shipping.map_pattern(hub, "*", "ups-ground")
    order = _order_to_ship(hub)

    page.goto(f"{world.url}/integrations/{cid}/orders")
    assert page.locator("nav.tabs a.tab.current").inner_text() == "Orders"
    page.wait_for_selector(f"a[href$='/orders/{order.summary.id}']")
    shot(page, "orders")

    page.fill("input[name=q]", str(order.summary.id))
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(rf".*q={order.summary.id}.*"))
    assert page.locator("table.orders-list tbody tr").count() == 1
    page.click(f"a[href$='/orders/{order.summary.id}']")
    page.wait_for_url(re.compile(rf".*/orders/{order.summary.id}$"))
    (address,) = order.addresses
    service = page.locator(f"#carrier-{address.id}")
    assert service.input_value() == "ups-ground"  # preselected by the rule `*`
    shot(page, "order")

    tracking = f"1Z{order.summary.id:08d}"
    page.fill(f"#tracking-{address.id}", tracking)
    page.click("button:has-text('Create shipment')")
    page.wait_for_selector(".flash.ok")
    assert f"tracking {tracking}" in page.locator(".flash.ok").inner_text()
    assert page.locator("#shipments code", has_text=tracking).count() == 1
    shot(page, "order-shipment-recorded")

    def in_store() -> list[Any]:
        found = _store_api(world, f"/v2/orders/{order.summary.id}/shipments") or []
        return [s for s in found if s.get("tracking_number") == tracking]

    (shipment,) = wait_for("the shipment in the sandbox store", in_store)
    assert shipment["shipping_provider"] == "ups"
    shipped = {item["order_product_id"]: item["quantity"] for item in shipment["items"]}
    assert shipped == {line.id: line.remaining for line in address.lines if line.remaining}
    # The page's script follows the outbox: the badge turns confirmed without a reload.
    page.wait_for_selector("#shipments [data-intent-state=confirmed]", timeout=30_000)
    shot(page, "order-shipment-confirmed")

    page.select_option("#status-select", label="Completed")
    page.click("button:has-text('Change status')")
    page.wait_for_selector(".flash.ok")
    assert "Status Completed" in page.locator(".flash.ok").inner_text()

    def completed() -> bool:
        return bool(_store_api(world, f"/v2/orders/{order.summary.id}")["status_id"] == 10)

    wait_for("the status in the sandbox store", completed)
    page.reload()
    page.wait_for_selector("[data-intent-state=confirmed]")
    shot(page, "order-status-changed")
