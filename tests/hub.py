"""A small hub for webhook and app-install tests: a FastAPI app with the webhook and app
routers, served by uvicorn on a free 127.0.0.1 port from a thread, with a RefreshRunner on
its event loop (what `bigsync serve` does with its scheduler).

    with HubServer(receiver=..., runner=..., installer=...) as url:
        ...   # the sandbox delivers to f"{url}/webhooks/{connection_id}"
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI

from bigsync.accounts import AccountService
from bigsync.oauth.install import AppInstaller
from bigsync.web import oauth, webhooks
from bigsync.web.cookies import CookieMiddleware
from bigsync.webhooks.receiver import WebhookReceiver
from bigsync.webhooks.runner import RefreshRunner


def hub_app(
    *,
    receiver: WebhookReceiver | None = None,
    runner: RefreshRunner | None = None,
    installer: AppInstaller | None = None,
    accounts: AccountService | None = None,
) -> FastAPI:
    """The routers on a bare app; the runner runs for the app's lifetime. The app's load
    callback opens sessions through `accounts` (default: over the installer's database)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()

    app = FastAPI(lifespan=lifespan)
    app.include_router(webhooks.router)
    app.include_router(oauth.router)
    app.add_middleware(CookieMiddleware)
    app.state.webhook_receiver = receiver
    app.state.app_installer = installer
    if accounts is None and installer is not None:
        accounts = AccountService(installer.service.engine)
    app.state.accounts = accounts
    return app


class HubServer:
    """`hub_app(...)` under uvicorn in a daemon thread (port 0: a free port)."""

    def __init__(self, **parts: Any) -> None:
        self.app = hub_app(**parts)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="bigsync-hub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hub could not listen")
            time.sleep(0.01)
        self.port = int(server.servers[0].sockets[0].getsockname()[1])
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
