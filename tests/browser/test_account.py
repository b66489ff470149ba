"""Access control in a real browser: first-run setup, logout, a wrong password, login,
an API token created (shown once) and revoked; a screenshot of each page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, HubWorld
from tests.leakscan import LeakRecorder

Shot = Callable[[Page, str], Path]


def test_setup_login_tokens_logout(
    browser_page: Page, hub_server: HubWorld, shot: Shot, leak_recorder: LeakRecorder
) -> None:
    page, url = browser_page, hub_server.url

    page.goto(f"{url}/settings/tokens")  # no user yet: the setup page
    expect(page).to_have_url(f"{url}/setup")
    expect(page.locator("h1")).to_have_text("Set up bigsync")
    shot(page, "setup")
    page.fill("#username", ADMIN_USERNAME)
    page.fill("#password", "short")
    page.fill("#password_again", "short")
    page.locator("#password").evaluate("e => e.removeAttribute('minlength')")
    page.locator("#password_again").evaluate("e => e.removeAttribute('minlength')")
    page.click("button[type=submit]")
    expect(page.locator(".flash.fail")).to_contain_text("at least 10 characters")
    shot(page, "setup-refused")
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_again", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/integrations")
    page.goto(f"{url}/settings/tokens")
    expect(page.locator(".topbar-user")).to_contain_text(ADMIN_USERNAME)

    page.goto(f"{url}/setup")  # setup is over: to the login, which sends a session on
    expect(page).not_to_have_url(re.compile(r".*/setup$"))

    page.click("text=Log out")
    expect(page).to_have_url(f"{url}/login?bye=1")
    expect(page.locator(".flash.ok")).to_have_text("You are logged out.")
    shot(page, "logged-out")

    page.goto(f"{url}/settings/tokens")
    expect(page).to_have_url(re.compile(r".*/login\?next=/settings/tokens$"))
    shot(page, "login")
    page.fill("#username", ADMIN_USERNAME)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".flash.fail")).to_have_text("wrong username or password")
    shot(page, "login-refused")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/settings/tokens")
    expect(page.locator("h1")).to_have_text("API tokens")
    shot(page, "tokens-empty")

    page.fill("#token-name", "ERP export")
    page.click("text=Create token")
    value = page.locator("#new-token-value").inner_text()
    leak_recorder.record_secret(value)
    assert value.startswith("bsk_")
    expect(page.locator(".table")).to_contain_text("ERP export")
    expect(page.locator(".table")).to_contain_text(value[:12] + "…")
    shot(page, "token-created")
    answer = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert answer.json()["username"] == ADMIN_USERNAME

    page.goto(f"{url}/settings/tokens")  # shown once: a reload shows only its prefix
    assert value not in page.content()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=Revoke")
    expect(page.locator(".flash.ok")).to_contain_text("is revoked")
    expect(page.locator(".badge.muted")).to_have_text("revoked")
    shot(page, "token-revoked")
    refused = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert refused.status_code == 401
    leak_recorder.record_output("page", page.content())

    page.goto(f"{url}/no/such/page")  # the error page keeps the navigation
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator(".sidebar")).to_be_visible()
    shot(page, "not-found")


def test_narrow_screens_keep_the_navigation(admin_page: Page, hub_server: HubWorld, shot: Shot):
    admin_page.set_viewport_size({"width": 390, "height": 844})
    admin_page.goto(f"{hub_server.url}/settings/tokens")
    expect(admin_page.locator(".sidebar")).to_be_visible()
    expect(admin_page.locator("text=Log out")).to_be_visible()
    width = admin_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(admin_page, "tokens-narrow")
