"""Store information: `GET /v2/store`, `GET /v2/time` (store_information.v2.yml)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.builder import plan_name
from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.dates import unix
from bigsync.sandbox.responses import json_response


def store_information(store: StoreState) -> dict[str, Any]:
    """`GET /v2/store` for `store`: every documented field, in the documented order."""
    info = store.info
    domain = info.get("domain", f"{store.hash}.sandbox.example")
    name = plan_name(store.plan)
    return {
        "id": store.hash,
        "account_uuid": info.get("account_uuid", "00000000-0000-4000-8000-000000000000"),
        "domain": domain,
        "secure_url": f"https://{domain}",
        "control_panel_base_url": f"https://store-{store.hash}.mybigcommerce.com",
        "status": "live",
        "name": store.name,
        "first_name": info.get("first_name", "Jane"),
        "last_name": info.get("last_name", "Doe"),
        "address": f"{store.name}\n1 Example Street\nSpringfield",
        "country": "United States",
        "country_code": "US",
        "infrastructure_region": "us-central1",
        "phone": "555-0100",
        "admin_email": f"owner@{domain}",
        "order_email": f"orders@{domain}",
        "favicon_url": f"https://{domain}/favicon.ico",
        "timezone": info.get("timezone", {}),
        "language": "en",
        "currency": "USD",
        "currency_symbol": "$",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "Ounces",
        "dimension_units": "Inches",
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": name,
        "plan_level": name,
        "plan_is_trial": False,
        "industry": "Retail",
        "logo": [],
        "is_price_entered_with_tax": False,
        "store_id": store.store_id,
        "default_channel_id": 1,
        "default_site_id": 1000,
        "active_comparison_modules": [],
        "features": {
            "stencil_enabled": True,
            "sitewidehttps_enabled": True,
            "facebook_catalog_id": "",
            "checkout_type": "optimized",
            "wishlists_enabled": True,
            "graphql_storefront_api_enabled": True,
            "shopper_consent_tracking_enabled": True,
            "multi_storefront_enabled": True,
            "storefront_limits": {"active": 1, "total_including_inactive": 1},
        },
    }


async def get_store(request: Request) -> Response:
    return json_response(store_information(store_of(request)))


async def get_time(request: Request) -> Response:
    return json_response({"time": unix(sandbox_of(request).now())})


routes = [
    Route("/v2/store", get_store, methods=["GET"]),
    Route("/v2/time", get_time, methods=["GET"]),
]
