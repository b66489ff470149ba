"""`bigsync demo`, `bigsync sync` and `bigsync status` as a user runs them (real sandbox over
a socket, a real SQLite file, the vault's key file in a temporary data directory)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bigsync.cli.main import app
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
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def live_sandbox() -> Iterator[SandboxServer]:
    spec = BuildSpec(seed=5, sizes=StoreSizes(products=12, orders=20, customers=8), plan="pro")
    server = SandboxServer(build_sandbox(spec))
    server.start()
    yield server
    server.stop()


def _flat(text: str) -> str:
    return " ".join(text.split())


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_demo_mirrors_a_sandbox_store_and_shows_what_to_explore(cli_env: Path) -> None:
    result = run("demo", "--products", "15", "--orders", "25", "--customers", "10", "--exit")
    assert result.exit_code == 0, result.output
    assert "Sync #1 (full): ok" in result.output
    assert "Explore the mirror" in result.output
    assert "Orders by status" in result.output
    # The demo has its own data directory and says where; the user's database is untouched.
    demo_dir = cli_env / "data" / "demo"
    assert f"own data directory {demo_dir}" in result.output
    assert (demo_dir / "bigsync.db").is_file()
    assert not (cli_env / "cli.db").exists()
    # The status command it prints works as printed, from where the user is.
    printed = [line.strip() for line in result.output.splitlines()]
    status_line = next(line for line in printed if line.endswith(" status demo"))
    assert f"BIGSYNC_DATA_DIR={demo_dir} " in status_line
    status = subprocess.run(  # noqa: S602 -- the line our own CLI printed
        f"{status_line} --json", shell=True, capture_output=True, text=True, timeout=60, check=False
    )
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["tables"]["products"] == 15
    assert report["tables"]["orders"] == 25
    assert report["tables"]["customers"] == 10
    assert report["runs"][0]["status"] == "ok"
    assert not report["running"]


@pytest.mark.usefixtures("cli_env")
def test_sync_and_status_of_a_connected_store(live_sandbox: SandboxServer) -> None:
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
    # The first sync of a connection is #1 and initial; what was read and what changed.
    assert "Sync #1 (initial): ok, " in synced.output
    found = re.findall(r"([\d,]+) records read, ([\d,]+) rows changed", _flat(synced.output))
    read, changed = (int(n.replace(",", "")) for n in found[0])
    assert read >= changed >= 20  # the 20 orders, at least, are new rows
    again = run("sync", "shop", "--streams", "orders")
    assert "Sync #2 (incremental): ok" in again.output
    assert "0 rows changed" in _flat(again.output)  # read again (the overlap), nothing new
    report = json.loads(run("status", "shop", "--json").output)
    assert report["tables"]["orders"] == 20
    assert report["tables"]["products"] == 0
    assert [r["mode"] for r in report["runs"]] == ["incremental", "initial"]  # newest first
    as_json = json.loads(run("sync", "shop", "--streams", "orders", "--json").output)
    assert (as_json["number"], as_json["mode"], as_json["changed"]) == (3, "incremental", 0)
    assert as_json["records"] >= as_json["changed"]
    report = json.loads(run("status", "shop", "--json").output)
    assert [r["number"] for r in report["runs"]] == [3, 2, 1]
    shown = run("status", "shop")
    assert "Mirrored rows" in shown.output
    assert "mirror rows" in shown.output  # per stream: rows in its table, not records read
    orders_line = next(line for line in shown.output.splitlines() if line.startswith("│ orders"))
    assert " 20 " in orders_line
    assert "sync #3 (incremental) ok: 0 rows changed" in _flat(shown.output)
    assert "sync #1 (initial) ok: " in _flat(shown.output)
    assert "variants: last read never; a products scan costs " in _flat(shown.output)


@pytest.mark.usefixtures("cli_env")
def test_sync_shows_the_transactions_window_and_its_cost(live_sandbox: SandboxServer) -> None:
    store = next(iter(live_sandbox.sandbox.stores.values()))
    token = next(a.access_token for a in store.accounts.values() if a.name == "full")
    connected = run(
        "connect", "shop", "--store", store.hash, "--token", token,
        "--api-url", live_sandbox.url, "--feature", "read_orders,read_transactions",
    )  # fmt: skip
    assert connected.exit_code == 0, connected.output
    first = run("sync", "shop", "--streams", "transactions", "--transactions-days", "30")
    assert first.exit_code == 0, first.output
    assert "orders created in the last 30 days, one request each" in first.output
    again = run("sync", "shop", "--streams", "transactions")
    assert "orders new or changed since the last sync, one request each" in again.output


@pytest.mark.usefixtures("cli_env")
def test_sync_refuses_unknown_streams() -> None:
    result = run("sync", "--streams", "orders,bogus")
    assert result.exit_code == 2
    assert "bogus" in result.output


CURL = re.compile(r"^curl -H 'X-Auth-Token: (\S+)' '(http://127\.0\.0\.1:\d+/\S+)'$")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(90, method="thread")
def test_demo_keeps_serving_until_ctrl_c(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BIGSYNC_DATA_DIR": str(tmp_path / "data"),
        "BIGSYNC_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db",
    }
    env.pop("BIGSYNC_SECRET_KEY", None)
    bigsync = Path(sys.executable).with_name("bigsync")
    command = [str(bigsync), "demo", "--products=6", "--orders=6", "--customers=4"]
    with subprocess.Popen(  # noqa: S603 -- our own CLI
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # Python turns SIGINT into KeyboardInterrupt only when it starts with SIGINT at its
        # default: undo a SIG_IGN inherited from a test runner started in the background.
        preexec_fn=_default_sigint,  # noqa: PLW1509 -- only resets one signal
    ) as process:
        try:
            assert process.stdout is not None
            printed: list[str] = []
            while not (match := CURL.match(printed[-1].strip() if printed else "")):
                line = process.stdout.readline()
                assert line, "the demo exited early:\n" + "".join(printed)
                printed.append(line)
            token, url = match.groups()
            response = httpx.get(url, headers={"X-Auth-Token": token}, timeout=30)
            process.send_signal(signal.SIGINT)
            rest, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    assert response.status_code == 200
    assert len(response.json()["data"]) == 3
    assert "Sync #1 (full): ok" in "".join(printed)
    assert process.returncode == 0, rest
    assert "Stopping the sandbox" in rest


def _connect(server: SandboxServer, account: str, *options: str) -> None:
    store = next(iter(server.sandbox.stores.values()))
    token = next(a.access_token for a in store.accounts.values() if a.name == account)
    connected = run(
        "connect", "shop", "--store", store.hash, "--token", token,
        "--api-url", server.url, *options,
    )  # fmt: skip
    assert connected.exit_code == 0, connected.output


def _stream_states(name: str) -> dict[str, dict[str, Any]]:
    report = json.loads(run("status", name, "--json").output)
    return {s["stream"]: s for s in report["streams"]}


@pytest.mark.usefixtures("cli_env")
def test_streams_of_features_the_test_disabled_are_skipped_with_the_reason(
    live_sandbox: SandboxServer,
) -> None:
    _connect(live_sandbox, "catalog-only", "-f", "read_catalog,read_orders,read_customers")
    synced = run("sync", "shop")
    assert synced.exit_code == 0, synced.output  # a warning, not a failure
    assert "Sync #1 (initial): warning" in synced.output
    states = _stream_states("shop")
    assert states["products"]["status"] == "ok"
    customers = states["customers"]
    assert customers["status"] == "skipped"
    assert customers["last_error"] == (
        "skipped: feature Read customers is disabled — missing scope: Customers: read-only; "
        "run `bigsync test shop` after fixing"
    )
    assert "feature Read orders is disabled" in states["orders"]["last_error"]
    # Inventory was not enabled: skipped, and no warning of its own.
    assert states["locations"]["last_error"] == (
        "skipped: feature Read inventory is not enabled on this connection"
    )
    run_row = json.loads(run("status", "shop", "--json").output)["runs"][0]
    assert run_row["status"] == "warning"
    assert "customers: skipped: feature Read customers is disabled" in run_row["error"]
    assert "locations" not in run_row["error"]
    assert "Read customers is disabled" in run("status", "shop").output


@pytest.mark.usefixtures("cli_env")
def test_a_403_during_the_sync_is_recorded_on_the_stream_as_a_warning(
    live_sandbox: SandboxServer,
) -> None:
    # Never tested: the connection claims read_orders, the token cannot read orders.
    _connect(live_sandbox, "catalog-only", "-f", "read_catalog,read_orders", "--no-test")
    synced = run("sync", "shop")
    assert synced.exit_code == 0, synced.output
    assert "Sync #1 (initial): warning" in synced.output
    states = _stream_states("shop")
    assert states["products"]["status"] == "ok"
    assert states["orders"]["status"] == "skipped"
    assert states["orders"]["last_error"] == (
        "the store refused /v2/orders (403): the token lacks a scope feature Read orders "
        "needs; run `bigsync test shop` after fixing"
    )
    run_row = json.loads(run("status", "shop", "--json").output)["runs"][0]
    assert run_row["status"] == "warning"


def test_the_demo_never_prints_a_database_password() -> None:
    from bigsync.cli.demo import how_to_open

    shown = how_to_open("postgresql+psycopg://bigsync:hunter2secret@db.internal:5432/mirror")
    assert "hunter2secret" not in shown
    assert "db.internal:5432/mirror" in shown
    assert how_to_open("sqlite:////var/lib/bigsync/bigsync.db").startswith(
        "sqlite3 /var/lib/bigsync/bigsync.db"
    )
