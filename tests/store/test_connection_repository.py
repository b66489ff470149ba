"""The connections repository on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bigsync.errors import ConnectionExistsError
from bigsync.store import connection_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.purge import delete_connection_data, tables_owned_by_connection
from bigsync.store.schema import audit_log, connection_secrets, connections, metadata


def add(conn: sa.Connection, name: str = "main", **kw: object) -> int:
    values: dict[str, object] = {
        "name": name,
        "name_key": name.casefold(),
        "kind": "api_account",
        "store_hash": "abc123",
        "api_url": "https://api.bigcommerce.com",
        "client_id": None,
        "granted_scopes": None,
        "features": ["read_catalog"],
        **kw,
    }
    return repo.insert_connection(conn, **values)  # type: ignore[arg-type]


def test_insert_get_list_update(engine: Engine) -> None:
    with engine.begin() as conn:
        first = add(conn, "zeta", granted_scopes=["store_v2_orders"])
        second = add(conn, "alpha")
    with engine.begin() as conn:
        row = repo.get_connection(conn, name="zeta")
        assert row is not None
        assert row.id == first
        assert row.granted_scopes == ("store_v2_orders",)
        assert row.features == ("read_catalog",)
        assert row.disabled_features == {}
        assert row.created_at.tzinfo is UTC
        assert [r.name for r in repo.list_connections(conn)] == ["alpha", "zeta"]
        repo.update_connection(
            conn, second, disabled_features={"read_orders": "missing scope"}, last_test={"ok": True}
        )
    with engine.connect() as conn:
        updated = repo.get_connection(conn, connection_id=second)
        assert updated is not None
        assert updated.disabled_features == {"read_orders": "missing scope"}
        assert updated.last_test == {"ok": True}
        assert updated.updated_at >= updated.created_at


def test_names_are_unique(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, "main")
    taken = pytest.raises(ConnectionExistsError, match="'main' already exists")
    with taken, engine.begin() as conn:
        add(conn, "main")


def test_secrets_replace_and_go_with_their_connection(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = add(conn)
        for nonce in (b"1" * 12, b"2" * 12):
            repo.put_secret(
                conn, cid, "access_token", key_id="k", nonce=nonce, ciphertext=b"c", last4="wxyz"
            )
        secrets = repo.get_secrets(conn, cid)
        assert list(secrets) == ["access_token"]
        assert secrets["access_token"].nonce == b"2" * 12
        assert "wxyz" not in repr(secrets["access_token"])
        repo.delete_connection(conn, cid)
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(connection_secrets)).scalar() == 0
        )


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        repo.put_secret(
            conn, 999, "access_token", key_id="k", nonce=b"n", ciphertext=b"c", last4="abcd"
        )


def test_replace_sealed_refuses_a_row_changed_since_it_was_read(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = add(conn)
        repo.put_secret(
            conn, cid, "access_token", key_id="old", nonce=b"a" * 12, ciphertext=b"c", last4="abcd"
        )
        read = repo.secrets_sealed_with(conn, ["old"], limit=10)[0]
        repo.put_secret(
            conn, cid, "access_token", key_id="old", nonce=b"b" * 12, ciphertext=b"d", last4="abcd"
        )
        assert not repo.replace_sealed(conn, read, key_id="new", nonce=b"x" * 12, ciphertext=b"e")
        assert repo.count_secrets_by_key(conn) == {"old": 1}


def test_audit_log_is_newest_first_and_survives_purge(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = add(conn)
        for action in ("created", "tested"):
            repo.append_audit(
                conn,
                repo.AuditEntry(
                    actor="cli:test",
                    action=action,
                    outcome="ok",
                    connection_id=cid,
                    connection_name="main",
                ),
            )
        repo.put_secret(
            conn, cid, "access_token", key_id="k", nonce=b"n" * 12, ciphertext=b"c", last4="abcd"
        )
        deleted = delete_connection_data(conn, cid)
        repo.delete_connection(conn, cid)
    assert deleted == {"connection_secrets": 1}
    with engine.connect() as conn:
        entries = repo.list_audit(conn, connection_id=cid)
    assert [e.action for e in entries] == ["tested", "created"]
    assert entries[0].at is not None
    assert entries[0].at <= datetime.now(UTC)


def test_purge_covers_every_table_with_a_connection_id_column(engine: Engine) -> None:
    owned = {t.name for t in tables_owned_by_connection()}
    assert "connection_secrets" in owned
    assert "audit_log" not in owned
    assert "connections" not in owned
    expected = {t.name for t in metadata.sorted_tables if "connection_id" in t.c} - {"audit_log"}
    assert owned == expected
    assert connections.name not in owned
    assert audit_log.info["survives_connection"] is True


def test_two_transactions_cannot_both_take_one_name_key(engine: Engine) -> None:
    first = engine.connect()
    transaction = first.begin()
    add(first, "Shop")
    outcome: list[BaseException | int] = []

    def other_add() -> None:
        try:
            with engine.begin() as conn:
                outcome.append(add(conn, "shop"))
        except ConnectionExistsError as error:
            outcome.append(error)

    thread = threading.Thread(target=other_add)
    thread.start()
    time.sleep(0.2)  # the other transaction waits for the first (lock or unique index)
    transaction.commit()
    first.close()
    thread.join()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionExistsError)
    with engine.connect() as conn:
        assert [r.name for r in repo.list_connections(conn)] == ["Shop"]


def test_migration_backfills_name_keys_and_renames_clashing_names(database_url: str) -> None:
    engine = create_engine_for(database_url)
    migrate(engine, revision="0002_mirror")
    now = datetime.now(UTC)
    old = sa.table(
        "connections",
        *(sa.column(c) for c in ("name", "kind", "store_hash", "api_url", "features")),
        sa.column("disabled_features"),
        sa.column("created_at", connections.c.created_at.type),
        sa.column("updated_at", connections.c.updated_at.type),
    )
    common = {"kind": "api_account", "store_hash": "abc123", "api_url": "https://x"}
    with engine.begin() as conn:
        for name in ("Café", "Cafe\u0301", "other", "shop~removed-9"):
            conn.execute(
                old.insert().values(
                    name=name,
                    features="[]",
                    disabled_features="{}",
                    created_at=now,
                    updated_at=now,
                    **common,
                )
            )
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(connections.c.name, connections.c.name_key)).all()
    engine.dispose()
    assert dict(rows) == {
        "Café": "café",
        "Cafe\u0301 (2)": "café (2)",
        "other": "other",
        "shop~removed-9": "shop~removed-9",
    }


def test_update_if_unchanged_loses_to_an_update_made_since_the_read(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = add(conn)
        read = repo.get_connection(conn, connection_id=cid)
        assert read is not None
        assert repo.update_connection_if_unchanged(conn, cid, read.updated_at, last_test={"n": 1})
        assert not repo.update_connection_if_unchanged(
            conn, cid, read.updated_at, last_test={"n": 2}
        )
        saved = repo.get_connection(conn, connection_id=cid)
        assert saved is not None
        assert saved.last_test == {"n": 1}
        repo.delete_connection(conn, cid)
        assert not repo.update_connection_if_unchanged(conn, cid, saved.updated_at, last_test={})
