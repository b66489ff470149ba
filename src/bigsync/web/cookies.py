"""The cookies of the web app, and setting them from anywhere in a request.

    bigsync_session   the session token (HttpOnly, SameSite=Lax, Secure behind HTTPS);
                      its SHA-256 is what the database knows
    bigsync_csrf      before a session exists (the login and setup forms): a random value
                      the form must repeat (double submit)
    bigsync_flash     one-shot messages for the page after a redirect, signed per session

Code that is not the endpoint (a dependency, `flash`) queues cookies with `queue_cookie`;
`CookieMiddleware` adds them to whatever response the request ends with.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Literal

from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "bigsync_session"
CSRF_COOKIE = "bigsync_csrf"
FLASH_COOKIE = "bigsync_flash"
_QUEUE = "bigsync_cookies"


def is_https(request: Request) -> bool:
    """Whether the browser reaches the hub over HTTPS: the request (or, behind a proxy that
    ends TLS, the public URL) says so."""
    if request.url.scheme == "https":
        return True
    hub = getattr(request.app.state, "hub", None)
    public = hub.settings.public_url if hub is not None else None
    return bool(public and public.startswith("https://"))


def queue_cookie(
    request: Request,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    samesite: Literal["lax", "strict", "none"] = "lax",
    partitioned: bool = False,
) -> None:
    """Set a cookie (HttpOnly; Secure behind HTTPS) on this request's response."""
    carrier = Response()
    secure = is_https(request)
    carrier.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, secure=secure or samesite == "none",
        samesite=samesite,
    )  # fmt: skip
    header = carrier.headers["set-cookie"]
    if partitioned and secure:  # (http.cookies knows the attribute from Python 3.14 only)
        header += "; Partitioned"
    _queue(request)[name] = header


def queue_delete(request: Request, name: str) -> None:
    """Remove a cookie on this request's response."""
    carrier = Response()
    carrier.delete_cookie(name, path="/", httponly=True, secure=is_https(request))
    _queue(request)[name] = carrier.headers["set-cookie"]


def read_cookie(request: Request, name: str) -> str:
    """A cookie of the request ("" when absent)."""
    return request.cookies.get(name, "")


def _queue(request: Request) -> dict[str, str]:
    queue: dict[str, str] | None = getattr(request.state, _QUEUE, None)
    if queue is None:
        queue = {}
        setattr(request.state, _QUEUE, queue)
    return queue


class CookieMiddleware:
    """Adds the queued cookies (and the pages' security headers) to each response."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                state: dict[str, Any] = scope.get("state") or {}
                queued: dict[str, str] = state.get(_QUEUE) or {}
                headers = list(message.get("headers", []))
                present = {name for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                headers += [(b"set-cookie", value.encode()) for value in queued.values()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def parse_set_cookie(header: str) -> dict[str, str]:
    """The name and value of a Set-Cookie header (tests)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(header)
    return {key: morsel.value for key, morsel in cookie.items()}
