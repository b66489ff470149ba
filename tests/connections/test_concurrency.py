"""Connection use-cases racing other writers on one database: a sync, another add, an edit
made while a test runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.bigcommerce import StoreCredentials
from bigsync.connections import ConnectionChanges, ConnectionService, NewConnection
from bigsync.connections.check import ClientFactory, StoreApi
from bigsync.connections.service import CHANGED_DURING_TEST
from bigsync.errors import ConnectionExistsError
from bigsync.store.connection_repository import AuditEntry, append_audit, list_audit
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_repository import upsert
from bigsync.store.mirror_schema import brands
from bigsync.store.schema import connections
from bigsync.vault import Vault

TOKEN = "race0test0token000000000000wxyz"


def new(name: str) -> NewConnection:
    return NewConnection(name=name, store="abc123", access_token=TOKEN)


@pytest.fixture
def plain_service(database_url: str, vault: Vault) -> Iterator[ConnectionService]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield ConnectionService(engine, vault, actor="cli:tester")
    engine.dispose()


def _sync_pages(url: str, connection_id: int, *, pages: int, started: threading.Event) -> None:
    """What a sync does from its writer thread: one transaction per page of mirrored rows,
    each held open a while (its own engine, as another process would have)."""
    engine = create_engine_for(url)
    try:
        for page in range(pages):
            with engine.begin() as conn:
                rows = [{"id": page * 10 + i, "name": f"brand {i}", "raw": {}} for i in range(10)]
                upsert(conn, brands, rows, connection_id=connection_id, now=datetime.now(UTC))
                started.set()
                time.sleep(0.02)
    finally:
        engine.dispose()


def test_an_edit_waits_for_a_sync_writing_pages_instead_of_failing(
    sqlite_url: str, vault: Vault
) -> None:
    engine = create_engine_for(sqlite_url)
    migrate(engine)
    service = ConnectionService(engine, vault, actor="cli:tester")
    shop = service.add(new("shop")).connection
    started = threading.Event()
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            _sync_pages(sqlite_url, shop.id, pages=25, started=started)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    writer = threading.Thread(target=sync)
    writer.start()
    try:
        assert started.wait(5)
        for n in range(8):
            service.update("shop", ConnectionChanges(features=["read_catalog"] if n % 2 else []))
            time.sleep(0.005)
    finally:
        writer.join()
        engine.dispose()
    assert errors == []


def test_reads_stay_deferred_and_do_not_wait_for_a_writer(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    migrate(engine)
    other = create_engine_for(sqlite_url)
    try:
        with other.begin() as writing:
            append_audit(writing, AuditEntry(actor="sync", action="synced", outcome="ok"))
            began = time.monotonic()
            with engine.connect() as reading:
                assert list_audit(reading) == []
            assert time.monotonic() - began < 1
    finally:
        other.dispose()
        engine.dispose()


def _add(
    service: ConnectionService, name: str, start: threading.Barrier, outcomes: list[str]
) -> None:
    start.wait(5)
    try:
        service.add(new(name))
        outcomes.append("added")
    except ConnectionExistsError:
        outcomes.append("exists")


def test_simultaneous_adds_of_one_name_in_two_spellings_leave_one(
    plain_service: ConnectionService,
) -> None:
    for round_ in range(5):
        start = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=_add, args=(plain_service, name, start, outcomes))
            for name in (f"Shop{round_}", f"shop{round_}")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["added", "exists"]
    assert len(plain_service.list()) == 5


def _editing_factory(service: ConnectionService, edit: Callable[[], object]) -> ClientFactory:
    """The service's client factory, with `edit` run (another user's change) as the test
    starts talking to the store."""
    real = service.client_factory

    def factory(
        credentials: StoreCredentials, base_url: str
    ) -> AbstractAsyncContextManager[StoreApi]:
        edit()
        return real(credentials, base_url)

    return factory


async def test_a_result_is_not_saved_over_an_edit_made_while_the_test_ran(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    token = sandbox_store["by_name"]["catalog-only"]["access_token"]
    store = f"https://api.bigcommerce.com/stores/{sandbox_store['hash']}/v3/"
    service.add(NewConnection(name="shop", store=store, access_token=token))
    edits = ConnectionChanges(features=["read_catalog"])
    real_factory = service.client_factory
    service.client_factory = _editing_factory(service, lambda: service.update("shop", edits))
    report = await service.test("shop")
    assert CHANGED_DURING_TEST in report.notes
    view = service.get("shop")
    assert view.last_test is None
    assert view.disabled_features == {}
    assert view.features == ("read_catalog",)
    tested = service.audit("shop")[0]
    assert tested.action == "tested"
    assert "not saved" in tested.detail
    # Tested again, untouched, the result is saved.
    service.client_factory = real_factory
    again = await service.test("shop")
    assert CHANGED_DURING_TEST not in again.notes
    assert service.get("shop").last_test is not None


async def test_a_result_is_not_saved_for_a_connection_removed_while_the_test_ran(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    token = sandbox_store["by_name"]["full"]["access_token"]
    store = f"https://api.bigcommerce.com/stores/{sandbox_store['hash']}/v3/"
    service.add(NewConnection(name="shop", store=store, access_token=token))
    service.client_factory = _editing_factory(service, lambda: service.remove("shop"))
    report = await service.test("shop")
    assert CHANGED_DURING_TEST in report.notes
    with service.engine.connect() as conn:
        archived = conn.execute(sa.select(connections.c.last_test)).scalar_one()
    assert archived is None
