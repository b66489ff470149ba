"""Pure checks that a delivery comes from the store (STYLE.md: standardwebhooks' habits —
verify before parsing, constant-time compares, a timestamp tolerance, the raw body).

1. The per-connection secret the hub registered in the hook's `headers` must come back in
   `SECRET_HEADER` (compared in constant time).
2. When the delivery carries Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
   `webhook-signature`) and the hub knows the app's client secret, the signature
   `v1,<base64 HMAC-SHA256(client secret, "{id}.{timestamp}.{raw body}")>` must verify and
   the timestamp be within `TOLERANCE_S` of now. Some but not all three headers: refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from bigsync.errors import WebhookAuthError

SECRET_HEADER = "x-bigsync-webhook-secret"  # noqa: S105 -- a header name, not a secret
"""The custom header every hook of the hub sends its connection's secret in."""

TOLERANCE_S = 300
"""How far a signed delivery's timestamp may be from now (Standard Webhooks' 5 minutes)."""

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def check_secret(headers: Mapping[str, str], expected: str) -> None:
    """The secret header equals `expected` (`headers` with lower-case names)."""
    given = headers.get(SECRET_HEADER)
    if given is None:
        raise WebhookAuthError(f"the {SECRET_HEADER} header is missing")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookAuthError(f"the {SECRET_HEADER} header is wrong")


def is_signed(headers: Mapping[str, str]) -> bool:
    """Whether the delivery carries any Standard Webhooks header."""
    return any(name in headers for name in SIGNATURE_HEADERS)


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,…` signature of a delivery (what the store computes)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def check_signature(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    now: float,
    tolerance_s: int = TOLERANCE_S,
) -> None:
    """The Standard Webhooks signature of `body` verifies with `secret`, and its timestamp
    is within `tolerance_s` of `now` (Unix seconds)."""
    missing = [name for name in SIGNATURE_HEADERS if not headers.get(name)]
    if missing:
        raise WebhookAuthError(f"signed delivery without {', '.join(missing)}")
    try:
        timestamp = int(headers["webhook-timestamp"])
    except ValueError:
        raise WebhookAuthError("webhook-timestamp is not Unix seconds") from None
    if abs(now - timestamp) > tolerance_s:
        raise WebhookAuthError(f"webhook-timestamp is more than {tolerance_s} s from now")
    expected = sign(secret, message_id=headers["webhook-id"], timestamp=timestamp, body=body)
    expected_digest = base64.b64decode(expected.removeprefix("v1,"))
    for candidate in headers["webhook-signature"].split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            digest = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(digest, expected_digest):
            return
    raise WebhookAuthError("webhook-signature does not verify")
