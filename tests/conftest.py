"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

import pytest

from tests import migration_template
from tests.leakscan import LeakRecorder, install

if TYPE_CHECKING:
    from sqlalchemy import Engine

# --- databases ------------------------------------------------------------------------------

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_base_url() -> str:
    return os.environ.get("BIGSYNC_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


@cache
def _postgres_unreachable_reason() -> str | None:
    """None when the test PostgreSQL answers, else why not (checked once per run)."""
    import sqlalchemy as sa

    from bigsync.store.db import create_engine_for

    engine = create_engine_for(_postgres_base_url())
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        return f"PostgreSQL unreachable at {engine.url.render_as_string()}: {error.orig}"
    finally:
        engine.dispose()
    return None


# Tables where a secret could land in plain text; read by the leak scan before the drop.
SECRET_BEARING_TABLES = ("connections", "connection_secrets", "audit_log")


@pytest.fixture(scope="session", autouse=True)
def _migration_template() -> Iterator[migration_template.MigrationTemplate]:
    """Migrations run once per backend in this process, then replay: migration_template.py."""
    with migration_template.installed(_postgres_base_url) as template:
        yield template


@pytest.fixture(autouse=True)
def _real_migrations(
    request: pytest.FixtureRequest, _migration_template: migration_template.MigrationTemplate
) -> None:
    """Tests marked `real_migrations` run Alembic's migrations themselves (all tests do with
    BIGSYNC_TEST_REAL_MIGRATIONS=1)."""
    _migration_template.enabled = (
        request.node.get_closest_marker("real_migrations") is None
        and os.environ.get("BIGSYNC_TEST_REAL_MIGRATIONS") != "1"
    )


@pytest.fixture
def postgres_url(leak_recorder: LeakRecorder) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test.

    Unreachable server: the test fails when CI=true, else it is skipped with the reason.
    """
    import sqlalchemy as sa

    from bigsync.store.db import create_engine_for

    reason = _postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(_postgres_base_url())
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    # A test needs no durable commits: not waiting for the disk on each one saves seconds.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = admin.url.update_query_dict({"options": options})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            existing = set(sa.inspect(connection).get_table_names(schema=schema))
            for table in SECRET_BEARING_TABLES if leak_recorder.secrets else ():
                if table in existing:
                    dump = f'SELECT t::text FROM "{schema}"."{table}" t'  # noqa: S608 -- our names
                    rows = connection.execute(sa.text(dump))
                    leak_recorder.record_output("database (postgres)", "\n".join(rows.scalars()))
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """A URL for a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{os.fspath(tmp_path)}/bigsync.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend: SQLite file, then PostgreSQL schema."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


# --- secret-leak scan -------------------------------------------------------------------------


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url` (each backend), migrated; disposed after the test."""
    from bigsync.store.db import create_engine_for, migrate

    engine = create_engine_for(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def leak_recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeakRecorder]:
    """Session-wide: no secret sealed during the run may appear in logs, CLI output,
    exception messages, recorded API responses, or the tests' database files.

    Web tests feed their responses with `leak_recorder.record_output("api", response.text)`.
    """
    recorder = LeakRecorder(db_dirs=[tmp_path_factory.getbasetemp()])
    with pytest.MonkeyPatch.context() as monkeypatch:
        uninstall = install(recorder, monkeypatch)
        try:
            yield recorder
        finally:
            uninstall()
    leaks = recorder.find_leaks()
    if leaks:
        pytest.fail("secrets leaked in plain text:\n  " + "\n  ".join(leaks), pytrace=False)


@pytest.fixture(autouse=True)
def _scan_for_leaks(leak_recorder: LeakRecorder) -> None:
    """Makes every test part of the leak scan."""
