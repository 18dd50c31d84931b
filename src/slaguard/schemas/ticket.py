"""A ticket JSON document -> a domain `Ticket`, every problem named by path.

    {"id": "T-1", "type": "support", "priority": "high", "tier": "enterprise",
     "channel": "email", "team": "tier1", "tags": ["billing"], "custom_fields": {...},
     "subject": "...", "description": "...", "created_at": "2026-11-23T09:00:00+01:00",
     "events": [{"type": "created", "at": "2026-11-23T09:00:00+01:00", "status": "new"},
                {"type": "agent_reply", "at": "2026-11-23T09:20:00+01:00"}, ...]}

Each event type has its own model (a union discriminated by `type`); besides the domain's
event kinds, `internal_note` (a private agent reply), `resolved`, `closed` and
`reopened` (status changes within the ticket type's workflow) are accepted. Times are
ISO-8601 with an offset, within the years 1990 to 2099, and become UTC epoch
microseconds. Problems are collected into one `TicketError` (a `LinkError` when every
problem is about links).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    RootModel,
    ValidationError,
    model_validator,
)

from slaguard.config.model import error_message, format_loc, validate_model
from slaguard.domain.calendar import from_us, to_us
from slaguard.domain.errors import ConfigError, ErrorDetail, LinkError, TicketError
from slaguard.domain.policy import ClassificationRule, SlaConfig
from slaguard.domain.tickets import TICKET_FIELDS, Event, EventKind, Ticket, ordered_events
from slaguard.domain.workflow import StatusCategory, Workflow

__all__ = [
    "EARLIEST_US",
    "EVENT_TYPES",
    "LATEST_US",
    "OUTSIDE_YEARS",
    "TICKET_ID_RULE",
    "EventDocument",
    "ParsedTicket",
    "TicketDocument",
    "parse_events",
    "parse_ticket",
    "ticket_id_problem",
]

# The instants the service stores: wide enough for any real ticket's history, narrow
# enough that every instant has a date and every calendar computation over a ticket's
# life stays bounded. Every time of a ticket or event document is checked against them
# as it is read (`Instant`), so no other check ever sees an instant without a date.
EARLIEST_US = to_us(datetime(1990, 1, 1, tzinfo=UTC))
LATEST_US = to_us(datetime(2100, 1, 1, tzinfo=UTC))
OUTSIDE_YEARS = "outside the years the service accepts (1990 to 2099)"

# A ticket's id appears in URLs as one path segment (/api/v1/tickets/{id}): a '/' in it
# would make the ticket unreachable.
TICKET_ID_RULE = "a string of 1-200 characters without '/'"


def ticket_id_problem(value: Any) -> str | None:
    """Why `value` cannot be a ticket's id (None when it can)."""
    if value is None:
        return f"required: the ticket's id, {TICKET_ID_RULE}"
    if not isinstance(value, str) or not value.strip():
        return f"the ticket's id is {TICKET_ID_RULE}, got {value!r}"
    if len(value) > 200:
        return f"a ticket's id is at most 200 characters, got {len(value)}"
    if "/" in value:
        return (
            "a ticket's id may not contain '/' (it is one segment of the API's URLs, "
            f"/api/v1/tickets/{{id}}), got {value!r}"
        )
    return None


# Ticket fields given as plain text on the ticket (and on its created event).
_TEXT_FIELDS = (
    "tier",
    "channel",
    "team",
    "queue",
    "assignee",
    "category",
    "product",
    "account",
    "source",
)
# Fields that have their own event type, so a `field` event may not change them.
_OWN_EVENTS = {
    "status": "status",
    "priority": "priority",
    "tier": "tier",
    "team": "assigned",
    "assignee": "assigned",
}


def _instant(value: Any) -> int:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"expected an ISO-8601 time such as 2026-11-23T09:00:00+01:00, got {value!r}"
            ) from None
    else:
        raise ValueError(
            f"expected an ISO-8601 time such as 2026-11-23T09:00:00+01:00, got {value!r}"
        )
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(
            f"{value!s} has no time zone offset: an offset is required (e.g. +01:00 or Z)"
        )
    us = to_us(t)
    if not EARLIEST_US <= us < LATEST_US:
        raise ValueError(OUTSIDE_YEARS)
    return us


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


# UTC epoch microseconds, written as ISO-8601 with an offset.
Instant = Annotated[int, PlainValidator(_instant)]
Text = Annotated[str, AfterValidator(_not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Event(_Strict):
    id: Text | None = None
    at: Instant
    # who or what made the change: a person, or `slaguard` for escalations and triggers
    actor: Annotated[str, Field(max_length=200)] | None = None


class CreatedEvent(_Event):
    type: Literal["created"]
    status: Text | None = None
    # initial ticket fields, optional
    priority: Any = None
    tier: str | None = None
    vip: bool | None = None
    channel: str | None = None
    team: str | None = None
    queue: str | None = None
    assignee: str | None = None
    category: str | None = None
    product: str | None = None
    account: str | None = None
    source: str | None = None
    tags: list[str] | None = None


class StatusEvent(_Event):
    type: Literal["status"]
    status: Text


class PriorityEvent(_Event):
    type: Literal["priority"]
    priority: Any


class TierEvent(_Event):
    type: Literal["tier"]
    tier: Text


class AssignedEvent(_Event):
    """A new team and/or assignee; null clears one (unassigned)."""

    type: Literal["assigned"]
    team: str | None = None
    assignee: str | None = None

    @model_validator(mode="after")
    def _one_given(self) -> AssignedEvent:
        if not {"team", "assignee"} & self.model_fields_set:
            raise ValueError("give team, assignee or both")
        return self


class FieldEvent(_Event):
    type: Literal["field"]
    name: Text
    value: Any


class AgentReplyEvent(_Event):
    type: Literal["agent_reply"]
    public: bool = True


class InternalNoteEvent(_Event):
    type: Literal["internal_note"]
    text: Annotated[str, Field(max_length=10_000)] | None = None


class CustomerReplyEvent(_Event):
    type: Literal["customer_reply"]


class CallbackRequestedEvent(_Event):
    type: Literal["callback_requested"]


class CallbackMadeEvent(_Event):
    type: Literal["callback_made"]


class DuplicateOfEvent(_Event):
    type: Literal["duplicate_of"]
    original: Text


class CausedByEvent(_Event):
    type: Literal["caused_by"]
    cause: Text


class CsatEvent(_Event):
    type: Literal["csat"]
    score: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ResolvedEvent(_Event):
    type: Literal["resolved"]


class ClosedEvent(_Event):
    type: Literal["closed"]


class ReopenedEvent(_Event):
    type: Literal["reopened"]


_AnyEvent = Annotated[
    CreatedEvent
    | StatusEvent
    | PriorityEvent
    | TierEvent
    | AssignedEvent
    | FieldEvent
    | AgentReplyEvent
    | InternalNoteEvent
    | CustomerReplyEvent
    | CallbackRequestedEvent
    | CallbackMadeEvent
    | DuplicateOfEvent
    | CausedByEvent
    | CsatEvent
    | ResolvedEvent
    | ClosedEvent
    | ReopenedEvent,
    Field(discriminator="type"),
]


class EventDocument(RootModel[_AnyEvent]):
    """One event of a ticket document: the model for its `type`."""


EVENT_TYPES = (
    *(k.value for k in EventKind),
    "internal_note",
    "resolved",
    "closed",
    "reopened",
)


class TicketDocument(_Strict):
    id: Text | None = None  # required: refused by parse_ticket when absent
    type: Text | None = None
    priority: Any = None
    tier: str | None = None
    vip: bool = False
    channel: str | None = None
    team: str | None = None
    queue: str | None = None
    assignee: str | None = None
    category: str | None = None
    product: str | None = None
    account: str | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    subject: str = ""
    description: str = ""
    created_at: Instant | None = None
    events: list[Any] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------


def _iso(us: int) -> str:
    try:
        return from_us(us).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError):  # no date (never for a checked Instant)
        return f"{us} µs after 1970-01-01T00:00:00Z"


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class _Parser:
    def __init__(self, config: SlaConfig) -> None:
        self.config = config
        self.errors: list[ErrorDetail] = []
        self.link_errors: list[ErrorDetail] = []
        self.workflow: Workflow | None = None
        self.classified_by: ClassificationRule | None = None

    def error(self, path: str, message: str) -> None:
        self.errors.append(ErrorDetail(path, message))

    def priority(self, value: Any, path: str) -> str | None:
        try:
            return self.config.priorities.normalise(value, path)
        except ConfigError as exc:
            self.errors.extend(exc.details)
            return None

    def event_model(self, raw: Any, path: str) -> _AnyEvent | None:
        try:
            return EventDocument.model_validate(raw).root
        except ValidationError as exc:
            tag = raw.get("type") if isinstance(raw, Mapping) else None
            for e in exc.errors():
                loc = tuple(e["loc"])
                if e["type"] == "union_tag_invalid":
                    self.error(
                        f"{path}.type",
                        f"unknown event type {tag!r} (use one of {', '.join(EVENT_TYPES)})",
                    )
                elif e["type"] == "union_tag_not_found":
                    self.error(f"{path}.type", f"required (one of {', '.join(EVENT_TYPES)})")
                else:
                    if loc and loc[0] == tag:
                        loc = loc[1:]  # the union member's name
                    self.error(format_loc(loc, path), error_message(e))
            return None

    # -- fields --------------------------------------------------------------------------

    def fields(self, doc: TicketDocument) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if doc.priority is not None:
            priority = self.priority(doc.priority, "priority")
            if priority is not None:
                fields["priority"] = priority
        for name in _TEXT_FIELDS:
            value = getattr(doc, name)
            if value is not None:
                fields[name] = value
        fields["vip"] = doc.vip
        fields["tags"] = tuple(doc.tags)
        for name, value in doc.custom_fields.items():
            if name in TICKET_FIELDS:
                self.error(
                    f"custom_fields.{name}",
                    f"{name!r} is a standard ticket field; give it at the top level",
                )
            else:
                fields[name] = _frozen(value)
        return fields

    def ticket_type(self, doc: TicketDocument, fields: Mapping[str, Any], text: str) -> str:
        if doc.type is not None:
            chosen, why = doc.type, ""
        else:
            chosen, rule = self.config.classify(text, fields)
            self.classified_by = rule
            why = (
                f" (chosen by classification rule {rule.name or rule.type!r})"
                if rule is not None
                else " (the default type)"
            )
        self.workflow = self.config.workflows.get(chosen)
        if self.workflow is None:
            known = ", ".join(sorted(self.config.workflows))
            self.error("type", f"no workflow for ticket type {chosen!r}{why} (known: {known})")
        return chosen

    # -- events --------------------------------------------------------------------------

    def status(self, status: str, path: str) -> str | None:
        wf = self.workflow
        if wf is None:
            return None
        if status not in wf.statuses:
            self.error(
                path,
                f"unknown status {status!r} for a {wf.type} ticket "
                f"(use one of {', '.join(wf.statuses)})",
            )
            return None
        return status

    def initial_status(self) -> str | None:
        wf = self.workflow
        return next(iter(wf.statuses), None) if wf is not None else None

    def convenience_status(self, kind: str) -> str | None:
        wf = self.workflow
        if wf is None:
            return None
        if kind == "resolved":
            return wf.first(StatusCategory.DONE)
        if kind == "closed":
            return "closed" if "closed" in wf.statuses else wf.first(StatusCategory.DONE)
        later_active = (s for s, c in list(wf.statuses.items())[1:] if c is StatusCategory.ACTIVE)
        return next(later_active, None) or wf.first(StatusCategory.ACTIVE) or self.initial_status()

    def event(self, m: _AnyEvent, path: str) -> Event | None:
        before = len(self.errors)
        kind: EventKind
        data: dict[str, Any]
        if isinstance(m, CreatedEvent):
            kind = EventKind.CREATED
            status = (
                self.status(m.status, f"{path}.status")
                if m.status is not None
                else self.initial_status()
            )
            data = {"status": status}
            for name in sorted(m.model_fields_set - {"id", "type", "at", "status", "actor"}):
                value = getattr(m, name)
                if value is None:
                    continue
                if name == "priority":
                    value = self.priority(value, f"{path}.priority")
                data[name] = _frozen(value)
        elif isinstance(m, StatusEvent):
            kind, data = EventKind.STATUS, {"status": self.status(m.status, f"{path}.status")}
        elif isinstance(m, ResolvedEvent | ClosedEvent | ReopenedEvent):
            kind, data = EventKind.STATUS, {"status": self.convenience_status(m.type)}
        elif isinstance(m, PriorityEvent):
            priority = self.priority(m.priority, f"{path}.priority")
            kind, data = EventKind.PRIORITY, {"priority": priority}
        elif isinstance(m, TierEvent):
            kind, data = EventKind.TIER, {"tier": m.tier}
        elif isinstance(m, AssignedEvent):
            kind = EventKind.ASSIGNED
            data = {k: getattr(m, k) for k in ("team", "assignee") if k in m.model_fields_set}
        elif isinstance(m, FieldEvent):
            kind, data = EventKind.FIELD, {"name": m.name, "value": _frozen(m.value)}
            if m.name in _OWN_EVENTS:
                self.error(f"{path}.name", f"{m.name} changes with a {_OWN_EVENTS[m.name]!r} event")
            elif m.name == "type":
                self.error(
                    f"{path}.name",
                    "the ticket type cannot change by a field event "
                    "(its workflow decides the statuses)",
                )
        elif isinstance(m, AgentReplyEvent | InternalNoteEvent):
            public = m.public if isinstance(m, AgentReplyEvent) else False
            kind, data = EventKind.AGENT_REPLY, {"public": public}
        elif isinstance(m, DuplicateOfEvent):
            kind, data = EventKind.DUPLICATE_OF, {"original": m.original}
        elif isinstance(m, CausedByEvent):
            kind, data = EventKind.CAUSED_BY, {"cause": m.cause}
        elif isinstance(m, CsatEvent):
            score = int(m.score) if m.score.is_integer() else m.score
            kind, data = EventKind.CSAT, {"score": score}
        else:
            kind = EventKind(m.type)
            data = {}
        if len(self.errors) > before or (self.workflow is None and kind is EventKind.STATUS):
            return None
        return Event(kind=kind, at=m.at, id=m.id, data=data)

    # -- the checks that need every event ------------------------------------------------

    def check_history(
        self, ticket_id: str | None, events: list[Event], where: Mapping[int, str]
    ) -> list[Event]:
        """The events to keep, after checking creation and links in time order."""
        try:
            ordered = ordered_events(events)
        except TicketError as exc:
            self.errors.extend(exc.details)
            ordered = sorted(events, key=lambda e: (e.at, e.rank))
        created = [e for e in ordered if e.kind is EventKind.CREATED]
        drop: set[int] = set()
        if created:
            first = created[0]
            for e in created[1:]:
                if e.same_content(first):
                    drop.add(id(e))
                else:
                    self.error(
                        where[id(e)],
                        "a second created event with different content "
                        f"(the ticket was created by {where[id(first)]})",
                    )
            for e in ordered:
                if e is first:
                    break
                self.error(
                    f"{where[id(e)]}.at",
                    f"{_iso(e.at)} is before the ticket was created "
                    f"({where[id(first)]} at {_iso(first.at)})",
                )
        if ticket_id is not None:
            self.check_links(ticket_id, ordered, where)
        return [e for e in events if id(e) not in drop]

    def check_links(self, ticket_id: str, ordered: list[Event], where: Mapping[int, str]) -> None:
        original: Event | None = None
        for e in ordered:
            path = where[id(e)]
            if e.kind is EventKind.DUPLICATE_OF:
                target = e.data["original"]
                if target == ticket_id:
                    self.link_errors.append(
                        ErrorDetail(f"{path}.original", "a ticket cannot be a duplicate of itself")
                    )
                elif original is None:
                    original = e
                elif original.data["original"] != target:
                    self.link_errors.append(
                        ErrorDetail(
                            f"{path}.original",
                            "a ticket can be a duplicate of one original only "
                            f"(already of {original.data['original']!r} by {where[id(original)]})",
                        )
                    )
            elif e.kind is EventKind.CAUSED_BY and e.data["cause"] == ticket_id:
                self.link_errors.append(
                    ErrorDetail(f"{path}.cause", "a ticket cannot be caused by itself")
                )


@dataclass(frozen=True, slots=True)
class ParsedTicket:
    """A ticket and the event its parse made of each document, in document order
    (`known` events first): what `parse_events` takes as `known` when more arrive."""

    ticket: Ticket
    events: tuple[Event, ...]


def parse_ticket(mapping: Mapping[str, Any], config: SlaConfig) -> Ticket:
    """The domain Ticket of a ticket document, judged against `config`.

    Raises one TicketError naming every problem found (a LinkError when all are about
    links).
    """
    return parse_events(mapping, config).ticket


def parse_events(
    mapping: Mapping[str, Any], config: SlaConfig, known: Sequence[Event] = ()
) -> ParsedTicket:
    """`parse_ticket` of a ticket whose first events were parsed before.

    `known` are the `events` of an earlier `ParsedTicket` of this ticket (same fields,
    same configuration); `mapping["events"]` holds only the documents after them,
    numbered from `len(known)` in error paths. The known events are not validated again:
    each event's validation depends only on its document, the ticket's fields and the
    configuration. The checks across events (creation, order, links) run over all of
    them, exactly as if every document had been given.
    """
    if not isinstance(mapping, Mapping):
        raise TicketError(f"a ticket must be a JSON object, got {type(mapping).__name__}")
    p = _Parser(config)
    doc, bad = validate_model(TicketDocument, mapping, "", p.errors)
    if doc is not None and doc.id is None and "id" not in bad:
        p.error("id", "required: the ticket's id in its source (a non-empty string)")

    ticket_id: str | None = None
    fields: dict[str, Any] = {}
    text = ""
    created_at: int | None = None
    if doc is not None:
        ticket_id = doc.id
        text = f"{doc.subject}\n{doc.description}" if doc.description else doc.subject
        fields = p.fields(doc)
        fields = {"type": p.ticket_type(doc, fields, text), **fields}
        created_at = doc.created_at

    raw_events = mapping.get("events", [])
    per_document: list[Event] = list(known)
    where: dict[int, str] = {id(e): f"events[{i}]" for i, e in enumerate(known)}
    if isinstance(raw_events, list):
        for i, raw in enumerate(raw_events, len(known)):
            path = f"events[{i}]"
            model = p.event_model(raw, path)
            event = p.event(model, path) if model is not None else None
            if event is not None:
                per_document.append(event)
                where[id(event)] = path
    events = list(per_document)

    if doc is not None:
        has_created = any(e.kind is EventKind.CREATED for e in events)
        if (
            not has_created
            and created_at is None
            and "created_at" not in bad
            and not _mentions_created(mapping)
        ):
            p.error(
                "created_at",
                "required: the ticket has no created event; give created_at or a created event",
            )
        elif not has_created and created_at is not None:
            synthetic = Event(
                kind=EventKind.CREATED, at=created_at, data={"status": p.initial_status()}
            )
            events.insert(0, synthetic)
            where[id(synthetic)] = "created_at"
        elif created_at is not None:
            first = min((e for e in events if e.kind is EventKind.CREATED), key=lambda e: e.at)
            if first.at != created_at:
                p.error(
                    "created_at",
                    f"{_iso(created_at)} differs from the created event "
                    f"({where[id(first)]} at {_iso(first.at)})",
                )
        events = p.check_history(ticket_id, events, where)

    if p.errors or p.link_errors:
        if p.errors:
            raise TicketError([*p.errors, *p.link_errors])
        raise LinkError(p.link_errors)
    assert doc is not None and ticket_id is not None
    ticket = Ticket(
        id=ticket_id,
        fields=fields,
        events=tuple(events),
        text=text,
        classified_by=p.classified_by,
    )
    return ParsedTicket(ticket, tuple(per_document))


def _mentions_created(mapping: Mapping[str, Any]) -> bool:
    """Whether an event typed `created` was given (and refused for another reason)."""
    raw = mapping.get("events")
    return isinstance(raw, list) and any(
        isinstance(e, Mapping) and e.get("type") == "created" for e in raw
    )
