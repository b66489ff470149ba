"""The pages of access control: first-run setup, login, logout, and Settings → API tokens.

GET/POST /setup            the first admin (only while the hub has no user; then a 303
                           to the login)
GET/POST /login            username and password (throttled), back to `next`
POST     /logout           the session ends
GET/POST /settings/tokens  the user's API tokens; a new one is shown once
POST     /settings/tokens/{id}/revoke
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bigsync.errors import InputError, LoginFailedError, LoginThrottledError, SetupDoneError
from bigsync.web.auth import (
    AccountsDep,
    CsrfForm,
    PageUser,
    check_presession_csrf,
    end_session,
    presession_csrf,
    session_principal,
    start_session,
)
from bigsync.web.flash import flash, redirect, safe_local_path
from bigsync.web.templating import render

router = APIRouter(include_in_schema=False)

HOME = "/integrations"
FormText = Annotated[str, Form(max_length=4096)]


def client_address(request: Request) -> str:
    """The address the login throttle counts failures against."""
    return request.client.host if request.client else "unknown"


@router.get("/")
async def home(_user: PageUser) -> RedirectResponse:
    return redirect(HOME)


@router.get("/setup", response_class=HTMLResponse)
async def setup_page(request: Request, accounts: AccountsDep) -> Response:
    if not await run_in_threadpool(accounts.needs_setup):
        return redirect("/login")
    presession_csrf(request)
    return render(request, "setup.html", title="Set up bigsync", username="")


@router.post("/setup", response_class=HTMLResponse)
async def setup_submit(
    request: Request,
    accounts: AccountsDep,
    username: FormText = "",
    password: FormText = "",
    password_again: FormText = "",
) -> Response:
    if not await run_in_threadpool(accounts.needs_setup):
        return redirect("/login")
    await check_presession_csrf(request)
    error = None
    if password != password_again:
        error = "the two passwords differ"
    else:
        try:
            await run_in_threadpool(accounts.setup_admin, username, password)
        except SetupDoneError:
            return redirect("/login")
        except InputError as refused:
            error = str(refused)
    if error is not None:
        return render(
            request, "setup.html", status=422, title="Set up bigsync", username=username,
            error=error,
        )  # fmt: skip
    opened = await run_in_threadpool(
        accounts.login, username, password, client=client_address(request)
    )
    start_session(request, opened)
    flash(request, f"Welcome, {opened.principal.username}: the hub is yours.")
    return redirect(HOME)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, accounts: AccountsDep, next: str = "") -> Response:
    target = safe_local_path(next, HOME)
    if await session_principal(request) is not None:
        return redirect(target)
    if await run_in_threadpool(accounts.needs_setup):
        return redirect("/setup")
    presession_csrf(request)
    notice = "You are logged out." if request.query_params.get("bye") else None
    return render(request, "login.html", title="Log in", next=target, username="", notice=notice)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    accounts: AccountsDep,
    username: FormText = "",
    password: FormText = "",
    next: FormText = "",
) -> Response:
    await check_presession_csrf(request)
    target = safe_local_path(next, HOME)
    try:
        opened = await run_in_threadpool(
            accounts.login, username, password, client=client_address(request)
        )
    except (LoginFailedError, LoginThrottledError) as refused:
        throttled = isinstance(refused, LoginThrottledError)
        response = render(
            request, "login.html", status=429 if throttled else 400, title="Log in",
            next=target, username=username, error=str(refused),
        )  # fmt: skip
        if isinstance(refused, LoginThrottledError):
            response.headers["Retry-After"] = str(max(1, round(refused.retry_after_s)))
        return response
    start_session(request, opened)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request, _user: CsrfForm) -> RedirectResponse:
    await run_in_threadpool(end_session, request)
    return redirect("/login?bye=1")


@router.get("/settings/tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, user: PageUser, accounts: AccountsDep) -> Response:
    tokens = await run_in_threadpool(accounts.list_tokens, user)
    return render(request, "tokens.html", title="API tokens", active="tokens", tokens=tokens)


@router.post("/settings/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request, user: CsrfForm, accounts: AccountsDep, name: FormText = ""
) -> Response:
    try:
        created = await run_in_threadpool(accounts.create_token, user, name)
    except InputError as refused:
        tokens = await run_in_threadpool(accounts.list_tokens, user)
        return render(
            request, "tokens.html", status=422, title="API tokens", active="tokens",
            tokens=tokens, error=str(refused), name=name,
        )  # fmt: skip
    tokens = await run_in_threadpool(accounts.list_tokens, user)
    return render(
        request, "tokens.html", status=201, title="API tokens", active="tokens",
        tokens=tokens, created=created,
    )  # fmt: skip


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request,
    user: CsrfForm,
    accounts: AccountsDep,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> RedirectResponse:
    revoked = await run_in_threadpool(accounts.revoke_token, user, token_id)
    flash(request, f"Token “{revoked.name}” ({revoked.prefix}…) is revoked.")
    return redirect("/settings/tokens")
