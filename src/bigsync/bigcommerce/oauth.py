"""The app install's token exchange: `POST {login host}/oauth2/token` (API-NOTES §10.1).

The only request bigsync sends to the login host rather than the store API; like every
other HTTP of bigsync it lives here. The client secret goes in the body and nowhere else
(not in errors, not in logs); a refusal becomes `TokenExchangeError` with the login host's
`error` and `error_description` (the RFC 6749 shape; BigCommerce documents none).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bigsync.errors import TokenExchangeError

log = logging.getLogger("bigsync.bigcommerce")

DEFAULT_LOGIN_URL = "https://login.bigcommerce.com"


@dataclass(frozen=True)
class TokenGrant:
    """A successful exchange: the store's access token and who installed the app."""

    access_token: str = field(repr=False)
    scope: str
    context: str
    user: Mapping[str, Any]
    owner: Mapping[str, Any]
    account_uuid: str | None = None

    @property
    def store_hash(self) -> str:
        return self.context.removeprefix("stores/")


async def exchange_code(
    *,
    login_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    scope: str,
    context: str,
    redirect_uri: str,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout_s: float = 30.0,
) -> TokenGrant:
    """Exchange an auth callback's code for the store's access token."""
    body = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "context": context,
        "scope": scope,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
    }
    url = f"{login_url.rstrip('/')}/oauth2/token"
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout_s, trust_env=False
        ) as http:
            response = await http.post(url, json=body, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise TokenExchangeError(
            f"the login host {login_url} did not answer ({type(exc).__name__})"
        ) from None
    try:
        answer = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        answer = {}
    if not response.is_success:
        reason = (
            answer.get("error_description") or answer.get("error")
            if isinstance(answer, dict)
            else None
        )
        status = response.status_code
        reason = reason or "no reason given"
        raise TokenExchangeError(f"the login host refused the code (HTTP {status}): {reason}")
    return _grant(answer)


def _grant(answer: Any) -> TokenGrant:
    if not isinstance(answer, dict):
        raise TokenExchangeError("the login host's answer is not a JSON object")
    token, context = answer.get("access_token"), answer.get("context")
    if not isinstance(token, str) or not token or not isinstance(context, str):
        raise TokenExchangeError("the login host's answer has no access token or context")
    return TokenGrant(
        access_token=token,
        scope=str(answer.get("scope") or ""),
        context=context,
        user=answer.get("user") or {},
        owner=answer.get("owner") or {},
        account_uuid=answer.get("account_uuid"),
    )
