"""Order status: `PUT /v2/orders/{id}` with `status_id`. Setting a status is absolute, so the
request is marked idempotent and may be repeated after a 5xx or a lost answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bigsync.writeback.intents import StatusChange

if TYPE_CHECKING:
    from bigsync.bigcommerce import BigCommerceClient


async def set_status(client: BigCommerceClient, change: StatusChange) -> int | None:
    """Set the order's status; returns the status id BigCommerce answers with."""
    response = await client.request(
        "PUT",
        f"/v2/orders/{change.order_id}",
        json={"status_id": change.status_id},
        idempotent=True,
    )
    body = response.body
    status = body.get("status_id") if isinstance(body, Mapping) else None
    return int(status) if isinstance(status, int) else None
