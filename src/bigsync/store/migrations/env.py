"""Alembic environment: runs on the connection `bigsync.store.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bigsync.config import get_settings
from bigsync.store.db import create_engine_for
from bigsync.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        url = get_settings().resolved_database_url
    engine = create_engine_for(url)
    try:
        with engine.begin() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


_run_online()
