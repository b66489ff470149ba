"""Browser tests: the hub served for real, driven by headless Chromium through Playwright.

    hub_server      HubWorld: the web app as `bigsync serve` builds it (pages, API, webhooks,
                    app callbacks, the scheduler) under uvicorn on a free 127.0.0.1 port,
                    over a fresh data directory and SQLite file, syncing from a sandbox
                    served on its own socket. Attributes: url, sandbox_url, data_dir,
                    database_url, context (JobContext), sandbox, store, tokens; methods
                    connections(), accounts(), engine.
    browser_page    a Playwright `Page` (sync API) in a fresh context of Debian's
                    /usr/bin/chromium (never a downloaded browser). No browser: the test
                    is skipped with the reason, except under CI=true, where it fails.
    admin_page      `browser_page` logged in as the admin, created through /setup
                    (ADMIN_USERNAME / ADMIN_PASSWORD).
    connected_store the sandbox store connected (name CONNECTED_NAME, full token, write
                    features on) and its initial sync finished; the ConnectionView.
    shot            `shot(page, "name")`: a full-page screenshot in .artifacts/screenshots/
                    (<test module>-<name>.png); returns the path.

Playwright's sync API runs its own event loop in the test's thread while it is open, so
browser tests are plain `def` tests (not `async def`), coroutines a fixture needs run in a
thread of their own (`run_coroutine`), and Playwright is opened per module: the asyncio
tests of other modules never meet its loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import sqlalchemy as sa

from bigsync.accounts import AccountService
from bigsync.config import Settings
from bigsync.connections import ConnectionChanges, ConnectionService, ConnectionView, NewConnection
from bigsync.jobs.context import JobContext
from bigsync.sandbox.backend import BuildSpec, Sandbox, StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "correct horse battery"
CONNECTED_NAME = "demo-store"
DEADLINE_S = 90.0
PAGE_TIMEOUT_MS = 20_000

BROWSER_SPEC = BuildSpec(
    seed=12, stores=2, sizes=StoreSizes(products=12, orders=10, customers=6), plan="unlimited"
)


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    """Small stores: a browser test wants pages with data, not volume."""
    return BROWSER_SPEC


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own (this thread may be running
    Playwright's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def wait_for(what: str, check: Callable[[], Any], *, deadline_s: float = DEADLINE_S) -> Any:
    """Poll `check` until it returns something truthy (bounded: fails naming `what`)."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


# --- the hub ----------------------------------------------------------------------------------


class AppServer:
    """An ASGI app under uvicorn (lifespan on) in a daemon thread, on a free port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, lifespan="on", log_level="warning",
            access_log=False, timeout_graceful_shutdown=2,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="bigsync-web", daemon=True)

    def start(self) -> str:
        self.thread.start()
        end = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > end:
                raise RuntimeError("the hub could not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class HubWorld:
    """A served hub and the sandbox it syncs from."""

    url: str
    sandbox_url: str
    data_dir: Path
    database_url: str
    context: JobContext
    sandbox: Sandbox
    store: StoreState
    tokens: dict[str, str]
    app: Any

    @property
    def engine(self) -> sa.Engine:
        return self.context.engine

    def connections(self, actor: str = "test") -> ConnectionService:
        return self.context.connections(actor=actor)

    def accounts(self) -> AccountService:
        accounts: AccountService = self.app.state.accounts
        return accounts


@pytest.fixture
def hub_server(sandbox: Sandbox, tmp_path: Path) -> Iterator[HubWorld]:
    """The hub as `bigsync serve` runs it (see the module docstring)."""
    from bigsync.web.app import create_app
    from bigsync.web.oauth import router as app_callbacks
    from bigsync.web.webhooks import router as webhook_receiver

    store = next(iter(sandbox.stores.values()))
    tokens = {account.name: token for token, account in store.accounts.items()}
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{tmp_path}/hub.db"
    with SandboxServer(sandbox) as sandbox_url:
        settings = Settings(data_dir=data_dir, database_url=database_url, api_url=sandbox_url)
        context = JobContext.open(settings)
        app = create_app(context=context, routers=[webhook_receiver, app_callbacks])
        app.state.accounts = AccountService(context.engine)
        served = AppServer(app)
        url = served.start()
        try:
            yield HubWorld(
                url, sandbox_url, data_dir, database_url, context, sandbox, store, tokens, app
            )
        finally:
            served.stop()
            context.close()


@pytest.fixture
def connected_store(hub_server: HubWorld) -> ConnectionView:
    """The sandbox's first store connected with its full token and its write features on;
    its initial sync (started by the hub's scheduler, as for a merchant) finished."""
    service = hub_server.connections()
    added = service.add(
        NewConnection(
            name=CONNECTED_NAME,
            store=hub_server.store.hash,
            access_token=hub_server.tokens["full"],
            api_url=hub_server.sandbox_url,
        )
    )
    report = run_coroutine(service.test(added.connection.name))
    assert report.ok, report

    def synced() -> bool:
        with hub_server.engine.connect() as conn:
            runs = mirror_repository.recent_runs(conn, connection_id=added.connection.id)
        assert not any(r["status"] == "failed" for r in runs), runs
        return any(r["status"] == "ok" for r in runs)

    wait_for("the initial sync", synced)
    write_back = ConnectionChanges(enable=["write_stock", "write_fulfillment"])
    return service.update(added.connection.name, write_back).connection


# --- the browser ------------------------------------------------------------------------------


def _no_browser_reason(chromium: Path = CHROMIUM) -> str | None:
    if not chromium.exists():
        return f"no Chromium at {chromium} (`make browser` installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser(reason: str | None, *, ci: bool) -> None:
    """Nothing when there is a browser (`reason` None); else skip with the reason, or
    fail under CI."""
    if reason is None:
        return
    if ci:
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def _playwright() -> Iterator[Playwright]:
    require_browser(_no_browser_reason(), ci=os.environ.get("CI", "").lower() == "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def _browser(_playwright: Playwright) -> Iterator[Browser]:
    browser = _playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def browser_page(_browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (its own cookies), 1280×800."""
    context = _browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def setup_admin(page: Page, url: str) -> None:
    """Create the admin through the first-run setup page (logged in afterwards)."""
    page.goto(f"{url}/setup")
    page.fill("#username", ADMIN_USERNAME)
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_again", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/integrations.*|.*/settings/.*|.*/$"))


@pytest.fixture
def admin_page(browser_page: Page, hub_server: HubWorld) -> Page:
    """`browser_page`, logged in as the admin created through /setup."""
    setup_admin(browser_page, hub_server.url)
    return browser_page


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """`shot(page, name)`: save a full-page screenshot; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    module = request.node.module.__name__.rsplit(".", 1)[-1]

    def take(page: Page, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        path = SCREENSHOTS / f"{module}-{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
