"""slaguard's own webhook format: event documents as `slaguard.schemas.ticket` takes them.

Three shapes are accepted:

    {"ticket": "T-1", "type": "agent_reply", "at": "2026-11-23T10:40:00Z", "public": true}
    [{"ticket": "T-1", "type": "customer_reply", "at": ...}, {"ticket": "T-1", ...}]
    {"ticket": {"id": "T-1", "priority": "high", ...}, "events": [{"type": "created", ...}]}

An event names its ticket in `ticket` (all the events of one body the same ticket); the
third shape gives the ticket's fields with its events (the fields are read when the
delivery creates the ticket; a later delivery's changes come as events, which carry the
instant they take effect at). Only what mapping needs is
checked here (ticket id, each event's type and time); the ticket schema checks the rest.
An event keeps its own `id`; one without gets the key the ticket API gives it
(`slaguard.schemas.event_keys.content_key`: `h:<hash of the ticket id and the event>`),
so the same event sent twice, here or through `POST /api/v1/tickets/{id}/events`, is
stored once.
"""

from __future__ import annotations

from typing import Any

from slaguard.ingest.errors import WebhookPayloadError
from slaguard.ingest.model import Ingested, TicketDraft
from slaguard.ingest.reader import Node
from slaguard.schemas.event_keys import content_key
from slaguard.schemas.ticket import EVENT_TYPES

__all__ = ["parse"]

SOURCE = "generic"


def parse(data: Any) -> Ingested:
    if isinstance(data, list):
        if not data:
            raise WebhookPayloadError("", "the body is an empty list: expected event documents")
        nodes = [Node(item, f"[{i}]") for i, item in enumerate(data)]
        ticket_id = nodes[0].ticket_id("ticket", "the ticket id")
        for node in nodes[1:]:
            other = node.ident("ticket", "the ticket id")
            if other != ticket_id:
                raise WebhookPayloadError(
                    node.at("ticket"),
                    f"all the events of one body must be of one ticket ({ticket_id!r} "
                    f"in [0].ticket, {other!r} here)",
                )
        t = TicketDraft(SOURCE, ticket_id)
        for node in nodes:
            _event(t, node)
        return t.result()

    root = Node(data)
    if isinstance(root.raw("ticket"), dict):
        return _ticket_with_events(root)
    t = TicketDraft(SOURCE, root.ticket_id("ticket", "the ticket id"))
    _event(t, root)
    return t.result()


def _ticket_with_events(root: Node) -> Ingested:
    extra = sorted(set(root.data) - {"ticket", "events"})
    if extra:
        raise WebhookPayloadError(
            extra[0], "unknown field: give the ticket's fields in ticket, its events in events"
        )
    ticket = root.node("ticket")
    t = TicketDraft(SOURCE, ticket.ticket_id("id", "the ticket id"))
    if "events" in ticket.data:
        raise WebhookPayloadError(ticket.at("events"), "give the events at the top level")
    for name, value in ticket.data.items():
        if name not in {"id", "source"}:
            t.set(name, value)
    events = root.raw("events")
    if events is not None and not isinstance(events, list):
        raise WebhookPayloadError("events", "expected a list of event documents")
    for node in root.nodes("events"):
        if node.has("ticket") and node.ident("ticket", "the ticket id") != t.id:
            raise WebhookPayloadError(
                node.at("ticket"), f"differs from the ticket's id {t.id!r} (ticket.id)"
            )
        _event(t, node)
    return t.result()


def _event(t: TicketDraft, node: Node) -> None:
    kind = node.raw("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        got = "nothing" if kind is None else repr(kind)
        raise WebhookPayloadError(
            node.at("type"), f"expected an event type ({', '.join(EVENT_TYPES)}), got {got}"
        )
    node.time("at")  # required, and read here to name the field when it is not a time
    doc = {k: v for k, v in node.data.items() if k != "ticket"}
    given = doc.get("id")
    if given is not None and (not isinstance(given, str) or not given.strip()):
        raise WebhookPayloadError(node.at("id"), "expected a non-empty string (the event's key)")
    if given is None:
        # The document as the API would receive it (an explicit "id": null included).
        doc["id"] = content_key(t.id, doc)
    t.events.append({"id": doc.pop("id"), **doc})
