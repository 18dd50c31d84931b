"""What the senders need to know about the outside world: SMTP, Twilio, time limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slaguard.settings import Settings

__all__ = ["SenderSettings"]


@dataclass(frozen=True, slots=True)
class SenderSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "slaguard@localhost"
    smtp_starttls: bool = False  # upgrade a plain connection with STARTTLS (required then)
    smtp_ssl: bool = False  # TLS from the first byte (port 465); wins over smtp_starttls
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"
    timeout_seconds: float = 10.0  # one HTTP request or one whole SMTP conversation

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderSettings:
        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_username=settings.smtp_username,
            smtp_password=settings.smtp_password.get_secret_value(),
            smtp_from=settings.smtp_from,
            smtp_starttls=settings.smtp_starttls,
            smtp_ssl=settings.smtp_ssl,
            twilio_account_sid=settings.twilio_account_sid,
            twilio_auth_token=settings.twilio_auth_token.get_secret_value(),
            twilio_from=settings.twilio_from,
            twilio_base_url=settings.twilio_base_url,
            timeout_seconds=settings.delivery_timeout_seconds,
        )
