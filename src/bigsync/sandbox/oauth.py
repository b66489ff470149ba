"""OAuth apps registered with the sandbox: install codes, the token exchange, signed payloads.

The flow mirrors BigCommerce's single-click app install:

1. `AppRegistry.register` records an app (client id, client secret, auth callback URL, the
   scopes it asks for). Callback URLs for load / uninstall / remove_user default to siblings
   of the auth callback (`https://app.example/auth` -> `https://app.example/load`).
2. `AppRegistry.issue_code` is the merchant clicking "install": a one-time code, and
   `auth_callback_url` the URL the merchant's browser would GET.
3. `AppRegistry.redeem` is `POST /oauth2/token`: it checks the client, secret, code,
   redirect URI, context and scope and consumes the code. The caller then creates the
   store's API account with `install_token`.
4. `signed_payload_jwt` mints the JWT BigCommerce sends to load / uninstall / remove_user,
   HS256-signed with the client secret; `uninstall` removes the app's token and hooks.

Failed exchanges answer in the OAuth 2.0 error shape (RFC 6749 §5.2), since BigCommerce
does not document its own: `{"error": "invalid_grant", "error_description": "..."}` with
400 (`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`) or 401
(`invalid_client`: unknown client id or wrong secret). A code is consumed by its first
successful exchange; using it again is `400 invalid_grant`. Codes do not expire.
"""

from __future__ import annotations

import hmac
import secrets
import string
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode, urljoin

import jwt

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState

CallbackKind = Literal["load", "uninstall", "remove_user"]
JWT_LIFETIME = 86400
MIN_SECRET_LENGTH = 32  # HS256 keys shorter than the digest are weak (and PyJWT warns)
_ALPHANUMERIC = string.ascii_lowercase + string.digits


def random_token(length: int = 31) -> str:
    """A lowercase alphanumeric string like BigCommerce's client ids and access tokens."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class OAuthError(Exception):
    """A refused token exchange, rendered as `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Person:
    """A control-panel user (the one who clicked, or the store owner)."""

    id: int
    email: str
    locale: str = "en-US"

    def as_token_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.email, "email": self.email}


@dataclass(frozen=True)
class OAuthApp:
    """An app as registered in the Developer Portal."""

    client_id: str
    client_secret: str
    name: str
    auth_callback: str
    scopes: frozenset[str]
    account_uuid: str
    load_callback: str
    uninstall_callback: str
    remove_user_callback: str

    def callback(self, kind: CallbackKind) -> str:
        return {
            "load": self.load_callback,
            "uninstall": self.uninstall_callback,
            "remove_user": self.remove_user_callback,
        }[kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "name": self.name,
            "auth_callback": self.auth_callback,
            "load_callback": self.load_callback,
            "uninstall_callback": self.uninstall_callback,
            "remove_user_callback": self.remove_user_callback,
            "scopes": sorted(self.scopes),
            "account_uuid": self.account_uuid,
        }


@dataclass(frozen=True)
class Grant:
    """A one-time authorization code issued when a merchant installs an app."""

    code: str
    client_id: str
    store_hash: str
    scopes: frozenset[str]
    user: Person
    owner: Person
    account_uuid: str

    @property
    def context(self) -> str:
        return f"stores/{self.store_hash}"

    @property
    def scope(self) -> str:
        return " ".join(sorted(self.scopes))

    def token_json(self, access_token: str) -> dict[str, Any]:
        """The `/oauth2/token` success body."""
        return {
            "access_token": access_token,
            "scope": self.scope,
            "user": self.user.as_token_json(),
            "owner": self.owner.as_token_json(),
            "context": self.context,
            "account_uuid": self.account_uuid,
        }


def parse_scopes(value: str | Iterable[str]) -> frozenset[str]:
    """Scopes as a space-separated string (the wire form) or a list."""
    items = value.split() if isinstance(value, str) else value
    return frozenset(s.strip() for s in items if s.strip())


@dataclass
class AppRegistry:
    """Every app the sandbox knows, and the codes not yet exchanged."""

    apps: dict[str, OAuthApp] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)

    def register(
        self,
        *,
        auth_callback: str,
        scopes: Iterable[str],
        name: str = "Sandbox app",
        client_id: str | None = None,
        client_secret: str | None = None,
        load_callback: str | None = None,
        uninstall_callback: str | None = None,
        remove_user_callback: str | None = None,
    ) -> OAuthApp:
        """Add (or replace) an app; ids and secrets are generated unless given."""
        secret = client_secret or secrets.token_hex(32)
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"client_secret must be at least {MIN_SECRET_LENGTH} characters")
        app = OAuthApp(
            client_id=client_id or random_token(),
            client_secret=secret,
            name=name,
            auth_callback=auth_callback,
            scopes=frozenset(scopes),
            account_uuid=str(uuid.uuid4()),
            load_callback=load_callback or urljoin(auth_callback, "load"),
            uninstall_callback=uninstall_callback or urljoin(auth_callback, "uninstall"),
            remove_user_callback=remove_user_callback or urljoin(auth_callback, "remove_user"),
        )
        self.apps[app.client_id] = app
        return app

    def secret_for(self, client_id: str) -> str | None:
        """The client secret of a registered app (None for plain store API accounts)."""
        app = self.apps.get(client_id)
        return app.client_secret if app else None

    def issue_code(self, app: OAuthApp, *, store_hash: str, user: Person, owner: Person) -> Grant:
        """The merchant accepts the app's scopes: a fresh one-time code."""
        grant = Grant(
            code=random_token(16),
            client_id=app.client_id,
            store_hash=store_hash,
            scopes=app.scopes,
            user=user,
            owner=owner,
            account_uuid=app.account_uuid,
        )
        self.grants[grant.code] = grant
        return grant

    def redeem(self, fields: Mapping[str, str]) -> Grant:
        """Check a `/oauth2/token` request and consume its code; OAuthError when refused."""
        required = ("client_id", "client_secret", "code", "grant_type", "redirect_uri")
        missing = [name for name in required if not fields.get(name)]
        if missing:
            raise OAuthError("invalid_request", f"Missing parameter(s): {', '.join(missing)}.")
        if fields["grant_type"] != "authorization_code":
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code.")
        app = self.apps.get(fields["client_id"])
        if app is None or not hmac.compare_digest(
            app.client_secret.encode(), fields["client_secret"].encode()
        ):
            raise OAuthError("invalid_client", "Invalid client id or secret.", status=401)
        grant = self.grants.get(fields["code"])
        if grant is None or grant.client_id != app.client_id:
            raise OAuthError("invalid_grant", "The code is invalid or was already used.")
        if fields["redirect_uri"] != app.auth_callback:
            raise OAuthError("invalid_grant", "redirect_uri does not match the auth callback.")
        if fields.get("context") and fields["context"] != grant.context:
            raise OAuthError("invalid_grant", "context does not match the code's store.")
        if fields.get("scope") and parse_scopes(fields["scope"]) != grant.scopes:
            raise OAuthError("invalid_scope", "scope does not match the granted scopes.")
        del self.grants[grant.code]
        return grant


def auth_callback_url(app: OAuthApp, grant: Grant) -> str:
    """The URL the merchant's browser GETs after accepting the install."""
    query = urlencode(
        {
            "account_uuid": grant.account_uuid,
            "code": grant.code,
            "context": grant.context,
            "scope": grant.scope,
        },
        quote_via=quote,
        safe="",
    ).replace("%20", "+")
    return f"{app.auth_callback}?{query}"


def signed_payload_claims(
    app: OAuthApp,
    *,
    store_hash: str,
    user: Person,
    owner: Person,
    url: str = "/",
    channel_id: int | None = None,
    issued_at: int | None = None,
) -> dict[str, Any]:
    """The claims of a load / uninstall / remove_user `signed_payload_jwt`.

    `issued_at` defaults to the real time (not the sandbox clock), because the app checks
    `exp`/`nbf` against its own clock.
    """
    iat = int(time.time()) if issued_at is None else issued_at
    return {
        "aud": app.client_id,
        "iss": "bc",
        "iat": iat,
        "nbf": iat,
        "exp": iat + JWT_LIFETIME,
        "jti": str(uuid.uuid4()),
        "sub": f"stores/{store_hash}",
        "user": {"id": user.id, "email": user.email, "locale": user.locale},
        "owner": {"id": owner.id, "email": owner.email},
        "url": url,
        "channel_id": channel_id,
    }


def signed_payload_jwt(app: OAuthApp, claims: Mapping[str, Any]) -> str:
    """HS256 JWT of `claims`, keyed by the app's client secret."""
    return jwt.encode(dict(claims), app.client_secret, algorithm="HS256")


def callback_with_jwt(app: OAuthApp, kind: CallbackKind, token: str) -> str:
    """The URL BigCommerce (or the browser, for load) GETs with the signed payload."""
    return f"{app.callback(kind)}?{urlencode({'signed_payload_jwt': token})}"


def store_owner(store: StoreState) -> Person:
    """The owner every sandbox store has (made up from the store's id and hash)."""
    return Person(id=store.store_id, email=f"owner@{store.hash}.example.com")


def uninstall(store: StoreState, client_id: str) -> dict[str, int]:
    """Remove an app's access tokens and webhooks from `store`; how many of each went."""
    tokens = [t for t, a in store.accounts.items() if a.client_id == client_id]
    for token in tokens:
        del store.accounts[token]
    return {"tokens": len(tokens), "hooks": store.hooks.delete_client(client_id)}
