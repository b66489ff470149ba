"""A worker's liveness lock on a real PostgreSQL: held once however many jobs start at the same
moment, seen by other sessions, gone with its holder."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bigsync.store.db import create_engine_for
from bigsync.store.worker_lock import WorkerLiveness, is_worker_alive

pytestmark = pytest.mark.postgres


def test_jobs_starting_together_take_the_lock_once(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    liveness = WorkerLiveness(engine)
    try:
        assert not is_worker_alive(engine, 7)
        # A worker's first eight jobs all hold its lock at once: none may wait on another.
        together = threading.Barrier(8)

        def job_starts() -> None:
            together.wait(timeout=10)
            liveness.hold(7)

        with ThreadPoolExecutor(max_workers=8) as pool:
            for done in [pool.submit(job_starts) for _ in range(8)]:
                done.result(timeout=10)
        assert liveness.worker_id == 7
        assert is_worker_alive(engine, 7)
        assert is_worker_alive(engine, 7)  # asking does not take it away
        assert not is_worker_alive(engine, 8)
        liveness.release()
        assert not is_worker_alive(engine, 7)
    finally:
        liveness.release()
        engine.dispose()


def test_a_lock_held_elsewhere_is_refused_not_waited_for(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    first, second = WorkerLiveness(engine), WorkerLiveness(engine)
    try:
        first.hold(3)
        with pytest.raises(RuntimeError, match="worker 3"):
            second.hold(3)
        assert second.worker_id is None
    finally:
        first.release()
        engine.dispose()
