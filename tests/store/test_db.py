from __future__ import annotations

import ast
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigsync.errors import ConfigError
from bigsync.store.connection_repository import AuditEntry, append_audit, list_audit
from bigsync.store.db import create_engine_for, json_dumps, migrate, normalize_url
from bigsync.store.schema import metadata
from bigsync.store.unit_of_work import UnitOfWork

# The migrations' own tests: Alembic runs them, never the suite's replay of them.
pytestmark = pytest.mark.real_migrations

OWN_TABLES = {"connections", "connection_secrets", "audit_log"}


def test_postgres_urls_use_psycopg3() -> None:
    for url in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"):
        assert normalize_url(url).drivername == "postgresql+psycopg"


def test_every_postgres_spelling_uses_psycopg3_and_other_databases_fail_clearly() -> None:
    for url in (
        "postgresql+psycopg2://u@h/db",
        "postgres+psycopg://u@h/db",
        "POSTGRESQL://u@h/db",
        "postgresql+asyncpg://u@h/db",
    ):
        assert normalize_url(url).drivername == "postgresql+psycopg"
    assert normalize_url("SQLITE:///x.db").drivername == "sqlite"
    for url in ("mysql://u:pw0secret@h/db", "postgresql//u:pw0secret@h/db", "nonsense"):
        with pytest.raises(ConfigError, match=r"SQLite or PostgreSQL|cannot be read") as caught:
            create_engine_for(url)
        assert "pw0secret" not in str(caught.value)


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_migrate_is_idempotent_and_matches_the_schema(database_url: str) -> None:
    engine = create_engine_for(database_url)
    migrate(engine)
    migrate(database_url)  # a second start finds nothing to do
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) >= OWN_TABLES
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version is not None
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    own_diff = [d for d in diff if _table_of(d) in OWN_TABLES]
    assert own_diff == []
    engine.dispose()


def _table_of(diff: object) -> str | None:
    """The table an autogenerate diff entry is about (modify_* entries come grouped in lists)."""
    entry = diff[0] if isinstance(diff, list) else diff
    assert isinstance(entry, tuple)
    for item in entry[1:]:
        if isinstance(item, sa.Table):
            return item.name
        table = getattr(item, "table", None)
        if isinstance(table, sa.Table):
            return table.name
    return entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None


def test_a_write_transaction_reads_and_writes_atomically_on_sqlite(sqlite_url: str) -> None:
    """`engine.begin()` holds the write lock from its first statement: another writer waits,
    so what the transaction read is still true when it writes (no lost update)."""
    engine = create_engine_for(sqlite_url)
    migrate(engine)
    other = create_engine_for(sqlite_url)
    entry = AuditEntry(actor="t", action="counted", outcome="ok")
    reading = threading.Event()
    done: list[int] = []

    def concurrent_writer() -> None:
        assert reading.wait(5)
        with other.begin() as conn:
            append_audit(conn, entry)
        done.append(1)

    thread = threading.Thread(target=concurrent_writer)
    thread.start()
    try:
        with engine.begin() as conn:
            before = len(list_audit(conn))
            reading.set()
            time.sleep(0.2)  # the other writer tries to commit meanwhile
            assert len(list_audit(conn)) == before
            assert done == []
            append_audit(conn, entry)
    finally:
        thread.join()
        other.dispose()
        engine.dispose()
    assert done == [1]


def test_unit_of_work_commits_a_write_and_rolls_back_a_failed_one(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/uow.db")
    migrate(engine)
    db = UnitOfWork(engine)
    entry = AuditEntry(actor="cli:test", action="created", outcome="ok")
    with db.write() as conn:
        append_audit(conn, entry)

    def failing_write() -> None:
        with db.write() as conn:
            append_audit(conn, entry)
            raise RuntimeError("the block failed")

    with pytest.raises(RuntimeError):
        failing_write()
    with db.read() as conn:
        assert len(list_audit(conn)) == 1
    engine.dispose()


def test_connections_and_vault_import_sqlalchemy_only_for_type_checking() -> None:
    root = Path(__file__).parents[2] / "src" / "bigsync"
    offenders = []
    for path in [*(root / "connections").rglob("*.py"), *(root / "vault").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: `if TYPE_CHECKING:` blocks are skipped
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in ("sqlalchemy", "alembic") for n in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_libpq_reads_every_setting_of_a_url_with_several_options(postgres_url: str) -> None:
    import psycopg

    from bigsync.store.db import libpq_conninfo

    conninfo = libpq_conninfo(postgres_url)  # search_path and synchronous_commit, one space
    assert "+" not in conninfo.split("?", 1)[1]
    with psycopg.connect(conninfo) as connection:
        path = connection.execute("SHOW search_path").fetchone()
        commit = connection.execute("SHOW synchronous_commit").fetchone()
    assert path is not None
    assert path[0].startswith("t_")
    assert commit == ("off",)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": [1, 2.5, None], "a": {"x": "é"}}, '{"b":[1,2.5,null],"a":{"x":"é"}}'),
        ({1: "one", "two": {2: True}}, '{"1":"one","two":{"2":true}}'),  # keys made strings
        ({"big": 2**70}, '{"big": 1180591620717411303424}'),  # beyond orjson: json
    ],
    ids=["string-keys", "other-keys", "big-integer"],
)
def test_json_columns_serialize_every_document(value: object, text: str) -> None:
    assert json_dumps(value) == text


def test_a_new_sqlite_file_has_16k_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    fresh = create_engine_for(f"sqlite:///{tmp_path / 'new.db'}")
    migrate(fresh)
    with fresh.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 16384
    fresh.dispose()
    old_file = tmp_path / "old.db"
    with sqlite3.connect(old_file) as made_before:  # a file an older bigsync created
        made_before.execute("CREATE TABLE t (x)")
    engine = create_engine_for(f"sqlite:///{old_file}")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
