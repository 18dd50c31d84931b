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
from slaguard.ingest.errors import UnknownSourceError, WebhookAuthError, WebhookPayloadError
from slaguard.ingest.model import SOURCES, Ingested
from slaguard.ingest.reader import load_json, storable
from slaguard.ingest.signatures import verify_signature

__all__ = [
    "SOURCES",
    "Ingested",
    "UnknownSourceError",
    "WebhookAuthError",
    "WebhookPayloadError",
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

    Raises WebhookPayloadError naming the JSON field at fault (malformed JSON, a wrong
    shape, a missing or unusable id, a bad time, an unknown status or priority, text no
    database column can hold), and UnknownSourceError for a source not in SOURCES.
    """
    parser = _PARSERS.get(source)
    if parser is None:
        raise UnknownSourceError(f"unknown webhook source {source!r} (known: {', '.join(SOURCES)})")
    mapped = parser(load_json(body))
    # What a vendor's payload maps to is stored: refuse what no column can hold (named
    # by the mapped field; the rest of the payload is not stored and not checked).
    storable(mapped.ticket)
    for i, event in enumerate(mapped.events):
        storable(event, f"events[{i}]")
    return mapped
