"""The sandbox ASGI app: BigCommerce's URLs on one host, plus the `/_sandbox/` control API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from bigsync.sandbox.backend import Sandbox
from bigsync.sandbox.gateway import gateway
from bigsync.sandbox.routes import store_api_routes


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    """An app serving `sandbox` (a new, empty one by default)."""
    routes = [
        Route(
            "/stores/{store_hash}" + route.path,
            gateway(route.endpoint),
            methods=[m for m in (route.methods or ()) if m != "HEAD"] or None,
        )
        for route in store_api_routes()
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox or Sandbox()
    return app
