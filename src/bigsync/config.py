"""Settings: the one reader of the environment (`BIGSYNC_*`) and `.env`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The per-user data directory: `$XDG_DATA_HOME/bigsync`, else `~/.local/share/bigsync`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bigsync"


class Settings(BaseSettings):
    """Everything bigsync reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="BIGSYNC_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: SecretStr | None = None
    api_url: str = "https://api.bigcommerce.com"
    log_level: str = "INFO"
    # Where BigCommerce reaches this hub (webhooks, app callbacks): `bigsync serve`.
    public_url: str | None = None

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bigsync.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
