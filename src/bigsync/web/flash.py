"""One-shot messages for the page after a redirect (post/redirect/get):

    flash(request, "Token revoked.")            # kind: ok | warn | fail
    return redirect("/settings/tokens")         # a 303

The messages ride in the `bigsync_flash` cookie, signed with the request's CSRF token (so
they are only shown in the session that made them), and `templating.render` shows and
clears them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from fastapi.responses import RedirectResponse

from bigsync.web.cookies import FLASH_COOKIE, queue_cookie, queue_delete, read_cookie

if TYPE_CHECKING:
    from starlette.requests import Request

FlashKind = Literal["ok", "warn", "fail"]
MAX_FLASHES = 5
_KINDS = ("ok", "warn", "fail")


def _key(request: Request) -> bytes:
    principal = getattr(request.state, "principal", None)
    token = getattr(principal, "csrf_token", None) or getattr(request.state, "csrf_token", None)
    return (token or "").encode()


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def flash(request: Request, text: str, kind: FlashKind = "ok") -> None:
    """Show `text` on the next page this browser renders."""
    key = _key(request)
    if not key:  # no session and no form token: nowhere to keep it
        return
    pending = [*getattr(request.state, "flash_pending", []), (kind, text)][-MAX_FLASHES:]
    request.state.flash_pending = pending
    payload = base64.urlsafe_b64encode(json.dumps(pending).encode()).decode().rstrip("=")
    queue_cookie(request, FLASH_COOKIE, f"{payload}.{_sign(key, payload)}")


def take_flashes(request: Request) -> list[tuple[str, str]]:
    """The messages waiting for this page (kind, text); the cookie is cleared."""
    raw = read_cookie(request, FLASH_COOKIE)
    if not raw:
        return []
    queue_delete(request, FLASH_COOKIE)
    payload, _, signature = raw.rpartition(".")
    key = _key(request)
    if not key or not hmac.compare_digest(signature, _sign(key, payload)):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return []
    return [
        (str(kind), str(text)) for kind, text in items if kind in _KINDS and isinstance(text, str)
    ][:MAX_FLASHES]


def redirect(url: str) -> RedirectResponse:
    """A 303 to `url` (the GET after a POST)."""
    return RedirectResponse(url, status_code=303)


def safe_local_path(url: str | None, default: str = "/") -> str:
    """`url` when it is a path on this hub (no scheme, no host, no `//`), else `default`:
    for `next=` parameters and Referer headers, never an open redirect."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return default
    if "\\" in url or any(ord(c) < 32 for c in url):
        return default
    return url


def redirect_back(request: Request) -> RedirectResponse:
    """A 303 to the page the form was on (its Referer when it is this hub's), else to the
    same path."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if referer and parts.netloc == request.url.netloc:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return redirect(safe_local_path(target, request.url.path))
    return redirect(request.url.path)
