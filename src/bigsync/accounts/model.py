"""Values the account use-cases return."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class UserKind(enum.StrEnum):
    """How a user signs in."""

    LOCAL = "local"  # a username and a password
    STORE = "store"  # a BigCommerce store's user, through the app's load callback


@dataclass(frozen=True)
class Principal:
    """Who is making a request, and what they may see.

    `connection_id` is set for a session the app's load callback opened (and the API tokens
    created in it): such a principal sees that one connection and nothing else."""

    user_id: int
    username: str
    is_admin: bool
    connection_id: int | None = None
    session_id: int | None = None
    token_id: int | None = None
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def via_token(self) -> bool:
        """Whether the request authenticated with an API token (not a browser session)."""
        return self.token_id is not None

    def may_see(self, connection_id: int) -> bool:
        """Whether this principal may see the connection with this id."""
        return self.connection_id is None or self.connection_id == connection_id


@dataclass(frozen=True)
class UserView:
    """A user, as pages and the API show one (never the password hash)."""

    id: int
    username: str
    kind: UserKind
    is_admin: bool
    email: str | None
    connection_id: int | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class OpenedSession:
    """A new browser session: the cookie's token (given once, stored only as a hash)."""

    token: str = field(repr=False)
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True)
class TokenView:
    """An API token as it is listed: its prefix identifies it, the token is never shown."""

    id: int
    name: str
    prefix: str
    connection_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class CreatedToken:
    """A token just created: `token` is shown this once."""

    token: str = field(repr=False)
    view: TokenView
