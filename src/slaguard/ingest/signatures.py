"""Proving that a webhook comes from the source it claims, before its body is read.

Each source signs (or authenticates) its requests in its own way; `verify_signature`
checks the request's headers against the raw body and the secret configured for the
source, and raises `WebhookAuthError` naming the header at fault (for the operator's
log: the API answers every refusal alike, see `slaguard.app.ingest`). Header names are
compared case-insensitively; every comparison of secrets is constant-time.

    zendesk    X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body))
               X-Zendesk-Webhook-Signature-Timestamp = the ISO-8601 signing time; a time
               more than 5 minutes away from `now` is refused as a possible replay.
               The secret is the webhook's signing secret shown in Zendesk Admin Center.
    jira       X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>, the secret given
               when the webhook was registered (Jira Cloud / Jira Service Management).
    freshdesk  Freshdesk does not sign its webhooks. Authenticate each one by a shared
               secret that the automation rule sends in a custom header,
               X-Slaguard-Secret: <secret> (add it under the webhook action's custom
               headers); slaguard compares it with the configured secret in constant
               time. Use HTTPS so the secret is not sent in the clear.
    generic    X-Slaguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>, the scheme
               slaguard uses for its own outgoing webhooks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from slaguard.ingest.errors import UnknownSourceError, WebhookAuthError, WebhookReplayError
from slaguard.ingest.model import SOURCES

__all__ = [
    "FRESHDESK_SECRET_HEADER",
    "GENERIC_SIGNATURE_HEADER",
    "JIRA_SIGNATURE_HEADER",
    "SIGNATURE_HEADERS",
    "ZENDESK_MAX_SKEW",
    "ZENDESK_SIGNATURE_HEADER",
    "ZENDESK_TIMESTAMP_HEADER",
    "header",
    "hub_signature",
    "verify_signature",
    "zendesk_signature",
]

ZENDESK_SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
ZENDESK_MAX_SKEW = timedelta(minutes=5)
JIRA_SIGNATURE_HEADER = "X-Hub-Signature"
FRESHDESK_SECRET_HEADER = "X-Slaguard-Secret"  # noqa: S105 (a header name, not a secret)
GENERIC_SIGNATURE_HEADER = "X-Slaguard-Signature"

# The header that carries each source's signature (or shared secret).
SIGNATURE_HEADERS = {
    "zendesk": ZENDESK_SIGNATURE_HEADER,
    "jira": JIRA_SIGNATURE_HEADER,
    "freshdesk": FRESHDESK_SECRET_HEADER,
    "generic": GENERIC_SIGNATURE_HEADER,
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name`, whatever the case of its name in `headers`."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _required(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if value is None or not value.strip():
        raise WebhookAuthError(name, "missing: the request is not signed")
    return value.strip()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hub_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, body)>` (Jira's X-Hub-Signature, slaguard's own)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk signs its webhooks."""
    digest = hmac.new(
        secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _verify_hub(headers: Mapping[str, str], body: bytes, secret: str, name: str) -> None:
    given = _required(headers, name)
    method, sep, digest = given.partition("=")
    if not sep or not digest.strip():
        raise WebhookAuthError(name, "expected sha256=<hex digest>")
    if method.strip().lower() != "sha256":
        raise WebhookAuthError(
            name, f"unsupported signature method {method.strip()!r} (expected sha256)"
        )
    expected = hub_signature(secret, body).removeprefix("sha256=")
    if not _same(expected, digest.strip().lower()):
        raise WebhookAuthError(name, "the signature does not match the body and the secret")


def _verify_zendesk(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> None:
    signature = _required(headers, ZENDESK_SIGNATURE_HEADER)
    stamp = _required(headers, ZENDESK_TIMESTAMP_HEADER)
    try:
        signed_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise WebhookAuthError(
            ZENDESK_TIMESTAMP_HEADER, f"expected an ISO-8601 time, got {stamp!r}"
        ) from None
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise WebhookAuthError(ZENDESK_TIMESTAMP_HEADER, f"{stamp!r} has no time zone offset")
    if not _same(zendesk_signature(secret, stamp, body), signature):
        raise WebhookAuthError(
            ZENDESK_SIGNATURE_HEADER,
            f"the signature does not match the body, the {ZENDESK_TIMESTAMP_HEADER} "
            "header and the secret",
        )
    skew = abs(now - signed_at)
    if skew > ZENDESK_MAX_SKEW:
        minutes = int(ZENDESK_MAX_SKEW.total_seconds() // 60)
        raise WebhookReplayError(
            ZENDESK_TIMESTAMP_HEADER,
            f"{stamp} is more than {minutes} minutes from now ({now.isoformat()}): "
            "refused as a possible replay",
        )


def _verify_shared_secret(headers: Mapping[str, str], secret: str) -> None:
    given = header(headers, FRESHDESK_SECRET_HEADER)
    if given is None or not given.strip():
        raise WebhookAuthError(
            FRESHDESK_SECRET_HEADER, "missing: Freshdesk requests must carry the shared secret"
        )
    # Compared as digests: equal lengths, so the time taken tells nothing of the secret's.
    if not _same(_digest(secret), _digest(given.strip())):
        raise WebhookAuthError(FRESHDESK_SECRET_HEADER, "does not match the configured secret")


def verify_signature(
    source: str, headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime
) -> None:
    """Accept the request or raise WebhookAuthError naming the header at fault
    (WebhookReplayError when the signature matches but was made too long ago).

    `body` is the raw request body, byte for byte as received; `now` (aware) bounds
    Zendesk's signing time. An empty `secret` is a configuration mistake (ValueError).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not secret:
        raise ValueError(f"no webhook secret configured for source {source!r}")
    if source == "zendesk":
        _verify_zendesk(headers, body, secret, now)
    elif source == "jira":
        _verify_hub(headers, body, secret, JIRA_SIGNATURE_HEADER)
    elif source == "freshdesk":
        _verify_shared_secret(headers, secret)
    elif source == "generic":
        _verify_hub(headers, body, secret, GENERIC_SIGNATURE_HEADER)
    else:
        raise UnknownSourceError(f"unknown webhook source {source!r} (known: {', '.join(SOURCES)})")
