"""The one entry point of the senders: deliver one notification to one channel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import aiohttp

from slaguard import __version__
from slaguard.domain.escalation import ChannelType
from slaguard.notify.chat import slack_message, teams_card
from slaguard.notify.email import send_email
from slaguard.notify.errors import DeliveryFailed
from slaguard.notify.settings import SenderSettings
from slaguard.notify.sms import send_sms
from slaguard.notify.transport import channel_url
from slaguard.notify.webhook import post_json, send_webhook

__all__ = ["USER_AGENT", "Deliverer"]

USER_AGENT = f"slaguard/{__version__}"


class Deliverer:
    """Sends notifications; one per worker process, shared by its concurrent deliveries.

    Owns one HTTP connection pool (`connection_limit` connections in all), opened on the
    first delivery and released by `close()` or by leaving `async with`. Each HTTP
    request, and each SMTP conversation, is limited to `settings.timeout_seconds`.
    """

    def __init__(self, settings: SenderSettings, *, connection_limit: int = 100) -> None:
        self.settings = settings
        self._connection_limit = connection_limit
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def deliver(
        self,
        *,
        delivery_id: str,
        channel_type: str,
        settings: Mapping[str, Any],
        payload: Mapping[str, Any],
    ) -> None:
        """Send `payload` to the channel of `channel_type` configured by `settings`.

        Returns once the receiver accepted it; raises DeliveryFailed (permanent or not,
        see its docstring) otherwise."""
        try:
            kind = ChannelType(channel_type)
        except ValueError:
            raise DeliveryFailed(f"unknown channel type {channel_type!r}", permanent=True) from None
        match kind:
            case ChannelType.WEBHOOK:
                await send_webhook(
                    self._http(), delivery_id=delivery_id, settings=settings, payload=payload
                )
            case ChannelType.SLACK | ChannelType.TEAMS:
                if kind is ChannelType.SLACK:
                    body = slack_message(payload)
                else:
                    body = teams_card(payload, settings.get("format"))
                await post_json(
                    self._http(),
                    channel_url(settings),
                    json.dumps(body, separators=(",", ":")).encode("utf-8"),
                    delivery_id=delivery_id,
                    event=payload.get("kind"),
                    secret=settings.get("secret"),
                )
            case ChannelType.EMAIL:
                await send_email(
                    self.settings, delivery_id=delivery_id, channel=settings, payload=payload
                )
            case ChannelType.SMS:
                await send_sms(self._http(), self.settings, channel=settings, payload=payload)

    def _http(self) -> aiohttp.ClientSession:
        """The connection pool, opened on first use (inside the worker's event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_limit),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
                headers={"User-Agent": USER_AGENT},
            )
        return self._session
