"""A `bigsync serve` subprocess against a sandbox on a real socket, and the CLI beside it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository
from bigsync.store.db import create_engine_for

DEADLINE_S = 90.0


def bigsync_script() -> str:
    return str(Path(sys.executable).with_name("bigsync"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], *, deadline_s: float = DEADLINE_S) -> Any:
    """Poll `check` until it returns something truthy (bounded: fails with `what`)."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class Hub:
    """The environment of a hub: data directory, database, the sandbox it talks to."""

    root: Path
    sandbox: SandboxServer
    database: str | None = None  # default: a SQLite file in `root`
    public_url: str = "https://hub.example.com"  # where the sandbox delivers webhooks
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.root}/hub.db"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIGSYNC_")}
        return env | {
            "BIGSYNC_DATA_DIR": str(self.root / "data"),
            "BIGSYNC_DATABASE_URL": self.database_url,
            "BIGSYNC_API_URL": self.sandbox.url,
            "BIGSYNC_PUBLIC_URL": self.public_url,
            "COLUMNS": "80",
        }

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 -- our own script
            [bigsync_script(), *args], env=self.env, input=input, capture_output=True,
            text=True, timeout=DEADLINE_S, check=False,
        )  # fmt: skip

    def serve(self, *args: str, port: int | None = None) -> Serving:
        port = port or free_port()
        log = (self.root / f"serve-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 -- our own script
            [bigsync_script(), "serve", "--port", str(port), *args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.processes.append(process)
        log.close()  # the child has its own descriptor
        serving = Serving(process, f"http://127.0.0.1:{port}", Path(log.name))
        wait_for("bigsync serve to answer", serving.answers)
        return serving

    def engine(self) -> sa.Engine:
        return create_engine_for(self.database_url)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=DEADLINE_S)


@dataclass
class Serving:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def answers(self) -> bool:
        assert self.process.poll() is None, f"bigsync serve exited:\n{self.log.read_text()}"
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def output(self) -> str:
        return self.log.read_text()


def runs(engine: sa.Engine, connection_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return mirror_repository.recent_runs(conn, connection_id=connection_id, limit=20)
