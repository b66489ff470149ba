"""The unit of work: how code outside `store/` opens a database transaction.

`read()` gives a connection for reads (on SQLite a deferred transaction); `write()` gives one
inside a write transaction (on SQLite `BEGIN IMMEDIATE`, see `store.db`) that commits when the
block ends and rolls back when it raises. The connection is handed to repository functions;
callers never run SQL on it themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


class UnitOfWork:
    """Transactions over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; nothing it does is committed."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection inside one write transaction, committed when the block ends."""
        with self.engine.begin() as conn:
            yield conn
