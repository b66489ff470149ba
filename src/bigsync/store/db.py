"""Engines and migrations: the one place that knows SQLite from PostgreSQL.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, so a
web process, a sync and the CLI can share one file. bigsync, not the driver, starts SQLite
transactions: `engine.begin()` (and any explicit `Connection.begin()`) opens a write
transaction with `BEGIN IMMEDIATE`, which waits for the write lock up front within the busy
timeout; a transaction auto-begun by a statement run on `engine.connect()` is a deferred read.
A deferred transaction that later writes could fail at once with "database is locked" (SQLite
cannot wait when a reader must become a writer), so every write goes through `engine.begin()`.

PostgreSQL is reached through psycopg 3 (`postgresql+psycopg://`); plain `postgresql://`,
`postgres://` and other drivers' URLs are accepted too.
"""

from __future__ import annotations

import functools
import json
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url

from bigsync.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_PAGE_SIZE = 16384
"""Bytes per page of a new SQLite file: a mirrored order's row (its `raw` document, 2-4 KB)
fills a default 4 KB page alone; at 16 KB a full sync writes 15% fewer bytes, in a quarter of
the pages, for a sixth less of the writer's CPU."""
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SUPPORTED_URLS = "sqlite:///path/to/bigsync.db or postgresql://user:password@host:5432/database"


def normalize_url(url: str) -> sa.URL:
    """`url` as a SQLAlchemy URL; every PostgreSQL spelling (`postgres://`, `postgresql://`,
    any `+driver`, any case) is pointed at psycopg 3, the driver bigsync ships with. Anything
    but SQLite and PostgreSQL is a `ConfigError` (whose message never repeats the URL: it may
    hold a password)."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigError(f"the database URL cannot be read; expected {SUPPORTED_URLS}") from None
    backend, _, driver = parsed.drivername.lower().partition("+")
    if backend in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername=f"sqlite+{driver}" if driver else "sqlite")
    raise ConfigError(f"bigsync stores its data in SQLite or PostgreSQL: {SUPPORTED_URLS}")


def json_dumps(value: Any) -> str:
    """JSON columns' serializer: orjson (several times faster than `json`), with
    `OPT_NON_STR_KEYS` only for a document that needs it (the option halves orjson's speed,
    and API documents only have string keys), `json` for what orjson refuses (integers
    beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        pass
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def json_loads(text: str | bytes) -> Any:
    """JSON columns' deserializer: orjson, `json` for what orjson refuses (NaN, Infinity)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine_for(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url` (SQLite file or PostgreSQL), configured the way bigsync needs it."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return sa.create_engine(
        parsed,
        echo=echo,
        pool_pre_ping=True,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )


def prepare_private_file(path: Path) -> None:
    """Create `path` (and any missing parent folders) for this user alone: new folders 0700,
    the file 0600 whatever the umask; an existing file of bigsync's that others can read is
    narrowed to 0600. The mirror holds customer data, and SQLite gives its `-wal` and `-shm`
    files the database file's mode."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # exactly 0700, whatever the umask took away
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _sqlite_engine(url: sa.URL, *, echo: bool) -> Engine:
    database = url.database
    in_memory = not database or database == ":memory:" or "mode=memory" in str(url)
    if database and not in_memory:
        prepare_private_file(Path(database))
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Only a new, empty file takes it (before WAL mode; an existing file keeps its size).
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    if url.get_driver_name() == "pysqlite":
        _begin_transactions_ourselves(engine)
    return engine


def _begin_transactions_ourselves(engine: Engine) -> None:
    """Replace pysqlite's own BEGIN (deferred, and only before a write) with ours: IMMEDIATE
    for explicit begins, deferred for a transaction that `Connection.execute` auto-begins.
    (`exec_driver_sql` bypasses the hook, so a transaction it auto-begins is IMMEDIATE.)"""
    auto_begun: weakref.WeakSet[sa.Connection] = weakref.WeakSet()

    @sa.event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "before_execute")
    def _note_auto_begin(conn: sa.Connection, *_args: Any) -> None:
        if not conn.in_transaction():
            auto_begun.add(conn)

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        reading = conn in auto_begun
        auto_begun.discard(conn)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def alembic_config() -> Config:
    """The Alembic configuration, built in code (bigsync ships no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


# Keyed by the schema, like bigsync's other advisory locks: installs in two schemas of one
# database migrate independently.
_MIGRATION_LOCK = sa.text(
    "SELECT pg_advisory_xact_lock(hashtext('bigsync migrate ' || current_schema()))"
)


def migrate(engine_or_url: Engine | str, *, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: the newest); safe to call on every start,
    from many processes at once (on PostgreSQL they take turns on an advisory lock, so several
    workers starting together migrate once)."""
    engine = create_engine_for(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(_MIGRATION_LOCK)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


@dataclass(frozen=True)
class SchemaState:
    """Whether the database answers, and its schema revisions against this bigsync's."""

    reachable: bool
    current: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    error: str | None = None  # why the database cannot be reached (no URL, no password)
    unknown: tuple[str, ...] = ()  # revisions in the database this bigsync does not know

    @property
    def is_newer(self) -> bool:
        """Whether a newer bigsync migrated the database past this one's revisions."""
        return bool(self.unknown)

    @property
    def is_current(self) -> bool:
        """Whether the database is at this bigsync's newest revision."""
        return self.reachable and self.current == self.heads


@functools.cache
def shipped_revisions() -> tuple[tuple[str, ...], frozenset[str]]:
    """This bigsync's migration heads and every revision it knows (its migration scripts,
    read once per process: they do not change while it runs)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 -- rarely needed

    scripts = ScriptDirectory.from_config(alembic_config())
    known = frozenset(script.revision for script in scripts.walk_revisions())
    return tuple(sorted(scripts.get_heads())), known


def schema_state(engine: Engine) -> SchemaState:
    """Ask the database for its schema revision (one short read)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 -- rarely needed

    heads, known = shipped_revisions()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except sa.exc.DBAPIError as error:
        reason = type(error.orig).__name__ if error.orig is not None else type(error).__name__
        return SchemaState(reachable=False, heads=heads, error=f"database unreachable ({reason})")
    unknown = tuple(sorted(set(current) - known))
    return SchemaState(reachable=True, current=tuple(sorted(current)), heads=heads, unknown=unknown)


def libpq_conninfo(url: str) -> str:
    """The PostgreSQL URL of `url` as libpq (and so psycopg and procrastinate) reads it:
    `postgresql://user:password@host:port/database?options=...`, no SQLAlchemy driver.
    A `ConfigError` for a URL that is not PostgreSQL's."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            "worker mode needs a PostgreSQL database: set BIGSYNC_DATABASE_URL to "
            "postgresql://user:password@host:5432/database"
        )
    # libpq reads `+` in a URI literally: the query is encoded with %20 for spaces (an
    # `options` of several `-c` settings), not as SQLAlchemy renders it.
    base = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    if not parsed.query:
        return base
    pairs = [
        (key, value)
        for key, values in parsed.query.items()
        for value in ((values,) if isinstance(values, str) else values)
    ]
    return f"{base}?{urlencode(pairs, quote_via=quote)}"


def describe_database(engine: Engine) -> str:
    """The database's URL as it may be shown: the password hidden."""
    return engine.url.render_as_string(hide_password=True)
