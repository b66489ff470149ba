"""`verify_signed_payload` alone, with an injected clock: the leeway edges and the claims."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from bigsync.errors import SignedPayloadError
from bigsync.oauth.signed_payload import LEEWAY_S, verify_signed_payload

CLIENT_ID = "m9r6keqmo7h7f23btnpwernbez1kglkl"
SECRET = "s" * 64
IAT = 1_659_031_626


def _token(**changes: Any) -> str:
    claims = {
        "aud": CLIENT_ID,
        "iss": "bc",
        "iat": IAT,
        "nbf": IAT - 5,  # as BigCommerce's own example
        "exp": IAT + 86400,
        "jti": "c5f0bcf5-a504-4ae6-8dcc-0e40eaa5a070",
        "sub": "stores/z4zn3wo",
        "user": {"id": 9876543, "email": "user@example.com", "locale": "en-US"},
        "owner": {"id": 7654321, "email": "owner@example.com"},
        "url": "/products",
        "channel_id": None,
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v != "-"}, SECRET, algorithm="HS256")


def _verify(token: str, now: float) -> Any:
    return verify_signed_payload(token, client_id=CLIENT_ID, client_secret=SECRET, now=now)


def test_a_valid_payload_gives_the_store_and_user() -> None:
    payload = _verify(_token(), IAT)
    assert payload.store_hash == "z4zn3wo"
    assert (payload.user_id, payload.user_email, payload.owner_id) == (
        9876543,
        "user@example.com",
        7654321,
    )
    assert payload.url == "/products"
    assert payload.channel_id is None


def test_the_leeway_is_small() -> None:
    _verify(_token(), IAT + 86400 + LEEWAY_S)  # just inside
    with pytest.raises(SignedPayloadError, match="expired"):
        _verify(_token(), IAT + 86400 + LEEWAY_S + 1)
    _verify(_token(nbf=IAT + LEEWAY_S), IAT)
    with pytest.raises(SignedPayloadError, match="not valid yet"):
        _verify(_token(nbf=IAT + LEEWAY_S + 1), IAT)
    with pytest.raises(SignedPayloadError, match="future"):
        _verify(_token(iat=IAT + 60, nbf=IAT), IAT)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-app"},
        {"iss": "someone"},
        {"sub": "stores/"},
        {"sub": "stores/ABC"},
        {"sub": "users/1"},
        {"exp": "-"},
        {"nbf": "-"},
        {"iat": "-"},
        {"sub": "-"},
        {"aud": "-"},
        {"exp": "tomorrow"},
    ],
)
def test_claims_are_checked(changes: dict[str, Any]) -> None:
    with pytest.raises(SignedPayloadError):
        _verify(_token(**changes), IAT)


def test_a_token_longer_than_any_payload_is_refused_unparsed() -> None:
    with pytest.raises(SignedPayloadError, match="too long"):
        _verify("a" * 9000, IAT)


def test_access_log_lines_lose_the_callbacks_credentials() -> None:
    import logging

    from bigsync.web.oauth import RedactCallbackQueries, redact_callback_query

    token = _token()
    line = f"/bigcommerce/load?signed_payload_jwt={token}&x=1"
    assert redact_callback_query(line) == "/bigcommerce/load?signed_payload_jwt=[redacted]&x=1"
    auth = "/bigcommerce/auth?account_uuid=a&code=qr6h3thv&context=stores%2Fg5cd38"
    assert "qr6h3thv" not in redact_callback_query(auth)
    assert "context=stores%2Fg5cd38" in redact_callback_query(auth)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", line, "1.1", 200), None,
    )  # fmt: skip
    assert RedactCallbackQueries().filter(record)
    assert token not in record.getMessage()
