"""One HTTP POST to a receiver, and what its outcome means for a retry.

    2xx                                   delivered
    408, 425, 429, 5xx                    retry (Retry-After honoured on 429 and 503)
    timeouts, refused or lost connections retry
    anything else (3xx, other 4xx)        permanent: the same request would fail again

Redirects are not followed: a POST turned into a GET by a 301 would be reported as
delivered while nothing was. Messages name the receiver's host, never its full URL
(a Slack or Teams webhook URL is itself a secret).
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from slaguard.notify.errors import DeliveryFailed

__all__ = ["RETRYABLE_STATUSES", "channel_url", "parse_retry_after", "post"]

RETRYABLE_STATUSES = frozenset({408, 425, 429})  # and every 5xx
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_SNIPPET = 200  # characters of a failed response's body kept in the message


def channel_url(settings: Mapping[str, Any]) -> str:
    """The channel's `url`, refused (permanently) unless it is an http(s) URL with a host."""
    url = settings.get("url")
    if not isinstance(url, str) or not url.strip():
        raise DeliveryFailed("the channel has no url", permanent=True)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed("the channel's url is not an http(s) URL", permanent=True)
    return url.strip()


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    data: bytes | Mapping[str, str],
    headers: Mapping[str, str],
) -> None:
    """POST `data` (raw bytes as given, or a form) and return on a 2xx answer.

    Raises DeliveryFailed, retryable or permanent as the module docstring tables."""
    host = urlsplit(url).hostname or "the receiver"
    try:
        async with session.post(
            url, data=data, headers=dict(headers), allow_redirects=False
        ) as response:
            if 200 <= response.status < 300:
                return
            snippet = await _snippet(response)
            status = response.status
            retry_after = response.headers.get("Retry-After")
    except TimeoutError:
        raise DeliveryFailed(f"no answer from {host} in time", permanent=False) from None
    except aiohttp.InvalidURL as error:
        raise DeliveryFailed(f"invalid url: {error}", permanent=True) from None
    except aiohttp.ClientConnectorError as error:
        raise DeliveryFailed(f"cannot connect: {error}", permanent=False) from None
    except aiohttp.ClientError as error:
        reason = str(error) or type(error).__name__
        raise DeliveryFailed(f"request to {host} failed: {reason}", permanent=False) from None
    answer = f"HTTP {status} from {host}" + (f": {snippet}" if snippet else "")
    if status in RETRYABLE_STATUSES or status >= 500:
        wait = parse_retry_after(retry_after) if status in _RETRY_AFTER_STATUSES else None
        raise DeliveryFailed(answer, permanent=False, retry_after=wait)
    if 300 <= status < 400:
        answer += " (a redirect: point the channel at the final URL)"
    raise DeliveryFailed(answer, permanent=True)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


async def _snippet(response: aiohttp.ClientResponse) -> str:
    try:
        head = await response.content.read(_SNIPPET * 4)
    except (aiohttp.ClientError, TimeoutError):
        return ""
    text = " ".join(head.decode("utf-8", errors="replace").split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"
