"""The startup printout of `bigsync sandbox`, and `SandboxServer` serving from a thread."""

from __future__ import annotations

import httpx
import pytest
from rich.console import Console

from bigsync.sandbox.backend import BuildSpec, Sandbox
from bigsync.sandbox.server import (
    SandboxServer,
    SandboxServerError,
    build_launched,
    describe_stores,
)


def test_printout_names_every_account_and_summarises_broad_scope_sets(sandbox: Sandbox) -> None:
    console = Console(record=True, width=200)
    describe_stores(sandbox, "http://127.0.0.1:5780", console)
    text = console.export_text()
    for store in sandbox.stores.values():
        assert store.hash in text
        for account in store.accounts.values():
            assert account.access_token in text
    assert "every scope, modify" in text
    assert "every scope, read-only" in text
    assert "store_v2_products_read_only" in text  # the catalog-only account, listed in full
    assert "curl -H 'X-Auth-Token: " in text


def test_server_on_port_zero_reports_the_port_it_listens_on(sandbox: Sandbox) -> None:
    server = SandboxServer(sandbox)
    url = server.start()
    try:
        assert url == server.url
        assert not url.endswith(":0")
        stores = httpx.get(f"{url}/_sandbox/stores").json()["stores"]
        assert [s["hash"] for s in stores] == list(sandbox.stores)
    finally:
        server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sandbox/stores", timeout=2)


def test_server_as_a_context_manager_serves_the_store_api(sandbox: Sandbox) -> None:
    store = next(iter(sandbox.stores.values()))
    token = next(t for t, a in store.accounts.items() if a.name == "full")
    with SandboxServer(sandbox, latency_ms=1.0, webhook_timescale=0.5) as url:
        answer = httpx.get(f"{url}/stores/{store.hash}/v2/time", headers={"X-Auth-Token": token})
        assert answer.status_code == 200
    assert sandbox.latency_ms == 1.0
    assert sandbox.webhooks.settings.timescale == 0.5


def test_server_on_a_taken_port_fails_to_start(sandbox: Sandbox) -> None:
    with SandboxServer(sandbox) as url:
        taken = SandboxServer(sandbox, port=int(url.rsplit(":", 1)[1]))
        with pytest.raises(SandboxServerError, match="could not listen"):
            taken.start(timeout_s=10)


def test_stop_is_bounded_and_idempotent(sandbox: Sandbox) -> None:
    server = SandboxServer(sandbox)
    server.stop()  # never started: nothing to do
    server.start()
    server.stop(timeout_s=5)
    server.stop()


def test_the_launched_sandbox_takes_the_commands_settings() -> None:
    built = build_launched(
        BuildSpec(stores=2), latency_ms=3.0, webhook_timescale=0.01, inventory_delay_ms=750
    )
    assert built.latency_ms == 3.0
    assert built.webhooks.settings.timescale == 0.01
    assert {store.inventory_delay_ms for store in built.stores.values()} == {750}
