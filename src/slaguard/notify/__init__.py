"""Notification senders: webhook, Slack, Teams, e-mail (SMTP) and SMS (Twilio).

The worker claims a delivery from the outbox and hands it to `Deliverer.deliver`, which
returns when the receiver accepted it and raises `DeliveryFailed` otherwise, saying
whether a retry can help (`permanent`) and when the receiver asked to be retried
(`retry_after`). Everything a notification says comes from its payload through
`slaguard.notify.render`; `docs/notifications.md` describes the wire formats.

    deliverer   Deliverer: the HTTP connection pool, dispatch by channel type
    webhook     canonical JSON, the X-Slaguard-* headers and the HMAC signature
    chat        Slack Block Kit messages and Teams MessageCards
    email       text + HTML messages over SMTP (aiosmtplib), Jinja2 templates
    sms         Twilio's Messages API
    transport   one HTTP POST and the retry classification of its outcome
    render      payload -> Notice and the one-line summary
"""

from slaguard.notify.deliverer import Deliverer
from slaguard.notify.errors import DeliveryFailed
from slaguard.notify.render import Notice, notice, render_text
from slaguard.notify.settings import SenderSettings
from slaguard.notify.webhook import sign

__all__ = [
    "Deliverer",
    "DeliveryFailed",
    "Notice",
    "SenderSettings",
    "notice",
    "render_text",
    "sign",
]
