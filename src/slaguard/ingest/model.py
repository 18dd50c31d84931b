"""What a webhook maps to: ticket fields for create-or-update and event documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slaguard.ingest.reader import iso, key_time

__all__ = ["SOURCES", "Ingested", "TicketDraft"]

SOURCES = ("generic", "zendesk", "jira", "freshdesk")


@dataclass(frozen=True, slots=True)
class Ingested:
    """One webhook, mapped.

    `ticket` holds ticket document fields (see `slaguard.schemas.ticket`): always `id`
    and `source`, other fields only when the payload carries them. `events` are event
    documents, each with a deterministic `id` (its idempotency key) derived from the
    vendor's ids and times, so a redelivered webhook maps to the same keys.

    `skipped`, when set, says why the delivery is deliberately not mapped (an issue
    deleted, an event about no ticket): nothing is stored and no ticket is created;
    `ticket` then holds the ticket id when the payload names one, else nothing.
    """

    ticket: dict[str, Any]
    events: list[dict[str, Any]]
    skipped: str | None = None

    @classmethod
    def skip(cls, reason: str, ticket_id: str | None = None) -> Ingested:
        return cls(ticket={} if ticket_id is None else {"id": ticket_id}, events=[], skipped=reason)


class TicketDraft:
    """Collects one ticket's fields and events while a payload is read."""

    def __init__(self, source: str, ticket_id: str) -> None:
        self.source = source
        self.id = ticket_id
        self.fields: dict[str, Any] = {"id": ticket_id, "source": source}
        self.custom: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []

    def set(self, name: str, value: Any) -> None:
        """A ticket field, when the payload carries it."""
        if value is not None:
            self.fields[name] = value

    def set_custom(self, name: str, value: Any) -> None:
        if value is not None:
            self.custom[name] = value

    def key(self, *parts: str | datetime) -> str:
        """An idempotency key: `source:ticket:part:...`, times in UTC."""
        text = (key_time(p) if isinstance(p, datetime) else p for p in parts)
        return ":".join((self.source, self.id, *text))

    def event(self, key: str, kind: str, at: datetime, **data: Any) -> None:
        self.events.append({"id": key, "type": kind, "at": iso(at), **data})

    def result(self) -> Ingested:
        fields = dict(self.fields)
        if self.custom:
            fields["custom_fields"] = dict(self.custom)
        return Ingested(ticket=fields, events=list(self.events))
