"""Settings: one typed object read from SLAGUARD_* environment variables (and .env)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLAGUARD_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./slaguard.db"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_json: bool = False
    # PostgreSQL connection pool (ignored on SQLite)
    pool_size: int = 10
    max_overflow: int = 20
    # Secret for signed links (customer view, acknowledgements); generated per install.
    secret_key: SecretStr = SecretStr("")


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
