"""The shipping and activity pages in Chromium: carrier services added, a wildcard pattern
typed and its live preview listing the methods it matches (and those a more specific rule
keeps), the rule saved and the unmatched methods flagged; then writes on the activity page
going from pending to confirmed after Push now, and failed ones (a sandbox fault) retried
and dropped."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bigsync.connections import ConnectionView
from bigsync.fulfillment.hub import Hub
from bigsync.fulfillment.order_status import change_status
from bigsync.store import hub_mirror
from bigsync.store.unit_of_work import UnitOfWork
from tests.browser.conftest import HubWorld, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

Shot = Callable[["Page", str], Path]
WAIT_MS = 30_000


def _hub(hub_server: HubWorld, store: ConnectionView) -> Hub:
    return Hub(UnitOfWork(hub_server.engine), store.id, store.name)


def _orders(hub: Hub, count: int) -> list[int]:
    """Ids of `count` mirrored orders."""
    found: list[int] = []
    with hub.db.read() as conn:
        for order_id in range(1, 10_000):
            order = hub_mirror.store_order(conn, hub.connection_id, order_id)
            if order is not None and not order.is_deleted:
                found.append(order_id)
                if len(found) == count:
                    return found
    raise AssertionError(f"fewer than {count} orders in the mirror")


def expect(locator: Any) -> Any:
    """Playwright's `expect` (imported when a test runs: the package is a test extra)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shows(page: Page, entry: int, state: str) -> bool:
    """Whether the page, loaded again, shows `entry` in `state`."""
    page.reload()
    return (
        page.locator(f'#outbox-table tr[data-entry="{entry}"][data-state="{state}"]').count() == 1
    )


def _add_service(page: Page, code: str, carrier: str) -> None:
    form = page.locator("#service-form")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=carrier]").fill(carrier)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f'#services-table tr[data-service="{code}"]')


def test_rules_with_a_live_preview_and_unmatched_methods_flagged(
    admin_page: Page, hub_server: HubWorld, connected_store: ConnectionView, shot: Shot
) -> None:
    page = admin_page
    page.goto(f"{hub_server.url}/integrations/{connected_store.id}/shipping")
    assert page.locator("#methods-table tr.unmatched").count() >= 4
    assert page.locator('#methods-table tr[data-method="DHL-1"].unmatched').count() == 1

    _add_service(page, "dhl", "dhl")
    _add_service(page, "ups", "ups")
    assert "Added service ups (ups)." in page.locator(".flash.ok").inner_text()

    # An exact rule first, so that the wildcard's preview shows one method it cannot win.
    page.fill("#rule-pattern", "DHL Express")
    page.select_option("#rule-service", "ups")
    page.click("#rule-form button[value=save]")
    page.wait_for_selector('#rules-table tr[data-pattern="DHL Express"]')

    page.evaluate("window.bigsyncStayed = true")  # gone if the page were loaded again
    assert not page.locator("#preview-button").is_visible()  # the preview follows the typing
    page.locator("#rule-pattern").press_sequentially("dhl*", delay=40)
    page.wait_for_selector('#rule-preview li[data-method="DHL-1"].wins', timeout=WAIT_MS)
    preview = page.locator("#rule-preview li")
    names = {preview.nth(i).get_attribute("data-method") for i in range(preview.count())}
    assert names == {"DHL-1", "DHL Express"}
    kept = page.locator('#rule-preview li[data-method="DHL Express"]')
    assert "loses" in (kept.get_attribute("class") or "")
    assert "stays with DHL Express" in kept.inner_text()
    assert "matches 2 of" in page.locator("#preview-summary").inner_text()
    assert page.evaluate("window.bigsyncStayed") is True

    page.locator("#rule-pattern").press("Backspace")
    page.locator("#rule-pattern").press_sequentially("-*")
    expect(page.locator("#rule-preview li")).to_have_count(1, timeout=WAIT_MS)
    assert page.locator('#rule-preview li[data-method="DHL-1"].wins').count() == 1
    page.fill("#rule-pattern", "")
    page.locator("#rule-pattern").press_sequentially("DHL*")
    page.wait_for_selector('#rule-preview li[data-method="DHL Express"]', timeout=WAIT_MS)
    page.select_option("#rule-service", "dhl")
    shot(page, "shipping-preview")

    page.click("#rule-form button[value=save]")
    page.wait_for_selector('#rules-table tr[data-pattern="DHL*"]')
    assert "'DHL*' maps to dhl." in page.locator(".flash.ok").inner_text()
    assert page.locator('#methods-table tr[data-method="DHL-1"].unmatched').count() == 0
    row = page.locator('#methods-table tr[data-method="DHL Express"]')
    assert "ups" in row.inner_text()
    assert "DHL Express" in row.locator("code").inner_text()
    omniva = page.locator('#methods-table tr[data-method="Omniva"]')
    assert "unmatched" in omniva.inner_text()
    unmatched = page.locator("#methods-table tr.unmatched").count()
    assert f"{unmatched} method" in page.locator("#unmatched-note").inner_text()
    shot(page, "shipping")


def test_writes_go_from_pending_to_confirmed_and_failed_ones_are_retried_or_dropped(
    admin_page: Page, hub_server: HubWorld, connected_store: ConnectionView, shot: Shot
) -> None:
    page = admin_page
    hub = _hub(hub_server, connected_store)
    first, second, third = _orders(hub, 3)
    activity = f"{hub_server.url}/integrations/{connected_store.id}/activity"

    written = change_status(hub, first, "Awaiting Pickup").intent_id
    page.goto(activity)
    row = page.locator(f'#outbox-table tr[data-entry="{written}"]')
    assert row.get_attribute("data-state") in ("pending", "sending", "sent", "confirmed")
    shot(page, "activity-pending")
    page.click("#push-form button")
    page.wait_for_selector(
        f'#outbox-table tr[data-entry="{written}"][data-state="confirmed"]', timeout=WAIT_MS
    )
    assert page.locator('[data-filter="done"] .count').inner_text() == "1"

    fault = {"kind": "error", "status": 422, "path": "/v2/orders/*", "methods": ["PUT"]}
    added = httpx.post(f"{hub_server.sandbox_url}/_sandbox/faults", json={**fault, "count": 2})
    assert added.status_code == 201, added.text
    to_retry = change_status(hub, second, "Completed").intent_id
    to_drop = change_status(hub, third, "Awaiting Shipment").intent_id
    page.goto(f"{activity}?state=pending")
    page.click("#push-form button")
    page.goto(f"{activity}?state=failed")
    for entry in (to_retry, to_drop):
        wait_for(f"entry {entry} to fail", partial(_shows, page, entry, "failed"))
    failed = page.locator(f'#outbox-table tr[data-entry="{to_retry}"]')
    assert re.search(r"answered 422", failed.locator(".error").inner_text())
    shot(page, "activity-failed")

    failed.locator("button", has_text="Retry").click()
    assert f"Entry {to_retry} is now pending." in page.locator(".flash.ok").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'#outbox-table tr[data-entry="{to_drop}"] button', has_text="Drop").click()
    assert f"Entry {to_drop} is now dropped." in page.locator(".flash.ok").inner_text()
    page.goto(activity)
    page.wait_for_selector(
        f'#outbox-table tr[data-entry="{to_retry}"][data-state="confirmed"]', timeout=WAIT_MS
    )
    state = page.locator(f'#outbox-table tr[data-entry="{to_drop}"]').get_attribute("data-state")
    assert state == "dropped"
    assert page.locator("#audit .audit-table").count() == 1
    shot(page, "activity")
