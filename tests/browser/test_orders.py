"""The Orders tab in a real browser, against the served hub and its sandbox store: the list,
an order, a shipment created from the page (the service preselected by the shipping-method
rule) that reaches the store, and a status change that does too."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bigsync.connections import ConnectionView
from bigsync.fulfillment import orders_view, shipping
from bigsync.fulfillment.hub import Hub
from bigsync.store.unit_of_work import UnitOfWork
from tests.browser.conftest import HubWorld, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

Shot = Callable[["Page", str], Path]


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
    hub_server: HubWorld, connected_store: ConnectionView, admin_page: Page, shot: Shot
) -> None:
    page, world, cid = admin_page, hub_server, connected_store.id
    hub = Hub(UnitOfWork(world.engine), cid, connected_store.name)
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

    def mirrored() -> bool:  # the outbox reads the order back: no sync, no webhook needed
        page.reload()
        return page.locator("#order-status").inner_text() == "Completed"

    wait_for("the new status on the order page", mirrored)
    page.wait_for_selector("[data-intent-state=confirmed]")
    shot(page, "order-status-changed")
