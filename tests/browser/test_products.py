"""The Products page in a real browser, against a connected and synced sandbox store: open
it, search, check a variant and Create product (manage it), change its hub stock and see the
level reach the sandbox store (polled through the store API, bounded), then a CSV import:
a file with a bad row is previewed with its line number and cannot be confirmed, a good
one is previewed (from → to) and confirmed. A screenshot of each page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from bigsync.connections import ConnectionView
from bigsync.store import hub_mirror
from tests.browser.conftest import HubWorld, wait_for

Shot = Callable[[Page, str], Path]


def _writable_variant(hub_server: HubWorld, connection_id: int) -> hub_mirror.StoreVariant:
    """A variant whose stock BigCommerce takes per variant (tracked, with a SKU)."""
    with hub_server.engine.connect() as conn:
        variants = hub_mirror.store_variants(conn, connection_id)
    for variant in variants:
        tracking = variant.inventory_tracking
        if variant.sku and (
            tracking == "variant" or (tracking == "product" and not variant.options)
        ):
            return variant
    raise AssertionError("the sandbox store has no variant with tracked stock")


def _store_on_hand(hub_server: HubWorld, variant_id: int) -> int | None:
    """The sandbox store's on-hand level of a variant at location 1, through its API."""
    answer = httpx.get(
        f"{hub_server.sandbox_url}/stores/{hub_server.store.hash}/v3/inventory/items",
        params={"variant_id:in": str(variant_id)},
        headers={"X-Auth-Token": hub_server.tokens["full"], "Accept": "application/json"},
        timeout=10,
    )
    answer.raise_for_status()
    for item in answer.json()["data"]:
        for place in item.get("locations", ()):
            if place.get("location_id") == 1:
                found: Any = place.get("total_inventory_onhand")
                return int(found) if found is not None else None
    return None


def test_products_manage_stock_and_import(
    admin_page: Page, hub_server: HubWorld, connected_store: ConnectionView, shot: Shot
) -> None:
    page, url = admin_page, hub_server.url
    base = f"{url}/integrations/{connected_store.id}/products"
    variant = _writable_variant(hub_server, connected_store.id)
    sku = variant.sku or ""

    page.goto(base)
    expect(page.locator("table.products")).to_be_visible()
    expect(page.locator("#products-head")).to_contain_text("variants match")
    shot(page, "products")

    page.fill("#product-search", sku)
    page.click(".products-filter button[type=submit]")
    row = page.locator(f"tr[data-sku='{sku}']")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("not managed")
    shot(page, "search")

    row.locator("input.pick").check()
    expect(page.locator("#selected-count")).to_contain_text("1 checked")
    page.click("#create-products")
    expect(page.locator(".flash.ok").first).to_contain_text("1 variant(s) now managed")
    expect(row.locator(".badge")).to_have_text("managed")
    shot(page, "managed")

    target = (_store_on_hand(hub_server, variant.variant_id) or 0) + 17
    editor = row.locator("td.hub-cell").first
    editor.locator("input.qty").fill(str(target))
    editor.locator("button").click()
    expect(page.locator(".flash.ok").first).to_contain_text(f"→ {target}")
    expect(row.locator("td.hub-cell").first).to_have_class("num hub-cell differs")
    shot(page, "stock-changed")
    wait_for(
        "the hub level in the sandbox store",
        lambda: _store_on_hand(hub_server, variant.variant_id) == target,
        deadline_s=60,
    )

    page.goto(f"{base}/import")
    shot(page, "import")
    page.fill("#stock-text", f"sku,quantity\n{sku},5\nNO-SUCH-SKU,3\n{sku},x\n")
    page.click("#preview-import")
    expect(page.locator("table.problems")).to_contain_text("NO-SUCH-SKU")
    expect(page.locator("table.problems tbody tr").first.locator("td").first).to_have_text("3")
    expect(page.locator("#confirm-import")).to_have_count(0)
    shot(page, "import-refused")

    page.goto(f"{base}/import")
    page.fill("#stock-text", f"{sku},4\n")
    page.click("#preview-import")
    preview = page.locator("table.preview tbody tr")
    expect(preview).to_have_count(1)
    expect(preview.locator("td")).to_have_text(["1", sku, "default", str(target), "4", ""])
    shot(page, "import-preview")
    page.click("#confirm-import")
    expect(page).to_have_url(base)
    expect(page.locator(".flash.ok").first).to_contain_text("Imported 1 stock level")
    shot(page, "imported")
    wait_for(
        "the imported level in the sandbox store",
        lambda: _store_on_hand(hub_server, variant.variant_id) == 4,
        deadline_s=60,
    )
