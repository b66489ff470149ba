"""The pure parts: payload parsing and targets, the secret and signature checks, the plan
that turns a store's hooks into what a connection needs."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bigsync.errors import WebhookAuthError, WebhookPayloadError, WebhookTooLargeError
from bigsync.webhooks.payload import MAX_BODY_BYTES, Target, TargetKind, parse_event, target_of
from bigsync.webhooks.signature import SECRET_HEADER, check_secret, check_signature, sign
from bigsync.webhooks.subscriptions import HookAction, plan_hooks, wanted_scopes

P, R, C, K = TargetKind.PRODUCT, TargetKind.ORDER, TargetKind.CUSTOMER, TargetKind.CATEGORY

TARGETS: list[tuple[str, dict[str, Any], Target | None]] = [
    ("store/product/updated", {"type": "product", "id": 205}, Target(P, 205)),
    ("store/product/deleted", {"type": "product", "id": 205}, Target(P, 205)),
    (
        "store/product/inventory/updated",
        {"type": "product", "id": 167, "inventory": {"product_id": 167, "value": 1}},
        Target(P, 167),
    ),
    ("store/sku/updated", {"type": "sku", "id": 461, "sku": {"product_id": 206}}, Target(P, 206)),
    (
        "store/sku/inventory/order/updated",
        {"type": "sku", "id": 461, "inventory": {"product_id": 206, "variant_id": 509}},
        Target(P, 206),
    ),
    (
        "store/channel/1/inventory/product/stock_changed",
        {"variant_id": 127, "product_id": 113, "location_id": 2},
        Target(P, 113),
    ),
    ("store/order/statusUpdated", {"type": "order", "id": 250}, Target(R, 250)),
    (
        "store/order/transaction/created",
        {"type": "transaction", "order_id": "250", "transaction_id": "1763"},
        Target(R, 250),
    ),
    ("store/shipment/created", {"type": "shipment", "id": 12, "orderId": 251}, Target(R, 251)),
    ("store/customer/deleted", {"type": "customer", "id": 32}, Target(C, 32)),
    (
        "store/customer/address/created",
        {"type": "customer", "id": 60, "address": {"customer_id": 32}},
        Target(C, 32),
    ),
    ("store/category/updated", {"type": "category", "id": 42}, Target(K, 42)),
    ("store/app/uninstalled", {"type": "app"}, None),
    ("store/hook/deliveryException", {"type": "webhook", "id": 1, "error_code": 90001}, None),
]


@pytest.mark.parametrize(("scope", "data", "target"), TARGETS)
def test_each_scope_names_its_record(scope: str, data: dict[str, Any], target: Any) -> None:
    assert target_of(scope, data) == target


def _body(**changes: Any) -> bytes:
    doc = {
        "scope": "store/product/updated",
        "store_id": "1025646",
        "data": {"type": "product", "id": 205},
        "hash": "7ee67cd1cf2ca60bc1aa9e5fe957d2de373be4ca",
        "created_at": 1561479335,
        "producer": "stores/abc123",
    }
    doc.update(changes)
    return orjson.dumps({k: v for k, v in doc.items() if v is not None})


def test_a_payload_parses() -> None:
    event = parse_event(_body())
    assert (event.scope, event.store_hash, event.target) == (
        "store/product/updated",
        "abc123",
        Target(P, 205),
    )
    assert event.dedupe_key == "7ee67cd1cf2ca60bc1aa9e5fe957d2de373be4ca:1561479335"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'"text"',
        _body(scope=None),
        _body(scope="order/created"),
        _body(data=None),
        _body(data=[1]),
        _body(hash=None),
        _body(hash="x" * 65),
        _body(created_at="yesterday"),
        _body(created_at=True),
        _body(producer="abc123"),
        _body(data={"type": "product"}),
        _body(data={"type": "product", "id": -1}),
        _body(data={"type": "product", "id": True}),
        _body(data={"type": "product", "id": "12a"}),
    ],
)
def test_malformed_payloads_are_refused(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_event(body)


def test_a_body_past_the_cap_is_too_large() -> None:
    with pytest.raises(WebhookTooLargeError):
        parse_event(b" " * (MAX_BODY_BYTES + 1))


def test_the_secret_header_is_compared() -> None:
    check_secret({SECRET_HEADER: "s3cret-value"}, "s3cret-value")
    for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "s3cret-valuf"}):
        with pytest.raises(WebhookAuthError):
            check_secret(headers, "s3cret-value")


SECRET = "c" * 64
BODY = _body()
NOW = 1_700_000_000


def _signed(**changes: str) -> dict[str, str]:
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": sign(SECRET, message_id="msg_1", timestamp=NOW, body=BODY),
    }
    headers.update(changes)
    return {k: v for k, v in headers.items() if v}


def test_a_standard_webhooks_signature_verifies() -> None:
    check_signature(_signed(), BODY, secret=SECRET, now=NOW + 299)
    rotated = "v1,AAAA " + _signed()["webhook-signature"]  # several signatures: any one
    check_signature(_signed(**{"webhook-signature": rotated}), BODY, secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    ("headers", "body", "now"),
    [
        (_signed(), BODY + b" ", NOW),  # the body changed
        (_signed(), BODY, NOW + 301),  # too old
        (_signed(), BODY, NOW - 301),  # from the future
        (_signed(**{"webhook-id": "msg_2"}), BODY, NOW),
        (_signed(**{"webhook-timestamp": "soon"}), BODY, NOW),
        (_signed(**{"webhook-signature": ""}), BODY, NOW),
        (_signed(**{"webhook-signature": "v2,abc"}), BODY, NOW),
        (_signed(**{"webhook-signature": "v1,%%%"}), BODY, NOW),
        (_signed(**{"webhook-id": ""}), BODY, NOW),
    ],
)
def test_bad_signatures_are_refused(headers: dict[str, str], body: bytes, now: int) -> None:
    with pytest.raises(WebhookAuthError):
        check_signature(headers, body, secret=SECRET, now=now)
    with pytest.raises(WebhookAuthError):
        check_signature(_signed(), BODY, secret="d" * 64, now=NOW)


DEST = "https://hub.example/webhooks/7"


def _hook(hook_id: int, scope: str, **changes: Any) -> dict[str, Any]:
    hook = {
        "id": hook_id,
        "scope": scope,
        "destination": DEST,
        "is_active": True,
        "headers": {"X-Bigsync-Webhook-Secret": "s"},
    }
    hook.update(changes)
    return hook


def _plan(existing: list[dict[str, Any]], wanted: tuple[str, ...]) -> list[HookAction]:
    return plan_hooks(existing, wanted=wanted, destination=DEST, secret="s", connection_id=7)


def test_the_plan_creates_repairs_and_removes() -> None:
    existing = [
        _hook(1, "store/product/*"),  # as wanted
        _hook(2, "store/order/*", is_active=False),  # deactivated by failed deliveries
        _hook(3, "store/sku/*", headers={"X-Bigsync-Webhook-Secret": "old"}),
        _hook(4, "store/customer/*"),  # no longer wanted
        _hook(5, "store/product/*"),  # a duplicate
        _hook(6, "store/cart/*", destination="https://other.example/hooks"),  # not ours
        _hook(7, "store/category/*", destination="https://old.example/webhooks/7"),  # URL moved
        _hook(8, "store/shipment/*", destination="https://hub.example/webhooks/70"),  # not ours
    ]
    wanted = ("store/product/*", "store/order/*", "store/sku/*", "store/category/*",
              "store/shipment/*")  # fmt: skip
    plan = {(a.verb, a.scope, a.hook_id): a for a in _plan(existing, wanted)}
    assert set(plan) == {
        ("update", "store/order/*", 2),
        ("update", "store/sku/*", 3),
        ("delete", "store/customer/*", 4),
        ("delete", "store/product/*", 5),
        ("update", "store/category/*", 7),
        ("create", "store/shipment/*", None),
    }
    assert plan["update", "store/order/*", 2].reactivates
    assert plan["update", "store/order/*", 2].body == {"is_active": True}
    assert plan["update", "store/category/*", 7].body == {"destination": DEST}
    assert plan["create", "store/shipment/*", None].body["headers"] == {
        "X-Bigsync-Webhook-Secret": "s"
    }
    assert _plan([_hook(1, "store/product/*")], ("store/product/*",)) == []


def test_scopes_follow_the_active_features() -> None:
    assert wanted_scopes(["read_catalog", "read_orders"]) == ()
    assert wanted_scopes(["read_catalog", "webhooks"]) == (
        "store/product/*",
        "store/sku/*",
        "store/category/*",
    )
    every = wanted_scopes(["read_catalog", "read_orders", "read_customers", "webhooks"])
    assert len(every) == 6
