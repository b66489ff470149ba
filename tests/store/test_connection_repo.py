"""The connections repository on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bigsync.store import connection_repo as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.purge import delete_connection_data, tables_owned_by_connection
from bigsync.store.schema import audit_log, connection_secrets, connections, metadata


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def add(conn: sa.Connection, name: str = "main", **kw: object) -> int:
    values: dict[str, object] = {
        "name": name,
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
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
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
