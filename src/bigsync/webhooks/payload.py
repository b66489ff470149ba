"""Pure parsing of a webhook delivery: the payload's fields, and the one mirror record it
names (API-NOTES §9.2: payloads are thin, an id to fetch).

    {"scope": "store/product/updated", "store_id": "1025646", "data": {"type": "product",
     "id": 205}, "hash": "…", "created_at": 1561479335, "producer": "stores/abc123"}

A scope maps to a refresh target: products for `store/product/*` and `store/sku/*` (the SKU's
product, whose variants and stock are read with it) and the channel stock events; orders for
`store/order/*` (transactions included) and `store/shipment/*` (shipments are not mirrored:
their order's line items and addresses are refreshed); customers for `store/customer/*`
(an address event names its customer); categories for `store/category/*`. Other scopes are
recorded and refresh nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from bigsync.errors import WebhookPayloadError, WebhookTooLargeError

MAX_BODY_BYTES = 64 * 1024
"""Larger bodies are refused unread: BigCommerce's payloads are a few hundred bytes."""


class TargetKind(enum.StrEnum):
    """What a targeted refresh reads: one record with what belongs to it."""

    PRODUCT = "product"  # with its variants and its stock at every location
    ORDER = "order"  # with line items, shipping addresses and transactions
    CUSTOMER = "customer"
    CATEGORY = "category"


@dataclass(frozen=True)
class Target:
    """One record to refresh."""

    kind: TargetKind
    id: int


@dataclass(frozen=True)
class WebhookEvent:
    """A parsed delivery."""

    scope: str
    store_hash: str
    data: Mapping[str, Any]
    hash: str
    created_at: int
    target: Target | None

    @property
    def dedupe_key(self) -> str:
        """What a redelivery of this event repeats exactly: the payload hash and its time."""
        return f"{self.hash}:{self.created_at}"


def parse_event(body: bytes) -> WebhookEvent:
    """The delivery in `body`; WebhookPayloadError names what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookTooLargeError(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookPayloadError("the body is not JSON") from None
    if not isinstance(doc, dict):
        raise WebhookPayloadError("the body is not a JSON object")
    scope, data, digest = doc.get("scope"), doc.get("data"), doc.get("hash")
    created_at, producer = doc.get("created_at"), doc.get("producer")
    if not isinstance(scope, str) or not scope.startswith("store/"):
        raise WebhookPayloadError("scope is missing or not a store/... scope")
    if not isinstance(data, dict):
        raise WebhookPayloadError("data is missing or not an object")
    if not isinstance(digest, str) or not 0 < len(digest) <= 64:
        raise WebhookPayloadError("hash is missing")
    if not isinstance(created_at, int) or isinstance(created_at, bool):
        raise WebhookPayloadError("created_at is missing or not Unix seconds")
    if not isinstance(producer, str) or not producer.startswith("stores/"):
        raise WebhookPayloadError("producer is missing or not stores/{hash}")
    store_hash = producer.removeprefix("stores/")
    return WebhookEvent(scope, store_hash, data, digest, created_at, target_of(scope, data))


def _id(value: Any, what: str) -> int:
    """An id as BigCommerce sends it (a number, or a numeric string in transaction events)."""
    if isinstance(value, bool):
        raise WebhookPayloadError(f"{what} is not an id")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    raise WebhookPayloadError(f"{what} is missing or not an id")


def _nested(data: Mapping[str, Any], key: str, field: str) -> Any:
    inner = data.get(key)
    return inner.get(field) if isinstance(inner, dict) else None


def target_of(scope: str, data: Mapping[str, Any]) -> Target | None:  # noqa: PLR0911 -- one per family
    """The record a delivery on `scope` asks to refresh (None: nothing mirrored)."""
    parts = scope.split("/")
    family = parts[1] if len(parts) > 1 else ""
    if family == "product":
        return Target(TargetKind.PRODUCT, _id(data.get("id"), "data.id"))
    if family == "sku":
        product = _nested(data, "sku", "product_id") or _nested(data, "inventory", "product_id")
        return Target(TargetKind.PRODUCT, _id(product, "data.sku.product_id"))
    if family == "channel" and "inventory" in parts:
        return Target(TargetKind.PRODUCT, _id(data.get("product_id"), "data.product_id"))
    if family == "order":
        order = data.get("order_id") if data.get("type") == "transaction" else data.get("id")
        return Target(TargetKind.ORDER, _id(order, "data.id"))
    if family == "shipment":
        return Target(TargetKind.ORDER, _id(data.get("orderId"), "data.orderId"))
    if family == "customer":
        customer = _nested(data, "address", "customer_id") if "address" in parts else None
        return Target(TargetKind.CUSTOMER, _id(customer or data.get("id"), "data.id"))
    if family == "category":
        return Target(TargetKind.CATEGORY, _id(data.get("id"), "data.id"))
    return None
