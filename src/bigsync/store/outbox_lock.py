"""One outbox dispatch per connection at a time; a dispatcher's death releases its lock.

On SQLite an exclusive `flock` on `<database file>.outbox-<connection id>.lock` (0600); on
PostgreSQL a session-level advisory lock on a connection of its own. The kernel or the server
releases either when the holder dies, so a dispatch after a kill -9 starts at once and finds
the intents the dead one left in `sending`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

import sqlalchemy as sa

from bigsync.errors import DispatchLockedError

_TRY_LOCK = sa.text(
    "SELECT pg_try_advisory_lock(hashtext('bigsync outbox ' || current_schema()), :connection)"
)
_UNLOCK = sa.text(
    "SELECT pg_advisory_unlock(hashtext('bigsync outbox ' || current_schema()), :connection)"
)
BUSY = "another dispatch of this connection is running; wait for it to finish"


@contextlib.contextmanager
def hold_dispatch_lock(engine: sa.Engine, *, connection_id: int) -> Iterator[None]:
    """Hold the dispatch of `connection_id` until the block ends; DispatchLockedError when
    another live process (or task) holds it."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, connection_id):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    path = f"{database}.outbox-{connection_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DispatchLockedError(BUSY) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory(engine: sa.Engine, connection_id: int) -> Iterator[None]:
    keys = {"connection": connection_id}
    conn = engine.connect()
    try:
        taken = bool(conn.execute(_TRY_LOCK, keys).scalar())
        conn.commit()
        if not taken:
            raise DispatchLockedError(BUSY)
        try:
            yield
        finally:
            conn.execute(_UNLOCK, keys)
            conn.commit()
    except BaseException:
        conn.invalidate()
        raise
    finally:
        conn.close()
