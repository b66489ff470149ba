"""The mirror's migration creates exactly the tables `store.mirror` declares."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigsync.store.db import alembic_config, create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.store.purge import load_all_tables, tables_owned_by_connection

# The migrations' own tests: Alembic runs them, never the suite's replay of them.
pytestmark = pytest.mark.real_migrations


def _bigsync_own(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
    """bigsync's objects: the job queue's tables (procrastinate's own schema, applied by
    0010_worker on PostgreSQL) are not declared by bigsync's models."""
    table = parents.get("table_name") if type_ != "table" else name
    return not (table or "").startswith("procrastinate_")


def test_migration_matches_the_models_and_downgrades(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _bigsync_own})
            assert compare_metadata(context, load_all_tables()) == []
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001_connections")
        names = set(sa.inspect(engine).get_table_names())
        assert names.isdisjoint(MIRROR_TABLES)
        assert "connections" in names
    finally:
        engine.dispose()


def test_every_mirror_table_is_purged_with_its_connection() -> None:
    owned = {table.name for table in tables_owned_by_connection()}
    assert set(MIRROR_TABLES) | {"sync_state", "sync_runs", "sync_locks"} <= owned


def test_the_orders_keyset_walk_has_its_covering_index(database_url: str) -> None:
    """0015_orders_keyset_index: `orders_after` reads (date_modified, id, date_created) in
    key order from one index; the index on date_modified alone is gone."""
    engine = create_engine_for(database_url)
    try:
        migrate(engine)
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("orders")}
        assert indexes["ix_orders_keyset"] == [
            "connection_id",
            "date_modified",
            "id",
            "date_created",
        ]
        assert "ix_orders_modified" not in indexes
    finally:
        engine.dispose()
