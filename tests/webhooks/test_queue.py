"""The refresh queue and the hooks' life cycle against the live sandbox: rate budget,
restart, public URL change, feature off, disconnect."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bigsync.connections import ConnectionService
from bigsync.connections.model import ConnectionChanges
from bigsync.store import webhook_repository
from bigsync.store.db import create_engine_for
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.store.webhook_schema import webhook_events
from bigsync.webhooks.refresh import retry_delay, run_pending_refreshes
from bigsync.webhooks.signature import SECRET_HEADER
from bigsync.webhooks.subscriptions import disconnect, keep_connection_hooks, keep_hooks
from tests.webhooks.conftest import FAST, Live


def _ours(live: Live) -> list[str]:
    return sorted(
        h.scope for h in live.store.hooks.hooks.values() if h.destination == live.webhook_url
    )


async def test_refreshes_of_a_burst_stay_within_the_rate_budget(live: Live) -> None:
    live.runner.paused = True
    live.settle()
    live.control("PUT", f"/_sandbox/stores/{live.store.hash}/settings", json={"window_ms": 1000})
    live.control("PUT", f"/_sandbox/stores/{live.store.hash}/settings", json={"plan": "standard"})
    live.control("DELETE", "/_sandbox/stats")
    now = datetime.now(UTC)
    with UnitOfWork(live.engine).write() as conn:  # 400 orders (read one by one) long gone
        for record_id in range(900_001, 900_401):
            webhook_repository.request_refresh(
                conn, connection_id=live.connection.id, kind="order", record_id=record_id, now=now
            )
    report = await run_pending_refreshes(live.service, client_options=FAST, concurrency=16)
    assert report.removed == 400
    counts = live.control("GET", "/_sandbox/stats")["stores"][live.store.hash]
    assert counts["requests"] >= 400  # 150 per 1 s window: the governor paced them
    assert counts["throttled"] == 0


async def test_the_queue_survives_a_restart(live: Live) -> None:
    live.runner.paused = True
    live.settle()
    [product_id] = live.mutate("product", "update")
    live.drain()
    assert live.pending() == 1
    url = str(live.engine.url)
    live.engine.dispose()  # the process goes; a new one opens the same database
    fresh = create_engine_for(url)
    try:
        service = ConnectionService(fresh, live.service.vault, default_api_url=live.sandbox_url)
        report = await run_pending_refreshes(service, client_options=FAST)
        assert report.refreshed == 1
    finally:
        fresh.dispose()
    assert live.product_matches(product_id)


async def test_hooks_follow_the_public_url_and_the_features(live: Live) -> None:
    wanted = _ours(live)
    moved = "http://127.0.0.1:1/elsewhere"
    report = await keep_hooks(live.service, "shop", public_url=moved, client_options=FAST)
    assert sorted(report.updated) == wanted
    assert not report.created
    report = await keep_hooks(live.service, "shop", public_url=live.hub_url, client_options=FAST)
    assert sorted(report.updated) == wanted
    live.service.update("shop", ConnectionChanges(disable=["read_customers"]))
    report = await keep_hooks(live.service, "shop", public_url=live.hub_url, client_options=FAST)
    assert report.deleted == ("store/customer/*",)
    live.service.update("shop", ConnectionChanges(disable=["webhooks"]))
    report = await keep_hooks(live.service, "shop", public_url=live.hub_url, client_options=FAST)
    assert _ours(live) == []
    assert len(report.deleted) == len(wanted) - 1


async def test_disconnect_removes_the_hooks_then_the_connection(live: Live) -> None:
    secret = live.secret
    result = await disconnect(live.service, "shop", client_options=FAST)
    assert result.hooks_removed == 6
    assert result.hooks_error is None
    assert _ours(live) == []
    assert live.service.list() == []
    body = b'{"scope":"store/product/updated"}'
    assert live.deliver(body, {SECRET_HEADER: secret}) == 401


async def test_faults_during_refreshes_postpone_them_until_they_succeed(live: Live) -> None:
    """The store fails (errors, truncated bodies, dropped connections) while a refresh
    reads: the refresh stays queued with a delay and the reason, and a later run writes it."""
    live.runner.paused = True
    live.settle()
    [product_id] = live.mutate("product", "update")
    live.drain()
    assert not live.product_matches(product_id)
    offset = timedelta()  # the refresher's clock, moved past each retry delay

    def now() -> datetime:
        return datetime.now(UTC) + offset

    for attempt, kind in enumerate(("error", "truncate", "drop")):
        fault = live.control(
            "POST", "/_sandbox/faults", json={"kind": kind, "path": "/v3/catalog/products"}
        )
        report = await run_pending_refreshes(live.service, client_options=FAST, clock=now)
        live.control("DELETE", f"/_sandbox/faults/{fault['id']}")
        assert (report.failed, report.done) == (1, 0), kind
        with live.engine.connect() as conn:
            [held] = webhook_repository.due_refreshes(conn, now=now() + timedelta(1), limit=5)
        assert (held.attempts, bool(held.last_error)) == (attempt + 1, True)
        skipped = await run_pending_refreshes(live.service, client_options=FAST, clock=now)
        assert skipped.done == 0  # waiting out its delay
        assert not live.product_matches(product_id)
        offset += retry_delay(held.attempts) + timedelta(seconds=1)
    report = await run_pending_refreshes(live.service, client_options=FAST, clock=now)
    assert report.refreshed == 1
    assert live.pending() == 0
    assert live.product_matches(product_id)


def _start_hub(live: Live, *, paused: bool) -> tuple[subprocess.Popen[bytes], str]:
    data_dir = Path(str(live.engine.url.database)).parent
    url_file = data_dir / f"hub-{time.monotonic_ns()}.url"
    command = [sys.executable, "-m", "tests.webhooks.hub_process", str(data_dir), str(url_file)]
    process = subprocess.Popen([*command, *(["--paused"] if paused else [])])  # noqa: S603
    live.wait_for(lambda: url_file.exists() and bool(url_file.read_text()), timeout=60)
    return process, url_file.read_text()


async def test_refreshes_queued_by_a_killed_hub_run_after_its_restart(live: Live) -> None:
    live.runner.paused = True
    live.settle()
    first, url = _start_hub(live, paused=True)
    try:
        await keep_hooks(live.service, "shop", public_url=url, client_options=FAST)
        touched = {i for _ in range(3) for i in live.mutate("product", "update", count=5)}
        live.drain()
        assert live.pending() == len(touched)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second, url = _start_hub(live, paused=False)
    try:
        live.wait_for(lambda: live.pending() == 0, timeout=60)
        assert all(live.product_matches(i) for i in touched)
        await keep_hooks(live.service, "shop", public_url=url, client_options=FAST)
        [product_id] = live.mutate("product", "update")
        live.wait_for(lambda: live.product_matches(product_id))
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait()


async def test_upkeep_forgets_old_deliveries(live: Live) -> None:
    live.settle()
    live.mutate("product", "update")
    live.settle()
    assert live.events() >= 1
    with UnitOfWork(live.engine).write() as conn:  # as if they had come 4 days ago
        conn.execute(
            webhook_events.update().values(received_at=datetime.now(UTC) - timedelta(days=4))
        )
    await keep_connection_hooks(
        live.service, live.connection.id, public_url=live.hub_url, client_options=FAST
    )
    assert live.events() == 0
