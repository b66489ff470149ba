"""HTTP answers and transport exceptions turned into bigsync's errors — the only place that does it.

    decode_body(status, headers, content)      JSON (any `*json` type), None for no content
    error_for_status(status, ...)              one table: status -> HttpStatusError subclass
    error_for_transport(exc, ...)              aiohttp / httpx / socket -> TransportError family
    field_errors(body)                         v3 `errors`, v3 `batch_errors`, v2 messages
    required_scope(method, path)               the OAuth scope a 403 most likely lacks

Messages name the method and the path, never a header: the access token travels in a header
and so never reaches an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
import orjson

from bigsync.bigcommerce.ratelimit import wait_after_429
from bigsync.bigcommerce.scopes import FAMILIES, Access
from bigsync.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectTimeoutError,
    HttpStatusError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnprocessableError,
)

STATUS_ERRORS: Mapping[int, type[HttpStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
    429: RateLimitedError,
}
"""Error statuses with their own class; other 5xx are ServerError, other 4xx HttpStatusError."""

READ_METHODS = frozenset({"GET", "HEAD"})

# Path prefix -> the modify scope that gates it (first match wins; read-only twin for reads).
SCOPE_BY_PATH: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), scope)
    for pattern, scope in (
        (r"/v3/hooks(/|$)", None),
        (r"/v3/catalog(/|$)", "store_v2_products"),
        (r"/v2/(orders|order_statuses)(/|$)", "store_v2_orders"),
        (r"/v3/orders/[^/]+/transactions$", "store_v2_transactions"),
        (r"/v3/orders(/|$)", "store_v2_orders"),
        (r"/v3/customers/[^/]+/stored-instruments$", "store_stored_payment_instruments"),
        (r"/v[23]/(customers|customer_groups)(/|$)", "store_v2_customers"),
        (r"/v3/inventory/locations(/metafields|/[^/]+/metafields(/[^/]+)?)?$", "store_locations"),
        (r"/v3/inventory(/|$)", "store_inventory"),
        (r"/v2/(store|time|shipping)(/|$)", "store_v2_information"),
        (r"/v3/channels/[^/]+/listings(/|$)", "store_channel_listings"),
        (r"/v3/channels/[^/]+/site(/|$)", "store_sites"),
        (r"/v3/channels(/|$)", "store_channel_settings"),
    )
)


def decode_body(status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """The decoded body: None when empty, JSON for `*json`, else the text.

    Raises MalformedResponseError for a success answer whose body is not valid JSON (a cut
    body, or an HTML page from a proxy); an error answer keeps its text as the body.
    """
    if status == 204 or not content.strip():
        return None
    is_json = "json" in headers.get("content-type", "")
    if is_json or 200 <= status < 300:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            if 200 <= status < 300:
                raise MalformedResponseError(
                    f"the {status} answer is not valid JSON ({len(content)} bytes)"
                ) from None
    return content.decode("utf-8", "replace")


def error_for_status(
    status: int,
    *,
    method: str,
    path: str,
    url: str = "",
    headers: Mapping[str, str] | None = None,
    body: Any = None,
) -> HttpStatusError:
    """The error for an answer that is not a success (3xx, 4xx or 5xx)."""
    headers = headers or {}
    title = error_title(body)
    message = f"{method} {path} answered {status}" + (f": {title}" if title else "")
    if 300 <= status < 400:
        where = headers.get("location", "elsewhere")
        message += f" (redirected to {where}: check the API base URL, e.g. https:// not http://)"
    common: dict[str, Any] = {
        "status": status,
        "method": method,
        "url": url,
        "headers": headers,
        "body": body,
        "field_errors": field_errors(body),
    }
    if status == 403:
        scope = required_scope(method, path)
        return PermissionDeniedError(message + _scope_hint(scope), required_scope=scope, **common)
    if status == 429:
        return RateLimitedError(message, retry_after_s=wait_after_429(headers), **common)
    if status >= 500:
        return ServerError(message, **common)
    return STATUS_ERRORS.get(status, HttpStatusError)(message, **common)


def error_for_transport(exc: Exception, *, method: str, path: str, url: str = "") -> ApiError:
    """The error for an exception raised while sending or receiving (aiohttp, httpx or the
    socket): the same bigsync error whichever library raised it."""
    what = type(exc).__name__
    where = f"{method} {path}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return ConnectTimeoutError(f"{where} timed out ({what})", method=method, url=url)
    if isinstance(exc, httpx.DecodingError) or _undecodable(exc):
        return MalformedResponseError(
            f"{where}: the answer could not be decoded ({what})", method=method, url=url
        )
    if isinstance(
        exc,
        httpx.NetworkError
        | httpx.RemoteProtocolError
        | ConnectionError
        | aiohttp.ClientConnectionError
        | aiohttp.ClientPayloadError
        | aiohttp.ClientResponseError,
    ):
        return NetworkError(
            f"{where}: the connection failed or was dropped ({what})", method=method, url=url
        )
    return TransportError(f"{where} failed without an answer ({what})", method=method, url=url)


def _undecodable(exc: Exception) -> bool:
    """aiohttp's "Can not decode content-encoding" (a cut or corrupt gzip body)."""
    return isinstance(exc, aiohttp.ClientPayloadError) and "content-encoding" in str(exc)


TRANSPORT_EXCEPTIONS = (
    httpx.TransportError,
    httpx.DecodingError,
    aiohttp.ClientError,
    ConnectionError,
    TimeoutError,
)
"""What `error_for_transport` maps: everything that can go wrong between request and body."""


def error_title(body: Any) -> str:
    """The human summary of an error body in any of BigCommerce's shapes."""
    if isinstance(body, Mapping):
        for key in ("title", "message", "detail", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        if isinstance(body.get("errors"), list):
            return error_title(body["errors"])
        return ""
    if isinstance(body, list):
        messages = [error_title(item) for item in body]
        return "; ".join(m for m in messages if m)
    if isinstance(body, str):
        return body.strip()[:200]
    return ""


_V2_FIELD = re.compile(r"field '([^']+)'|missing \[([^\]]+)\]")


def field_errors(body: Any) -> dict[str, str]:
    """Field -> message from a 4xx body: v3 `errors`, v3 `batch_errors` (keys `[i].field`),
    or the field names v2 messages mention (`The field 'id' ...`, `Required fields missing [x]`).
    """
    found: dict[str, str] = {}
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, Mapping):
            found.update({str(k): str(v) for k, v in errors.items()})
        elif isinstance(errors, list):
            found.update(field_errors(errors))
        for index, item in enumerate(body.get("batch_errors") or ()):
            for name, text in field_errors(item).items():
                found[f"[{index}].{name}"] = text
            if isinstance(item, Mapping) and not item.get("errors") and item.get("title"):
                found[f"[{index}]"] = str(item["title"])
    elif isinstance(body, list):
        for item in body:
            message = item.get("message") if isinstance(item, Mapping) else None
            if isinstance(message, str):
                for match in _V2_FIELD.finditer(message):
                    for name in (match.group(1) or match.group(2)).split(","):
                        found[name.strip()] = message
    return found


def required_scope(method: str, path: str) -> str | None:
    """The scope a request lacks when it gets 403: read-only for reads, modify for writes."""
    for pattern, scope in SCOPE_BY_PATH:
        if pattern.match(path):
            if scope is None:
                return None
            return scope + "_read_only" if method.upper() in READ_METHODS else scope
    return None


def _scope_hint(scope: str | None) -> str:
    if scope is None:
        return ""
    family = FAMILIES.get(scope.removesuffix("_read_only"))
    access = Access.READ if scope.endswith("_read_only") else Access.MODIFY
    where = f" (control panel: {family.control_panel_name(access)})" if family else ""
    return f" — the access token needs the OAuth scope {scope}{where}"
