"""Freshdesk automation webhooks -> ticket fields and events.

A Freshdesk automation rule ("Trigger webhook" action, JSON encoding) posts either the
simple content, `{"freshdesk_webhook": {"ticket_id": ..., ...}}`, or an advanced body a
team writes with placeholders; both are read, with or without the `freshdesk_webhook`
wrapper. The fields read:

    ticket_id                 required: the ticket id ({{ticket.id}})
    triggered_event           required: what fired the rule ({{triggered_event}}), e.g.
                              {ticket_action:created}, {status:{from:Open,to:Pending}},
                              {priority:{from:Low,to:Urgent}}, {reply_sent:sent},
                              {note_type:private}, {responder_id:...}, {group_id:...};
                              a JSON object of the same shape is accepted too
    triggered_by              optional: who performed it (agent, requester, system), the
                              rule's "Performed by"; a reply or note by the requester
                              (requester, customer or contact) is a customer_reply
    ticket_status             2 open, 3 pending, 4 resolved, 5 closed, 6 "Waiting on
                              Customer", 7 "Waiting on Third Party", or those names
    ticket_priority           1 low, 2 medium, 3 high, 4 urgent, or those names
    ticket_source             1 email, 2 portal, 3 phone, 7 chat, 9 feedback widget,
                              10 outbound email, or those names -> channel
    ticket_type, ticket_tags (comma-separated), ticket_group_name, ticket_agent_email
    (or ticket_agent_name), ticket_company_name, ticket_subject, ticket_description
    ticket_created_at         the creation time (required for a created ticket)
    ticket_updated_at         the time of the change (required for other events)

Statuses: Open -> open, Pending -> pending, Resolved -> solved, Closed -> closed,
Waiting on Customer -> pending, Waiting on Third Party -> on_hold. Priorities: Urgent
-> P1, High -> P2, Medium -> P3, Low -> P4.

Events by triggered_event: ticket_action created -> created (status = ticket_status)
at ticket_created_at; status -> status (the event's `to`, else ticket_status); priority
-> priority; responder_id -> assigned (assignee = ticket_agent_email/name, empty:
unassigned); group_id -> assigned (team = ticket_group_name); reply_sent -> a public
agent_reply; note_type public/private -> agent_reply public true/false; any other
event: ticket fields only. Freshdesk sends no event id, so keys are made of the ticket
id, the event and its time: `freshdesk:<ticket>:created`, `freshdesk:<ticket>:status:
<updated_at UTC>`, `freshdesk:<ticket>:reply:<updated_at UTC>`, ...

Freshdesk webhooks are not signed: see `slaguard.ingest.signatures` for the shared
secret header that authenticates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slaguard.ingest.errors import WebhookPayloadError
from slaguard.ingest.model import Ingested, TicketDraft
from slaguard.ingest.reader import Node, iso, lookup, normal_name

__all__ = ["parse"]

SOURCE = "freshdesk"
WRAPPER = "freshdesk_webhook"

STATUSES = {
    "2": "open",
    "3": "pending",
    "4": "solved",
    "5": "closed",
    "6": "pending",
    "7": "on_hold",
    "open": "open",
    "pending": "pending",
    "resolved": "solved",
    "closed": "closed",
    "waiting_on_customer": "pending",
    "waiting_on_third_party": "on_hold",
}
PRIORITIES = {
    "4": "P1",
    "3": "P2",
    "2": "P3",
    "1": "P4",
    "urgent": "P1",
    "high": "P2",
    "medium": "P3",
    "low": "P4",
}
CHANNELS = {
    "1": "email",
    "2": "portal",
    "3": "phone",
    "7": "chat",
    "9": "portal",
    "10": "email",
    "email": "email",
    "portal": "portal",
    "phone": "phone",
    "chat": "chat",
    "feedback_widget": "portal",
    "outbound_email": "email",
}
CUSTOMERS = {"requester", "customer", "contact", "end_user"}


def parse(data: Any) -> Ingested:
    root = Node(data)
    hook = root.node(WRAPPER) if WRAPPER in root.data else root
    t = TicketDraft(SOURCE, hook.ticket_id("ticket_id", "the Freshdesk ticket id"))

    status = _status(hook.text("ticket_status"), hook.at("ticket_status"))
    priority = _priority(hook.text("ticket_priority"), hook.at("ticket_priority"))
    t.set("priority", priority)
    source = hook.text("ticket_source")
    t.set("channel", CHANNELS.get(normal_name(source), normal_name(source)) if source else None)
    team = hook.text("ticket_group_name")
    assignee = hook.text("ticket_agent_email") or hook.text("ticket_agent_name")
    t.set("team", team)
    t.set("assignee", assignee)
    t.set("account", hook.text("ticket_company_name"))
    t.set("tags", hook.words("ticket_tags", ","))
    t.set("subject", hook.text("ticket_subject"))
    t.set("description", hook.text("ticket_description"))
    ticket_type = hook.text("ticket_type")
    t.set_custom("ticket_type", ticket_type.lower() if ticket_type else None)
    created_at = hook.maybe_time("ticket_created_at")
    if created_at is not None:
        t.set("created_at", iso(created_at))

    what, value = _triggered_event(hook)
    by = hook.text("triggered_by")
    by_customer = by is not None and normal_name(by) in CUSTOMERS
    if what == "ticket_action":
        if normal_name(_plain(value)) == "created":
            at = hook.time("ticket_created_at")
            t.event(t.key("created"), "created", at, **({"status": status} if status else {}))
        return t.result()
    if what not in {"status", "priority", "responder_id", "group_id", "reply_sent", "note_type"}:
        return t.result()

    at = hook.time("ticket_updated_at")
    if what == "status":
        to = _to(value)
        target = _status(to, hook.at("triggered_event")) if to else status
        if target is None:
            raise WebhookPayloadError(hook.at("ticket_status"), "required: the new status")
        t.event(t.key("status", at), "status", at, status=target)
    elif what == "priority":
        to = _to(value)
        target = _priority(to, hook.at("triggered_event")) if to else priority
        if target is None:
            raise WebhookPayloadError(hook.at("ticket_priority"), "required: the new priority")
        t.event(t.key("priority", at), "priority", at, priority=target)
    elif what == "responder_id":
        t.event(t.key("assignee", at), "assigned", at, assignee=assignee)
    elif what == "group_id":
        t.event(t.key("team", at), "assigned", at, team=team)
    elif what == "reply_sent":
        _reply(t, t.key("reply", at), at, customer=by_customer, public=True)
    else:  # note_type
        kind = normal_name(_plain(value))
        if kind not in {"public", "private"}:
            raise WebhookPayloadError(
                hook.at("triggered_event"), f"expected note_type public or private, got {kind!r}"
            )
        _reply(t, t.key("note", at), at, customer=by_customer, public=kind == "public")
    return t.result()


def _status(value: str | None, path: str) -> str | None:
    return None if value is None else lookup(STATUSES, value, path, "Freshdesk status")


def _priority(value: str | None, path: str) -> str | None:
    return None if value is None else lookup(PRIORITIES, value, path, "Freshdesk priority")


def _reply(t: TicketDraft, key: str, at: datetime, *, customer: bool, public: bool) -> None:
    if customer:
        t.event(key, "customer_reply", at)
    else:
        t.event(key, "agent_reply", at, public=public)


def _triggered_event(hook: Node) -> tuple[str, str | dict[str, str]]:
    """('status', {'from': 'Open', 'to': 'Pending'}) from "{status:{from:Open,to:Pending}}"."""
    path = hook.at("triggered_event")
    raw = hook.raw("triggered_event")
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise WebhookPayloadError(path, "expected one event name and its value")
        ((name, value),) = raw.items()
        if isinstance(value, dict):
            return normal_name(str(name)), {normal_name(str(k)): str(v) for k, v in value.items()}
        return normal_name(str(name)), "" if value is None else str(value)
    text = hook.text("triggered_event")
    if text is None:
        raise WebhookPayloadError(
            path, "required: the event that fired the rule, e.g. {ticket_action:created}"
        )
    body = text[1:-1].strip() if text.startswith("{") and text.endswith("}") else text
    name, _, rest = body.partition(":")
    if not normal_name(name):
        raise WebhookPayloadError(path, f"expected {{event:value}}, got {text!r}")
    rest = rest.strip()
    if rest.startswith("{") and rest.endswith("}"):
        parts: dict[str, str] = {}
        for piece in rest[1:-1].split(","):
            key, _, value = piece.partition(":")
            parts[normal_name(key)] = value.strip()
        return normal_name(name), parts
    return normal_name(name), rest


def _plain(value: str | dict[str, str]) -> str:
    return value if isinstance(value, str) else value.get("to", "")


def _to(value: str | dict[str, str]) -> str | None:
    to = value.get("to", "") if isinstance(value, dict) else value
    return to.strip() or None
