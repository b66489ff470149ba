"""Settings: the one reader of the environment (`BIGSYNC_*`) and `.env`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # `text` (for people) or `json` (one JSON object per line, for log collectors).
    log_format: Literal["text", "json"] = "text"
    # A bearer token `/metrics` asks for (unset: /metrics answers only on the loopback).
    metrics_token: SecretStr | None = None
    # Where BigCommerce reaches this hub (webhook destinations, app callbacks); no trailing /.
    public_url: str | None = None
    # The one-click app: its credentials and BigCommerce's login host.
    app_client_id: str | None = None
    app_client_secret: SecretStr | None = None
    login_url: str = "https://login.bigcommerce.com"
    # Whether uninstalling the app erases the store's mirrored data (else it is kept).
    uninstall_erases_data: bool = False

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
