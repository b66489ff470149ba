"""The account use-cases on each database: the first admin, logins and their throttle,
sessions and their expiry, API tokens, store sessions of the app's load callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bigsync.accounts import AccountService, Principal, SessionPolicy, ThrottlePolicy, UserKind
from bigsync.accounts.service import csrf_token_for, hash_token
from bigsync.errors import (
    AccountNotFoundError,
    InputError,
    LoginFailedError,
    LoginThrottledError,
    SetupDoneError,
)
from bigsync.store.accounts_schema import api_tokens, sessions, users
from tests.accounts.hashing import FAST_HASHER
from tests.databases import add_connection

PASSWORD = "a long enough password"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(engine: sa.Engine, clock: Clock) -> AccountService:
    return AccountService(engine, clock=clock, hasher=FAST_HASHER)


def test_the_first_admin_is_created_once(accounts: AccountService, engine: sa.Engine) -> None:
    assert accounts.needs_setup()
    admin = accounts.setup_admin(" Alice ", PASSWORD)
    assert (admin.username, admin.kind, admin.is_admin) == ("Alice", UserKind.LOCAL, True)
    assert not accounts.needs_setup()
    with pytest.raises(SetupDoneError):
        accounts.setup_admin("mallory", PASSWORD)
    with engine.connect() as conn:
        [stored] = conn.execute(sa.select(users.c.password_hash)).scalars()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("alice", "short", "at least 10 characters"),
        ("alice", " " * 12, "only spaces"),
        ("", PASSWORD, "a username is"),
        ("store:1:2", PASSWORD, "a username is"),
        ("a b", PASSWORD, "a username is"),
    ],
)
def test_setup_refuses_bad_names_and_passwords(
    accounts: AccountService, username: str, password: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        accounts.setup_admin(username, password)
    assert accounts.needs_setup()


def test_login_opens_a_session_whose_token_is_stored_only_as_a_hash(
    accounts: AccountService, engine: sa.Engine
) -> None:
    accounts.setup_admin("alice", PASSWORD)
    opened = accounts.login("ALICE", PASSWORD, client="10.0.0.1")  # usernames are case-blind
    assert len(opened.token) >= 43
    principal = accounts.session(opened.token)
    assert principal is not None
    assert (principal.username, principal.connection_id) == ("alice", None)
    assert principal.csrf_token == csrf_token_for(opened.token) != opened.token
    with engine.connect() as conn:
        [stored] = conn.execute(sa.select(sessions.c.token_hash)).scalars()
    assert stored == hash_token(opened.token) != opened.token
    assert accounts.session("not-a-token") is None
    assert accounts.session("") is None
    accounts.logout(opened.token)
    assert accounts.session(opened.token) is None


def test_wrong_passwords_and_unknown_users_fail_alike(accounts: AccountService) -> None:
    accounts.setup_admin("alice", PASSWORD)
    with pytest.raises(LoginFailedError) as wrong:
        accounts.login("alice", "not the password", client="a")
    with pytest.raises(LoginFailedError) as unknown:
        accounts.login("bob", PASSWORD, client="b")
    assert str(wrong.value) == str(unknown.value) == "wrong username or password"


def test_five_failures_lock_the_username_for_growing_times(
    accounts: AccountService, clock: Clock
) -> None:
    accounts.setup_admin("alice", PASSWORD)
    for attempt in range(4):
        with pytest.raises(LoginFailedError):
            accounts.login("alice", "wrong", client=f"10.0.0.{attempt}")
    with pytest.raises(LoginFailedError):  # the fifth failure is heard, then locks
        accounts.login("alice", "wrong", client="10.0.0.9")
    with pytest.raises(LoginThrottledError) as locked:  # even with the right password
        accounts.login("alice", PASSWORD, client="10.0.0.10")
    assert locked.value.retry_after_s == 30
    assert "try again in 30 s" in str(locked.value)
    clock.advance(seconds=31)
    with pytest.raises(LoginFailedError):  # the sixth failure locks for twice as long
        accounts.login("alice", "wrong", client="10.0.0.11")
    with pytest.raises(LoginThrottledError) as longer:
        accounts.login("alice", PASSWORD, client="10.0.0.12")
    assert longer.value.retry_after_s == 60
    clock.advance(seconds=61)
    assert accounts.login("alice", PASSWORD, client="10.0.0.13").principal.username == "alice"
    for _ in range(4):  # a success forgets the username's failures
        with pytest.raises(LoginFailedError):
            accounts.login("alice", "wrong", client="10.0.0.14")


def test_one_address_trying_many_usernames_is_locked(
    accounts: AccountService, clock: Clock
) -> None:
    accounts.setup_admin("alice", PASSWORD)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        with pytest.raises(LoginFailedError):
            accounts.login(name, "guess", client="203.0.113.7")
    with pytest.raises(LoginThrottledError):
        accounts.login("alice", PASSWORD, client="203.0.113.7")
    # Another address is not locked, and the lock ends.
    assert accounts.login("alice", PASSWORD, client="198.51.100.1")
    clock.advance(seconds=30)
    assert accounts.login("alice", PASSWORD, client="203.0.113.7")


def test_lockouts_double_up_to_a_cap_and_old_failures_are_forgotten(engine: sa.Engine) -> None:
    clock = Clock()
    policy = ThrottlePolicy(free_failures=2, first_lockout=timedelta(minutes=20))
    accounts = AccountService(engine, clock=clock, hasher=FAST_HASHER, throttle_policy=policy)
    accounts.setup_admin("alice", PASSWORD)
    with pytest.raises(LoginFailedError):
        accounts.login("alice", "wrong", client="x")
    waits = []
    for _ in range(4):
        with pytest.raises(LoginFailedError):
            accounts.login("alice", "wrong", client="x")
        with pytest.raises(LoginThrottledError) as locked:
            accounts.login("alice", PASSWORD, client="x")
        waits.append(locked.value.retry_after_s)
        clock.advance(seconds=locked.value.retry_after_s)
    assert waits == [1200, 2400, 3600, 3600]
    clock.advance(hours=25)
    with pytest.raises(LoginFailedError):  # a day later the count starts again
        accounts.login("alice", "wrong", client="x")
    assert accounts.login("alice", PASSWORD, client="x")


def test_sessions_expire_when_idle_and_at_their_absolute_end(
    engine: sa.Engine, clock: Clock
) -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    accounts = AccountService(engine, clock=clock, hasher=FAST_HASHER, sessions=policy)
    accounts.setup_admin("alice", PASSWORD)
    idle = accounts.login("alice", PASSWORD, client="x").token
    clock.advance(minutes=31)
    assert accounts.session(idle) is None

    busy = accounts.login("alice", PASSWORD, client="x").token
    for _ in range(5):  # used every 20 minutes: alive until the absolute end
        clock.advance(minutes=20)
        assert accounts.session(busy) is not None
    clock.advance(minutes=20)  # 2 h after the login
    assert accounts.session(busy) is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 0


def test_a_new_password_ends_the_sessions(accounts: AccountService) -> None:
    accounts.setup_admin("alice", PASSWORD)
    token = accounts.login("alice", PASSWORD, client="x").token
    accounts.reset_password("alice", "another long password")
    assert accounts.session(token) is None
    with pytest.raises(LoginFailedError):
        accounts.login("alice", PASSWORD, client="x")
    assert accounts.login("alice", "another long password", client="x")
    with pytest.raises(AccountNotFoundError):
        accounts.reset_password("nobody", "another long password")


def test_api_tokens_are_shown_once_listed_by_prefix_and_revoked(
    accounts: AccountService, engine: sa.Engine, clock: Clock
) -> None:
    accounts.setup_admin("alice", PASSWORD)
    alice = accounts.login("alice", PASSWORD, client="x").principal
    created = accounts.create_token(alice, "  ERP   export ")
    assert created.token.startswith("bsk_")
    assert created.view.name == "ERP export"
    assert created.view.prefix == created.token[:12]
    assert created.token not in repr(created)
    with engine.connect() as conn:
        [stored] = conn.execute(sa.select(api_tokens.c.token_hash)).scalars()
    assert stored == hash_token(created.token)

    principal = accounts.authenticate_token(created.token)
    assert principal is not None
    assert (principal.user_id, principal.token_id) == (alice.user_id, created.view.id)
    assert principal.via_token
    [listed] = accounts.list_tokens(alice)
    assert listed.last_used_at == clock.now
    clock.advance(seconds=30)  # the last-used time is coarse: no write per request
    accounts.authenticate_token(created.token)
    assert accounts.list_tokens(alice)[0].last_used_at == clock.now - timedelta(seconds=30)

    revoked = accounts.revoke_token(alice, created.view.id)
    assert revoked.revoked_at == clock.now
    assert not revoked.is_active
    assert accounts.revoke_token(alice, created.view.id).revoked_at == clock.now
    assert accounts.authenticate_token(created.token) is None
    assert accounts.authenticate_token("bsk_unknown") is None
    assert accounts.authenticate_token("no prefix") is None


def test_tokens_belong_to_their_user(accounts: AccountService) -> None:
    accounts.setup_admin("alice", PASSWORD)
    alice = accounts.login("alice", PASSWORD, client="x").principal
    other = Principal(user_id=alice.user_id + 1, username="eve", is_admin=False)
    token = accounts.create_token(alice, "mine").view
    with pytest.raises(AccountNotFoundError):
        accounts.revoke_token(other, token.id)
    with pytest.raises(AccountNotFoundError):
        accounts.get_token(other, token.id)
    assert accounts.list_tokens(other) == []
    for bad in ("", "   ", "x" * 101, "nul\x00here", "bell\x07"):
        with pytest.raises(InputError):
            accounts.create_token(alice, bad)


def test_tokens_page_newest_first(accounts: AccountService) -> None:
    accounts.setup_admin("alice", PASSWORD)
    alice = accounts.login("alice", PASSWORD, client="x").principal
    ids = [accounts.create_token(alice, f"t{i}").view.id for i in range(5)]
    first = accounts.list_tokens(alice, limit=2)
    rest = accounts.list_tokens(alice, after_id=first[-1].id)
    assert [t.id for t in first + rest] == ids[::-1]


def test_a_store_session_sees_one_connection(accounts: AccountService, engine: sa.Engine) -> None:
    connection_id = add_connection(engine, "shop")
    opened = accounts.open_store_session(connection_id, store_user_id=42, email="m@example.com")
    principal = accounts.session(opened.token)
    assert principal is not None
    assert principal.connection_id == connection_id
    assert principal.username == "m@example.com"
    assert not principal.is_admin
    assert principal.may_see(connection_id)
    assert not principal.may_see(connection_id + 1)
    again = accounts.open_store_session(connection_id, store_user_id=42, email="m@example.com")
    assert again.principal.user_id == principal.user_id  # the same store user
    assert accounts.needs_setup()  # store users are not the hub's admin
    token = accounts.create_token(principal, "store script")
    assert token.view.connection_id == connection_id
    via_token = accounts.authenticate_token(token.token)
    assert via_token is not None
    assert via_token.connection_id == connection_id
    with pytest.raises(LoginFailedError):  # no password to log in with
        accounts.login("m@example.com", PASSWORD, client="x")
