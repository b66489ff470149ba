"""Sales channels: `GET /v3/channels`, `GET /v3/channels/{channel_id}` (channels.v3.yml).

Every store has the same three channels: the default storefront (id 1, as the API always
returns it), a point-of-sale channel and a marketplace. They are read-only in the sandbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.dates import iso8601_z
from bigsync.sandbox.responses import ApiProblem, json_response, str_list_param, v3_page

_CREATED = iso8601_z(datetime(2024, 1, 15, 9, 30, tzinfo=UTC))
_MODIFIED = iso8601_z(datetime(2025, 6, 2, 14, 5, tzinfo=UTC))
_ENABLED_STATUSES = frozenset({"active", "prelaunch", "connected"})

CHANNELS: tuple[dict[str, Any], ...] = tuple(
    {
        "id": channel_id,
        "external_id": external_id,
        "is_listable_from_ui": listable,
        "is_enabled": status in _ENABLED_STATUSES,
        "is_visible": True,
        "status": status,
        "name": name,
        "type": channel_type,
        "platform": platform,
        "date_created": _CREATED,
        "date_modified": _MODIFIED,
        "icon_url": icon_url,
    }
    for channel_id, name, channel_type, platform, status, external_id, listable, icon_url in (
        (1, "Storefront", "storefront", "bigcommerce", "active", "", True, ""),
        (
            667001,
            "Shop Counter POS",
            "pos",
            "square",
            "connected",
            "pos-counter-1",
            False,
            "https://icons.sandbox.example/pos.svg",
        ),
        (
            667002,
            "Marketplace Outlet",
            "marketplace",
            "amazon",
            "inactive",
            "mkt-outlet",
            True,
            "https://icons.sandbox.example/marketplace.svg",
        ),
    )
)

_CURRENCIES = {"enabled_currencies": ["USD"], "default_currency": "USD"}


def _matches(channel: dict[str, Any], request: Request) -> bool:
    for field in ("type", "status", "platform"):
        wanted = str_list_param(request, f"{field}:in")
        if wanted is not None and channel[field] not in wanted:
            return False
    return True


async def list_channels(request: Request) -> Response:
    channels = [channel for channel in CHANNELS if _matches(channel, request)]
    return v3_page(request, channels)


async def get_channel(request: Request) -> Response:
    raw = request.path_params["channel_id"]
    channel = next((c for c in CHANNELS if str(c["id"]) == raw), None)
    if channel is None:
        raise ApiProblem(404, "Not found")
    data = {**channel, "currencies": {"channel_id": channel["id"], **_CURRENCIES}}
    return json_response({"data": data, "meta": {}})


routes = [
    Route("/v3/channels", list_channels, methods=["GET"]),
    Route("/v3/channels/{channel_id}", get_channel, methods=["GET"]),
]
