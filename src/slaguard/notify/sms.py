"""Text messages through Twilio's Messages API, one request per number.

A short text: the summary (for a digest, its items' summaries after it), cut to fit
SMS_MAX_CHARS with the acknowledgement link kept whole at the end.

Nothing is sent twice by a retry: a retryable failure is raised only while no number
has received the text yet. Once one has, the remaining numbers are still tried and any
failure among them is reported as permanent, naming the numbers that failed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from slaguard.notify.errors import DeliveryFailed
from slaguard.notify.recipients import recipients
from slaguard.notify.render import notice
from slaguard.notify.settings import SenderSettings
from slaguard.notify.transport import post

__all__ = ["PROVIDERS", "SMS_MAX_CHARS", "send_sms", "sms_text", "twilio_messages_url"]

SMS_MAX_CHARS = 320  # about two segments of a concatenated SMS
PROVIDERS = ("twilio",)
_CUT = "..."  # not "…", which is outside GSM-7 and would halve a segment


def sms_text(payload: Mapping[str, Any]) -> str:
    note = notice(payload)
    text = note.summary
    if note.items:
        text += ": " + "; ".join(item.summary for item in note.items)
    link = f" {note.ack_url}" if note.ack_url else ""
    if len(link) > SMS_MAX_CHARS // 2:
        link = ""  # a link that long would not survive being cut; the summary matters more
    room = SMS_MAX_CHARS - len(link)
    if len(text) > room:
        text = text[: room - len(_CUT)].rstrip() + _CUT
    return text + link


def twilio_messages_url(base_url: str, account_sid: str) -> str:
    sid = quote(account_sid, safe="")
    return f"{base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"


async def send_sms(
    session: aiohttp.ClientSession,
    settings: SenderSettings,
    *,
    channel: Mapping[str, Any],
    payload: Mapping[str, Any],
) -> None:
    provider = channel.get("provider") or "twilio"
    if provider not in PROVIDERS:
        raise DeliveryFailed(
            f"unknown sms provider {provider!r} (known: {', '.join(PROVIDERS)})", permanent=True
        )
    missing = [
        name
        for name, value in (
            ("SLAGUARD_TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("SLAGUARD_TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
            ("SLAGUARD_TWILIO_FROM", settings.twilio_from),
        )
        if not value
    ]
    if missing:
        raise DeliveryFailed(
            f"sms through Twilio is not configured: set {', '.join(missing)}", permanent=True
        )
    numbers = recipients(channel, what="phone numbers")
    url = twilio_messages_url(settings.twilio_base_url, settings.twilio_account_sid)
    credentials = f"{settings.twilio_account_sid}:{settings.twilio_auth_token}".encode()
    auth = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
    body = sms_text(payload)
    sent: list[str] = []
    failed: list[tuple[str, DeliveryFailed]] = []
    for number in numbers:
        form = {"To": number, "From": settings.twilio_from, "Body": body}
        try:
            await post(session, url, data=form, headers=auth)
        except DeliveryFailed as error:
            if not error.permanent and not sent:
                raise DeliveryFailed(
                    f"{number}: {error.message}", permanent=False, retry_after=error.retry_after
                ) from None
            failed.append((number, error))
        else:
            sent.append(number)
    if failed:
        detail = "; ".join(f"{number}: {error.message}" for number, error in failed)
        prefix = f"sent to {len(sent)} of {len(numbers)} numbers; " if sent else ""
        raise DeliveryFailed(prefix + detail, permanent=True)
