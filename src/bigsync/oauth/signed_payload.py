"""Verifying `signed_payload_jwt` (API-NOTES §10.2), never decoding without verifying.

Accepted only when: the header's `alg` is HS256 (no `none`, no RS256 or any other algorithm
whatever the key), the HMAC verifies with the app's client secret, `aud` is the client id,
`iss` is `bc`, `sub` is `stores/{hash}`, and `exp`, `nbf` and `iat` hold against `now`
with `LEEWAY_S` of leeway (BigCommerce's own example has `nbf` 5 s before `iat`). Anything
else raises SignedPayloadError with a reason that names no secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from bigsync.errors import SignedPayloadError

ALGORITHM = "HS256"
LEEWAY_S = 10
MAX_TOKEN_LENGTH = 8192
_SUBJECT = re.compile(r"stores/([a-z0-9]{1,64})")
_REQUIRED = ("aud", "iss", "sub", "iat", "nbf", "exp")


@dataclass(frozen=True)
class SignedPayload:
    """The verified claims that matter: which store, which user, where to land."""

    store_hash: str
    user_id: int | None
    user_email: str | None
    owner_id: int | None
    url: str
    channel_id: int | None


def verify_signed_payload(
    token: str, *, client_id: str, client_secret: str, now: float, leeway_s: int = LEEWAY_S
) -> SignedPayload:
    """The claims of `token` after every check of the module docstring."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SignedPayloadError("signed_payload_jwt is missing or too long")
    try:
        header = jwt.get_unverified_header(token)  # the algorithm only; no claim is trusted
    except jwt.PyJWTError:
        raise SignedPayloadError("signed_payload_jwt is malformed") from None
    if header.get("alg") != ALGORITHM:
        raise SignedPayloadError(
            f"signed_payload_jwt uses algorithm {header.get('alg')!r}, not HS256"
        )
    try:
        claims = jwt.decode(
            token,
            key=client_secret,
            algorithms=[ALGORITHM],
            audience=client_id,
            issuer="bc",
            options={
                "require": list(_REQUIRED),
                "verify_exp": False,  # checked below against the injected clock
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise SignedPayloadError("signed_payload_jwt signature does not verify") from None
    except jwt.InvalidAudienceError:
        raise SignedPayloadError("signed_payload_jwt is for another app (aud)") from None
    except jwt.PyJWTError as error:
        raise SignedPayloadError(f"signed_payload_jwt is invalid: {error}") from None
    _check_times(claims, now=now, leeway_s=leeway_s)
    return _payload(claims)


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignedPayloadError(f"signed_payload_jwt claim {name} is not a time")
    return float(value)


def _check_times(claims: Mapping[str, Any], *, now: float, leeway_s: int) -> None:
    if _number(claims, "exp") + leeway_s < now:
        raise SignedPayloadError("signed_payload_jwt has expired")
    if _number(claims, "nbf") - leeway_s > now:
        raise SignedPayloadError("signed_payload_jwt is not valid yet (nbf)")
    if _number(claims, "iat") - leeway_s > now:
        raise SignedPayloadError("signed_payload_jwt was issued in the future (iat)")


def _payload(claims: Mapping[str, Any]) -> SignedPayload:
    match = _SUBJECT.fullmatch(str(claims["sub"]))
    if match is None:
        raise SignedPayloadError("signed_payload_jwt subject is not stores/{hash}")
    user = _object(claims.get("user"))
    owner = _object(claims.get("owner"))
    channel = claims.get("channel_id")
    return SignedPayload(
        store_hash=match.group(1),
        user_id=user.get("id") if isinstance(user.get("id"), int) else None,
        user_email=user.get("email") if isinstance(user.get("email"), str) else None,
        owner_id=owner.get("id") if isinstance(owner.get("id"), int) else None,
        url=str(claims.get("url") or "/"),
        channel_id=channel if isinstance(channel, int) else None,
    )


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
