"""The sandbox ASGI app: BigCommerce's URLs on one host, plus the `/_sandbox/` control API.

    /stores/{store_hash}/v2/...  and  /stores/{store_hash}/v3/...   the store API (gateway.py)
    /_sandbox/...                                                    the control API (control.py)
    whatever EXTENSIONS add                                          e.g. `/oauth2/token`

An extension module is optional (skipped until it exists) and may expose `routes` (Starlette
routes mounted at the root, with their full paths) and `install(sandbox)` (called once per app,
e.g. to register an event sink).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bigsync.sandbox import control
from bigsync.sandbox.backend import Sandbox
from bigsync.sandbox.gateway import mount_store_routes
from bigsync.sandbox.routes import store_api_routes

EXTENSIONS: list[str] = ["bigsync.sandbox.oauth_api", "bigsync.sandbox.webhooks_api"]
"""Modules that add routes outside `/stores/` (the OAuth app flow) or hook into the sandbox."""


def _extensions(sandbox: Sandbox) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        routes.extend(getattr(module, "routes", ()))
        install = getattr(module, "install", None)
        if install is not None:
            install(sandbox)
    return routes


SETTLE_INTERVAL = 0.01


async def _settle_forever(sandbox: Sandbox) -> None:
    """Apply due inventory writes on the server's loop, so their webhooks are sent from it."""
    while True:
        await asyncio.sleep(SETTLE_INTERVAL)
        if any(store.inventory_queue for store in list(sandbox.stores.values())):
            sandbox.settle()


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    """An app serving `sandbox` (a new, empty one by default).

    While it runs under a server (ASGI lifespan) a ticker applies inventory writes as they
    fall due (every `SETTLE_INTERVAL` seconds), so their webhooks fire with no request coming
    in; at shutdown the app stops it and cancels the webhook deliveries still pending.
    """
    sandbox = sandbox or Sandbox()
    routes: list[BaseRoute] = [
        *control.routes,
        *_extensions(sandbox),
        *mount_store_routes(store_api_routes()),
    ]

    webhooks = sandbox.webhooks

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_settle_forever(sandbox))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await webhooks.aclose()  # pending deliveries and retries end with the server

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
