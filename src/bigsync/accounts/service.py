"""`AccountService`: the use-cases of access control.

    needs_setup / setup_admin     the first-run admin (only while no local user exists)
    login / logout / session      browser sessions: a random token in the cookie, its SHA-256
                                  in the database; idle and absolute expiry
    open_store_session            the app's load callback: a session for one store's user,
                                  limited to that store's connection
    create_token / list_tokens / revoke_token / authenticate_token
                                  API tokens: shown once, stored as a hash, a visible prefix,
                                  the last time each was used
    reset_password                a new password; the user's sessions end

Every time comes from the injected `clock`, so expiry and the login throttle are tested
without waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from bigsync.accounts import throttle
from bigsync.accounts.model import (
    CreatedToken,
    OpenedSession,
    Principal,
    TokenView,
    UserKind,
    UserView,
)
from bigsync.accounts.passwords import check_password_rules, default_hasher, verify_password
from bigsync.accounts.throttle import ThrottlePolicy
from bigsync.errors import (
    AccountNotFoundError,
    InputError,
    LoginFailedError,
    LoginThrottledError,
    SetupDoneError,
)
from bigsync.store import accounts_repository as repo
from bigsync.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy import Connection, Engine

# What an API token starts with: recognisable in a leaked file.
TOKEN_PREFIX = "bsk_"  # noqa: S105 -- a prefix, not a secret
PREFIX_SHOWN = 12  # characters of a token kept to tell tokens apart
TOUCH_EVERY = timedelta(seconds=60)  # last-seen / last-used times are this coarse
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_TOKEN_NAME_MAX = 100


_T = TypeVar("_T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """What is stored for a session or API token: its SHA-256, hex (the tokens are 256
    random bits, so a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: derived from the cookie's token, so only a page the
    session was given can know it, and nothing more is stored."""
    digest = hmac.new(session_token.encode(), b"bigsync csrf", hashlib.sha256).hexdigest()
    return digest[:40]


def username_key(username: str) -> str:
    """What usernames are compared by: NFC, case-folded."""
    return unicodedata.normalize("NFC", username).casefold()


@dataclass(frozen=True)
class SessionPolicy:
    """How long a browser session lives: `idle` without a request, `absolute` in all."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


class AccountService:
    """Users, sessions, API tokens and the login throttle over one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        sessions: SessionPolicy | None = None,
        throttle_policy: ThrottlePolicy | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.db = UnitOfWork(engine)
        self.clock = clock
        self.sessions = sessions or SessionPolicy()
        self.throttle = throttle_policy or ThrottlePolicy()
        self.hasher = hasher or default_hasher()
        self._dummy_hash: str | None = None

    # --- the first admin --------------------------------------------------------------------

    def needs_setup(self) -> bool:
        """Whether no local user exists yet (the first-run setup is open)."""
        with self.db.read() as conn:
            return repo.count_local_users(conn) == 0

    def setup_admin(self, username: str, password: str) -> UserView:
        """Create the first admin; SetupDoneError once a local user exists."""
        name = self._check_username(username)
        check_password_rules(password)
        hashed = self.hasher.hash(password)
        with self.db.write() as conn:
            if repo.count_local_users(conn):
                raise SetupDoneError("the hub's admin exists already: log in instead")
            user_id = repo.insert_user(
                conn, kind=UserKind.LOCAL, username=name, username_key=username_key(name),
                password_hash=hashed, is_admin=True, now=self.clock(),
            )  # fmt: skip
            return _user_view(_must(repo.get_user(conn, user_id=user_id)))

    def reset_password(self, username: str, password: str) -> UserView:
        """Give a local user a new password; their sessions end."""
        check_password_rules(password)
        hashed = self.hasher.hash(password)
        with self.db.write() as conn:
            user = repo.get_user(conn, username_key=username_key(username))
            if user is None or user.kind != UserKind.LOCAL:
                raise AccountNotFoundError(f"no user called {username!r}")
            repo.update_user(conn, user.id, password_hash=hashed)
            repo.delete_user_sessions(conn, user.id)
            repo.clear_failures(conn, _user_key(user.username))
            return _user_view(user)

    def users(self) -> list[UserView]:
        """Every user."""
        with self.db.read() as conn:
            return [_user_view(u) for u in repo.list_users(conn)]

    # --- sessions -------------------------------------------------------------------------

    def login(self, username: str, password: str, *, client: str) -> OpenedSession:
        """A session for a local user whose password matches.

        Refused with LoginThrottledError (unheard) while the username or `client` (the
        address) is locked, else LoginFailedError; each failure counts against both."""
        now = self.clock()
        username = _printable(username)[:200]
        keys = [_user_key(username), f"addr:{_printable(client)}"[:255]]
        with self.db.read() as conn:
            counters = repo.get_failures(conn, keys)
            user = repo.get_user(conn, username_key=username_key(username))
        wait = max((throttle.seconds_locked(row, now) for row in counters), default=0.0)
        if wait > 0:
            raise LoginThrottledError(
                f"too many failed logins: try again in {_seconds(wait)}", retry_after_s=wait
            )
        stored = user.password_hash if user is not None and user.kind == UserKind.LOCAL else None
        matches = verify_password(self.hasher, stored or self._dummy(), password)
        if user is None or stored is None or not matches:
            self._count_failure(keys, now)
            raise LoginFailedError("wrong username or password")
        with self.db.write() as conn:
            repo.clear_failures(conn, keys[0])
            values: dict[str, object] = {"last_login_at": now}
            if self.hasher.check_needs_rehash(stored):
                values["password_hash"] = self.hasher.hash(password)
            repo.update_user(conn, user.id, **values)
            return self._open(conn, user, connection_id=None, now=now)

    def open_store_session(
        self, connection_id: int, *, store_user_id: int | None, email: str | None
    ) -> OpenedSession:
        """A session for a store's user (the app's load callback), limited to that store's
        connection; the user is created the first time."""
        now = self.clock()
        who = str(store_user_id) if store_user_id is not None else (email or "owner")
        key = f"store:{connection_id}:{who}"[:200]
        shown = (email or f"store user {who}")[:200]
        with self.db.write() as conn:
            user = repo.get_user(conn, username_key=key)
            if user is None:
                user_id = repo.insert_user(
                    conn, kind=UserKind.STORE, username=shown, username_key=key,
                    password_hash=None, is_admin=False, now=now, email=email,
                    connection_id=connection_id,
                )  # fmt: skip
            else:
                user_id = user.id
                repo.update_user(conn, user_id, username=shown, email=email)
            repo.update_user(conn, user_id, last_login_at=now)
            user = _must(repo.get_user(conn, user_id=user_id))
            return self._open(conn, user, connection_id=connection_id, now=now)

    def session(self, token: str) -> Principal | None:
        """The principal of a session cookie's token; None when it is unknown or expired
        (an expired session is deleted)."""
        if not token:
            return None
        now = self.clock()
        hashed = hash_token(token)
        with self.db.read() as conn:
            row = repo.find_session(conn, hashed)
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + self.sessions.idle <= now:
            with self.db.write() as conn:
                repo.delete_session(conn, row.id)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            with self.db.write() as conn:
                repo.touch_session(conn, row.id, now)
        return Principal(
            user_id=row.user.id,
            username=row.user.username,
            is_admin=row.user.is_admin,
            connection_id=row.connection_id,
            session_id=row.id,
            csrf_token=csrf_token_for(token),
        )

    def logout(self, token: str) -> None:
        """End the session of this cookie token (nothing when there is none)."""
        with self.db.write() as conn:
            row = repo.find_session(conn, hash_token(token)) if token else None
            if row is not None:
                repo.delete_session(conn, row.id)

    def forget_expired_sessions(self) -> int:
        """Delete the sessions that can no longer be used; returns how many."""
        now = self.clock()
        with self.db.write() as conn:
            return repo.delete_expired_sessions(conn, now=now, idle_before=now - self.sessions.idle)

    # --- API tokens -----------------------------------------------------------------------

    def create_token(self, principal: Principal, name: str) -> CreatedToken:
        """A new API token for the principal's user (limited like the principal)."""
        label = " ".join(name.split())
        if not label:
            raise InputError("give the token a name (what will use it)")
        if any(unicodedata.category(ch) == "Cc" for ch in label):
            raise InputError("a token name cannot hold control characters")
        if len(label) > _TOKEN_NAME_MAX:
            raise InputError(f"a token name may have at most {_TOKEN_NAME_MAX} characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as conn:
            token_id = repo.insert_token(
                conn, user_id=principal.user_id, name=label, prefix=token[:PREFIX_SHOWN],
                token_hash=hash_token(token), connection_id=principal.connection_id,
                now=self.clock(),
            )  # fmt: skip
            return CreatedToken(token, _token_view(_must(repo.get_token(conn, token_id))))

    def list_tokens(
        self, principal: Principal, *, after_id: int | None = None, limit: int | None = None
    ) -> list[TokenView]:
        """The principal's user's tokens, newest first (revoked ones too)."""
        with self.db.read() as conn:
            rows = repo.list_tokens(conn, user_id=principal.user_id, after_id=after_id, limit=limit)
        return [_token_view(r) for r in rows]

    def get_token(self, principal: Principal, token_id: int) -> TokenView:
        """One of the principal's user's tokens (AccountNotFoundError otherwise)."""
        with self.db.read() as conn:
            row = repo.get_token(conn, token_id)
        if row is None or row.user_id != principal.user_id:
            raise AccountNotFoundError(f"no API token with id {token_id}")
        return _token_view(row)

    def revoke_token(self, principal: Principal, token_id: int) -> TokenView:
        """Revoke one of the principal's user's tokens (revoking twice changes nothing)."""
        with self.db.write() as conn:
            row = repo.get_token(conn, token_id)
            if row is None or row.user_id != principal.user_id:
                raise AccountNotFoundError(f"no API token with id {token_id}")
            if row.revoked_at is None:
                repo.update_token(conn, token_id, revoked_at=self.clock())
            return _token_view(_must(repo.get_token(conn, token_id)))

    def authenticate_token(self, token: str) -> Principal | None:
        """The principal of an API token; None when it is unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        now = self.clock()
        with self.db.read() as conn:
            found = repo.find_token(conn, hash_token(token))
        if found is None or found[0].revoked_at is not None:
            return None
        row, user = found
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            with self.db.write() as conn:
                repo.update_token(conn, row.id, last_used_at=now)
        return Principal(
            user_id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            connection_id=row.connection_id,
            token_id=row.id,
        )

    # --- inside -----------------------------------------------------------------------------

    def _open(
        self, conn: Connection, user: repo.UserRow, *, connection_id: int | None, now: datetime
    ) -> OpenedSession:
        repo.delete_expired_sessions(conn, now=now, idle_before=now - self.sessions.idle)
        token = secrets.token_urlsafe(32)
        expires_at = now + self.sessions.absolute
        session_id = repo.insert_session(
            conn, token_hash=hash_token(token), user_id=user.id, connection_id=connection_id,
            now=now, expires_at=expires_at,
        )  # fmt: skip
        principal = Principal(
            user_id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            connection_id=connection_id,
            session_id=session_id,
            csrf_token=csrf_token_for(token),
        )
        return OpenedSession(token, principal, expires_at)

    def _count_failure(self, keys: list[str], now: datetime) -> None:
        with self.db.write() as conn:
            rows = {row.key: row for row in repo.get_failures(conn, keys)}
            for key in keys:
                repo.put_failure(
                    conn, throttle.after_failure(self.throttle, key, rows.get(key), now)
                )

    def _dummy(self) -> str:
        """A hash to verify against when there is no user, so that an unknown username
        takes as long as a wrong password."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    @staticmethod
    def _check_username(username: str) -> str:
        name = username.strip()
        if not _USERNAME.fullmatch(name):
            raise InputError(
                "a username is 1 to 100 letters, digits and . _ @ + - (starting with a "
                "letter or digit)"
            )
        return name


def _user_key(username: str) -> str:
    return f"user:{username_key(username.strip())}"[:255]


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())


def _seconds(wait: float) -> str:
    if wait < 90:
        return f"{max(1, round(wait))} s"
    return f"{round(wait / 60)} min"


def _must(value: _T | None) -> _T:
    assert value is not None
    return value


def _user_view(row: repo.UserRow) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        kind=UserKind(row.kind),
        is_admin=row.is_admin,
        email=row.email,
        connection_id=row.connection_id,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _token_view(row: repo.TokenRow) -> TokenView:
    return TokenView(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        connection_id=row.connection_id,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
