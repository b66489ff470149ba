"""`bigsync demo`, `bigsync sync` and `bigsync status` as a user runs them (real sandbox over
a socket, a real SQLite file, the vault's key file in a temporary data directory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigsync.cli import app
from bigsync.config import get_settings
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sync.demo import BackgroundSandbox, free_port


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BIGSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGSYNC_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.delenv("BIGSYNC_SECRET_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def live_sandbox() -> Iterator[BackgroundSandbox]:
    spec = BuildSpec(seed=5, sizes=StoreSizes(products=12, orders=20, customers=8), plan="pro")
    server = BackgroundSandbox(build_sandbox(spec), free_port(0))
    server.start()
    yield server
    server.stop()


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.mark.usefixtures("cli_env")
def test_demo_mirrors_a_sandbox_store_and_shows_what_to_explore() -> None:
    result = run("demo", "--products", "15", "--orders", "25", "--customers", "10")
    assert result.exit_code == 0, result.output
    assert "Sync #1 (full): ok" in result.output
    assert "Explore the mirror" in result.output
    assert "Orders by status" in result.output
    status = run("status", "demo", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert report["tables"]["products"] == 15
    assert report["tables"]["orders"] == 25
    assert report["tables"]["customers"] == 10
    assert report["runs"][0]["status"] == "ok"
    assert not report["running"]


@pytest.mark.usefixtures("cli_env")
def test_sync_and_status_of_a_connected_store(live_sandbox: BackgroundSandbox) -> None:
    store = next(iter(live_sandbox.sandbox.stores.values()))
    token = next(a.access_token for a in store.accounts.values() if a.name == "full")
    connected = run(
        "connect", "shop", "--store", store.hash, "--token", token,
        "--api-url", live_sandbox.url, "--no-test",
    )  # fmt: skip
    assert connected.exit_code == 0, connected.output
    synced = run("sync", "shop", "--streams", "orders,customers")
    assert synced.exit_code == 0, synced.output
    assert "transactions" not in synced.output  # only the streams asked for (and their needs)
    again = run("sync", "shop", "--streams", "orders")
    assert "(incremental): ok" in again.output
    report = json.loads(run("status", "shop", "--json").output)
    assert report["tables"]["orders"] == 20
    assert report["tables"]["products"] == 0
    assert [r["mode"] for r in report["runs"]] == ["incremental", "incremental"]
    shown = run("status", "shop")
    assert "Mirrored rows" in shown.output


@pytest.mark.usefixtures("cli_env")
def test_sync_refuses_unknown_streams() -> None:
    result = run("sync", "--streams", "orders,bogus")
    assert result.exit_code == 2
    assert "bogus" in result.output
