"""E-mail: a multipart/alternative message (text and HTML) sent through SMTP.

One SMTP conversation per delivery. The message carries `Message-ID:
<delivery id@slaguard>` and `X-Slaguard-Delivery`, so a retried delivery is recognisable
(and collapsible by mail clients) as the same message.

    SMTP 4xx, connection errors, timeouts, lost connections   retry
    SMTP 5xx (e.g. 550 recipient refused, 535 bad login)      permanent
    some recipients refused, others accepted                  permanent: a retry would
                                                              send it twice to the others
"""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Mapping
from email.message import EmailMessage
from functools import cache
from typing import Any

import aiosmtplib
import jinja2

from slaguard.notify.errors import DeliveryFailed
from slaguard.notify.recipients import recipients
from slaguard.notify.render import notice
from slaguard.notify.settings import SenderSettings

__all__ = ["EMAIL_MAX_ITEMS", "build_message", "send_email"]

EMAIL_MAX_ITEMS = 500  # digest items listed in one message
# Headers fold only past RFC 5322's hard limit: CPython's folder at 78 characters may
# move a whole Subject such as "Breach: ticket ..." onto a continuation line, which
# some parsers then read with a leading space.
_WIRE = email.policy.SMTP.clone(max_line_length=998)


def build_message(
    *, delivery_id: str, payload: Mapping[str, Any], sender: str, to: list[str]
) -> EmailMessage:
    note = notice(payload, max_items=EMAIL_MAX_ITEMS)
    templates = _templates()
    message = EmailMessage()
    try:
        message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = note.summary
        message["Date"] = email.utils.formatdate(usegmt=True)
        message["Message-ID"] = f"<{delivery_id}@slaguard>"
        message["X-Slaguard-Delivery"] = delivery_id
    except (TypeError, ValueError) as error:
        raise DeliveryFailed(f"cannot build the message headers: {error}", permanent=True) from None
    message.set_content(templates.get_template("email.txt").render(note=note))
    message.add_alternative(templates.get_template("email.html").render(note=note), subtype="html")
    return message


async def send_email(
    settings: SenderSettings,
    *,
    delivery_id: str,
    channel: Mapping[str, Any],
    payload: Mapping[str, Any],
) -> None:
    to = recipients(channel, what="addresses")
    message = build_message(
        delivery_id=delivery_id, payload=payload, sender=settings.smtp_from, to=to
    )
    try:
        refused, _ = await aiosmtplib.send(
            message.as_bytes(policy=_WIRE),
            sender=settings.smtp_from,
            recipients=to,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_ssl,
            start_tls=settings.smtp_starttls and not settings.smtp_ssl,
            timeout=settings.timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        answers = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
        retry = any(400 <= r.code < 500 for r in error.recipients)
        raise DeliveryFailed(f"SMTP refused {answers}", permanent=not retry) from None
    except aiosmtplib.SMTPResponseException as error:
        raise DeliveryFailed(
            f"SMTP {error.code} {error.message}", permanent=500 <= error.code < 600
        ) from None
    except aiosmtplib.SMTPNotSupported as error:
        raise DeliveryFailed(f"SMTP server: {error.message}", permanent=True) from None
    except (aiosmtplib.SMTPException, OSError) as error:
        reason = getattr(error, "message", None) or str(error) or type(error).__name__
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        raise DeliveryFailed(f"SMTP {where}: {reason}", permanent=False) from None
    if refused:
        answers = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in refused.items())
        raise DeliveryFailed(
            f"sent to {len(to) - len(refused)} of {len(to)} recipients; SMTP refused {answers}",
            permanent=True,
        )


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("slaguard.notify", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
