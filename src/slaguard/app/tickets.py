"""Tickets and their events: create, append (idempotently), read, list, evaluate.

Writing an event and recomputing that ticket's clocks happen in one transaction, so a
crash loses nothing that was acknowledged and nothing half-written is ever visible.
Every event is stored with an idempotency key, unique per tenant: the caller's `id`, or
for an event sent without one, a hash of its content (the same event sent twice is then
stored once too). A key seen again with the same content returns the stored event; with
different content it is a conflict naming the field.

The ticket's events are kept as the documents received (each with its key as `id`) and
the history is judged as a whole whenever one is added (each stored event's own
validation is kept from before, see `app/history.py`), so a late event is placed in time
order and the clocks are recomputed from scratch: the result never depends on arrival
order.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, exists, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from slaguard.app import audit, history
from slaguard.app.automation import event_triggers
from slaguard.app.breaches import note_breaches
from slaguard.app.clock_rows import store_clocks
from slaguard.app.configs import latest_version, latest_version_in, sla_config
from slaguard.app.services import Services, on_commit
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.timers import plan_timers
from slaguard.db.rollups import REPORT_COLUMNS, TICKET_DIMS, dim_value
from slaguard.db.statements import insert_many
from slaguard.db.tables import ClockRow, EventRow, LinkRow, TicketRow
from slaguard.domain.calendar import from_us
from slaguard.domain.engine import Evaluation, evaluate_us
from slaguard.domain.errors import (
    ConflictError,
    ErrorDetail,
    LinkError,
    NotFoundError,
    RequestError,
    TicketError,
)
from slaguard.domain.links import CAUSED_BY, DUPLICATE_OF, LinkGraph
from slaguard.domain.policy import SlaConfig
from slaguard.domain.states import ClockState
from slaguard.domain.tickets import Event, Ticket
from slaguard.schemas.event_keys import canonical, content_key
from slaguard.schemas.json_kinds import json_kind
from slaguard.schemas.ticket import (
    ParsedTicket,
    parse_events,
    parse_ticket,
    ticket_id_problem,
)

__all__ = [
    "AppendResult",
    "StoredEvent",
    "add_events",
    "append",
    "create_ticket",
    "evaluate_ticket",
    "events_write",
    "find_ticket",
    "get_ticket",
    "list_tickets",
    "reapply_config",
    "ticket_exists",
]

# Worst first: the state a ticket shows in lists is its worst clock's.
_SEVERITY = [
    ClockState.BREACHED,
    ClockState.RUNNING,
    ClockState.PAUSED,
    ClockState.BREACHED_MET,
    ClockState.MET,
    ClockState.CANCELLED,
]


# The write path's statements, built once: SQLAlchemy then reuses their cache keys and
# compiled forms instead of building and hashing a new expression on every request.
_EVENTS = EventRow.metadata.tables[EventRow.__tablename__]
_STORED_KEYS = select(_EVENTS.c.key, _EVENTS.c.ticket_id, _EVENTS.c.data).where(
    _EVENTS.c.tenant_id == bindparam("tenant_id"),
    _EVENTS.c.key.in_(bindparam("keys", expanding=True)),
)
_TICKET = select(TicketRow).where(
    TicketRow.tenant_id == bindparam("tenant_id"),
    TicketRow.external_id == bindparam("external_id"),
)
_TICKET_LOCKED = _TICKET.with_for_update()
_TICKETS = TicketRow.metadata.tables[TicketRow.__tablename__]
_UPDATE_TICKET = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("ticket_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "type",
                "status",
                "priority",
                "team",
                "assignee",
                *REPORT_COLUMNS,
                "policy",
                "sla_state",
                "updated_us",
            )
        }
    )
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    key: str
    document: dict[str, Any]
    created: bool  # False when the key was already stored (an idempotent repeat)


@dataclass(frozen=True, slots=True)
class AppendResult:
    ticket: dict[str, Any]
    events: list[StoredEvent] = field(default_factory=list)

    @property
    def any_created(self) -> bool:
        return any(e.created for e in self.events)


# ---------------------------------------------------------------------------------------
# keys and documents
# ---------------------------------------------------------------------------------------


def _keyed(ticket_id: str, doc: Any, index: int) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        raise TicketError(
            f"an event is a JSON object, got {type(doc).__name__}", f"events[{index}]"
        )
    out = dict(doc)
    key = out.get("id")
    if key is None:
        out["id"] = content_key(ticket_id, out)
    elif not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise TicketError(
            "an event id is a non-empty string of at most 200 characters", f"events[{index}].id"
        )
    return out


def _ticket_fields(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "events"}


def ticket_view(row: TicketRow) -> dict[str, Any]:
    return {
        "id": row.external_id,
        "source": row.source,
        "type": row.type,
        "status": row.status,
        "priority": row.priority,
        "team": row.team,
        "assignee": row.assignee,
        "policy": row.policy,
        "sla_state": row.sla_state,
        "config_version": row.config_version,
        "created_at": from_us(row.created_us).isoformat(),
        "updated_at": from_us(row.updated_us).isoformat(),
        "fields": row.document,
    }


# ---------------------------------------------------------------------------------------
# create and append
# ---------------------------------------------------------------------------------------


def create_ticket(
    svc: Services, *, principal: Principal, document: Mapping[str, Any], source: str = "api"
) -> AppendResult:
    """A new ticket with its optional events, pinned to the current configuration."""
    require(principal, Role.AGENT)
    if not isinstance(document, Mapping):
        raise TicketError("a ticket is a JSON object")
    external_id = document.get("id")
    problem = ticket_id_problem(external_id)
    if problem is not None:
        raise TicketError(problem, "id")
    assert isinstance(external_id, str)
    raw_events = document.get("events", [])
    if not isinstance(raw_events, list):
        raise TicketError(f"expected a list of events, got {json_kind(raw_events)}", "events")
    docs = _dedupe_batch([_keyed(external_id, d, i) for i, d in enumerate(raw_events)])
    version = latest_version(svc, tenant_id=principal.tenant_id)
    if version is None:
        raise ConflictError("this tenant has no configuration yet: PUT /api/v1/config first")
    config = sla_config(svc, tenant_id=principal.tenant_id, version=version)
    fields = _ticket_fields(document)
    with svc.writing() as s:
        if _ticket_row(s, principal.tenant_id, external_id) is not None:
            raise ConflictError(f"ticket {external_id!r} already exists", "id")
        _check_keys_unused(s, principal.tenant_id, docs, ticket_pk=None)
        ticket = _parse(fields, docs, config, first_new=0)
        _check_links(s, principal.tenant_id, external_id, docs, 0)
        now = svc.clock()
        row = TicketRow(
            tenant_id=principal.tenant_id,
            external_id=external_id,
            source=source,
            document=fields,
            config_version=version,
            created_us=min((e.at for e in ticket.events), default=now),
            updated_us=now,
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            row.tenant_id,
            "ticket.created",
            external_id,
            {"fields": fields},
            now=now,
            actor=principal.actor,
        )
        new = [("created", "created"), *((str(d.get("type")), d["id"]) for d in docs)]
        written, ticket = event_triggers(
            s,
            svc,
            row=row,
            ticket=ticket,
            config=config,
            new=new,
            now=now,
            reparse=lambda extra: _parse(fields, [*docs, *extra], config, first_new=0),
        )
        _insert_events(s, row, [*docs, *written], ticket, now)
        _recompute(s, row, ticket, config, now)
        view = ticket_view(row)
    return AppendResult(view, [StoredEvent(d["id"], d, True) for d in docs])


def add_events(
    svc: Services, *, principal: Principal, ticket_id: str, events: Sequence[Any]
) -> AppendResult:
    """Append events to a ticket (idempotently) and recompute its clocks."""
    return svc.write(events_write(svc, principal=principal, ticket_id=ticket_id, events=events))


def events_write(
    svc: Services, *, principal: Principal, ticket_id: str, events: Sequence[Any]
) -> Callable[[Session], AppendResult]:
    """`add_events` as the write to run (`svc.write` or `svc.submit_write`), once the
    request itself is checked: what is wrong with it without reading the database is
    raised here, before anything is queued."""
    require(principal, Role.AGENT)
    if not events:
        raise TicketError("expected at least one event", "events")
    docs = _dedupe_batch([_keyed(ticket_id, d, i) for i, d in enumerate(events)])

    def write(s: Session) -> AppendResult:
        row = _ticket_row(s, principal.tenant_id, ticket_id, lock=True)
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        stored = _check_keys_unused(s, principal.tenant_id, docs, ticket_pk=row.id)
        new = [d for d in docs if d["id"] not in stored]
        results = [
            StoredEvent(d["id"], stored.get(d["id"], d), d["id"] not in stored) for d in docs
        ]
        if new:
            append(s, svc, row, new, now=svc.clock())
        return AppendResult(ticket_view(row), results)

    return write


def append(
    s: Session, svc: Services, row: TicketRow, new: list[dict[str, Any]], *, now: int
) -> Ticket:
    """Append keyed, not yet stored events to a locked ticket row in the caller's
    transaction: validate the whole history with them, run event triggers, store,
    recompute the clocks and the timers. The ticket as it now stands."""
    config = sla_config(svc, tenant_id=row.tenant_id, version=row.config_version)
    before = history.stored(s, svc.histories, row)
    fields = row.document
    parsed = _parse_after(fields, before, new, config)
    _check_links(s, row.tenant_id, row.external_id, new, 0)

    def reparse(extra: list[dict[str, Any]]) -> Ticket:
        nonlocal parsed
        parsed = _parse_after(fields, before, [*new, *extra], config)
        return parsed.ticket

    written, ticket = event_triggers(
        s,
        svc,
        row=row,
        ticket=parsed.ticket,
        config=config,
        new=[(str(d.get("type")), d["id"]) for d in new],
        now=now,
        reparse=reparse,
    )
    _insert_events(s, row, [*new, *written], ticket, now)
    keys = {d["id"] for d in [*new, *written]}
    changed_from = min((e.at for e in ticket.events if e.id in keys), default=None)
    _recompute(s, row, ticket, config, now, updated_us=now, changed_from=changed_from)
    _remember(s, svc, row, parsed.events)
    return ticket


def _remember(s: Session, svc: Services, row: TicketRow, events: tuple[Event, ...]) -> None:
    """The ticket's parsed events, for the next write, once they are committed."""
    on_commit(s, functools.partial(svc.histories.put, history.key_of(row), events))


def _dedupe_batch(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One copy of each key within a batch; the same key with other content is refused."""
    seen: dict[str, tuple[int, str]] = {}
    out: list[dict[str, Any]] = []
    errors: list[ErrorDetail] = []
    for i, d in enumerate(docs):
        canon = canonical(d)
        prior = seen.get(d["id"])
        if prior is None:
            seen[d["id"]] = (i, canon)
            out.append(d)
        elif prior[1] != canon:
            errors.append(
                ErrorDetail(
                    f"events[{i}].id",
                    f"{d['id']!r} is used by events[{prior[0]}] with different content",
                )
            )
    if errors:
        raise ConflictError(errors)
    return out


def _check_keys_unused(
    s: Session, tenant_id: int, docs: list[dict[str, Any]], ticket_pk: int | None
) -> dict[str, dict[str, Any]]:
    """Keys already stored (key -> stored document) when they are exact repeats;
    a conflict for a key stored with other content or on another ticket."""
    if not docs:
        return {}
    rows = s.execute(_STORED_KEYS, {"tenant_id": tenant_id, "keys": [d["id"] for d in docs]})
    by_key = {r.key: r for r in rows}
    repeats: dict[str, dict[str, Any]] = {}
    errors: list[ErrorDetail] = []
    for i, d in enumerate(docs):
        r = by_key.get(d["id"])
        if r is None:
            continue
        if r.ticket_id != ticket_pk:
            errors.append(
                ErrorDetail(f"events[{i}].id", f"{d['id']!r} is already used by another ticket")
            )
        elif canonical(r.data) != canonical(d):
            errors.append(
                ErrorDetail(
                    f"events[{i}].id",
                    f"{d['id']!r} was already stored with different content",
                )
            )
        else:
            repeats[d["id"]] = r.data
    if errors:
        raise ConflictError(errors)
    return repeats


def _parse(
    fields: Mapping[str, Any], docs: list[dict[str, Any]], config: SlaConfig, first_new: int
) -> Ticket:
    """The whole ticket validated; paths of new events renumbered as the caller sent them."""
    return _parse_after(
        fields, history.Stored((), docs[:first_new]), docs[first_new:], config
    ).ticket


def _parse_after(
    fields: Mapping[str, Any],
    before: history.Stored,
    new: list[dict[str, Any]],
    config: SlaConfig,
) -> ParsedTicket:
    """The ticket with `new` events after its stored ones, validated as a whole (stored
    events parsed before are taken as they are); error paths of new events numbered as
    the caller sent them."""
    docs = [*before.docs, *new]
    try:
        parsed = parse_events({**fields, "events": docs}, config, known=before.known)
    except TicketError as exc:
        details = [_renumber(d, before.count) for d in exc.details]
        raise type(exc)(details) from None
    return parsed


def _renumber(d: ErrorDetail, first_new: int) -> ErrorDetail:
    if first_new and d.path.startswith("events["):
        idx, _, rest = d.path[len("events[") :].partition("]")
        if idx.isdigit():
            n = int(idx)
            where = f"events[{n - first_new}]" if n >= first_new else f"stored event {n}"
            return ErrorDetail(where + rest, d.message)
    return d


# Advisory lock keys for link writers, one per tenant (an arbitrary, fixed offset).
_LINK_LOCK_BASE = 0x5_1A_0000_0000


def _check_links(
    s: Session, tenant_id: int, ticket_id: str, docs: list[dict[str, Any]], offset: int
) -> None:
    """Links name existing tickets of the tenant and keep the link rules across tickets."""
    links = [
        (i, DUPLICATE_OF if d.get("type") == "duplicate_of" else CAUSED_BY, d)
        for i, d in enumerate(docs, offset)
        if d.get("type") in ("duplicate_of", "caused_by")
    ]
    if not links:
        return
    if s.get_bind().dialect.name == "postgresql":
        # Link rules span tickets: writers of links in one tenant take turns, so two
        # requests linking A->B and B->A at once cannot both pass the cycle check.
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LINK_LOCK_BASE + tenant_id})
    graph = LinkGraph.stored(
        (r.ticket, r.kind, r.other)
        for r in s.execute(
            select(LinkRow.ticket, LinkRow.kind, LinkRow.other).where(
                LinkRow.tenant_id == tenant_id
            )
        )
    )
    for i, kind, d in links:
        field_name = "original" if kind == DUPLICATE_OF else "cause"
        other = str(d.get(field_name))
        path = f"events[{i}].{field_name}"
        if _ticket_row(s, tenant_id, other) is None:
            raise LinkError(f"no ticket {other!r} in this tenant", path)
        known = (
            graph.duplicate_of.get(ticket_id) == other
            if kind == DUPLICATE_OF
            else other in graph.caused_by.get(ticket_id, ())
        )
        graph.add(ticket_id, kind, other, path)
        if not known:  # the same link sent again is stored once
            s.add(LinkRow(tenant_id=tenant_id, ticket=ticket_id, kind=kind, other=other))


def _insert_events(
    s: Session, row: TicketRow, docs: list[dict[str, Any]], ticket: Ticket, now: int
) -> None:
    if not docs:
        return
    at = {e.id: e.at for e in ticket.events if e.id is not None}
    insert_many(
        s,
        _EVENTS,
        [
            {
                "tenant_id": row.tenant_id,
                "ticket_id": row.id,
                "key": d["id"],
                "kind": str(d.get("type")),
                "occurred_us": at.get(d["id"], now),
                "data": d,
                "received_us": now,
            }
            for d in docs
        ],
    )
    audit.record_many(
        s,
        row.tenant_id,
        [audit.Entry("ticket.event", row.external_id, d, str(d.get("actor") or "")) for d in docs],
        now=now,
    )


def _recompute(
    s: Session,
    row: TicketRow,
    ticket: Ticket,
    config: SlaConfig,
    now: int,
    *,
    updated_us: int | None = None,
    changed_from: int | None = None,
) -> None:
    """Bring the ticket's materialised clocks, clock log, timers, list columns and
    breach rows in line with a fresh evaluation (and its `updated_us`, when given).
    `changed_from`: the earliest instant of the events written with it."""
    ev = evaluate_us(ticket, config, now)
    plan_timers(s, row, ev, ticket, config, now)
    fields = ev.fields
    _check_lengths(fields)
    states = {c.state for c in ev.clocks}
    columns: dict[str, Any] = {
        "type": ev.type,
        "status": ev.status,
        "priority": fields.get("priority"),
        "team": fields.get("team"),
        "assignee": fields.get("assignee"),
        **{name: dim_value(fields.get(name)) for name in REPORT_COLUMNS},
        "policy": ev.policy.name if ev.policy is not None else None,
        "sla_state": next((st.value for st in _SEVERITY if st in states), None),
        "updated_us": row.updated_us if updated_us is None else updated_us,
    }
    had_breaches = store_clocks(s, row, ev, {d: columns[d] for d in TICKET_DIMS})
    # One Core UPDATE: the ORM's flush of a changed row costs several times as much on
    # this path. The row object is given the values as already stored, so it shows them
    # and the flush has nothing more to write.
    s.execute(_UPDATE_TICKET, {"ticket_id": row.id, **columns})
    for name, value in columns.items():
        set_committed_value(row, name, value)
    # After the clocks and columns are stored: a breach's backlog counts this ticket too.
    note_breaches(
        s, row, ticket, ev, config, now, had_breaches=had_breaches, changed_from=changed_from
    )


# Ticket fields kept in columns of their own (for filters) and the most they may hold.
_COLUMN_LENGTHS = {"team": 200, "assignee": 200}


def _check_lengths(fields: Mapping[str, Any]) -> None:
    errors = [
        ErrorDetail(name, f"at most {most} characters (got {len(value)})")
        for name, most in _COLUMN_LENGTHS.items()
        if isinstance(value := fields.get(name), str) and len(value) > most
    ]
    if errors:
        raise TicketError(errors)


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------


def _ticket_row(
    s: Session, tenant_id: int, external_id: str, *, lock: bool = False
) -> TicketRow | None:
    # The lock serialises writers of one ticket on PostgreSQL.
    q = _TICKET_LOCKED if lock else _TICKET
    return s.scalars(q, {"tenant_id": tenant_id, "external_id": external_id}).first()


def ticket_exists(svc: Services, *, tenant_id: int, ticket_id: str) -> bool:
    with svc.reading() as s:
        return _ticket_row(s, tenant_id, ticket_id) is not None


def find_ticket(svc: Services, *, tenant_id: int, ticket_id: str) -> dict[str, Any] | None:
    """The ticket's fields (`ticket_view`, no events), or None when the tenant has none."""
    with svc.reading() as s:
        row = _ticket_row(s, tenant_id, ticket_id)
        return None if row is None else ticket_view(row)


def get_ticket(svc: Services, *, principal: Principal, ticket_id: str) -> dict[str, Any]:
    with svc.reading() as s:
        row = _ticket_row(s, principal.tenant_id, ticket_id)
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        view = ticket_view(row)
        view["events"] = list(
            s.scalars(
                select(EventRow.data)
                .where(EventRow.ticket_id == row.id)
                .order_by(EventRow.occurred_us, EventRow.id)
            )
        )
    return view


def evaluate_ticket(
    svc: Services, *, principal: Principal, ticket_id: str, at: int | None = None
) -> tuple[Evaluation, SlaConfig]:
    """The ticket's clocks as of `at` (default now), from its stored events."""
    with svc.reading() as s:
        row = _ticket_row(s, principal.tenant_id, ticket_id)
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        docs = list(
            s.scalars(
                select(EventRow.data).where(EventRow.ticket_id == row.id).order_by(EventRow.id)
            )
        )
        fields, version = row.document, row.config_version
    config = sla_config(svc, tenant_id=principal.tenant_id, version=version)
    ticket = parse_ticket({**fields, "events": docs}, config)
    return evaluate_us(ticket, config, svc.clock() if at is None else at), config


def _cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


# Row ids are 64-bit integers in both databases.
_MAX_ROW_ID = 2**63 - 1


def _from_cursor(cursor: str) -> int:
    """The row id a cursor continues after; anything else (malformed, or a number no row
    id can be) is the same 422 naming `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode("ascii")
    except (ValueError, UnicodeError):
        text = ""
    if text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= _MAX_ROW_ID:
        return int(text)
    raise RequestError("not a cursor returned by this API", "cursor")


def list_tickets(
    svc: Services,
    *,
    principal: Principal,
    state: str | None = None,
    team: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of tickets in id order, filtered; the cursor continues after the last one."""
    if not 1 <= limit <= 500:
        raise RequestError("limit must be between 1 and 500", "limit")
    q: Select[tuple[TicketRow]] = select(TicketRow).where(
        TicketRow.tenant_id == principal.tenant_id
    )
    if state is not None:
        try:
            wanted = ClockState(state)
        except ValueError:
            known = ", ".join(s.value for s in ClockState)
            raise RequestError(f"unknown state {state!r} (one of {known})", "state") from None
        now = svc.clock()
        # A running clock whose due instant has passed is breached now, whether or not
        # anything was written since: the stored states are as of the last write.
        overdue = exists().where(
            ClockRow.ticket_id == TicketRow.id,
            ClockRow.state == ClockState.RUNNING.value,
            ClockRow.due_us < now,
        )
        if wanted is ClockState.BREACHED:
            q = q.where(or_(TicketRow.sla_state == ClockState.BREACHED.value, overdue))
        elif wanted is ClockState.RUNNING:
            q = q.where(TicketRow.sla_state == wanted.value, ~overdue)
        else:
            q = q.where(TicketRow.sla_state == wanted.value)
    if team is not None:
        q = q.where(TicketRow.team == team)
    if priority is not None:
        q = q.where(TicketRow.priority == priority)
    if status is not None:
        q = q.where(TicketRow.status == status)
    if cursor:
        q = q.where(TicketRow.id > _from_cursor(cursor))
    q = q.order_by(TicketRow.id).limit(limit + 1)
    with svc.reading() as s:
        rows = list(s.scalars(q))
    more = len(rows) > limit
    rows = rows[:limit]
    return [ticket_view(r) for r in rows], (_cursor(rows[-1].id) if more and rows else None)


def recompute(s: Session, svc: Services, row: TicketRow, *, now: int) -> None:
    """Re-judge a locked ticket as of `now` with no new event: its stored clocks, log
    and timers catch up with time (a warning crossed, a due instant passed)."""
    config = sla_config(svc, tenant_id=row.tenant_id, version=row.config_version)
    before = history.stored(s, svc.histories, row)
    parsed = _parse_after(row.document, before, [], config)
    _recompute(s, row, parsed.ticket, config, now)
    _remember(s, svc, row, parsed.events)


def reapply_config(
    svc: Services, *, principal: Principal, ticket_id: str, version: int | None = None
) -> dict[str, Any]:
    """Judge a ticket by a newer configuration version (default: the tenant's latest), as
    a person decides: its whole history is validated and evaluated again under that
    version, and its clocks, clock log, timers and breaches are recomputed in one
    transaction; the change is in the audit trail (`ticket.config_reapplied`). The
    version it is judged by changes nothing; an older one is refused (a ticket's clocks
    never go back to rules it has left)."""
    require(principal, Role.ADMIN)
    if version is not None and (type(version) is not int or version < 1):
        raise TicketError(f"a configuration version is a number from 1, got {version!r}", "version")

    def write(s: Session) -> dict[str, Any]:
        row = _ticket_row(s, principal.tenant_id, ticket_id, lock=True)
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        latest = latest_version_in(s, row.tenant_id)
        target = latest if version is None else version
        if target is None or latest is None or target > latest:
            raise NotFoundError(f"no configuration version {target}", "version")
        if target < row.config_version:
            raise ConflictError(
                f"version {target} is older than version {row.config_version}, which the "
                "ticket is judged by: only a newer version can be re-applied",
                "version",
            )
        if target == row.config_version:
            return ticket_view(row)
        config = sla_config(svc, tenant_id=row.tenant_id, version=target)
        docs = history.documents(s, row)
        try:
            parsed = _parse_after(row.document, history.Stored((), []), docs, config)
        except TicketError as exc:
            raise ConflictError(
                [
                    ErrorDetail(
                        "version",
                        f"the ticket's history does not fit version {target}: "
                        f"{d.path or 'ticket'}: {d.message}",
                    )
                    for d in exc.details
                ]
            ) from None
        old, now = row.config_version, svc.clock()
        s.execute(update(TicketRow).where(TicketRow.id == row.id).values(config_version=target))
        set_committed_value(row, "config_version", target)
        ticket = parsed.ticket
        first = min((e.at for e in ticket.events), default=None)
        _recompute(s, row, ticket, config, now, updated_us=now, changed_from=first)
        _remember(s, svc, row, parsed.events)
        audit.record(
            s,
            row.tenant_id,
            "ticket.config_reapplied",
            ticket_id,
            {"from": old, "to": target},
            now=now,
            actor=principal.actor,
        )
        return ticket_view(row)

    return svc.write(write)
