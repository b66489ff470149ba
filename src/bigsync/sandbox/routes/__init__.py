"""The store API's routes, collected from one module per resource family.

Each module exposes `routes`: plain Starlette `Route`s with paths relative to
`/stores/{store_hash}` (e.g. `/v3/catalog/products`). The app mounts them behind the gateway.
"""

from __future__ import annotations

from starlette.routing import Route

from bigsync.sandbox.routes import (
    catalog,
    categories,
    channels,
    customers,
    hooks,
    inventory,
    orders,
    shipping,
    store,
)


def store_api_routes() -> list[Route]:
    """Every store API route, in the order they should match."""
    return [
        *store.routes,
        *channels.routes,
        *hooks.routes,
        *orders.routes,
        *customers.routes,
        *shipping.routes,
        *catalog.routes,
        *categories.routes,
        *inventory.routes,
    ]
