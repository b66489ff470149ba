"""The sync lock: one live holder per connection; a dead holder's lease is taken over at once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigsync.errors import SyncLockedError
from bigsync.store import mirror_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.sync_lock import describe_owner, hold_sync_lock, lock_file_path
from tests.databases import add_connection

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TTL = timedelta(minutes=2)
LIVE = "host-a:4242:0123abcd"


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection_id(db: sa.Engine) -> int:
    return add_connection(db)


def lease_owner(db: sa.Engine, connection_id: int) -> str | None:
    with db.connect() as conn:
        return repo.current_lease(conn, connection_id=connection_id).owner


def test_a_live_holder_refuses_a_second_sync_naming_its_process(
    db: sa.Engine, connection_id: int
) -> None:
    with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
        with (
            pytest.raises(SyncLockedError) as refused,
            hold_sync_lock(
                db, connection_id=connection_id, owner="host-b:7:ffff0000", now=NOW, ttl=TTL
            ),
        ):
            pytest.fail("a second holder got the lock")
        assert lease_owner(db, connection_id) == LIVE
    message = str(refused.value)
    assert "process 4242 on host-a" in message
    assert "since 2026-01-01T00:00:00+00:00" in message
    assert lease_owner(db, connection_id) is None  # released on exit


def test_the_lease_of_a_dead_holder_is_taken_over_at_once(
    db: sa.Engine, connection_id: int
) -> None:
    with db.begin() as conn:  # a holder that died, its lease still running for an hour
        repo.try_acquire(
            conn, connection_id=connection_id, owner="gone:1:x", now=NOW, ttl=timedelta(hours=1)
        )
    with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
        assert lease_owner(db, connection_id) == LIVE
        with db.connect() as conn:
            assert repo.current_lease(conn, connection_id=connection_id).expires_at == NOW + TTL


def test_a_stuck_holder_whose_lease_expired_is_taken_over(
    db: sa.Engine, connection_id: int
) -> None:
    with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
        later = NOW + TTL + timedelta(seconds=1)
        with hold_sync_lock(db, connection_id=connection_id, owner="b:2:x", now=later, ttl=TTL):
            assert lease_owner(db, connection_id) == "b:2:x"
            with db.begin() as conn:  # the stuck holder is fenced: it cannot renew
                assert not repo.renew(
                    conn, connection_id=connection_id, owner=LIVE, now=later, ttl=TTL
                )


def test_locks_of_two_connections_are_independent(db: sa.Engine, connection_id: int) -> None:
    other = add_connection(db, "other", store_hash="def456")
    with (
        hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL),
        hold_sync_lock(db, connection_id=other, owner="b:2:x", now=NOW, ttl=TTL),
    ):
        assert lease_owner(db, other) == "b:2:x"


def test_the_sqlite_lock_file_is_private_and_beside_the_database(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = create_engine_for(sqlite_url)
    migrate(db)
    connection_id = add_connection(db)
    with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
        path = lock_file_path(str(db.url.database), connection_id)
        assert path == tmp_path / f"bigsync.db.sync-{connection_id}.lock"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db.dispose()


def test_owner_names_read_as_a_process() -> None:
    assert describe_owner("shop-1:99:abcdef12") == "process 99 on shop-1"
    assert describe_owner("someone") == "owner someone"
    assert describe_owner(None) == "an unknown process"


HOLDER = """
import os, sys, time
from datetime import UTC, datetime, timedelta
from bigsync.store.db import create_engine_for
from bigsync.store.sync_lock import hold_sync_lock

url, connection_id = sys.argv[1], int(sys.argv[2])
now = datetime.now(UTC)
with hold_sync_lock(create_engine_for(url), connection_id=connection_id,
                    owner=f"holder:{os.getpid()}:x", now=now, ttl=timedelta(hours=1)):
    print("held", flush=True)
    time.sleep(3600)
"""


def test_a_killed_holder_releases_the_lock_with_its_process(
    db: sa.Engine, connection_id: int
) -> None:
    url = db.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(  # noqa: S603 -- this interpreter, our own script
        [sys.executable, "-c", HOLDER, url, str(connection_id)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            with (
                pytest.raises(SyncLockedError, match=f"process {holder.pid} on holder"),
                hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL),
            ):
                pass
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=60)
    # Its lease runs for an hour, but the lock died with it: taken over at once (on
    # PostgreSQL, once the server has ended the dead client's session, which a loaded
    # machine may take a moment to do).
    _wait_for_session_end(db, connection_id)
    with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
        assert lease_owner(db, connection_id) == LIVE


def _wait_for_session_end(db: sa.Engine, connection_id: int, *, deadline_s: float = 30.0) -> None:
    """PostgreSQL ends a killed client's session (and frees its advisory locks) shortly
    after the kill: wait for that, within a deadline. SQLite's file lock dies with the
    process itself."""
    if db.dialect.name != "postgresql":
        return
    end = time.monotonic() + deadline_s
    while True:
        try:
            with hold_sync_lock(db, connection_id=connection_id, owner=LIVE, now=NOW, ttl=TTL):
                return
        except SyncLockedError:
            assert time.monotonic() < end, "the killed holder's session never ended"
            time.sleep(0.05)
