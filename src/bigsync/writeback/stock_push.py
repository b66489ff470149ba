"""Stock write-back: the conflict rule, absolute adjustments in batches, and read-backs.

**The conflict rule (hub is master, BigCommerce's sales are kept).** The hub states the
quantity of an item at a location; BigCommerce may have sold units since the two last agreed.
The level sent is

    sent = max(0, hub quantity - max(0, baseline - current))

where `baseline` is the level bigsync last wrote for that item and location and BigCommerce
applied (the sent level of its last confirmed or mismatched push) and `current` is
BigCommerce's level read just before the push. So a sale made in BigCommerce between the
hub's change and the push is subtracted instead of overwritten; a rise in BigCommerce (a
restock typed in the control panel) is overwritten, because the hub is master for on-hand.
Each sale is subtracted once: the level sent becomes the next baseline. An item never
confirmed has no baseline, and its first push sends the hub quantity as it is.

The level is computed once, when the intent is first marked `sending`, and kept: a re-send
after a crash or a lost answer sends the same absolute level (safe to repeat), never a value
recomputed from a level the first send may already have changed.

Requests: one `PUT /v3/inventory/adjustments/absolute` per location and 2,000 items, one
after the other (BigCommerce asks bulk inventory writes not to run in parallel); reads of
`GET /v3/inventory/items` with `variant_id:in` (READ_CHUNK ids) and `location_id:in`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bigsync.errors import MalformedResponseError
from bigsync.writeback.intents import StockLevel

if TYPE_CHECKING:
    from bigsync.bigcommerce import BigCommerceClient

ADJUST_PATH = "/v3/inventory/adjustments/absolute"
ITEMS_PATH = "/v3/inventory/items"
MAX_BATCH = 2000
"""Items per adjustment request (BigCommerce's documented maximum)."""
READ_CHUNK = 500
"""Variant ids per read of `/v3/inventory/items` (keeps the URL short); pages of 1,000."""
READ_LIMIT = 1000
REASON = "bigsync stock write-back"

ItemKey = tuple[int, int]
"""(variant_id, location_id): one item at one location."""


def item_key(level: StockLevel) -> ItemKey:
    """The key of a stock level (product-level items without a variant: -product_id)."""
    return (level.variant_id or -level.product_id, level.location_id)


def sold_since(baseline: int | None, current: int | None) -> int:
    """Units BigCommerce took off since bigsync's last applied level (0 when unknown)."""
    if baseline is None or current is None:
        return 0
    return max(0, baseline - current)


def level_to_send(hub_quantity: int, *, baseline: int | None, current: int | None) -> int:
    """The absolute level to write: the hub's quantity less BigCommerce's sales meanwhile."""
    return max(0, hub_quantity - sold_since(baseline, current))


@dataclass(frozen=True)
class PlannedItem:
    """One intent's item in an adjustment request."""

    intent_id: int
    level: StockLevel
    quantity: int  # the absolute level sent


def item_body(item: PlannedItem) -> dict[str, Any]:
    """The item as the adjustment request lists it (by variant id, else product id)."""
    level = item.level
    body: dict[str, Any] = {"location_id": level.location_id, "quantity": item.quantity}
    if level.variant_id > 0:
        body["variant_id"] = level.variant_id
    else:
        body["product_id"] = level.product_id
    return body


def batches(items: Iterable[PlannedItem], *, size: int = MAX_BATCH) -> list[list[PlannedItem]]:
    """Requests to send: grouped by location (ascending), at most `size` items each, in the
    order the intents were recorded."""
    by_location: dict[int, list[PlannedItem]] = {}
    for item in items:
        by_location.setdefault(item.level.location_id, []).append(item)
    planned = []
    for location_id in sorted(by_location):
        group = by_location[location_id]
        planned += [group[i : i + size] for i in range(0, len(group), size)]
    return planned


def minimum_requests(items_per_location: Mapping[int, int], *, size: int = MAX_BATCH) -> int:
    """The fewest adjustment requests that can carry these items: ceil(n / size) per location."""
    return sum(-(-n // size) for n in items_per_location.values() if n > 0)


async def send_batch(client: BigCommerceClient, batch: Sequence[PlannedItem]) -> str | None:
    """Send one adjustment request (an absolute PUT, so the client may repeat it); returns
    BigCommerce's transaction id."""
    body = {"reason": REASON, "items": [item_body(item) for item in batch]}
    response = await client.request("PUT", ADJUST_PATH, json=body, idempotent=True)
    answer = response.body
    transaction = answer.get("transaction_id") if isinstance(answer, Mapping) else None
    return str(transaction) if transaction is not None else None


def levels_of(items: Iterable[Mapping[str, Any]]) -> dict[ItemKey, int]:
    """(variant_id or -product_id, location_id) -> on-hand level, from `/v3/inventory/items`."""
    found: dict[ItemKey, int] = {}
    for doc in items:
        identity = doc.get("identity")
        if not isinstance(identity, Mapping):
            raise MalformedResponseError("an inventory item without its identity")
        variant = identity.get("variant_id") or -int(identity.get("product_id") or 0)
        for level in doc.get("locations") or ():
            on_hand = level.get("total_inventory_onhand")
            if isinstance(on_hand, int):
                found[(int(variant), int(level["location_id"]))] = on_hand
    return found


async def read_items(
    client: BigCommerceClient, keys: Iterable[ItemKey], *, chunk: int = READ_CHUNK
) -> list[dict[str, Any]]:
    """The `/v3/inventory/items` documents of these items (every location asked for)."""
    wanted = sorted(set(keys))
    variants = sorted({v for v, _ in wanted if v > 0})
    products = sorted({-v for v, _ in wanted if v < 0})
    locations = sorted({loc for _, loc in wanted})
    docs: list[dict[str, Any]] = []
    for name, ids in (("variant_id:in", variants), ("product_id:in", products)):
        for start in range(0, len(ids), chunk):
            params = {
                name: ids[start : start + chunk],
                "location_id:in": locations,
                "limit": READ_LIMIT,
            }
            async for page in client.paginate_v3(ITEMS_PATH, params=params):
                docs += [d for d in page.items if isinstance(d, dict)]
    return docs
