"""A fleet for worker-mode tests and the benchmark: sandbox stores on a real socket,
connections to them in a PostgreSQL schema, and `bigsync worker` subprocesses."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigsync.config import Settings
from bigsync.connections import NewConnection
from bigsync.connections.service import ConnectionService
from bigsync.sandbox.backend import Sandbox
from bigsync.store import connection_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.schema import connections
from bigsync.vault import Vault


def bigsync_script() -> str:
    return str(Path(sys.executable).with_name("bigsync"))


def wait_for(what: str, check: Callable[[], Any], *, deadline_s: float = 90.0) -> Any:
    """Poll `check` until it returns something truthy (bounded: fails with `what`)."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


@dataclass
class Fleet:
    """Connections to every store of `sandbox` (at `api_url`) in `database_url`, and the
    workers started on them."""

    root: Path
    database_url: str
    api_url: str
    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(
            data_dir=self.root / "data", database_url=self.database_url, api_url=self.api_url
        )

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIGSYNC_")}
        return env | {
            "BIGSYNC_DATA_DIR": str(self.root / "data"),
            "BIGSYNC_DATABASE_URL": self.database_url,
            "BIGSYNC_API_URL": self.api_url,
            "COLUMNS": "80",
        }

    def engine(self) -> sa.Engine:
        return create_engine_for(self.database_url)

    def connect_all(self, sandbox: Sandbox) -> dict[str, int]:
        """One tested connection per sandbox store; {store hash: connection id}."""
        engine = self.engine()
        migrate(engine)
        service = ConnectionService(
            engine, Vault.from_settings(self.settings), actor="test", default_api_url=self.api_url
        )
        ids: dict[str, int] = {}
        names = []
        for number, store in enumerate(sandbox.stores.values()):
            token = next(t for t, a in store.accounts.items() if a.name == "full")
            name = f"store {number:03d}"
            view = service.add(NewConnection(name=name, store=store.hash, access_token=token))
            ids[store.hash] = view.connection.id
            names.append(name)

        # One connection test (no latency); the others are the same kind of token on the
        # same kind of store, so they get its result (a test each would take minutes).
        latency, sandbox.latency_ms = sandbox.latency_ms, 0.0
        try:
            asyncio.run(service.test(names[0]))
        finally:
            sandbox.latency_ms = latency
        copy_test_result(engine, ids[next(iter(sandbox.stores))], list(ids.values())[1:])
        engine.dispose()
        return ids

    def start_worker(self, *args: str) -> subprocess.Popen[str]:
        log = self.root / f"worker-{len(self.processes)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(  # noqa: S603 -- our own script
                [bigsync_script(), "worker", *args], env=self.env, stdout=out,
                stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        self.processes.append(process)
        self.logs.append(log)
        return process

    def output(self, number: int) -> str:
        return self.logs[number].read_text()

    def terminate_all(self, *, timeout_s: float = 30.0) -> list[int | None]:
        """SIGTERM to every live worker, then wait: their exit codes."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=timeout_s))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(None)
        return codes

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


def copy_test_result(engine: sa.Engine, tested: int, others: list[int]) -> None:
    """Give `others` the features and test result of connection `tested`."""
    columns = ("features", "disabled_features", "last_test", "last_tested_at", "granted_scopes")
    with engine.begin() as conn:
        row = conn.execute(sa.select(*(connections.c[c] for c in columns)).where(
            connections.c.id == tested
        )).one()  # fmt: skip
        values = dict(zip(columns, row, strict=True))
        for connection_id in others:
            connection_repository.update_connection(conn, connection_id, **values)


def runs_from_logs(
    logs: list[Path], *, ended_at: dict[int, float]
) -> list[tuple[str, int, Any, Any]]:
    """(lock, job id, started, ended) of every job run, as the workers logged them (JSON
    lines; times of the workers' own clocks: this machine's). A run the log never ended is
    a run of a killed worker: it ended at its worker's death, `ended_at[log number]`."""
    runs: dict[tuple[int, float], tuple[str, Any]] = {}
    for number, log in enumerate(logs):
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            job, started = record.get("job") or {}, record.get("start_timestamp")
            if not job.get("lock") or started is None:
                continue
            key = (int(job["id"]), float(started))
            end = record.get("end_timestamp")
            if end is not None or key not in runs:
                runs[key] = (job["lock"], end if end is not None else ended_at.get(number))
    return [(lock, job_id, started, end) for (job_id, started), (lock, end) in runs.items()]


def overlaps(runs: list[tuple[str, int, Any, Any]]) -> list[tuple[Any, ...]]:
    """Pairs of runs with the same lock whose times overlap."""
    found = []
    by_lock: dict[str, list[tuple[str, int, Any, Any]]] = {}
    for run in runs:
        by_lock.setdefault(run[0], []).append(run)
    for each in by_lock.values():
        each.sort(key=lambda r: r[2])
        for before, after in itertools.pairwise(each):
            if before[3] is None or after[2] < before[3]:
                found.append((before, after))
    return found
