"""Who is asking: the dependencies every page and API route declares.

    @router.get("/integrations/{connection_id}/orders")
    def orders(request: Request, connection_id: int, user: PageUser, hub: HubDep): ...
        connection = visible_connection(hub, user, connection_id)

    @router.post("/integrations/{connection_id}/sync")
    def sync(connection_id: int, user: CsrfForm, hub: HubDep): ...

    @router.get("/api/v1/connections")
    def connections(user: ApiUser, hub: HubDep): ...

`PageUser`: the browser session's principal; without one, a 303 to `/login?next=...` (or
to `/setup` while the hub has no user). Unsafe methods must carry the session's CSRF token
(the form's `csrf_token` field or an `X-CSRF-Token` header): `CsrfForm` says so explicitly,
and `PageUser` checks it too.

`ApiUser`: `Authorization: Bearer <API token>`, or the session cookie (the pages' own
scripts) with `X-CSRF-Token` on unsafe methods; otherwise a 401 problem.

A session the app's load callback opened is limited to one connection
(`principal.connection_id`): `visible_connection` answers 404 for any other, and
`visible_connections` lists that one only.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bigsync.accounts import AccountService, OpenedSession, Principal
from bigsync.errors import ConnectionNotFoundError
from bigsync.web.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    queue_cookie,
    queue_delete,
    read_cookie,
)
from bigsync.web.problems import Problem

if TYPE_CHECKING:
    from bigsync.connections import ConnectionView
    from bigsync.web.deps import Hub

__all__ = [
    "ApiUser",
    "CsrfForm",
    "LoginRequired",
    "PageUser",
    "Principal",
    "get_accounts",
    "visible_connection",
    "visible_connections",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token created on Settings → API tokens (`bsk_…`).",
)


class LoginRequired(Exception):  # noqa: N818 -- a signal, answered by a redirect
    """A page needs a session; the handler redirects to the login (or the setup)."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def get_accounts(request: Request) -> AccountService:
    """The app's account use-cases (`app.state.accounts`, built once over the hub's
    database; tests put their own there, with a clock)."""
    state = request.app.state
    accounts: AccountService | None = getattr(state, "accounts", None)
    if accounts is None:
        accounts = state.accounts = AccountService(state.hub.engine)
    return accounts


AccountsDep = Annotated[AccountService, Depends(get_accounts)]


# --- sessions ---------------------------------------------------------------------------------


def start_session(request: Request, opened: OpenedSession, *, embedded: bool = False) -> None:
    """Give the browser the session's cookie. `embedded`: the app's page inside the
    BigCommerce control panel (a cross-site frame), where a Lax cookie is never sent: behind
    HTTPS it is `SameSite=None; Secure; Partitioned` instead."""
    max_age = max(1, int((opened.expires_at - get_accounts(request).clock()).total_seconds()))
    from bigsync.web.cookies import is_https  # noqa: PLC0415

    cross_site = embedded and is_https(request)
    queue_cookie(
        request,
        SESSION_COOKIE,
        opened.token,
        max_age=max_age,
        samesite="none" if cross_site else "lax",
        partitioned=cross_site,
    )
    request.state.principal = opened.principal


def end_session(request: Request) -> None:
    """Forget the browser's session, here and in the database."""
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        get_accounts(request).logout(token)
    queue_delete(request, SESSION_COOKIE)
    request.state.principal = None


async def session_principal(request: Request) -> Principal | None:
    """The principal of the request's session cookie, if it is a live session."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = read_cookie(request, SESSION_COOKIE)
    if not token:
        return None
    principal = await run_in_threadpool(get_accounts(request).session, token)
    request.state.principal = principal
    return principal


async def _sent_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _csrf_refused() -> Problem:
    return Problem(
        403,
        "Form expired",
        detail="the form's security token is missing or old: reload the page and try again",
    )


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request whose CSRF token is not `expected` (403 problem)."""
    sent = await _sent_csrf(request)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise _csrf_refused()


async def page_principal(request: Request) -> Principal:
    """The session's principal, or a redirect to the login; unsafe methods are CSRF-checked."""
    principal = await session_principal(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method in SAFE_METHODS else "/")
    if request.method not in SAFE_METHODS:
        await check_csrf(request, principal.csrf_token)
    return principal


async def csrf_form(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
    """A page form POST from a session (its CSRF token checked by `page_principal`)."""
    return principal


async def api_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """An API token's principal, or the session's with `X-CSRF-Token` on unsafe methods;
    else a 401 problem."""
    if bearer is not None:
        principal = await run_in_threadpool(
            get_accounts(request).authenticate_token, bearer.credentials
        )
        if principal is None:
            raise _unauthenticated("the API token is unknown or revoked")
        request.state.principal = principal
        return principal
    principal = await session_principal(request)
    if principal is None:
        raise _unauthenticated("send Authorization: Bearer <API token>")
    if request.method not in SAFE_METHODS:
        header = request.headers.get(CSRF_HEADER, "")
        expected = principal.csrf_token or ""
        if not header or not hmac.compare_digest(header.encode(), expected.encode()):
            raise _csrf_refused()
    return principal


def _unauthenticated(detail: str) -> Problem:
    return Problem(
        401, "Authentication required", detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


PageUser = Annotated[Principal, Depends(page_principal)]
CsrfForm = Annotated[Principal, Depends(csrf_form)]
ApiUser = Annotated[Principal, Depends(api_principal)]


# --- before a session: the login and setup forms ----------------------------------------------


def presession_csrf(request: Request) -> str:
    """The login/setup form's token: the `bigsync_csrf` cookie's value (set when new)."""
    token = read_cookie(request, CSRF_COOKIE)
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        queue_cookie(request, CSRF_COOKIE, token, max_age=12 * 3600)
    request.state.csrf_token = token
    return token


async def check_presession_csrf(request: Request) -> None:
    """A login/setup POST must repeat its cookie's token."""
    await check_csrf(request, read_cookie(request, CSRF_COOKIE) or None)
    request.state.csrf_token = read_cookie(request, CSRF_COOKIE)


def login_url(next_url: str) -> str:
    """The login page, coming back to `next_url` afterwards."""
    return "/login" if next_url in ("", "/") else f"/login?next={quote(next_url, safe='/')}"


# --- what a principal may see -----------------------------------------------------------------


def visible_connection(hub: Hub, principal: Principal, connection_id: int) -> ConnectionView:
    """The connection `connection_id`, when it exists and the principal may see it; else a
    404 problem (the same answer either way: a limited session learns nothing)."""
    if not principal.may_see(connection_id):
        raise _no_such(connection_id)
    try:
        return hub.connections(actor=actor_of(principal)).get_by_id(connection_id)
    except ConnectionNotFoundError:
        raise _no_such(connection_id) from None


def visible_connections(hub: Hub, principal: Principal) -> list[ConnectionView]:
    """The connections the principal may see, by name."""
    views = hub.connections(actor=actor_of(principal)).list()
    return [view for view in views if principal.may_see(view.id)]


def actor_of(principal: Principal) -> str:
    """How the audit log names what this principal does."""
    return f"web:{principal.username}"


def _no_such(connection_id: int) -> Problem:
    return Problem(404, "No such integration", detail=f"no integration with id {connection_id}")
