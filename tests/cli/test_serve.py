"""`bigsync serve` as a real process against the sandbox on a real socket: a connection
added from the CLI while it runs is mirrored without any sync command; SIGTERM in the middle
of a sync stops it within the bound (SIGKILL at once), and a restart finishes the mirror;
readiness."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bigsync.sandbox import create_app
from bigsync.sandbox.backend import BuildSpec, StoreState
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer
from bigsync.store import mirror_repository, schedule_repository
from bigsync.store.db import create_engine_for, migrate
from tests.cli.serving import DEADLINE_S, Hub, free_port, runs, wait_for
from tests.sync.conftest import BASE_URL, Oracle, World, mirror_reader
from tests.sync.mirror_check import assert_mirror_matches

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240, method="thread")]


def _hub(
    tmp_path: Path, *, latency_ms: float, orders: int, database: str | None = None
) -> Iterator[Hub]:
    spec = BuildSpec(
        seed=23, sizes=StoreSizes(products=40, orders=orders, customers=30), plan="unlimited"
    )
    server = SandboxServer(build_sandbox(spec), latency_ms=latency_ms)
    server.start()
    hub = Hub(tmp_path, server, database)
    try:
        yield hub
    finally:
        hub.stop_all()
        server.stop()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    yield from _hub(tmp_path, latency_ms=0, orders=60)


@pytest.fixture
def any_hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    """A hub on SQLite, then on PostgreSQL."""
    yield from _hub(tmp_path, latency_ms=0, orders=60, database=database_url)


@pytest.fixture
def slow_hub(tmp_path: Path) -> Iterator[Hub]:
    # Every request takes 60 ms, and transactions cost one request per order: a first sync
    # lasts several seconds, long enough to be stopped in the middle.
    yield from _hub(tmp_path, latency_ms=60, orders=240)


def _store(hub: Hub) -> StoreState:
    return next(iter(hub.sandbox.sandbox.stores.values()))


def _connect(hub: Hub, name: str = "shop") -> int:
    store = _store(hub)
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    done = hub.cli("connect", name, "--store", store.hash, "--token", token, "--json")
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout + done.stderr
    return int(json.loads(done.stdout)["connection"]["id"])


async def _assert_mirror_equals_store(hub: Hub, connection_id: int) -> None:
    engine = hub.engine()
    sandbox = hub.sandbox.sandbox
    store = _store(hub)
    world = World(sandbox, create_app(sandbox), store, None, engine, connection_id)  # type: ignore[arg-type]
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    transport = httpx.ASGITransport(app=world.app)
    base = f"{BASE_URL}/stores/{store.hash}"
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url=base, headers={"X-Auth-Token": token}
        ) as http:
            await assert_mirror_matches(world, Oracle(http), mirror_reader(world))
    finally:
        engine.dispose()


def _finished_ok(hub: Hub, connection_id: int) -> list[dict[str, Any]]:
    engine = hub.engine()
    try:
        return [r for r in runs(engine, connection_id) if r["status"] == "ok"]
    finally:
        engine.dispose()


async def test_a_connection_added_while_serve_runs_is_mirrored_by_itself(any_hub: Hub) -> None:
    hub = any_hub
    serving = hub.serve()
    assert "scheduled:  0 connections" in serving.output()
    assert all(len(line) <= 80 for line in serving.output().splitlines() if "INFO" not in line)
    connection_id = _connect(hub)  # another process; no sync command anywhere
    [first] = wait_for("the initial sync", lambda: _finished_ok(hub, connection_id))
    assert first["mode"] == "initial"
    await _assert_mirror_equals_store(hub, connection_id)

    status = hub.cli("status", "shop", "--json")
    assert status.returncode == 0, status.stderr
    schedule = json.loads(status.stdout)["schedule"]
    assert schedule["jobs"]["sync"]["last_outcome"] == "ok"
    assert schedule["next_sync_at"] is not None
    assert schedule["sync_every_s"] == 900
    text = hub.cli("status", "shop")
    assert "schedule: every 15m (default); next sync in " in text.stdout
    assert "webhooks: no event received yet" in text.stdout
    ready = serving.get("/readyz")
    assert ready.status_code == 200, ready.text


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_stopped_mid_sync_then_restarted_ends_with_the_mirror_equal(
    slow_hub: Hub, stop: signal.Signals
) -> None:
    hub = slow_hub
    bound_s = 8.0
    serving = hub.serve("--shutdown-timeout", str(bound_s))
    connection_id = _connect(hub)
    engine = hub.engine()

    def committed_mid_run() -> bool:
        running = [r for r in runs(engine, connection_id) if r["status"] == "running"]
        with engine.connect() as conn:
            done = conn.exec_driver_sql(
                "SELECT count(*) FROM sync_state WHERE connection_id = ? AND status = 'ok'",
                (connection_id,),
            ).scalar()
        return bool(running) and bool(done)

    wait_for("a sync with committed pages", committed_mid_run)
    started = time.monotonic()
    serving.process.send_signal(stop)
    code = serving.process.wait(timeout=DEADLINE_S)
    took = time.monotonic() - started
    [run] = runs(engine, connection_id)
    with engine.connect() as conn:
        row = schedule_repository.load_schedule(conn, connection_id=connection_id)[
            (connection_id, "sync")
        ]
    if stop == signal.SIGTERM:
        assert code == 0, serving.output()
        assert took < bound_s, f"stopping took {took:.1f} s"
        assert run["status"] == "interrupted", run
        assert row.last_outcome == "interrupted"
        assert "Stopping: running syncs stop between pages" in serving.output()
    else:  # nothing could be written: the next start sees a run that never finished
        assert code == -signal.SIGKILL
        assert run["status"] == "running"
        assert row.last_outcome is None

    hub.sandbox.sandbox.latency_ms = 0  # the rest of the test at full speed
    hub.serve()  # the restart goes on at once (the lock died with the stopped process)
    wait_for("the resumed sync", lambda: _finished_ok(hub, connection_id))
    engine.dispose()
    await _assert_mirror_equals_store(hub, connection_id)


def test_readyz_is_503_when_the_schema_is_behind(hub: Hub) -> None:
    engine = create_engine_for(hub.database_url)
    migrate(engine, revision="0004")
    engine.dispose()
    serving = hub.serve("--no-migrate")
    ready = serving.get("/readyz")
    assert ready.status_code == 503
    assert "database schema at revision 0004" in ready.json()["reasons"][0]
    assert serving.get("/healthz").status_code == 200
    serving.process.send_signal(signal.SIGINT)
    assert serving.process.wait(timeout=DEADLINE_S) == 130


def test_a_port_in_use_is_one_line_with_the_reason(hub: Hub) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = hub.cli("serve", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: could not serve on 127.0.0.1:{port}: the port is in use or the address is "
        "not this machine's"
    )


def test_a_change_in_the_store_reaches_the_mirror_through_a_webhook(hub: Hub) -> None:
    port = free_port()
    hub.public_url = f"http://127.0.0.1:{port}"
    serving = hub.serve(port=port)
    store = _store(hub)
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    done = hub.cli(
        "connect", "shop", "--store", store.hash, "--token", token, "--enable", "webhooks"
    )
    assert done.returncode == 0, done.stderr
    wait_for("the initial sync", lambda: _finished_ok(hub, 1))
    wait_for(  # the upkeep job registers the hooks by itself
        "the hooks",
        lambda: any(h.destination.startswith(hub.public_url) for h in store.hooks.hooks.values()),
    )
    product_id = next(iter(store.catalog.products))
    answer = httpx.put(
        f"{hub.sandbox.url}/stores/{store.hash}/v3/catalog/products/{product_id}",
        json={"price": 123.45},
        headers={"X-Auth-Token": token},
    )
    assert answer.status_code == 200, answer.text
    engine = hub.engine()

    def price_mirrored() -> bool:
        with engine.connect() as conn:
            rows = mirror_repository.iter_rows(conn, "products", connection_id=1)
            return any(r["id"] == product_id and r["price"] == 123.45 for r in rows)

    try:
        wait_for("the webhook's refresh", price_mirrored)
    finally:
        engine.dispose()
    text = hub.cli("status", "shop").stdout
    assert "webhooks: no event received yet" not in text
    assert serving.get("/readyz").status_code == 200


def test_serve_serves_the_web_app_behind_a_login(hub: Hub) -> None:
    """The pages, the API and /static are served; only the login, the first-run setup and
    /static answer without a session or token; the printout says where to start."""
    serving = hub.serve()
    assert "first run:  open http://127.0.0.1:" in serving.output()
    assert "/setup to create the admin" in serving.output()
    login = serving.get("/login")
    assert (login.status_code, login.headers["location"]) == (303, "/setup")
    assert serving.get("/setup").status_code == 200
    assert serving.get("/static/app.css").status_code == 200
    api = serving.get("/api/v1/me")
    assert (api.status_code, api.headers["content-type"]) == (401, "application/problem+json")
    assert serving.get("/api/v1/openapi.json").status_code == 401
    tokens = serving.get("/settings/tokens")
    assert (tokens.status_code, tokens.headers["location"]) == (303, "/setup")
