"""Access control: the hub's users (argon2id passwords), browser sessions, API tokens and
the login throttle. Use-cases only; the web edge turns them into cookies and headers."""

from bigsync.accounts.model import (
    CreatedToken,
    OpenedSession,
    Principal,
    TokenView,
    UserKind,
    UserView,
)
from bigsync.accounts.service import AccountService, SessionPolicy
from bigsync.accounts.throttle import ThrottlePolicy

__all__ = [
    "AccountService",
    "CreatedToken",
    "OpenedSession",
    "Principal",
    "SessionPolicy",
    "ThrottlePolicy",
    "TokenView",
    "UserKind",
    "UserView",
]
