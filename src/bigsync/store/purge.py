"""Deleting everything stored for one connection, generic over the schema.

Any table on `schema.metadata` with a `connection_id` column holds per-connection data
(secrets, mirrored records, checkpoints…), unless it sets `info={"survives_connection": True}`
as the audit log does. Tables added later are covered without changes here, as long as their
module is imported (see `TABLE_MODULES`).
"""

from __future__ import annotations

import importlib
import importlib.util

import sqlalchemy as sa

from bigsync.store.schema import connections, metadata

# Modules that define more tables on `metadata`; imported when present.
TABLE_MODULES = (
    "bigsync.store.mirror_schema",
    "bigsync.store.outbox_schema",
    "bigsync.store.schedule_schema",
    "bigsync.store.hub_schema",
    "bigsync.store.webhook_schema",
    "bigsync.store.accounts_schema",
)


def load_all_tables() -> sa.MetaData:
    """The shared metadata with every table module imported."""
    for name in TABLE_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return metadata


def tables_owned_by_connection() -> list[sa.Table]:
    """Tables whose rows belong to one connection, children before parents."""
    owned = [
        table
        for table in load_all_tables().sorted_tables
        if table is not connections
        and "connection_id" in table.c
        and not table.info.get("survives_connection")
    ]
    return list(reversed(owned))


def delete_connection_data(conn: sa.Connection, connection_id: int) -> dict[str, int]:
    """Delete every row any table holds for `connection_id`; returns counts per table."""
    deleted: dict[str, int] = {}
    for table in tables_owned_by_connection():
        count = conn.execute(table.delete().where(table.c.connection_id == connection_id)).rowcount
        if count:
            deleted[table.name] = count
    return deleted
