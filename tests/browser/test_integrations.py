"""The Integrations pages in a real browser: from a logged-in admin, add a sandbox store
through the wizard (a pasted API path with a wrong token first: a clear error, nothing
saved, the token field empty; a token lacking scopes: the report says what to change in
BigCommerce; then the right token), Test and read the scope report,
Connect, watch the first sync's progress to its end, open the connection page, and ask for
a full resync. Every page is saved as a screenshot."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(180, method="thread")


def test_add_a_store_through_the_wizard_and_watch_its_first_sync(
    hub_server: Any, admin_page: Any, shot: Any
) -> None:
    page = admin_page
    store = {"hash": hub_server.store.hash, "tokens": hub_server.tokens}
    api_path = f"https://api.bigcommerce.com/stores/{store['hash']}/v3/"

    page.goto(f"{hub_server.url}/integrations")
    shot(page, "integrations-empty")
    page.click("a.btn.primary:has-text('Add new integration')")
    page.wait_for_url("**/integrations/new")
    shot(page, "integrations-new")
    page.check("input[value=bigcommerce]")
    page.click("button:has-text('Next')")
    page.wait_for_url("**/integrations/new/bigcommerce*")

    # What is pasted is checked as it is typed: the hash it gives is shown.
    page.fill("#name", "lantern")
    page.fill("#store", api_path)
    page.wait_for_selector("#store-feedback.valid")
    assert store["hash"] in page.inner_text("#store-feedback")
    page.fill("#access_token", "z" * 31)
    shot(page, "integrations-wizard")

    # A wrong token: a clear error, nothing saved, and the token field empty.
    page.click("#connect-button")
    page.wait_for_selector("#connect-error")
    error = page.inner_text("#connect-error")
    assert "nothing was saved" in error
    assert "access token is not valid" in error
    assert page.input_value("#access_token") == ""
    assert page.input_value("#store") == api_path
    assert "z" * 31 not in page.content()
    shot(page, "integrations-wrong-token")

    # A token whose API account lacks scopes: Test names them and what to change.
    page.fill("#access_token", store["tokens"]["catalog-only"])
    page.click("#test-button")
    page.wait_for_selector(".scope-report")
    report = page.inner_text(".scope-report")
    assert "What to change in BigCommerce" in report
    assert "Under OAuth scopes set Orders to read-only." in report
    assert page.locator(".scope-report tr.feature-blocked").count() >= 1
    shot(page, "integrations-scope-problems")

    # The right token: the report passes with every read feature on; the token stays in
    # the browser's field (the server never sends it back).
    page.fill("#access_token", store["tokens"]["read-only"])
    page.click("#test-button")
    # (No wait_for_function: the pages' CSP forbids the eval it needs.)
    page.locator(".scope-report tr.feature-on").nth(4).wait_for()
    report = page.inner_text(".scope-report")
    assert "passed" in report
    assert page.locator(".scope-report tr.feature-on").count() == 5
    assert page.input_value("#access_token") == store["tokens"]["read-only"]
    shot(page, "integrations-test-report")

    # Connect: the first sync starts by itself and its progress shows on the page.
    page.click("#connect-button")
    page.wait_for_url(re.compile(r".*/integrations/\d+$"))
    assert "the first sync has started" in page.content()
    shot(page, "integrations-first-sync")
    page.wait_for_selector("#progress .last-run", timeout=120_000)
    assert "Last sync #1 (initial)" in page.inner_text("#progress")
    shot(page, "integrations-connection")
    history = page.inner_text("#history")
    assert "initial" in history
    assert page.locator("#history svg.history-chart rect").count() == 4
    assert store["tokens"]["read-only"] not in page.content()
    assert "••••" + store["tokens"]["read-only"][-4:] in page.inner_text("#summary")

    # A full resync is asked for and runs; the page follows it.
    page.click("#full-resync")
    page.wait_for_load_state()
    page.locator("#progress .last-run:has-text('#2 (full)')").wait_for(timeout=120_000)
    assert page.locator("#history table.runs tbody tr").count() == 2
    shot(page, "integrations-full-resync")

    page.goto(f"{hub_server.url}/integrations")
    row = page.inner_text("tr[data-connection]")
    assert "lantern" in row
    assert store["hash"] in row
    shot(page, "integrations-list")

    # Removal asks first.
    page.click("a:has-text('lantern')")
    page.click("a.btn.danger:has-text('Remove')")
    page.wait_for_url("**/remove")
    shot(page, "integrations-remove")
