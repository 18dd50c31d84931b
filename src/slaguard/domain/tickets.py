"""Tickets and their events, and the one order in which events apply.

Events may arrive late, twice, or in any order. What the engine sees is always the
same list: duplicates (same idempotency key) removed, then sorted by

    (occurred_at, kind rank, id, content)

where the kind rank fixes what happens first at the same instant: created; field
changes (status, priority, tier, assignment, other fields); replies, callbacks and CSAT;
links. So the result never depends on arrival order.

An event sent without an id has none to be ordered by, whether or not the service gave
it a key of its own to store it under (`GENERATED_ID_PREFIX`): events at the same
instant and rank are then ordered by their content, so that the service and
`slaguard explain` put the same events in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from slaguard.domain.errors import ErrorDetail, TicketError

if TYPE_CHECKING:
    from slaguard.domain.policy import ClassificationRule

__all__ = [
    "GENERATED_ID_PREFIX",
    "KIND_RANK",
    "TICKET_FIELDS",
    "Event",
    "EventKind",
    "Ticket",
    "ordered_events",
]

# The start of the keys the service makes for events sent without an id (a hash of the
# ticket and the event's content): a key, but not an id the sender chose.
GENERATED_ID_PREFIX = "h:"


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    PRIORITY = "priority"
    TIER = "tier"
    ASSIGNED = "assigned"
    FIELD = "field"
    AGENT_REPLY = "agent_reply"
    CUSTOMER_REPLY = "customer_reply"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_MADE = "callback_made"
    CSAT = "csat"
    DUPLICATE_OF = "duplicate_of"
    CAUSED_BY = "caused_by"


KIND_RANK: Mapping[EventKind, int] = {
    EventKind.CREATED: 0,
    EventKind.STATUS: 1,
    EventKind.PRIORITY: 2,
    EventKind.TIER: 3,
    EventKind.ASSIGNED: 4,
    EventKind.FIELD: 5,
    EventKind.AGENT_REPLY: 6,
    EventKind.CUSTOMER_REPLY: 6,
    EventKind.CALLBACK_REQUESTED: 6,
    EventKind.CALLBACK_MADE: 6,
    EventKind.CSAT: 6,
    EventKind.DUPLICATE_OF: 7,
    EventKind.CAUSED_BY: 7,
}

# Ticket fields a policy, a classification rule or a milestone condition may test.
# Anything else a ticket carries is a custom field, tested by its own name.
TICKET_FIELDS = (
    "type",
    "status",
    "priority",
    "tier",
    "vip",
    "channel",
    "team",
    "queue",
    "assignee",
    "category",
    "product",
    "account",
    "source",
    "tags",
)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to a ticket, at `at` (UTC epoch microseconds).

    `data` holds the kind's payload: status (created/status), priority, tier,
    team/assignee (assigned), name/value (field), public (agent_reply), original
    (duplicate_of), cause (caused_by), score (csat); `created` may also carry any
    initial ticket field.
    """

    kind: EventKind
    at: int
    id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return KIND_RANK[self.kind]

    def content_key(self) -> str:
        return json.dumps([self.kind, self.at, dict(self.data)], sort_keys=True, default=str)

    def same_content(self, other: Event) -> bool:
        return (
            self.kind == other.kind and self.at == other.at and dict(self.data) == dict(other.data)
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket: its id, its fields at creation, and its events as received."""

    id: str
    fields: Mapping[str, Any]
    events: tuple[Event, ...] = ()
    text: str = ""  # subject and description, for classification rules
    classified_by: ClassificationRule | None = None  # the rule that chose `type`, if any


def ordered_events(events: Iterable[Event]) -> list[Event]:
    """Events deduplicated by id and put in their one order (see the module docstring).

    The same id with different content is refused: the result would otherwise depend
    on which copy arrived first.
    """
    by_id: dict[str, tuple[int, Event]] = {}
    keyed: list[tuple[tuple[int, int, str], Event]] = []
    errors: list[ErrorDetail] = []
    for i, e in enumerate(events):
        eid = e.id
        if eid is not None:
            seen = by_id.get(eid)
            if seen is not None:
                if not seen[1].same_content(e):
                    errors.append(
                        ErrorDetail(
                            f"events[{i}].id",
                            f"{eid!r} was already used by events[{seen[0]}] with different content",
                        )
                    )
                continue
            by_id[eid] = (i, e)
        keyed.append(((e.at, KIND_RANK[e.kind], _order_id(eid)), e))
    if errors:
        raise TicketError(errors)
    keyed.sort(key=_key)
    out: list[Event] = []
    n = len(keyed)
    i = 0
    while i < n:
        key = keyed[i][0]
        j = i + 1
        while j < n and keyed[j][0] == key:
            j += 1
        if j - i == 1:
            out.append(keyed[i][1])
        else:
            # Equal in (at, rank, id): order by content, and keep one of identical
            # id-less copies (one event sent twice).
            run = sorted((e for _, e in keyed[i:j]), key=Event.content_key)
            for e in run:
                if not (e.id is None and out and out[-1].id is None and out[-1].same_content(e)):
                    out.append(e)
        i = j
    return out


def _key(item: tuple[tuple[int, int, str], Event]) -> tuple[int, int, str]:
    return item[0]


def _order_id(eid: str | None) -> str:
    """What an event's id contributes to its order: nothing when the sender gave none."""
    if eid is None or eid.startswith(GENERATED_ID_PREFIX):
        return ""
    return eid
