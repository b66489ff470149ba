"""One sync per connection at a time, and a crash never locks the user out.

`hold_sync_lock` takes two locks for the duration of a sync:

- a lock the operating system or the database server releases when its holder dies: on SQLite
  an exclusive `flock` on `<database file>.sync-<connection id>.lock` (created 0600), on
  PostgreSQL a session-level advisory lock held on a connection of its own;
- the connection's lease row (`mirror_repository.try_acquire`, renewed with every page), which
  fences a holder that is alive but stuck: it cannot commit once its lease was taken over.

When the first lock is free, whoever wrote the lease row is dead, so the row is taken over at
once, however long its lease still runs. When the first lock is held, the sync is refused
unless the holder's lease has expired (alive but stuck); the refusal names the holder's
process, host, and since when it holds the lease.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bigsync.errors import SyncLockedError
from bigsync.store import mirror_repository as repo
from bigsync.store.mirror_schema import sync_locks

_TRY_ADVISORY_LOCK = sa.text(
    "SELECT pg_try_advisory_lock(hashtext('bigsync sync ' || current_schema()), :connection)"
)
_ADVISORY_UNLOCK = sa.text(
    "SELECT pg_advisory_unlock(hashtext('bigsync sync ' || current_schema()), :connection)"
)
"""Keys: the schema (several bigsync schemas may share a database) and the connection id."""


@contextlib.contextmanager
def hold_sync_lock(
    engine: sa.Engine, *, connection_id: int, owner: str, now: datetime, ttl: timedelta
) -> Iterator[None]:
    """Hold the sync of `connection_id` for `owner` until the block ends (then release both
    locks); raise `SyncLockedError` when a live process holds it."""
    with _process_lock(engine, connection_id) as holder_is_dead:
        with engine.begin() as conn:
            if holder_is_dead:
                _take_over(conn, connection_id=connection_id, owner=owner, now=now, ttl=ttl)
            elif not repo.try_acquire(
                conn, connection_id=connection_id, owner=owner, now=now, ttl=ttl
            ):
                raise SyncLockedError(_refusal(conn, connection_id))
        try:
            yield
        finally:
            with engine.begin() as conn:
                repo.release(conn, connection_id=connection_id, owner=owner)


def lock_file_path(database: str, connection_id: int) -> Path:
    """Where the OS lock of a connection's sync lives, beside the SQLite database file."""
    return Path(f"{database}.sync-{connection_id}.lock")


@contextlib.contextmanager
def _process_lock(engine: sa.Engine, connection_id: int) -> Iterator[bool]:
    """Yields whether the lock that dies with its holder was taken (False: held elsewhere)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, connection_id) as taken:
            yield taken
        return
    database = engine.url.database
    if not database or database == ":memory:":  # a database only this process can see
        yield True
        return
    with _file_lock(lock_file_path(database, connection_id)) as taken:
        yield taken


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_lock(engine: sa.Engine, connection_id: int) -> Iterator[bool]:
    keys = {"connection": connection_id}
    conn = engine.connect()
    try:
        taken = bool(conn.execute(_TRY_ADVISORY_LOCK, keys).scalar())
        conn.commit()  # a session lock outlives the transaction; nothing stays open
        try:
            yield taken
        finally:
            if taken:
                conn.execute(_ADVISORY_UNLOCK, keys)
                conn.commit()
    except BaseException:
        conn.invalidate()  # never hand a session that may still hold the lock to the pool
        raise
    finally:
        conn.close()


def _take_over(
    conn: sa.Connection, *, connection_id: int, owner: str, now: datetime, ttl: timedelta
) -> None:
    repo.try_acquire(conn, connection_id=connection_id, owner=owner, now=now, ttl=ttl)
    conn.execute(
        sync_locks.update()
        .where(sync_locks.c.connection_id == connection_id)
        .values(owner=owner, acquired_at=now, expires_at=now + ttl)
    )


def _refusal(conn: sa.Connection, connection_id: int) -> str:
    row = conn.execute(
        sa.select(sync_locks.c.owner, sync_locks.c.acquired_at).where(
            sync_locks.c.connection_id == connection_id
        )
    ).first()
    owner = row.owner if row else None
    since = row.acquired_at.isoformat(timespec="seconds") if row and row.acquired_at else "?"
    return f"another sync of this connection is running ({describe_owner(owner)}, since {since})"


def describe_owner(owner: str | None) -> str:
    """`host:pid:run` (the engine's owner names) as `process <pid> on <host>`."""
    parts = (owner or "").split(":")
    if len(parts) == 3 and parts[1].isdigit():
        return f"process {parts[1]} on {parts[0]}"
    return f"owner {owner}" if owner else "an unknown process"
