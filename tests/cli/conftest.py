"""Fixtures for CLI tests: a temporary data directory and database, a sandbox on a socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bigsync.config import get_settings
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BIGSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGSYNC_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.delenv("BIGSYNC_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def live_sandbox() -> Iterator[SandboxServer]:
    spec = BuildSpec(seed=5, sizes=StoreSizes(products=12, orders=20, customers=8), plan="pro")
    server = SandboxServer(build_sandbox(spec))
    with server:
        yield server


def token_of(server: SandboxServer, account: str) -> tuple[str, str]:
    """(store hash, token) of `account` in the sandbox's first store."""
    store = next(iter(server.sandbox.stores.values()))
    token = next(a.access_token for a in store.accounts.values() if a.name == account)
    return store.hash, token
