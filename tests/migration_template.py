"""Migrations once per test process: the first `migrate()` to head of an empty database on
each backend runs Alembic for real and keeps a dump of the result; every later one on an empty
database replays that dump (a few DDL statements) instead of the 14 migrations.

The dump is what the migrations built, so a test sees the same schema, rows and functions
either way; replaying it takes milliseconds instead of the 0.5–2 s Alembic spends building
every migration's DDL. Tests marked `real_migrations` (the migrations' own tests) always run
Alembic; so do processes a test starts (they never load this module). A database that is
not empty, or a revision other than head, goes through Alembic as usual.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from bigsync.store.db import create_engine_for, libpq_conninfo

Upgrade = Callable[..., None]


class MigrationTemplate:
    """The per-backend dumps of a freshly migrated database, made on first use."""

    def __init__(self, upgrade: Upgrade, postgres_admin_url: Callable[[], str]) -> None:
        self._upgrade = upgrade  # Alembic's own command.upgrade
        self._postgres_admin_url = postgres_admin_url
        self._dumps: dict[str, list[str] | None] = {}
        self.enabled = True

    def upgrade(self, config: Any, revision: str, **options: Any) -> None:
        """Alembic's `command.upgrade`, replaying the dump where it can."""
        connection: sa.Connection | None = config.attributes.get("connection")
        if (
            not self.enabled
            or options
            or revision != "head"
            or connection is None
            or not _is_empty(connection)
        ):
            self._upgrade(config, revision, **options)
            return
        statements = self._dump(connection.dialect.name, config)
        if statements is None:
            self._upgrade(config, revision, **options)
            return
        _replay(connection, statements)

    def _dump(self, dialect: str, config: Any) -> list[str] | None:
        if dialect not in self._dumps:
            maker = {"sqlite": self._sqlite_dump, "postgresql": self._postgres_dump}.get(dialect)
            self._dumps[dialect] = maker(config) if maker else None
        return self._dumps[dialect]

    def _migrate_for_real(self, url: str, config: Any) -> None:
        """Alembic's own upgrade to head of the database at `url`."""
        engine = create_engine_for(url)
        saved = config.attributes.get("connection")
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                self._upgrade(config, "head")
        finally:
            config.attributes["connection"] = saved
            engine.dispose()

    def _sqlite_dump(self, config: Any) -> list[str]:
        folder = Path(tempfile.mkdtemp(prefix="bigsync-template-"))
        try:
            self._migrate_for_real(f"sqlite:///{folder}/template.db", config)
            with sqlite3.connect(folder / "template.db") as raw:
                dump = list(raw.iterdump())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        skipped = ("BEGIN TRANSACTION", "COMMIT", 'DELETE FROM "sqlite_sequence"')
        return [
            s
            for s in dump
            if not s.startswith(skipped) and "sqlite_sequence" not in s.split("(", 1)[0]
        ]

    def _postgres_dump(self, config: Any) -> list[str] | None:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            return None
        schema = f"zz_template_{uuid.uuid4().hex[:12]}"
        admin = create_engine_for(self._postgres_admin_url())
        try:
            with admin.begin() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
            self._migrate_for_real(url.render_as_string(hide_password=False), config)
            libpq = libpq_conninfo(admin.url.render_as_string(hide_password=False))
            dump = subprocess.run(  # noqa: S603 -- our own arguments
                [pg_dump, "--schema", schema, "--inserts", "--no-owner", "--no-privileges",
                 "--dbname", libpq],
                check=True, capture_output=True, text=True, timeout=60,
            ).stdout  # fmt: skip
        finally:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
        return [_postgres_script(dump, schema)]


def _postgres_script(dump: str, schema: str) -> str:
    """The dump as one script for the current schema: no session settings (they would
    outlive the transaction on a pooled connection), no psql commands, no CREATE SCHEMA."""
    kept = []
    for line in dump.splitlines():
        if line.startswith(("\\", "SET ", "SELECT pg_catalog.set_config")):
            continue
        if line.startswith("CREATE SCHEMA"):
            continue
        kept.append(line)
    body = "\n".join(kept).replace(f"{schema}.", "__SCHEMA__.")
    return "SET LOCAL check_function_bodies = false;\n" + body


def _is_empty(connection: sa.Connection) -> bool:
    if connection.dialect.name == "sqlite":
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    else:
        query = (
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return connection.exec_driver_sql(query).scalar_one() == 0


def _replay(connection: sa.Connection, statements: list[str]) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "sqlite":
        cursor = driver.cursor()
        for statement in statements:
            cursor.execute(statement)
        return
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    for script in statements:
        driver.execute(script.replace("__SCHEMA__.", f'"{schema}".'))


@contextmanager
def installed(postgres_admin_url: Callable[[], str]) -> Iterator[MigrationTemplate]:
    """Alembic's upgrade replaced by the template's until the block ends."""
    template = MigrationTemplate(command.upgrade, postgres_admin_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(command, "upgrade", template.upgrade)
        yield template
