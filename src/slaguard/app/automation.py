"""Carrying out escalation and trigger actions inside the caller's transaction.

Notifications go to the outbox; every other action becomes an event of the ticket,
appended through the same path as the API's (so it shows in the ticket's history,
with `actor: slaguard`, and the clocks are recomputed). Event triggers run here too,
for the events a request brings, in stages (classify, assign, notify): each stage sees
what the earlier stages changed. Events written by actions fire no event triggers, so
rules cannot loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaguard.app import outbox
from slaguard.app.configs import latest_version, sla_config
from slaguard.app.services import Services
from slaguard.db.tables import TenantRow, TicketRow, TriggerRunRow
from slaguard.domain.calendar import from_us
from slaguard.domain.engine import Evaluation, evaluate_us
from slaguard.domain.escalation import (
    Action,
    EscalationConfig,
    Stage,
    Trigger,
    action_events,
    notify_names,
    resolve_recipients,
)
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import Ticket
from slaguard.domain.workflow import StatusCategory

__all__ = [
    "AUTOMATION_PREFIX",
    "Done",
    "current_escalation",
    "event_triggers",
    "run_actions",
    "run_trigger",
]

# Ids of events that escalations and triggers write start with this.
AUTOMATION_PREFIX = "auto:"


def iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def current_escalation(svc: Services, tenant_id: int, fallback: SlaConfig) -> EscalationConfig:
    """Channels and people as configured now (they change with staff and endpoints,
    unlike the policies a ticket is judged by)."""
    version = latest_version(svc, tenant_id=tenant_id)
    if version is None:
        return fallback.escalation
    return sla_config(svc, tenant_id=tenant_id, version=version).escalation


def ticket_state(ev: Evaluation, config: SlaConfig) -> tuple[dict[str, Any], StatusCategory | None]:
    """The fields rules test (with status and type), and the status category."""
    fields = {**ev.fields, "status": ev.status, "type": ev.type}
    workflow = config.workflows.get(ev.type)
    category = workflow.category(ev.status) if workflow and ev.status else None
    return fields, category


def tenant_name(s: Session, tenant_id: int) -> str:
    return s.scalar(select(TenantRow.name).where(TenantRow.id == tenant_id)) or ""


@dataclass(frozen=True, slots=True)
class Done:
    """What running actions produced: ticket events to append, notes, deliveries."""

    events: list[dict[str, Any]]
    notes: list[str]
    deliveries: list[str]
    fields: dict[str, Any]


def run_actions(
    s: Session,
    *,
    row: TicketRow,
    actions: tuple[Action, ...],
    fields: Mapping[str, Any],
    esc: EscalationConfig,
    payload: Mapping[str, Any],
    cause: str,
    now: int,
    escalation_id: int | None = None,
    notify_only: bool = False,
    sink: list[dict[str, Any]] | None = None,
) -> Done:
    """Build the events of the actions other than notify, then enqueue the notifications
    to recipients as those actions leave the ticket (`reassign` to tier2, then notify
    `team_lead`: tier2's lead). With a `sink`, outbox rows are added to it, not written
    (`outbox.enqueue`)."""
    docs: list[dict[str, Any]] = []
    notes: list[str] = []
    after = dict(fields)
    if not notify_only:
        at = iso(now)
        assert at is not None
        # event ids are at most 200 characters: the cause, hashed, keeps them short and stable
        digest = hashlib.sha256(cause.encode()).hexdigest()[:20]
        docs, notes, after = action_events(
            actions, fields, esc.people, at=at, id_prefix=f"{AUTOMATION_PREFIX}{digest}"
        )
    recipients, missing = resolve_recipients(notify_names(actions), after, esc)
    payload = {
        **payload,
        "priority": after.get("priority"),
        "team": after.get("team"),
        "assignee": after.get("assignee"),
    }
    deliveries = outbox.enqueue(
        s,
        tenant_id=row.tenant_id,
        ticket_id=row.id,
        escalation_id=escalation_id,
        recipients=recipients,
        payload=payload,
        cause=cause,
        config=esc,
        now=now,
        sink=sink,
    )
    notes = [f"notify: {name!r} names nobody for this ticket" for name in missing] + notes
    return Done(docs, notes, deliveries, after)


def notification(
    *,
    kind: str,
    tenant: str,
    row: TicketRow,
    fields: Mapping[str, Any],
    now: int,
    metric: str | None = None,
    cycle: int | None = None,
    level: str | None = None,
    ladder: str | None = None,
    trigger: str | None = None,
    due_at: int | None = None,
    policy: str | None = None,
    escalation: int | None = None,
    ack_url: str | None = None,
) -> dict[str, Any]:
    """The JSON body of a notification (webhooks receive it as is)."""
    what = f"{metric} {level}" if metric else f"trigger {trigger}"
    message = f"{kind.capitalize()}: ticket {row.external_id} {what}"
    if due_at is not None:
        message += f", due {iso(due_at)}"
    return {
        "kind": kind,
        "tenant": tenant,
        "ticket": row.external_id,
        "metric": metric,
        "cycle": cycle,
        "level": level,
        "ladder": ladder,
        "trigger": trigger,
        "due_at": iso(due_at),
        "at": iso(now),
        "priority": fields.get("priority"),
        "team": fields.get("team"),
        "assignee": fields.get("assignee"),
        "policy": policy,
        "escalation": escalation,
        "ack_url": ack_url,
        "message": message,
    }


def run_trigger(
    s: Session,
    *,
    row: TicketRow,
    trigger: Trigger,
    cause: str,
    fields: Mapping[str, Any],
    esc: EscalationConfig,
    tenant: str,
    now: int,
) -> Done | None:
    """Run a trigger for one cause (an event's key, an idle period) and record that it
    ran; None when it already ran for that cause (a trigger runs once per cause)."""
    ran = s.scalar(
        select(TriggerRunRow.id).where(
            TriggerRunRow.ticket_id == row.id,
            TriggerRunRow.trigger == trigger.name,
            TriggerRunRow.cause == cause,
        )
    )
    if ran is not None:
        return None
    payload = notification(
        kind="trigger", tenant=tenant, row=row, fields=fields, now=now, trigger=trigger.name
    )
    done = run_actions(
        s,
        row=row,
        actions=trigger.actions,
        fields=fields,
        esc=esc,
        payload=payload,
        cause=f"trg:{row.id}:{trigger.name}:{cause}",
        now=now,
    )
    s.add(
        TriggerRunRow(
            tenant_id=row.tenant_id,
            ticket_id=row.id,
            trigger=trigger.name,
            cause=cause,
            fired_us=now,
            note="; ".join(done.notes)[:500],
        )
    )
    return done


_STAGES = (Stage.CLASSIFY, Stage.ASSIGN, Stage.NOTIFY)


def event_triggers(
    s: Session,
    svc: Services,
    *,
    row: TicketRow,
    ticket: Ticket,
    config: SlaConfig,
    new: list[tuple[str, str]],
    reparse: Callable[[list[dict[str, Any]]], Ticket],
    now: int,
) -> tuple[list[dict[str, Any]], Ticket]:
    """Run the event triggers for `new` (event kind, event key) pairs, stage by stage;
    each trigger at most once per request (and never twice for the same event). The
    events the actions wrote, and the ticket with them."""
    triggers = [t for t in config.escalation.triggers if t.events]
    live = [(k, key) for k, key in new if not key.startswith(AUTOMATION_PREFIX)]
    if not triggers or not live:
        return [], ticket
    esc = current_escalation(svc, row.tenant_id, config)
    tenant = tenant_name(s, row.tenant_id)
    written: list[dict[str, Any]] = []
    for stage in _STAGES:
        staged = [t for t in triggers if t.stage is stage]
        if not staged:
            continue
        fields, category = ticket_state(evaluate_us(ticket, config, now), config)
        produced: list[dict[str, Any]] = []
        for trigger in staged:
            cause_key = next((key for kind, key in live if trigger.reacts_to(kind)), None)
            if cause_key is None or not trigger.fits(fields, category, fields.get("status")):
                continue
            done = run_trigger(
                s,
                row=row,
                trigger=trigger,
                cause=cause_key,
                fields=fields,
                esc=esc,
                tenant=tenant,
                now=now,
            )
            if done is None:
                continue
            produced.extend(done.events)
            fields = {**fields, **done.fields}
        if produced:
            written.extend(produced)
            ticket = reparse(written)
    return written, ticket
