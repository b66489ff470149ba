"""The outbox a page at a time (newest first, by state or filter) and the audit log a page at
a time, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.errors import InputError
from bigsync.store import connection_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault
from bigsync.writeback import service as writeback
from bigsync.writeback.intents import IntentState
from bigsync.writeback.outbox import IntentNotFoundError, record_stock
from tests.databases import add_connection


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[ConnectionService]:
    engine = create_engine_for(database_url)
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    yield ConnectionService(engine, vault, actor="web:tester")
    engine.dispose()


def _record(service: ConnectionService, connection_id: int, variants: range) -> list[int]:
    with service.db.write() as conn:
        return [
            record_stock(
                conn,
                connection_id,
                product_id=1,
                variant_id=v,
                sku=f"SKU-{v}",
                location_id=1,
                quantity=v,
            )
            for v in variants
        ]


def _fail(service: ConnectionService, intent_id: int) -> None:
    from bigsync.store import outbox_repository as repo

    with service.db.write() as conn:
        repo.update_intent(conn, intent_id, state="failed", last_error="422: no such variant")


def test_pages_follow_each_other_newest_first_without_overlap(service: ConnectionService) -> None:
    shop = add_connection(service.engine, "shop")
    other = add_connection(service.engine, "other", store_hash="zzz999")
    ids = _record(service, shop, range(1, 8))
    _record(service, other, range(1, 3))
    seen: list[int] = []
    before = None
    pages = 0
    while True:
        page = writeback.outbox_page(service, "shop", before_id=before, limit=3)
        seen += [e.row.id for e in page.entries]
        pages += 1
        if page.next_before_id is None:
            break
        before = page.next_before_id
    assert seen == sorted(ids, reverse=True)
    assert pages == 3
    assert page.counts == {"pending": 7}
    assert page.entries[-1].what == "SKU-1 at location 1 = 1"


def test_a_full_last_page_says_there_is_no_next(service: ConnectionService) -> None:
    add_connection(service.engine, "shop")
    _record(service, 1, range(1, 5))
    page = writeback.outbox_page(service, "shop", limit=4)
    assert (len(page.entries), page.next_before_id) == (4, None)


def test_filters_name_groups_of_states(service: ConnectionService) -> None:
    shop = add_connection(service.engine, "shop")
    ids = _record(service, shop, range(1, 5))
    _fail(service, ids[1])
    writeback.drop_entry(service, "shop", ids[2])
    failed = writeback.outbox_page(service, "shop", states=writeback.outbox_states("failed"))
    assert [(e.row.id, e.can_retry, e.can_drop) for e in failed.entries] == [(ids[1], True, True)]
    done = writeback.outbox_page(service, "shop", states=writeback.outbox_states("done"))
    assert [(e.row.id, e.row.state, e.can_drop) for e in done.entries] == [
        (ids[2], "dropped", False)
    ]
    pending = writeback.outbox_page(service, "shop", states=writeback.outbox_states("Pending"))
    assert [e.row.id for e in pending.entries] == [ids[3], ids[0]]
    assert [e.can_drop for e in pending.entries] == [True, True]
    assert writeback.outbox_states("all") is None
    assert writeback.outbox_states("mismatched") == (IntentState.MISMATCHED,)
    with pytest.raises(InputError, match="valid: all, pending, failed, done, held, sending, sent"):
        writeback.outbox_states("broken")


def test_one_entry_of_this_connection_only(service: ConnectionService) -> None:
    add_connection(service.engine, "shop")
    other = add_connection(service.engine, "other", store_hash="zzz999")
    (theirs,) = _record(service, other, range(1, 2))
    (ours,) = _record(service, 1, range(1, 2))
    assert writeback.outbox_entry(service, "shop", ours).row.id == ours
    with pytest.raises(IntentNotFoundError):
        writeback.outbox_entry(service, "shop", theirs)


def test_audit_pages_for_one_connection_or_all(service: ConnectionService) -> None:
    shop = add_connection(service.engine, "shop")
    other = add_connection(service.engine, "other", store_hash="zzz999")
    with service.db.write() as conn:
        for n in range(5):
            for cid, name in ((shop, "shop"), (other, "other")):
                connection_repository.append_audit(
                    conn,
                    connection_repository.AuditEntry(
                        actor="web:tester",
                        action="test",
                        outcome="ok",
                        detail=f"{name} {n}",
                        connection_id=cid,
                        connection_name=name,
                    ),
                )
    first = service.audit("shop", limit=3)
    assert [e.detail for e in first] == ["shop 4", "shop 3", "shop 2"]
    rest = service.audit("shop", limit=3, before_id=first[-1].id)
    assert [e.detail for e in rest] == ["shop 1", "shop 0"]
    every = service.audit(limit=4, before_id=first[0].id)
    assert [e.detail for e in every] == ["other 3", "shop 3", "other 2", "shop 2"]
