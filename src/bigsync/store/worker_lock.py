"""Whether a worker of worker mode is alive, as the database server knows it: each worker
holds a session-level advisory lock keyed by its queue worker id, on a connection of its own,
for as long as it runs. The server releases it the moment the worker's process dies (SIGKILL,
a lost machine: its sessions end), so a worker whose heartbeat is late but which still
runs (a busy event loop) is never taken for dead."""

from __future__ import annotations

import threading

import sqlalchemy as sa

_TRY = sa.text("SELECT pg_try_advisory_lock(hashtext('bigsync worker ' || current_schema()), :id)")
_UNLOCK = sa.text("SELECT pg_advisory_unlock(hashtext('bigsync worker ' || current_schema()), :id)")


class WorkerLiveness:
    """The lock a running worker holds (`hold` once its queue worker id is known). Safe from
    any thread: a worker's first jobs call `hold` at the same moment."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.worker_id: int | None = None
        self._conn: sa.Connection | None = None
        self._mutex = threading.Lock()

    def hold(self, worker_id: int) -> None:
        """Hold the lock of `worker_id` until `release` (or the process's end)."""
        with self._mutex:
            if self.worker_id == worker_id:
                return
            self._release()
            conn = self.engine.connect()
            try:
                taken = bool(conn.execute(_TRY, {"id": worker_id}).scalar())
                conn.commit()
                if not taken:  # ids are unique in a schema: only a bug gets here
                    raise RuntimeError(f"another session holds the lock of worker {worker_id}")
            except BaseException:
                conn.close()
                raise
            self._conn, self.worker_id = conn, worker_id

    def release(self) -> None:
        with self._mutex:
            self._release()

    def _release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(_UNLOCK, {"id": self.worker_id})
            self._conn.commit()
        finally:
            self._conn.close()
            self._conn, self.worker_id = None, None


def is_worker_alive(engine: sa.Engine, worker_id: int) -> bool:
    """Whether a live process holds the lock of `worker_id` (False: it is gone)."""
    with engine.connect() as conn:
        taken = bool(conn.execute(_TRY, {"id": worker_id}).scalar())
        if taken:
            conn.execute(_UNLOCK, {"id": worker_id})
        conn.commit()
    return not taken
