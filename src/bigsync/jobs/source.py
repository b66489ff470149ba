"""Where the scheduler reads connections and keeps its state: the database (`ScheduleStore`
is what the scheduler needs; tests give it one in memory)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from bigsync.bigcommerce import store_key
from bigsync.jobs.model import ScheduledConnection
from bigsync.store import connection_repository, schedule_repository
from bigsync.store.schedule_repository import ScheduleRow

if TYPE_CHECKING:
    from sqlalchemy import Engine


class ScheduleStore(Protocol):
    """The scheduler's view of the database."""

    def signature(self) -> Hashable:
        """Changes whenever a connection is added, edited, tested or removed."""
        ...

    def connections(self) -> list[ScheduledConnection]:
        """Every active connection."""
        ...

    def load_state(self) -> dict[tuple[int, str], ScheduleRow]:
        """The saved state of every (connection id, job)."""
        ...

    def save_state(self, row: ScheduleRow) -> None:
        """Save the state of one (connection id, job)."""
        ...


def scheduled_connection(row: connection_repository.ConnectionRow) -> ScheduledConnection:
    """A connection row as the scheduler sees it: ready once its last test passed."""
    active = frozenset(f for f in row.features if f not in row.disabled_features)
    return ScheduledConnection(
        id=row.id,
        name=row.name,
        ready=bool(row.last_test and row.last_test.get("ok")),
        features=active,
        sync_every=timedelta(seconds=row.sync_every_s) if row.sync_every_s else None,
        version=row.updated_at,
        store=store_key(row.api_url, row.store_hash),
    )


def connection_store(engine: Engine, connection_id: int) -> str | None:
    """The store (`store_key`) of the active connection `connection_id`; None when it is gone."""
    with engine.connect() as conn:
        row = connection_repository.get_connection(conn, connection_id=connection_id)
    return store_key(row.api_url, row.store_hash) if row is not None else None


class DatabaseScheduleStore:
    """`ScheduleStore` over bigsync's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def signature(self) -> Hashable:
        with self.engine.connect() as conn:
            return schedule_repository.connections_signature(conn)

    def connections(self) -> list[ScheduledConnection]:
        with self.engine.connect() as conn:
            return [scheduled_connection(r) for r in connection_repository.list_connections(conn)]

    def load_state(self) -> dict[tuple[int, str], ScheduleRow]:
        with self.engine.connect() as conn:
            return schedule_repository.load_schedule(conn)

    def save_state(self, row: ScheduleRow) -> None:
        with self.engine.begin() as conn:
            schedule_repository.save_schedule(conn, row)
