"""Values the connection use-cases take and return. Secrets are write-only: they go in through
`NewConnection` / `ConnectionChanges` and come out only as `••••` plus their last 4 characters."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bigsync.connections.features import Feature
from bigsync.connections.report import CheckReport

MASK = "••••"


class ConnectionKind(enum.StrEnum):
    """How a connection authenticates."""

    API_ACCOUNT = "api_account"  # store-level API account: access token (+ client id)
    OAUTH_APP = "oauth_app"  # one-click app install: token and scopes from the OAuth grant
    BASIC = "basic"  # the "username/password" form: client id + access token


class SecretPurpose(enum.StrEnum):
    """The secrets a connection may hold."""

    # Names of secret slots, not secret values.
    ACCESS_TOKEN = "access_token"  # noqa: S105
    CLIENT_SECRET = "client_secret"  # noqa: S105
    WEBHOOK_SECRET = "webhook_secret"  # noqa: S105


def mask(last4: str) -> str:
    """How a secret is shown: `••••` plus its last 4 characters."""
    return MASK + last4


@dataclass(frozen=True)
class NewConnection:
    """What a user gives to add a connection (as typed or pasted; cleaned by `add`)."""

    name: str
    store: str  # store hash, API path, or store URL
    access_token: str = field(repr=False)
    kind: ConnectionKind = ConnectionKind.API_ACCOUNT
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    granted_scopes: str | Sequence[str] | None = None  # from an OAuth grant
    # None: the defaults, and each read feature the test finds allowed. A list: exactly
    # those, the other read features counting as turned off by the user.
    features: Sequence[Feature | str] | None = None
    api_url: str | None = None
    sync_every: str | timedelta | None = None  # `5m`, `1h`...; None: the default interval


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET


@dataclass(frozen=True)
class ConnectionChanges:
    """An edit. Changing the store, kind, client id or API URL needs the token re-entered."""

    name: str | None = None
    store: str | None = None
    access_token: str | None = field(default=None, repr=False)
    kind: ConnectionKind | None = None
    client_id: str | _Unset | None = UNSET
    client_secret: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    granted_scopes: str | Sequence[str] | _Unset | None = UNSET
    features: Sequence[Feature | str] | None = None  # the whole list (`-f`)
    api_url: str | None = None
    enable: Sequence[Feature | str] = ()  # one by one, the others untouched
    disable: Sequence[Feature | str] = ()
    sync_every: str | timedelta | None = None  # a new interval (`5m`); None: unchanged

    @property
    def touches_credentials(self) -> bool:
        """Whether the edit changes what the token is used with."""
        return (
            self.store is not None
            or self.kind is not None
            or self.client_id is not UNSET
            or self.api_url is not None
            or self.granted_scopes is not UNSET
        )


@dataclass(frozen=True)
class ConnectionView:
    """A connection as every caller may see it: no secret, only masked hints."""

    id: int
    name: str
    kind: ConnectionKind
    store_hash: str
    api_url: str
    client_id: str | None
    granted_scopes: tuple[str, ...] | None
    features: tuple[str, ...]
    disabled_features: Mapping[str, str]
    secret_hints: Mapping[str, str]  # purpose -> "••••abcd"
    last_test: CheckReport | None
    last_tested_at: datetime | None
    created_at: datetime
    updated_at: datetime
    features_off: tuple[str, ...] = ()  # turned off by the user: a test leaves them off
    # Set when the last test found the token or store hash wrong: what is wrong and the
    # commands that fix it. A sync should not start while it is set.
    failing_reason: str | None = None
    # Between scheduled "latest changes" syncs (`bigsync serve`); None: the default.
    sync_every: timedelta | None = None

    @property
    def is_failing(self) -> bool:
        """Whether the last test found the credentials wrong."""
        return self.failing_reason is not None

    @property
    def active_features(self) -> tuple[str, ...]:
        """Enabled features that the last test did not disable."""
        return tuple(f for f in self.features if f not in self.disabled_features)

    @property
    def token_hint(self) -> str:
        """The access token as shown: `••••` plus its last 4 characters."""
        return self.secret_hints.get(SecretPurpose.ACCESS_TOKEN, "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for the REST API and `--json` output."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "store_hash": self.store_hash,
            "api_url": self.api_url,
            "client_id": self.client_id,
            "granted_scopes": list(self.granted_scopes)
            if self.granted_scopes is not None
            else None,
            "features": list(self.features),
            "active_features": list(self.active_features),
            "disabled_features": dict(self.disabled_features),
            "features_off": list(self.features_off),
            "state": "failing" if self.is_failing else "ok",
            "failing_reason": self.failing_reason,
            "secrets": dict(self.secret_hints),
            "last_test": self.last_test.to_json() if self.last_test else None,
            "last_tested_at": self.last_tested_at.isoformat() if self.last_tested_at else None,
            "sync_every_s": int(self.sync_every.total_seconds()) if self.sync_every else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class AddResult:
    """The new connection and what was cleaned on the way (e.g. trailing spaces removed)."""

    connection: ConnectionView
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectResult:
    """What connecting a new store gave: the saved connection (None when the store refused
    the credentials, and nothing was saved) and the test report."""

    added: AddResult | None
    report: CheckReport


@dataclass(frozen=True)
class RemoveResult:
    """What removing a connection deleted."""

    name: str
    secrets_deleted: int
    data_deleted: Mapping[str, int]  # table -> rows, empty unless purged
    data_kept: bool
