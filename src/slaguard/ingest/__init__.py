"""Webhooks from other help desks -> slaguard ticket fields and event documents.

A pure mapping layer: the API layer authenticates a request with `verify_signature`,
maps its body with `parse_webhook`, then creates or updates the ticket from
`Ingested.ticket` and appends `Ingested.events` (each with an idempotency key in `id`,
so a redelivered webhook adds nothing).

Sources (`SOURCES`): `generic` (slaguard's own event documents), `zendesk`, `jira`
(Jira Cloud and Jira Service Management) and `freshdesk`. How each one is authenticated
is described in `slaguard.ingest.signatures`; how its payloads map, in the module of the
same name. Freshdesk does not sign its webhooks: its requests carry a per-source shared
secret in the `X-Slaguard-Secret` header, compared in constant time.

Vendor statuses map onto the support workflow's statuses (new, open, pending, on_hold,
solved, closed) and vendor priorities onto P1-P4.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slaguard.ingest import freshdesk, generic, jira, zendesk
from slaguard.ingest.errors import (
    UnknownSourceError,
    WebhookAuthError,
    WebhookJsonError,
    WebhookPayloadError,
    WebhookReplayError,
)
from slaguard.ingest.model import SOURCES, Ingested
from slaguard.ingest.reader import load_json
from slaguard.ingest.signatures import SIGNATURE_HEADERS, verify_signature
from slaguard.schemas.storable import check_storable

__all__ = [
    "SIGNATURE_HEADERS",
    "SOURCES",
    "Ingested",
    "UnknownSourceError",
    "WebhookAuthError",
    "WebhookJsonError",
    "WebhookPayloadError",
    "WebhookReplayError",
    "parse_webhook",
    "verify_signature",
]

_PARSERS: dict[str, Callable[[Any], Ingested]] = {
    "generic": generic.parse,
    "zendesk": zendesk.parse,
    "jira": jira.parse,
    "freshdesk": freshdesk.parse,
}


def parse_webhook(source: str, body: bytes) -> Ingested:
    """The ticket fields and events of one webhook body from `source`.

    Raises WebhookJsonError for a body that is not JSON (empty, malformed, not text),
    WebhookPayloadError naming the JSON field at fault (what no database column can hold:
    NUL characters, unpaired surrogates, infinite numbers, nesting deeper than the API
    allows; a wrong shape, a missing id, a bad time, an unknown status or priority), and
    UnknownSourceError for a source not in SOURCES.
    """
    parser = _PARSERS.get(source)
    if parser is None:
        raise UnknownSourceError(f"unknown webhook source {source!r} (known: {', '.join(SOURCES)})")
    data = load_json(body)
    # The checks the ticket API applies to its bodies, on the body as sent: a mapper
    # copies fields into tickets and events, and none of them may carry what no column
    # holds (PostgreSQL's text refuses NUL; no encoder takes a lone surrogate).
    check_storable(data, WebhookPayloadError.of)
    return parser(data)
