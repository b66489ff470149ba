"""What every job function is given: the process's database, vault and settings.

A process builds one `JobContext` when it starts (`JobContext.open`) and hands it to every
job it runs: the embedded scheduler of `bigsync serve` does, and a procrastinate worker will
do the same, so the job functions stay plain functions of (context, connection id, data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bigsync.connections import ConnectionService
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bigsync.bigcommerce import ClientOptions
    from bigsync.config import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobContext:
    """The resources jobs share in one process."""

    engine: Engine
    vault: Vault
    settings: Settings
    client_options: ClientOptions | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def open(cls, settings: Settings, *, migrate_schema: bool = True) -> JobContext:
        """The context of `settings`: its database (migrated unless told not to) and vault.
        Raises `ConfigError` / `VaultKeyError` with a one-line reason."""
        engine = create_engine_for(settings.resolved_database_url)
        try:
            if migrate_schema:
                migrate(engine)
            vault = Vault.from_settings(settings)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine=engine, vault=vault, settings=settings)

    def connections(self, actor: str = "serve") -> ConnectionService:
        """The connection use-cases over this context's database and vault."""
        return ConnectionService(
            self.engine, self.vault, actor=actor, default_api_url=self.settings.api_url
        )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
