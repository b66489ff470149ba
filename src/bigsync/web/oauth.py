"""The app callbacks BigCommerce calls (API-NOTES §10), at `BIGSYNC_PUBLIC_URL` +

    GET /bigcommerce/auth?code=&scope=&context=     install: HTML "connected"
    GET /bigcommerce/load?signed_payload_jwt=       a session for the store's user, limited
                                                    to that store; 303 to its page
    GET /bigcommerce/uninstall?signed_payload_jwt=  the connection goes; 200, no body
    GET /bigcommerce/remove-user?signed_payload_jwt=  (also /remove_user, the default
                                                    spelling of app registrations)

Errors: an invalid signed payload 401, a valid one for a store this hub does not serve 403,
a bad auth callback or refused code 400, the app not configured 503; each refusal is logged
with its reason, never with the token or a secret.

The installer comes from `app.state.app_installer`, or is built once from `app.state.hub`
(settings, connections) with the webhooks use-case as its `disconnect`.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from bigsync.errors import (
    AppInstallError,
    ConfigError,
    ForeignStoreError,
    InputError,
    SignedPayloadError,
    TokenExchangeError,
)
from bigsync.oauth.install import AppCredentials, AppInstaller
from bigsync.web.auth import get_accounts, start_session
from bigsync.webhooks.subscriptions import disconnect

log = logging.getLogger(__name__)

router = APIRouter(prefix="/bigcommerce", tags=["app"])

_CREDENTIAL_QUERY = re.compile(r"((?:^|[?&])(?:signed_payload_jwt|code)=)[^&\s\"]*")


def redact_callback_query(text: str) -> str:
    """`text` with the values of `signed_payload_jwt` and `code` query parameters replaced:
    a load payload opens the store's page for a day, a code is the install's credential."""
    return _CREDENTIAL_QUERY.sub(r"\1[redacted]", text)


def protect_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install `RedactCallbackQueries` on the access log (once); `bigsync serve` calls it
    after uvicorn configured its logging."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactCallbackQueries) for f in logger.filters):
        logger.addFilter(RedactCallbackQueries())


class RedactCallbackQueries(logging.Filter):
    """For the access log (`logging.getLogger("uvicorn.access").addFilter(...)`): the app
    callbacks' credentials never reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_callback_query(a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_callback_query(record.msg)
        return True


def installer_for_hub(hub: Any) -> AppInstaller:
    """An installer over the serve app's Hub."""
    settings = hub.settings
    return AppInstaller(
        hub.connections(actor="app"),
        AppCredentials.from_settings(settings),
        enable_webhooks=bool(settings.public_url),
        erase_data_on_uninstall=settings.uninstall_erases_data,
        disconnect=disconnect,
    )


def get_installer(request: Request) -> AppInstaller:
    state = request.app.state
    installer: AppInstaller | None = getattr(state, "app_installer", None)
    if installer is None:
        hub = getattr(state, "hub", None)
        if hub is None:
            raise HTTPException(503, "the app install is not configured")
        try:
            installer = state.app_installer = installer_for_hub(hub)
        except ConfigError as error:
            log.warning("app callback refused (503): %s", error)
            raise HTTPException(503, str(error)) from None
    return installer


InstallerDep = Annotated[AppInstaller, Depends(get_installer)]
SignedPayloadJwt = Annotated[str, Query()]


def _refusal(callback: str, error: AppInstallError | InputError) -> Response:
    status = 400
    if isinstance(error, SignedPayloadError):
        status = 401
    elif isinstance(error, ForeignStoreError):
        status = 403
    log.warning("app %s callback refused (%d): %s", callback, status, error)
    return Response(str(error), status_code=status, media_type="text/plain")


def _page(title: str, text: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )


@router.get("/auth")
async def auth(
    installer: InstallerDep, code: str = "", scope: str = "", context: str = ""
) -> Response:
    """The install: exchange the code, connect the store, test the connection."""
    try:
        installed = await installer.auth(code=code, scope=scope, context=context)
    except (TokenExchangeError, InputError, AppInstallError) as error:
        return _refusal("auth", error)
    view = installed.connection
    state = "ready" if installed.report.ok else "connected, but its test failed"
    return _page("bigsync", f"Store {view.store_hash} is {state} as connection {view.name}.")


@router.get("/load")
async def load(
    request: Request, installer: InstallerDep, signed_payload_jwt: SignedPayloadJwt = ""
) -> Response:
    """The app opened in the control panel: the store's user is logged in for that store
    only (a session limited to its connection) and lands on the store's page."""
    try:
        opened = installer.load(signed_payload_jwt)
    except AppInstallError as error:
        return _refusal("load", error)
    view = opened.connection
    session = await run_in_threadpool(
        get_accounts(request).open_store_session,
        view.id,
        store_user_id=opened.payload.user_id,
        email=opened.payload.user_email,
    )
    start_session(request, session, embedded=True)
    log.info("app opened for store %s by user %s", view.store_hash, opened.payload.user_id)
    return RedirectResponse(f"/integrations/{view.id}", status_code=303)


@router.get("/uninstall")
async def uninstall(installer: InstallerDep, signed_payload_jwt: SignedPayloadJwt = "") -> Response:
    """The app was uninstalled: the connection goes."""
    try:
        await installer.uninstall(signed_payload_jwt)
    except AppInstallError as error:
        return _refusal("uninstall", error)
    return Response(status_code=200)


@router.get("/remove-user")
@router.get("/remove_user", include_in_schema=False)
async def remove_user(
    installer: InstallerDep, signed_payload_jwt: SignedPayloadJwt = ""
) -> Response:
    """A user lost access to the app in the store: recorded."""
    try:
        installer.remove_user(signed_payload_jwt)
    except AppInstallError as error:
        return _refusal("remove_user", error)
    return Response(status_code=200)
