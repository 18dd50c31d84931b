"""Breaches and their reasons: noted when a clock breaches, confirmed by a person.

`note_breaches` runs with every recompute of a ticket (in its transaction) and keeps the
breach rows those of the recomputed clocks, so that they never depend on the order in
which events arrived: each newly breached clock instance gets a row with the suggested
reason and its evidence (`domain/reasons.py`; the backlog it judges is the team's at the
breach instant, `backlog.level`); a row whose instance is no longer breached
(a late event shows it met in time) or was cancelled is removed; a row whose breach
instant moved (a late priority change) or whose history before the breach changed (a
late event dated before it) gets the new instant and suggestion. Every removal and
update is in the audit trail (`breach.removed`, `breach.updated`), with the reason a
person had confirmed, which an update keeps. A lead confirms or changes the reason
(`confirm`); reports use confirmed reasons and say how many are still only suggested.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaguard.app import audit, backlog
from slaguard.app.configs import breach_taxonomy
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import BreachRow, TicketRow
from slaguard.domain.calendar import from_us
from slaguard.domain.engine import Clock, Evaluation
from slaguard.domain.errors import NotFoundError, TicketError
from slaguard.domain.policy import SlaConfig
from slaguard.domain.reasons import Suggestion, suggest, team_at
from slaguard.domain.states import ClockState
from slaguard.domain.tickets import Ticket

__all__ = ["confirm", "list_breaches", "note_breaches", "suggested"]


def note_breaches(
    s: Session,
    row: TicketRow,
    ticket: Ticket,
    ev: Evaluation,
    config: SlaConfig,
    now: int,
    *,
    had_breaches: bool = True,
    changed_from: int | None = None,
) -> None:
    """Make the ticket's breach rows those of `ev`'s breached clock instances.

    `had_breaches`: whether any stored clock had breached before this recompute (without
    that, and with no breached clock now, the ticket has no breach row to look at).
    `changed_from`: the earliest instant of the events written with this recompute; a
    breach at or after it has its suggestion drawn again from the changed history.
    """
    breached = {
        (c.metric, c.cycle): c
        for c in ev.clocks
        if c.breached_at is not None and c.state is not ClockState.CANCELLED
    }
    if not breached and not had_breaches:
        return
    stored = {
        (b.metric, b.cycle): b
        for b in s.scalars(select(BreachRow).where(BreachRow.ticket_id == row.id))
    }
    load = functools.partial(backlog.level, s, row.tenant_id)
    entries: list[audit.Entry] = []
    for key, b in stored.items():
        clock = breached.get(key)
        if clock is None:  # met in time after all, cancelled, or gone
            s.delete(b)
            entries.append(audit.Entry("breach.removed", row.external_id, _record(b)))
            continue
        assert clock.breached_at is not None
        moved = b.breached_us != clock.breached_at
        if not moved and (changed_from is None or changed_from > clock.breached_at):
            continue
        suggestion = _suggest(ticket, clock, load, config)
        evidence = list(suggestion.evidence)
        if not moved and (b.suggested, b.evidence) == (suggestion.reason, evidence):
            continue
        before = _record(b)
        b.breached_us, b.suggested, b.evidence = clock.breached_at, suggestion.reason, evidence
        entries.append(
            audit.Entry("breach.updated", row.external_id, {**_record(b), "before": before})
        )
    fresh = [clock for key, clock in breached.items() if key not in stored]
    for values in suggested(ticket, fresh, load, config):
        s.add(BreachRow(tenant_id=row.tenant_id, ticket_id=row.id, **values))
    if entries:
        audit.record_many(s, row.tenant_id, entries, now=now)


def _suggest(
    ticket: Ticket,
    clock: Clock,
    load: Callable[[str, int], tuple[int, int] | None],
    config: SlaConfig,
) -> Suggestion:
    """The suggestion for a breached clock; `load(team, at)`: the team's backlog at the
    breach (`backlog.level`)."""
    assert clock.breached_at is not None
    team = team_at(ticket, clock.breached_at)
    level = load(team, clock.breached_at) if team else None
    return suggest(ticket, clock, backlog=level, taxonomy=config.breach_reasons)


def suggested(
    ticket: Ticket,
    clocks: Iterable[Clock],
    load: Callable[[str, int], tuple[int, int] | None],
    config: SlaConfig,
) -> list[dict[str, Any]]:
    """The breaches rows, but for tenant and ticket, of these newly breached clocks: the
    suggested reason and its evidence (`note_breaches`, and the import in bulk).
    `load(team, at)`: the team's backlog at the breach (`backlog.level`)."""
    rows = []
    for clock in clocks:
        suggestion = _suggest(ticket, clock, load, config)
        rows.append(
            {
                "metric": clock.metric,
                "cycle": clock.cycle,
                "breached_us": clock.breached_at,
                "suggested": suggestion.reason,
                "evidence": list(suggestion.evidence),
                "note": "",
            }
        )
    return rows


def _record(b: BreachRow) -> dict[str, Any]:
    """A breach as the audit trail records it when it is updated or removed."""
    return {
        "metric": b.metric,
        "cycle": b.cycle,
        "breached_at": from_us(b.breached_us).isoformat(),
        "suggested": b.suggested,
        "evidence": list(b.evidence),
        "reason": b.reason,
        "confirmed_by": b.confirmed_by,
        "note": b.note,
    }


def _view(b: BreachRow, ticket: str) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "metric": b.metric,
        "cycle": b.cycle,
        "breached_at": from_us(b.breached_us).isoformat(),
        "suggested_reason": b.suggested,
        "evidence": b.evidence,
        "reason": b.reason,
        "confirmed_by": b.confirmed_by,
        "confirmed_at": None if b.confirmed_us is None else from_us(b.confirmed_us).isoformat(),
        "note": b.note,
    }


def _ticket(s: Session, tenant_id: int, ticket_id: str) -> TicketRow:
    row = s.scalar(
        select(TicketRow).where(
            TicketRow.tenant_id == tenant_id, TicketRow.external_id == ticket_id
        )
    )
    if row is None:
        raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
    return row


def list_breaches(svc: Services, *, principal: Principal, ticket_id: str) -> list[dict[str, Any]]:
    with svc.reading() as s:
        row = _ticket(s, principal.tenant_id, ticket_id)
        rows = s.scalars(
            select(BreachRow)
            .where(BreachRow.ticket_id == row.id)
            .order_by(BreachRow.breached_us, BreachRow.id)
        )
        return [_view(b, ticket_id) for b in rows]


def confirm(
    svc: Services,
    *,
    principal: Principal,
    ticket_id: str,
    metric: str,
    cycle: int,
    reason: Any,
    note: Any = "",
) -> dict[str, Any]:
    """Confirm the suggested reason or set another one of the tenant's taxonomy."""
    require(principal, Role.AGENT)
    if not isinstance(note, str) or len(note) > 1000:
        raise TicketError("a note is text of at most 1000 characters", "note")
    with svc.writing() as s:
        row = _ticket(s, principal.tenant_id, ticket_id)
        b = s.scalar(
            select(BreachRow).where(
                BreachRow.ticket_id == row.id, BreachRow.metric == metric, BreachRow.cycle == cycle
            )
        )
        if b is None:
            raise NotFoundError(f"ticket {ticket_id!r} has no breach of {metric} cycle {cycle}")
        taxonomy = breach_taxonomy(svc, tenant_id=row.tenant_id)
        if not isinstance(reason, str) or reason not in taxonomy:
            known = ", ".join(taxonomy)
            raise TicketError(f"unknown reason {reason!r} (one of {known})", "reason")
        now = svc.clock()
        who = principal.actor
        b.reason, b.confirmed_by, b.confirmed_us, b.note = reason, who, now, note
        audit.record(
            s,
            row.tenant_id,
            "breach.reason",
            ticket_id,
            {
                "metric": metric,
                "cycle": cycle,
                "reason": reason,
                "suggested": b.suggested,
                "note": note,
            },
            now=now,
            actor=who,
        )
        return _view(b, ticket_id)
