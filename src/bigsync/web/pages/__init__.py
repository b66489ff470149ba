"""The pages (server-rendered HTML), one router per area, none in the OpenAPI document.

Each module defines `router = APIRouter(include_in_schema=False)`; `ROUTERS` is what
`create_app` includes (add a line for a new area)."""

from fastapi import APIRouter

from bigsync.web.pages import account, activity, integrations, orders, products, shipping

ROUTERS: list[APIRouter] = [
    integrations.router,
    account.router,
    products.router,
    orders.router,
    shipping.router,
    activity.router,
]
