"""A new user's whole first hour, in one browser session and one hub, page after page: the
first-run setup; the wizard (a pasted API path, a wrong token first, Test and its scope
report, Connect); the initial sync's progress to its end; Test again from the connection
page; the products page (Create product for a selection, a hub stock level held while stock
write-back is off, shown held on the activity page, and sent to the sandbox store once the
user turns the write features on); shipping-method rules with wildcards and their live
preview; an order shipped from its page, the shipment in the sandbox store and on the
activity page. Nothing is
set up behind the browser's back: every step is what the user clicks. A screenshot of each
page (`.artifacts/screenshots/test_journey-*.png`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from bigsync.fulfillment import orders_view
from bigsync.fulfillment.hub import Hub
from bigsync.store import hub_mirror
from bigsync.store.unit_of_work import UnitOfWork
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, HubWorld, wait_for
from tests.leakscan import LeakRecorder

pytestmark = pytest.mark.timeout(240, method="thread")

Shot = Callable[[Page, str], Path]
WAIT_MS = 60_000


def _store_api(world: HubWorld, path: str, **params: str) -> Any:
    """The sandbox store's own API, as BigCommerce's control panel would show it."""
    answer = httpx.get(
        f"{world.sandbox_url}/stores/{world.store.hash}{path}",
        params=params,
        headers={"X-Auth-Token": world.tokens["full"], "Accept": "application/json"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json() if answer.content else None


def _on_hand(world: HubWorld, variant_id: int) -> int | None:
    items = _store_api(world, "/v3/inventory/items", **{"variant_id:in": str(variant_id)})
    for item in items["data"]:
        for place in item.get("locations", ()):
            if place.get("location_id") == 1 and place.get("total_inventory_onhand") is not None:
                return int(place["total_inventory_onhand"])
    return None


def _stock_variant(world: HubWorld, connection_id: int) -> hub_mirror.StoreVariant:
    """A mirrored variant whose stock BigCommerce keeps per variant (tracked, with a SKU)."""
    with world.engine.connect() as conn:
        for variant in hub_mirror.store_variants(conn, connection_id):
            tracking = variant.inventory_tracking
            if variant.sku and (
                tracking == "variant" or (tracking == "product" and not variant.options)
            ):
                return variant
    raise AssertionError("the sandbox store has no variant with tracked stock")


def _order_to_ship(world: HubWorld, connection_id: int) -> orders_view.OrderDetail:
    """A mirrored order with one shipping address and items left to ship, one sent by a DHL
    method when there is one (the wildcard rule then picks its carrier)."""
    hub = Hub(UnitOfWork(world.engine), connection_id, "journey")
    page = orders_view.list_orders(hub, shipping_filter="to_ship", limit=200)
    candidates = []
    for summary in page.orders:
        detail = orders_view.order_detail(hub, summary.id)
        if detail and len(detail.addresses) == 1 and detail.remaining and not summary.is_deleted:
            candidates.append(detail)
    assert candidates, "the sandbox store has no order left to ship"
    dhl = [d for d in candidates if _is_dhl(d.addresses[0].shipping_method)]
    return (dhl or candidates)[0]


def _is_dhl(method: str | None) -> bool:
    return (method or "").upper().startswith("DHL")


def test_a_new_user_connects_a_store_and_runs_it_from_the_browser(
    browser_page: Page, hub_server: HubWorld, shot: Shot, leak_recorder: LeakRecorder
) -> None:
    page, world, url = browser_page, hub_server, hub_server.url
    token = world.tokens["full"]
    leak_recorder.record_secret(token)

    # First run: any page leads to the setup of the admin.
    page.goto(url)
    expect(page).to_have_url(f"{url}/setup")
    shot(page, "01-setup")
    page.fill("#username", ADMIN_USERNAME)
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_again", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/integrations")
    shot(page, "02-integrations-empty")

    # Settings → Integrations → Add new integration → BigCommerce → Next.
    page.click("a.btn.primary:has-text('Add new integration')")
    page.check("input[value=bigcommerce]")
    shot(page, "03-choose-platform")
    page.click("button:has-text('Next')")
    page.wait_for_url("**/integrations/new/bigcommerce*")

    # The API path as BigCommerce shows it when the API account is created, pasted whole.
    api_path = f"https://api.bigcommerce.com/stores/{world.store.hash}/v3/"
    page.fill("#name", "my-shop")
    page.fill("#store", api_path)
    page.wait_for_selector("#store-feedback.valid")
    assert world.store.hash in page.inner_text("#store-feedback")
    page.fill("#access_token", "x" * 31)  # a token mistyped
    page.click("#connect-button")
    page.wait_for_selector("#connect-error")
    assert "access token is not valid" in page.inner_text("#connect-error")
    assert page.input_value("#access_token") == ""
    shot(page, "04-wizard-wrong-token")

    page.fill("#access_token", token)
    page.click("#test-button")
    page.locator(".scope-report tr.feature-on").nth(4).wait_for()
    assert "passed" in page.inner_text(".scope-report")
    shot(page, "05-wizard-scope-report")

    # Connect: the first sync starts by itself; its progress shows until it ends.
    page.click("#connect-button")
    page.wait_for_url(re.compile(r".*/integrations/\d+$"))
    connection_id = int(page.url.rsplit("/", 1)[1])
    assert "the first sync has started" in page.content()
    shot(page, "06-first-sync-running")
    page.wait_for_selector("#progress .last-run", timeout=120_000)
    assert "Last sync #1 (initial)" in page.inner_text("#progress")
    assert page.locator("#history table.runs tbody tr").count() == 1
    shot(page, "07-first-sync-done")

    # Test from the connection page: the report is there to read.
    page.click("#test-connection")
    page.wait_for_load_state()
    expect(page.locator("#report")).to_contain_text("passed")
    expect(page.locator("#summary")).to_contain_text("••••" + token[-4:])
    shot(page, "08-connection-tested")

    # Products: search a SKU, check it, Create product, then change its hub stock.
    variant = _stock_variant(world, connection_id)
    sku = variant.sku or ""
    page.click("nav.tabs a.tab:has-text('Products')")
    expect(page.locator("table.products")).to_be_visible()
    shot(page, "09-products")
    page.fill("#product-search", sku)
    page.click(".products-filter button[type=submit]")
    row = page.locator(f"tr[data-sku='{sku}']")
    expect(row).to_have_count(1)
    row.locator("input.pick").check()
    page.click("#create-products")
    expect(page.locator(".flash.ok").first).to_contain_text("1 variant(s) now managed")
    expect(row.locator(".badge")).to_have_text("managed")
    level = (_on_hand(world, variant.variant_id) or 0) + 11
    editor = row.locator("td.hub-cell").first
    editor.locator("input.qty").fill(str(level))
    editor.locator("button").click()
    # Write features are opt-in: the level is held in the hub, and the page says why.
    recorded = page.locator(".flash.warn", has_text=f"→ {level}")
    expect(recorded).to_contain_text("held: Write stock is off for this integration")
    expect(page.locator("#stock-writes-off")).to_contain_text("Stock write-back is off")
    shot(page, "10-products-stock-held")
    page.click("nav.tabs a.tab:has-text('Activity')")
    held = page.locator("#outbox-table tbody tr[data-state=held]")
    expect(held).to_have_count(1, timeout=WAIT_MS)
    expect(held).to_contain_text("Write stock is off")
    expect(page.locator("#held-notice")).to_contain_text("1 write is held")
    assert _on_hand(world, variant.variant_id) != level

    # Turn the write features on (the notice links to them): the held level goes.
    page.click("#held-notice a:has-text('Features')")
    for name in ("write_stock", "write_fulfillment"):
        page.check(f"#features input[name=feature][value={name}]")
    page.click("#features button:has-text('Save features')")
    expect(page.locator(".flash.ok").first).to_contain_text("Features of")
    expect(page.locator("#features input[value=write_stock]")).to_be_checked()
    shot(page, "11-write-features-on")
    wait_for(
        "the hub's stock level in the sandbox store",
        lambda: _on_hand(world, variant.variant_id) == level,
    )

    # Shipping methods: carrier services, a wildcard rule typed with its live preview, and a
    # catch-all.
    page.click("nav.tabs a.tab:has-text('Shipping')")
    for code in ("dhl", "ups"):
        form = page.locator("#service-form")
        form.locator("input[name=code]").fill(code)
        form.locator("input[name=carrier]").fill(code)
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f'#services-table tr[data-service="{code}"]')
    page.locator("#rule-pattern").press_sequentially("DHL*", delay=30)
    page.wait_for_selector('#rule-preview li[data-method="DHL-1"].wins', timeout=WAIT_MS)
    assert "matches" in page.locator("#preview-summary").inner_text()
    page.select_option("#rule-service", "dhl")
    shot(page, "12-shipping-preview")
    page.click("#rule-form button[value=save]")
    page.wait_for_selector('#rules-table tr[data-pattern="DHL*"]')
    assert page.locator('#methods-table tr[data-method="DHL-1"].unmatched').count() == 0
    page.fill("#rule-pattern", "*")
    page.select_option("#rule-service", "ups")
    page.click("#rule-form button[value=save]")
    page.wait_for_selector('#rules-table tr[data-pattern="*"]')
    assert page.locator("#methods-table tr.unmatched").count() == 0
    shot(page, "13-shipping-rules")

    # Orders: find an order, ship it with the carrier its rule preselects.
    order = _order_to_ship(world, connection_id)
    (address,) = order.addresses
    expected_service = "dhl" if _is_dhl(address.shipping_method) else "ups"
    page.click("nav.tabs a.tab:has-text('Orders')")
    page.fill("input[name=q]", str(order.summary.id))
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(rf".*q={order.summary.id}.*"))
    shot(page, "14-orders")
    page.click(f"a[href$='/orders/{order.summary.id}']")
    page.wait_for_url(re.compile(rf".*/orders/{order.summary.id}$"))
    assert page.locator(f"#carrier-{address.id}").input_value() == expected_service
    tracking = f"JRN{order.summary.id:08d}"
    page.fill(f"#tracking-{address.id}", tracking)
    page.click("button:has-text('Create shipment')")
    page.wait_for_selector(".flash.ok")
    assert f"tracking {tracking}" in page.locator(".flash.ok").inner_text()
    shot(page, "15-order-shipment-recorded")

    def shipped() -> list[Any]:
        found = _store_api(world, f"/v2/orders/{order.summary.id}/shipments") or []
        return [s for s in found if s.get("tracking_number") == tracking]

    (shipment,) = wait_for("the shipment in the sandbox store", shipped)
    # UPS is one of BigCommerce's shipping providers; DHL is sent as the tracking carrier.
    sent_as = shipment["shipping_provider"] or shipment["tracking_carrier"]
    assert sent_as == expected_service, shipment
    page.wait_for_selector("#shipments [data-intent-state=confirmed]", timeout=WAIT_MS)
    shot(page, "16-order-shipped")

    # Activity: the stock write and the shipment, both confirmed, and the audit log.
    page.click("nav.tabs a.tab:has-text('Activity')")
    rows = page.locator("#outbox-table tbody tr")
    expect(rows.first).to_be_visible()
    kinds = {
        rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i).get_attribute("data-state")
        for i in range(rows.count())
    }
    assert kinds.get("stock") == "confirmed", kinds
    assert kinds.get("shipment") == "confirmed", kinds
    assert page.locator("#audit .audit-table").count() == 1
    shot(page, "17-activity")

    # The list of integrations now shows the store connected, with its last sync.
    page.goto(f"{url}/integrations")
    listed = page.inner_text(f"tr[data-connection='{connection_id}']")
    assert "my-shop" in listed
    assert world.store.hash in listed
    shot(page, "18-integrations")
    leak_recorder.record_output("page", page.content())
