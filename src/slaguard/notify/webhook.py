"""Slaguard's own webhooks: the payload as canonical JSON, signed with the channel's secret.

The body is `json.dumps(payload, separators=(",", ":"), sort_keys=True)` in UTF-8 (pure
ASCII: non-ASCII characters are \\u-escaped), and the signature is computed over exactly
those bytes:

    X-Slaguard-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>

A receiver recomputes it over the raw body it read, before parsing it, and compares in
constant time (`hmac.compare_digest`). The same headers go with Slack and Teams
messages, whose bodies are built in `slaguard.notify.chat`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from slaguard.notify.errors import DeliveryFailed
from slaguard.notify.transport import channel_url, post

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "canonical_json",
    "post_json",
    "send_webhook",
    "sign",
]

DELIVERY_HEADER = "X-Slaguard-Delivery"
EVENT_HEADER = "X-Slaguard-Event"
SIGNATURE_HEADER = "X-Slaguard-Signature"


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as error:
        raise DeliveryFailed(f"the payload is not JSON: {error}", permanent=True) from None
    return text.encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """The X-Slaguard-Signature value of `body`: `sha256=<hex HMAC-SHA256(secret, body)>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


async def send_webhook(
    session: aiohttp.ClientSession,
    *,
    delivery_id: str,
    settings: Mapping[str, Any],
    payload: Mapping[str, Any],
) -> None:
    await post_json(
        session,
        channel_url(settings),
        canonical_json(payload),
        delivery_id=delivery_id,
        event=payload.get("kind"),
        secret=settings.get("secret"),
    )


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    delivery_id: str,
    event: object,
    secret: object,
) -> None:
    """POST a JSON `body` with the delivery and event headers, signed when `secret` is set."""
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery_id}
    if isinstance(event, str) and event:
        headers[EVENT_HEADER] = event
    if secret is not None and secret != "":
        if not isinstance(secret, str):
            raise DeliveryFailed("the channel's secret is not a string", permanent=True)
        headers[SIGNATURE_HEADER] = sign(body, secret)
    await post(session, url, data=body, headers=headers)
