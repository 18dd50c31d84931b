"""Zendesk webhooks -> ticket fields and events.

Two payloads are read:

**Event webhooks** (a webhook subscribed to Zendesk ticket events). The body names its
event type and carries the ticket as it is after the event in `detail`:

    {"type": "zen:event-type:ticket.status_changed", "id": "<event id>",
     "time": "2026-11-23T10:40:00.123456789Z", "subject": "zen:ticket:5158",
     "detail": {"id": "5158", "status": "PENDING", "priority": "HIGH", ...},
     "event": {"previous": "OPEN", "current": "PENDING"}}

    ticket.created                  created (status = detail.status) at detail.created_at
    ticket.status_changed           status event.current
    ticket.priority_changed         priority event.current (none when cleared)
    ticket.comment_added            by staff (event.comment.author.is_staff, or a role
                                    agent/admin): agent_reply, public = comment.is_public;
                                    otherwise customer_reply
    ticket.agent_assignment_changed assigned, assignee = event.current (null: unassigned)
    ticket.group_assignment_changed assigned, team = event.current
    ticket.tags_changed             field "tags" = detail.tags
    ticket.problem_link_changed     caused_by the problem event.current (when set)
    ticket.soft_deleted, ticket.permanently_deleted, ticket.marked_as_spam
                                    not mapped (`Ingested.skipped`): nothing stored,
                                    no ticket created
    other ticket.* events           ticket fields only, no event
    events that are not ticket.*    refused (422 naming `type`)

Event keys: `zendesk:<ticket>:created` for creation, `zendesk:<ticket>:comment:<comment
id>` for comments, `zendesk:<ticket>:event:<event id>` for the rest; Zendesk redelivers
an event with the same id.

**Trigger payloads**: the JSON body a team writes into a trigger's "Notify webhook"
action with placeholders. The fields read (all optional but `id` and `created_at`):

    {"event": "created" | "updated",                 (optional: which trigger fired)
     "ticket": {
       "id": "{{ticket.id}}", "status": "{{ticket.status}}",
       "priority": "{{ticket.priority}}", "ticket_type": "{{ticket.ticket_type}}",
       "group": "{{ticket.group.name}}", "assignee": "{{ticket.assignee.email}}",
       "organization": "{{ticket.organization.name}}", "via": "{{ticket.via}}",
       "tags": "{{ticket.tags}}", "title": "{{ticket.title}}",
       "description": "{{ticket.description}}",
       "created_at": "{{ticket.created_at_with_timestamp}}",
       "updated_at": "{{ticket.updated_at_with_timestamp}}",
       "latest_comment": {"id": "...", "is_public": "{{ticket.latest_comment.is_public}}",
                          "author_role": "end-user | agent | admin",
                          "created_at": "..."}}}

A trigger payload is a snapshot, not a change: when `event` is "created" (or, without
`event`, when `updated_at` is absent or equals `created_at`) it gives a `created` event;
otherwise a `status` and a `priority` event with the current values at `updated_at`
(the same value again changes nothing), and a reply for `latest_comment` when given.
Keys: `zendesk:<ticket>:created`, `zendesk:<ticket>:status:<updated_at UTC>`,
`zendesk:<ticket>:priority:<updated_at UTC>`, `zendesk:<ticket>:comment:<id or time>`.

Fields: priority urgent/high/normal/low -> P1..P4; group -> team, assignee -> assignee,
organization -> account (ids in event webhooks, whatever the trigger renders in
trigger payloads); via channel -> channel (email, portal, api, chat, phone, else the
channel's own name); the Zendesk ticket type (question, incident, problem, task) ->
custom field `ticket_type`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slaguard.ingest.errors import WebhookPayloadError
from slaguard.ingest.model import Ingested, TicketDraft
from slaguard.ingest.reader import Node, iso, lookup, normal_name

__all__ = ["parse"]

SOURCE = "zendesk"
_EVENT_PREFIX = "zen:event-type:"

STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on_hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
PRIORITIES = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"}
CHANNELS = {
    "email": "email",
    "mail": "email",
    "web": "portal",
    "web_form": "portal",
    "help_center": "portal",
    "web_widget": "portal",
    "api": "api",
    "web_service": "api",
    "chat": "chat",
    "chat_transcript": "chat",
    "messaging": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "phone": "phone",
    "voicemail": "phone",
    "phone_call_incoming": "phone",
    "phone_call_outgoing": "phone",
    "phone_call_(incoming)": "phone",
    "phone_call_(outgoing)": "phone",
}
STAFF_ROLES = {"agent", "admin", "light_agent", "staff"}
CUSTOMER_ROLES = {"end_user", "enduser", "customer", "requester"}


def parse(data: Any) -> Ingested:
    root = Node(data)
    kind = root.raw("type")
    if isinstance(kind, str) and kind.startswith(_EVENT_PREFIX):
        return _event_webhook(root, kind.removeprefix(_EVENT_PREFIX))
    if "ticket" in root.data:
        return _trigger(root)
    raise WebhookPayloadError(
        "type",
        "expected a Zendesk event webhook (type zen:event-type:ticket.*) "
        "or a trigger payload with a ticket object",
    )


def _status(value: str | None, path: str) -> str | None:
    return None if value is None else lookup(STATUSES, value, path, "Zendesk status")


def _priority(value: str | None, path: str) -> str | None:
    if value is None or value == "-":  # "-": the placeholder of an unset priority
        return None
    return lookup(PRIORITIES, value, path, "Zendesk priority")


def _channel(value: str | None) -> str | None:
    if value is None:
        return None
    name = normal_name(value)
    return CHANNELS.get(name, name)


def _is_staff(author: Node) -> bool:
    staff = author.flag("is_staff")
    if staff is not None:
        return staff
    return _role_is_staff(author, "role", "is_staff")


def _role_is_staff(node: Node, role_key: str, flag_key: str) -> bool:
    role = node.text(role_key)
    if role is None:
        raise WebhookPayloadError(
            node.at(role_key),
            f"required: the author's role (end-user, agent or admin), or {flag_key}",
        )
    name = normal_name(role)
    if name in STAFF_ROLES:
        return True
    if name in CUSTOMER_ROLES:
        return False
    raise WebhookPayloadError(
        node.at(role_key), f"unknown role {role!r} (use end-user, agent or admin)"
    )


def _reply(t: TicketDraft, key: str, at: datetime, *, staff: bool, public: bool) -> None:
    if staff:
        t.event(key, "agent_reply", at, public=public)
    else:
        t.event(key, "customer_reply", at)


# -- event webhooks ---------------------------------------------------------------------


def _event_webhook(root: Node, kind: str) -> Ingested:
    if not kind.startswith("ticket."):
        raise WebhookPayloadError(
            "type", f"only ticket events are mapped, got {_EVENT_PREFIX}{kind}"
        )
    detail = root.node("detail")
    if kind in _GONE:
        return Ingested.skip(
            f"{_EVENT_PREFIX}{kind} is not mapped: the ticket keeps its events and clocks; "
            "nothing was stored",
            detail.ticket_id("id", "the ticket id"),
        )
    t = TicketDraft(SOURCE, detail.ticket_id("id", "the ticket id"))
    event_id = root.ident("id", "the Zendesk event id")
    time = root.time("time")

    t.set("priority", _priority(detail.text("priority"), detail.at("priority")))
    via = detail.maybe_node("via")
    if via is not None:
        t.set("channel", _channel(via.text("channel")))
    t.set("team", detail.text("group_id"))
    t.set("assignee", detail.text("assignee_id"))
    t.set("account", detail.text("organization_id"))
    t.set("tags", detail.words("tags"))
    t.set("subject", detail.text("subject"))
    t.set("description", detail.text("description"))
    created_at = detail.maybe_time("created_at")
    if created_at is not None:
        t.set("created_at", iso(created_at))
    ticket_type = detail.text("type")
    t.set_custom("ticket_type", ticket_type.lower() if ticket_type else None)

    if kind == "ticket.created":
        status = _status(detail.text("status"), detail.at("status"))
        at = created_at if created_at is not None else time
        t.event(t.key("created"), "created", at, **({"status": status} if status else {}))
    elif kind == "ticket.comment_added":
        comment = root.node("event").node("comment")
        comment_id = comment.ident("id", "the comment id")
        public = comment.flag("is_public")
        _reply(
            t,
            t.key("comment", comment_id),
            time,
            staff=_is_staff(comment.node("author")),
            public=True if public is None else public,
        )
    elif kind == "ticket.tags_changed":
        tags = detail.words("tags") or []
        t.event(t.key("event", event_id), "field", time, name="tags", value=tags)
    elif kind in _CHANGES:
        change = root.node("event")
        _change(t, kind, change.text("current"), change.at("current"), event_id, time)
    return t.result()


# A ticket deleted or marked as spam: never a reason to create one, nothing to record.
_GONE = frozenset({"ticket.soft_deleted", "ticket.permanently_deleted", "ticket.marked_as_spam"})

_CHANGES = (
    "ticket.status_changed",
    "ticket.priority_changed",
    "ticket.agent_assignment_changed",
    "ticket.group_assignment_changed",
    "ticket.problem_link_changed",
)


def _change(
    t: TicketDraft, kind: str, current: str | None, path: str, event_id: str, time: datetime
) -> None:
    """The event of a `{"previous": ..., "current": ...}` change."""
    key = t.key("event", event_id)
    if kind == "ticket.status_changed":
        status = _status(current, path)
        if status is None:
            raise WebhookPayloadError(path, "required: the new status")
        t.event(key, "status", time, status=status)
    elif kind == "ticket.priority_changed":
        priority = _priority(current, path)
        if priority is not None:  # cleared: no priority to apply
            t.event(key, "priority", time, priority=priority)
    elif kind == "ticket.agent_assignment_changed":
        t.event(key, "assigned", time, assignee=current)
    elif kind == "ticket.group_assignment_changed":
        t.event(key, "assigned", time, team=current)
    elif current is not None:  # problem_link_changed: this incident is caused by the problem
        t.event(key, "caused_by", time, cause=current)


# -- trigger payloads -------------------------------------------------------------------


def _trigger(root: Node) -> Ingested:
    ticket = root.node("ticket")
    t = TicketDraft(SOURCE, ticket.ticket_id("id", "the ticket id"))
    priority = _priority(ticket.text("priority"), ticket.at("priority"))
    status = _status(ticket.text("status"), ticket.at("status"))
    t.set("priority", priority)
    t.set("team", ticket.text("group"))
    t.set("assignee", ticket.text("assignee"))
    t.set("account", ticket.text("organization"))
    t.set("channel", _channel(ticket.text("via")))
    t.set("tags", ticket.words("tags"))
    t.set("subject", ticket.text("title"))
    t.set("description", ticket.text("description"))
    ticket_type = ticket.text("ticket_type")
    t.set_custom("ticket_type", ticket_type.lower() if ticket_type else None)
    created_at = ticket.time("created_at")
    t.set("created_at", iso(created_at))
    updated_at = ticket.maybe_time("updated_at")

    hint = root.text("event")
    if hint is not None and normal_name(hint) not in {"created", "updated"}:
        raise WebhookPayloadError("event", f"expected created or updated, got {hint!r}")
    created = (
        normal_name(hint) == "created"
        if hint is not None
        else updated_at is None or updated_at == created_at
    )
    if created:
        t.event(t.key("created"), "created", created_at, **({"status": status} if status else {}))
        return t.result()

    updated_at = ticket.time("updated_at")
    if status is not None:
        t.event(t.key("status", updated_at), "status", updated_at, status=status)
    if priority is not None:
        t.event(t.key("priority", updated_at), "priority", updated_at, priority=priority)
    comment = ticket.maybe_node("latest_comment")
    if comment is not None:
        at = comment.maybe_time("created_at") or updated_at
        comment_id = comment.text("id")
        public = comment.flag("is_public")
        _reply(
            t,
            t.key("comment", comment_id if comment_id is not None else at),
            at,
            staff=_trigger_staff(comment),
            public=True if public is None else public,
        )
    return t.result()


def _trigger_staff(comment: Node) -> bool:
    staff = comment.flag("author_is_staff")
    if staff is not None:
        return staff
    return _role_is_staff(comment, "author_role", "author_is_staff")
