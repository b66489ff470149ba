"""The JSON API under `/api/v1`, one router per area, described by `/api/v1/openapi.json`.

Each module defines `router = APIRouter(prefix="/api/v1", tags=[...])` with explicit
`response_model`s; `ROUTERS` is what `create_app` includes (add a line for a new area)."""

from fastapi import APIRouter

from bigsync.web.api import activity, connections, orders, products, shipping, tokens

ROUTERS: list[APIRouter] = [
    connections.router,
    tokens.router,
    products.router,
    orders.router,
    shipping.router,
    activity.router,
]
