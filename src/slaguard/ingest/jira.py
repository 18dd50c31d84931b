"""Jira Cloud / Jira Service Management webhooks -> ticket fields and events.

The issue key (`issue.key`, e.g. SUP-17) is the ticket id. Events by `webhookEvent`:

    jira:issue_created   created at issue.fields.created, status from issue.fields.status
    jira:issue_updated   one event per changelog item, all at the webhook's `timestamp`:
                         status (toString), priority (toString), assignee
                         (tmpToAccountId or to: the account id in Jira Cloud, the user
                         name in Jira Server; when it names the issue's current
                         assignee, that assignee's id as the ticket field reads it; null:
                         unassigned); other items are not mapped. A `comment` in the
                         body (an issue_commented update) maps as below, unless
                         issue_event_type_name is issue_comment_deleted.
    comment_created      the comment, at comment.created
    anything else        not mapped (`Ingested.skipped`): jira:issue_deleted,
                         comment_updated, comment_deleted, worklog_*, ...; nothing is
                         stored and no ticket is created, whatever the body holds

A comment is a customer_reply when its author is a JSM customer
(`author.accountType` = customer) or the issue's reporter; otherwise an agent_reply,
public unless JSM marks it internal (`jsdPublic` false) or, outside JSM, it is
restricted by `visibility`.

Statuses by name: To Do/New/Backlog -> new; Open/Waiting for support/In Progress/
Reopened/Escalated -> open; Waiting for customer/Waiting for approval -> pending;
Pending/Waiting for third party/Waiting for vendor -> on_hold; Resolved/Done/Completed/
Canceled/Declined -> solved; Closed -> closed. Any other name falls back on the status
category when the issue's current status is that status (To Do -> new, In Progress
-> open, Done -> solved). Priorities: Highest/Blocker/Critical -> P1, High/Major -> P2,
Medium/Minor -> P3, Low/Lowest/Trivial -> P4.

Ticket fields: priority, assignee (account id), labels -> tags, the first component ->
category, summary -> subject, description (when text), created -> created_at; the
issue type and the project key go to custom fields `ticket_type` and `project`.

Event keys: `jira:<key>:created`, `jira:<key>:changelog:<changelog id>:<field>`,
`jira:<key>:comment:<comment id>` (the same comment seen by comment_created and by an
issue_updated maps to the same key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slaguard.ingest.errors import WebhookPayloadError
from slaguard.ingest.model import Ingested, TicketDraft
from slaguard.ingest.reader import Node, iso, lookup, normal_name
from slaguard.schemas.ticket import ticket_id_problem

__all__ = ["parse"]

SOURCE = "jira"

STATUSES = {
    "new": "new",
    "to_do": "new",
    "backlog": "new",
    "open": "open",
    "waiting_for_support": "open",
    "in_progress": "open",
    "work_in_progress": "open",
    "reopened": "open",
    "escalated": "open",
    "waiting_for_customer": "pending",
    "waiting_for_approval": "pending",
    "pending": "on_hold",
    "waiting_for_third_party": "on_hold",
    "waiting_for_vendor": "on_hold",
    "resolved": "solved",
    "done": "solved",
    "completed": "solved",
    "canceled": "solved",
    "cancelled": "solved",
    "declined": "solved",
    "closed": "closed",
}
STATUS_CATEGORIES = {"new": "new", "indeterminate": "open", "done": "solved"}
MAPPED = ("jira:issue_created", "jira:issue_updated", "comment_created")
PRIORITIES = {
    "highest": "P1",
    "blocker": "P1",
    "critical": "P1",
    "high": "P2",
    "major": "P2",
    "medium": "P3",
    "minor": "P3",
    "low": "P4",
    "lowest": "P4",
    "trivial": "P4",
}


def parse(data: Any) -> Ingested:
    root = Node(data)
    kind = root.text("webhookEvent")
    if kind is None:
        raise WebhookPayloadError("webhookEvent", "required: the Jira webhook event name")
    if kind not in MAPPED:
        return Ingested.skip(_skip_reason(kind), _issue_key(root))
    issue = root.node("issue")
    t = TicketDraft(SOURCE, issue.ticket_id("key", "the issue key"))
    fields = issue.maybe_node("fields")
    current = _current_status(fields)
    if fields is not None:
        _ticket_fields(t, fields)

    if kind == "jira:issue_created":
        if fields is None:
            raise WebhookPayloadError(issue.at("fields"), "required: the issue's fields")
        created = fields.time("created")
        status = _status_of(current)
        t.event(t.key("created"), "created", created, **({"status": status} if status else {}))
    elif kind == "jira:issue_updated":
        changelog = root.maybe_node("changelog")
        if changelog is not None:
            at = _event_time(root, fields)
            _changes(t, changelog, at, current, fields)
        # A comment deleted in Jira is no reply (Jira Server may send it along).
        if root.has("comment") and root.text("issue_event_type_name") != "issue_comment_deleted":
            _comment(t, root.node("comment"), fields)
    else:  # comment_created
        _comment(t, root.node("comment"), fields)
    return t.result()


def _skip_reason(kind: str) -> str:
    if kind == "jira:issue_deleted":
        return (
            "jira:issue_deleted is not mapped: the ticket keeps its events and clocks "
            "(solve or close it to stop them); nothing was stored"
        )
    return f"{kind} is not mapped (only {', '.join(MAPPED)} are): nothing was stored"


def _issue_key(root: Node) -> str | None:
    """The issue key of a payload that is not mapped, when it names a valid one."""
    issue = root.raw("issue")
    key = Node(issue, "issue").text("key") if isinstance(issue, dict) else None
    return key if key is not None and ticket_id_problem(key) is None else None


def _ticket_fields(t: TicketDraft, fields: Node) -> None:
    priority = fields.maybe_node("priority")
    if priority is not None:
        t.set("priority", _priority(priority.text("name"), priority.at("name")))
    assignee = fields.maybe_node("assignee")
    if assignee is not None:
        t.set("assignee", assignee.text("accountId") or assignee.text("name"))
    t.set("tags", fields.words("labels"))
    components = [c.text("name") for c in fields.nodes("components")]
    t.set("category", next((c for c in components if c), None))
    t.set("subject", fields.text("summary"))
    description = fields.raw("description")
    if isinstance(description, str) and description.strip():  # text, not a rich-text tree
        t.set("description", description.strip())
    created = fields.maybe_time("created")
    if created is not None:
        t.set("created_at", iso(created))
    issue_type = fields.maybe_node("issuetype")
    if issue_type is not None:
        t.set_custom("ticket_type", issue_type.text("name"))
    project = fields.maybe_node("project")
    if project is not None:
        t.set_custom("project", project.text("key"))


class _Status:
    """The issue's current status: its id, name and category key, and where it was read."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.id = node.text("id")
        self.name = node.text("name")
        category = node.maybe_node("statusCategory")
        self.category = category.text("key") if category is not None else None


def _current_status(fields: Node | None) -> _Status | None:
    if fields is None:
        return None
    status = fields.maybe_node("status")
    return _Status(status) if status is not None else None


def _status_of(current: _Status | None) -> str | None:
    if current is None or current.name is None:
        return None
    return _status(current.name, current.node.at("name"), current.category)


def _status(name: str, path: str, category: str | None) -> str:
    found = STATUSES.get(normal_name(name))
    if found is None and category is not None:
        found = STATUS_CATEGORIES.get(normal_name(category))
    if found is None:
        return lookup(STATUSES, name, path, "Jira status")  # refused, naming the known ones
    return found


def _priority(name: str | None, path: str) -> str | None:
    return None if name is None else lookup(PRIORITIES, name, path, "Jira priority")


def _event_time(root: Node, fields: Node | None) -> datetime:
    if root.has("timestamp") or fields is None or not fields.has("updated"):
        return root.time("timestamp", epoch_millis=True)
    return fields.time("updated")


def _changes(
    t: TicketDraft, changelog: Node, at: datetime, current: _Status | None, fields: Node | None
) -> None:
    items = list(changelog.nodes("items"))
    if not items:
        return
    changelog_id = changelog.ident("id", "the changelog id")
    for item in items:
        field = item.text("fieldId") or item.text("field")
        if field is None:
            raise WebhookPayloadError(item.at("field"), "required: the changed field's name")
        name = field.lower()
        key = t.key("changelog", changelog_id, name)
        if name == "status":
            to_name = item.text("toString")
            if to_name is None:
                raise WebhookPayloadError(item.at("toString"), "required: the new status")
            # The category is known only for the issue's current status.
            same = current is not None and normal_name(current.name or "") == normal_name(to_name)
            category = current.category if same and current is not None else None
            t.event(key, "status", at, status=_status(to_name, item.at("toString"), category))
        elif name == "priority":
            priority = _priority(item.text("toString"), item.at("toString"))
            if priority is not None:
                t.event(key, "priority", at, priority=priority)
        elif name == "assignee":
            t.event(key, "assigned", at, assignee=_new_assignee(item, fields))


def _new_assignee(item: Node, fields: Node | None) -> str | None:
    """The assignee a changelog item names, as the ticket's `assignee` field names it.

    Jira Cloud puts the account id in `to` (and `tmpToAccountId`); Jira Server / Data
    Center puts the user name there. When it names the issue's current assignee, the id
    `_ticket_fields` reads for the ticket (accountId, else name) is used, so the event and
    the ticket agree whichever form the item uses.
    """
    target = item.text("tmpToAccountId") or item.text("to") or item.text("toString")
    if target is None or fields is None:
        return target
    assignee = fields.maybe_node("assignee")
    if assignee is not None and target in {
        assignee.text("accountId"),
        assignee.text("name"),
        assignee.text("key"),
    }:
        return assignee.text("accountId") or assignee.text("name") or target
    return target


def _comment(t: TicketDraft, comment: Node, fields: Node | None) -> None:
    comment_id = comment.ident("id", "the comment id")
    at = comment.time("created")
    author = comment.node("author")
    reporter = fields.maybe_node("reporter") if fields is not None else None
    author_id = author.text("accountId") or author.text("name")
    reporter_id = (reporter.text("accountId") or reporter.text("name")) if reporter else None
    is_customer = (author.text("accountType") or "").lower() == "customer" or (
        author_id is not None and author_id == reporter_id
    )
    key = t.key("comment", comment_id)
    if is_customer:
        t.event(key, "customer_reply", at)
        return
    jsd_public = comment.flag("jsdPublic")
    public = jsd_public if jsd_public is not None else not comment.has("visibility")
    t.event(key, "agent_reply", at, public=public)
