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
    # PostgreSQL: write transactions one process runs at once (the others wait their turn)
    write_concurrency: int = 4
    # Secret for signed links (customer view, acknowledgements); generated per install.
    secret_key: SecretStr = SecretStr("")
    # Environment variables a tenant's configuration may read with ${NAME} (comma-separated
    # glob patterns, e.g. "SLACK_*,HOOK_*"); SLAGUARD_* settings are never readable.
    config_env: str = "*"
    # Where people reach this service: the base of acknowledgement links in notifications.
    public_url: str = "http://127.0.0.1:8000"
    # `POST /api/v1/automations/run` requires this in X-Slaguard-Cron-Secret (unset: off).
    cron_secret: SecretStr = SecretStr("")
    # The worker
    worker_batch: int = 200  # timers claimed per transaction
    worker_poll_seconds: float = 0.5  # the longest sleep without a wake-up
    delivery_concurrency: int = 64  # deliveries in flight per worker
    delivery_max_attempts: int = 8  # then the dead-letter list
    delivery_backoff_seconds: float = 5.0  # first retry delay; doubles, with jitter
    delivery_backoff_max_seconds: float = 3600.0
    delivery_timeout_seconds: float = 10.0
    # a claimed delivery whose worker died is sent again (same delivery id) after this
    delivery_lease_seconds: float = 60.0
    # E-mail (SMTP) for email channels and people
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "slaguard@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    # SMS through Twilio's HTTP API
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
