"""`AppInstaller`: the four callbacks BigCommerce calls when a merchant installs, opens,
uninstalls the app, or removes a user from it (API-NOTES §10).

    auth         exchange the code at the login host; create (or, on a re-install, update)
                 the store's connection with the token, the granted scopes and the store
                 hash from `context`; then the connection test (which turns on the read
                 features the scopes allow). The serve scheduler starts the first sync.
    load         verify the signed payload; the store's connection and who opened it.
    uninstall    verify; remove the connection through `disconnect` (the edge passes the
                 webhooks use-case, which deletes the hooks where the store still lets it;
                 BigCommerce drops an uninstalled app's hooks itself): its token erased,
                 data kept or erased as configured.
    remove_user  verify; recorded in the connection's audit log.

Signed payloads for a store with no app connection raise ForeignStoreError (403); invalid
ones SignedPayloadError (401). The client secret is only ever an argument, never logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bigsync.bigcommerce.oauth import DEFAULT_LOGIN_URL, TokenGrant, exchange_code
from bigsync.connections import ConnectionService
from bigsync.connections.features import Feature
from bigsync.connections.model import (
    ConnectionChanges,
    ConnectionKind,
    ConnectionView,
    NewConnection,
)
from bigsync.connections.report import CheckReport
from bigsync.errors import ConfigError, ForeignStoreError, InputError, TokenExchangeError
from bigsync.oauth.signed_payload import SignedPayload, verify_signed_payload

if TYPE_CHECKING:
    import httpx

    from bigsync.config import Settings

log = logging.getLogger(__name__)

Disconnect = Callable[..., Awaitable[Any]]
"""`disconnect(service, name, *, purge_data)`: how a connection is removed."""


async def remove_connection(service: ConnectionService, name: str, *, purge_data: bool) -> Any:
    """The plain removal (no hooks to delete): secrets erased, data kept unless purged."""
    return service.remove(name, purge_data=purge_data)


AUTH_PATH = "/bigcommerce/auth"
_CONTEXT = re.compile(r"stores/([a-z0-9]{1,64})")


@dataclass(frozen=True)
class AppCredentials:
    """The app as registered with BigCommerce, and where this hub is reached."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_callback: str  # the registered auth callback URL: the exchange's redirect_uri
    login_url: str = DEFAULT_LOGIN_URL
    api_url: str = "https://api.bigcommerce.com"

    @classmethod
    def from_settings(cls, settings: Settings) -> AppCredentials:
        """From `BIGSYNC_APP_CLIENT_ID`, `BIGSYNC_APP_CLIENT_SECRET`, `BIGSYNC_PUBLIC_URL`,
        `BIGSYNC_LOGIN_URL` and `BIGSYNC_API_URL`."""
        secret = settings.app_client_secret.get_secret_value() if settings.app_client_secret else ""
        if not (settings.app_client_id and secret and settings.public_url):
            raise ConfigError(
                "the app install needs BIGSYNC_APP_CLIENT_ID, BIGSYNC_APP_CLIENT_SECRET and "
                "BIGSYNC_PUBLIC_URL"
            )
        return cls(
            client_id=settings.app_client_id,
            client_secret=secret,
            auth_callback=settings.public_url.rstrip("/") + AUTH_PATH,
            login_url=settings.login_url,
            api_url=settings.api_url,
        )


@dataclass(frozen=True)
class Installed:
    """The outcome of an auth callback."""

    connection: ConnectionView
    created: bool  # False: a re-install updated the existing connection
    user_id: int | None
    report: CheckReport


@dataclass(frozen=True)
class Opened:
    """A verified load callback: which connection, for whom."""

    connection: ConnectionView
    payload: SignedPayload


class AppInstaller:
    """The app callbacks over one connection service."""

    def __init__(
        self,
        service: ConnectionService,
        app: AppCredentials,
        *,
        enable_webhooks: bool = False,
        erase_data_on_uninstall: bool = False,
        disconnect: Disconnect = remove_connection,
        clock: Callable[[], float] = time.time,
        login_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = service
        self.app = app
        self.enable_webhooks = enable_webhooks
        self.erase_data_on_uninstall = erase_data_on_uninstall
        self.disconnect = disconnect
        self.clock = clock
        self.login_transport = login_transport

    def __repr__(self) -> str:
        return f"AppInstaller(client_id={self.app.client_id!r})"

    async def auth(self, *, code: str, scope: str, context: str) -> Installed:
        """The auth callback: exchange, connect (or re-connect), test."""
        match = _CONTEXT.fullmatch(context or "")
        if match is None:
            raise InputError("the auth callback's context is not stores/{hash}")
        if not code:
            raise InputError("the auth callback has no code")
        grant = await exchange_code(
            login_url=self.app.login_url,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            code=code,
            scope=scope,
            context=context,
            redirect_uri=self.app.auth_callback,
            transport=self.login_transport,
        )
        if grant.context != context:
            raise TokenExchangeError("the login host granted a token for another store")
        existing = self.find(grant.store_hash)
        view = self._update(existing, grant) if existing else self._create(grant)
        user_id = grant.user.get("id") if isinstance(grant.user.get("id"), int) else None
        action = "re-installed" if existing else "installed"
        self.service.note(view.name, "app", f"app {action} by user {user_id}")
        report = await self.service.test(view.name)
        log.info("app %s for store %s (connection %s)", action, grant.store_hash, view.name)
        return Installed(self.service.get(view.name), existing is None, user_id, report)

    def load(self, signed_payload_jwt: str) -> Opened:
        """The load callback: the verified payload and the store's connection."""
        payload = self.verify(signed_payload_jwt)
        return Opened(self._connection_for(payload), payload)

    async def uninstall(self, signed_payload_jwt: str) -> Any:
        """The uninstall callback: the store's connection goes (hooks, token, data as set)."""
        payload = self.verify(signed_payload_jwt)
        view = self._connection_for(payload)
        result = await self.disconnect(
            self.service, view.name, purge_data=self.erase_data_on_uninstall
        )
        log.info("app uninstalled from store %s (connection %s)", payload.store_hash, view.name)
        return result

    def remove_user(self, signed_payload_jwt: str) -> Opened:
        """The remove_user callback: recorded in the connection's audit log."""
        payload = self.verify(signed_payload_jwt)
        view = self._connection_for(payload)
        self.service.note(view.name, "app", f"user {payload.user_id} removed from the app")
        return Opened(view, payload)

    def verify(self, signed_payload_jwt: str) -> SignedPayload:
        """The payload's claims, verified with the app's client secret."""
        return verify_signed_payload(
            signed_payload_jwt,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            now=self.clock(),
        )

    def find(self, store_hash: str) -> ConnectionView | None:
        """The app's connection to `store_hash`, if there is one."""
        for view in self.service.list():
            if (
                view.kind is ConnectionKind.OAUTH_APP
                and view.store_hash == store_hash
                and view.client_id == self.app.client_id
            ):
                return view
        return None

    def _connection_for(self, payload: SignedPayload) -> ConnectionView:
        view = self.find(payload.store_hash)
        if view is None:
            raise ForeignStoreError(f"this hub has no app connection to store {payload.store_hash}")
        return view

    def _create(self, grant: TokenGrant) -> ConnectionView:
        names = {v.name.lower() for v in self.service.list()}
        name = f"store-{grant.store_hash}"
        if name in names:
            name = f"app-{grant.store_hash}"
        added = self.service.add(
            NewConnection(
                name=name,
                store=grant.store_hash,
                access_token=grant.access_token,
                kind=ConnectionKind.OAUTH_APP,
                client_id=self.app.client_id,
                granted_scopes=grant.scope,
                api_url=self.app.api_url,
            )
        ).connection
        if self.enable_webhooks:
            self.service.update(added.name, ConnectionChanges(enable=[Feature.WEBHOOKS]))
        return added

    def _update(self, view: ConnectionView, grant: TokenGrant) -> ConnectionView:
        changes = ConnectionChanges(
            access_token=grant.access_token,
            granted_scopes=grant.scope,
            client_id=self.app.client_id,
        )
        return self.service.update(view.name, changes).connection
