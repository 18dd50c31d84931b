"""The transactional outbox: notifications written with the change that caused them,
delivered later, at least once, each under one stable delivery id.

Enqueueing happens inside the caller's transaction (an escalation level firing, a
trigger running), so a notification exists exactly when its cause was committed.
Delivery is claim -> send -> finish:

- `claim` takes due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
  share the work) and pushes their `next_us` past a lease before committing; a worker
  that dies while sending leaves the row to be claimed again once the lease ends, and
  it is re-sent under the same delivery id.
- `finish` marks each row sent, or schedules a retry with exponential backoff and
  jitter, or moves it to the dead-letter list (`dead`) after too many attempts or a
  permanent failure. `retry` makes dead rows pending again.

Quiet hours hold a non-P1 notification until the quiet window ends; a channel with a
`digest` window folds its non-P1 notifications into one digest message per window.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from slaguard.app.configs import sla_config
from slaguard.app.services import Services
from slaguard.db.statements import insert_many
from slaguard.db.tables import ConfigVersionRow, OutboxRow, TenantRow
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import NotFoundError, TicketError
from slaguard.domain.escalation import ChannelType, EscalationConfig, Recipient

__all__ = [
    "PENDING",
    "Claimed",
    "Outcome",
    "claim",
    "delivery_id_for",
    "enqueue",
    "finish",
    "list_outbox",
    "next_due",
    "retry",
    "write_leased",
    "write_rows",
]

PENDING, HELD, SENT, DEAD, DIGESTED = "pending", "held", "sent", "dead", "digested"
STATES = (PENDING, HELD, SENT, DEAD, DIGESTED)
_NAMESPACE = uuid.UUID("6f1c9b52-8e0a-4d5e-9b1e-3f6c2a7d4e10")
_jitter = random.SystemRandom()
_OUTBOX = OutboxRow.metadata.tables[OutboxRow.__tablename__]


def delivery_id_for(cause: str, recipient: Recipient) -> str:
    """A stable delivery id: the same cause and recipient always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{cause}\n{recipient.key}"))


def _iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def enqueue(
    s: Session,
    *,
    tenant_id: int,
    ticket_id: int | None,
    escalation_id: int | None,
    recipients: Iterable[Recipient],
    payload: Mapping[str, Any],
    cause: str,
    config: EscalationConfig,
    now: int,
    sink: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Write one outbox row per recipient (in the caller's transaction); their delivery
    ids. A recipient already notified for this cause is not notified twice. With a
    `sink`, the rows are added to it instead, for the caller to write many at once
    (`write_rows`)."""
    kind = str(payload.get("kind"))
    priority = payload.get("priority")
    rows: list[dict[str, Any]] = []
    ids: list[str] = []
    for r in recipients:
        delivery_id = delivery_id_for(cause, r)
        if r.channel is not None:
            channel = config.channels.get(r.channel)
            if channel is None:
                continue
            channel_type, quiet, digest_us = channel.type, channel.quiet, channel.digest_us
        else:
            assert r.person is not None
            channel_type = ChannelType.SMS if r.person.startswith("+") else ChannelType.EMAIL
            quiet, digest_us = config.people.quiet.get(r.person), None
        state, next_us = PENDING, now
        urgent = priority == "P1"
        if quiet is not None and not urgent:
            release = quiet.release_at(now)
            if release is not None:
                next_us = release
        if digest_us and not urgent:
            state = HELD
            window = s.scalar(
                select(func.min(OutboxRow.next_us)).where(
                    OutboxRow.tenant_id == tenant_id,
                    OutboxRow.channel == r.channel,
                    OutboxRow.state == HELD,
                )
            )
            next_us = max(next_us, window if window is not None else now + digest_us)
        rows.append(
            {
                "delivery_id": delivery_id,
                "tenant_id": tenant_id,
                "ticket_id": ticket_id,
                "escalation_id": escalation_id,
                "channel": r.channel,
                "person": r.person,
                "channel_type": channel_type.value,
                "kind": kind,
                "priority": priority,
                "payload": {**payload, "delivery": delivery_id, "recipient": r.via},
                "state": state,
                "attempts": 0,
                "next_us": next_us,
                "created_us": now,
            }
        )
        ids.append(delivery_id)
    if sink is not None:
        sink.extend(rows)
    else:
        write_rows(s, rows)
    return ids


def write_rows(s: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert outbox rows (from `enqueue`'s sink) in one statement; a delivery id already
    stored is skipped: its notification exists."""
    insert_many(s, _OUTBOX, rows, skip_stored=["delivery_id"])


def write_leased(
    s: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: int,
    lease_us: int,
    escalation: Callable[[int], EscalationConfig | None],
) -> list[Claimed]:
    """Insert outbox rows (from `enqueue`'s sink) like `write_rows`, except that those due
    now are written already leased to the caller, as `claim` would lease them (attempts 1,
    due again after the lease): returned for the caller to send once it has committed, with
    no claim of its own. Should the caller not send them (it crashed), anyone claims them
    after the lease and sends them under the same delivery id. `escalation` gives a
    tenant's channels and people as configured now; a row whose channel it lacks is
    written unleased, left to `claim`."""
    leased: dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    plain: list[Mapping[str, Any]] = []
    configs: dict[int, EscalationConfig | None] = {}
    for r in rows:
        settings: Mapping[str, Any] | None = None
        if r["state"] == PENDING and r["next_us"] <= now:
            tenant_id = r["tenant_id"]
            if tenant_id not in configs:
                configs[tenant_id] = escalation(tenant_id)
            config = configs[tenant_id]
            if r["channel"] is None:
                settings = {"to": [r["person"]]}
            elif config is not None and (channel := config.channels.get(r["channel"])):
                settings = channel.settings
        if settings is None:
            plain.append(r)
        else:
            leased[r["delivery_id"]] = ({**r, "attempts": 1, "next_us": now + lease_us}, settings)
    write_rows(s, plain)
    if not leased:
        return []
    written = insert_many(
        s,
        _OUTBOX,
        [r for r, _ in leased.values()],
        skip_stored=["delivery_id"],
        returning=["id", "delivery_id"],
    )  # a delivery id already stored is not returned: not ours to send
    out: list[Claimed] = []
    for row_id, delivery_id in sorted(written):
        r, settings = leased[delivery_id]
        out.append(
            Claimed(row_id, delivery_id, r["channel_type"], settings, r["payload"], r["attempts"])
        )
    return out


# ---------------------------------------------------------------------------------------
# delivery
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery to attempt now."""

    row_id: int
    delivery_id: str
    channel_type: str
    settings: Mapping[str, Any]
    payload: Mapping[str, Any]
    attempts: int  # including this one


@dataclass(frozen=True, slots=True)
class Outcome:
    row_id: int
    ok: bool
    error: str = ""
    permanent: bool = False
    retry_after_s: float | None = None


def _fold_digests(s: Session, now: int) -> None:
    """Held rows whose digest window ended become one digest delivery per channel."""
    due = s.execute(
        select(OutboxRow.tenant_id, OutboxRow.channel)
        .where(OutboxRow.state == HELD, OutboxRow.next_us <= now)
        .distinct()
    ).all()
    for tenant_id, channel in due:
        q = (
            select(OutboxRow)
            .where(
                OutboxRow.tenant_id == tenant_id,
                OutboxRow.channel == channel,
                OutboxRow.state == HELD,
                OutboxRow.next_us <= now,
            )
            .order_by(OutboxRow.id)
        )
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        held = list(s.scalars(q))
        if not held:
            continue
        digest_id = str(uuid.uuid5(_NAMESPACE, "digest\n" + "\n".join(r.delivery_id for r in held)))
        tenant = s.scalar(select(TenantRow.name).where(TenantRow.id == tenant_id))
        payload = {
            "kind": "digest",
            "tenant": tenant,
            "ticket": None,
            "metric": None,
            "cycle": None,
            "level": None,
            "due_at": None,
            "at": _iso(now),
            "delivery": digest_id,
            "recipient": channel,
            "message": f"Digest: {len(held)} notifications",
            "items": [r.payload for r in held],
        }
        s.add(
            OutboxRow(
                delivery_id=digest_id,
                tenant_id=tenant_id,
                channel=channel,
                channel_type=held[0].channel_type,
                kind="digest",
                priority=None,
                payload=payload,
                state=PENDING,
                attempts=0,
                next_us=now,
                created_us=now,
            )
        )
        for r in held:
            r.state = DIGESTED
            r.digest_id = digest_id


def claim(
    svc: Services,
    *,
    now: int,
    limit: int,
    lease_us: int,
) -> list[Claimed]:
    """Take up to `limit` due deliveries, leased for `lease_us`: one UPDATE ... RETURNING
    of the rows a subquery picks (locked, skipping locked ones, on PostgreSQL).

    What a worker has just fired it does not claim: it wrote it leased to itself
    (`write_leased`). The search walks the due index from its start, which in a burst
    is thick with entries of rows taken moments ago that vacuum has not removed yet."""
    out: list[Claimed] = []
    with svc.writing() as s:
        _fold_digests(s, now)
        s.flush()  # the digests it made are claimed below (by a Core statement)
        due = (
            select(_OUTBOX.c.id)
            .where(_OUTBOX.c.state == PENDING, _OUTBOX.c.next_us <= now)
            .order_by(_OUTBOX.c.next_us)
            .limit(limit)
        )
        if not svc.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        rows = s.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(due))
            .values(attempts=_OUTBOX.c.attempts + 1, next_us=now + lease_us)
            .returning(
                _OUTBOX.c.id,
                _OUTBOX.c.delivery_id,
                _OUTBOX.c.tenant_id,
                _OUTBOX.c.channel,
                _OUTBOX.c.person,
                _OUTBOX.c.channel_type,
                _OUTBOX.c.payload,
                _OUTBOX.c.attempts,
                _OUTBOX.c.next_us,
            )
        ).all()
        configs = _current_escalations(s, svc, {row.tenant_id for row in rows})
        gone: list[dict[str, Any]] = []
        for row in sorted(rows, key=lambda r: (r.next_us, r.id)):
            config = configs[row.tenant_id]
            if row.channel is not None:
                channel = config.channels.get(row.channel) if config is not None else None
                if channel is None:
                    error = f"channel {row.channel!r} is no longer configured"
                    gone.append({"row": row.id, "error": error[:500]})
                    continue
                settings: Mapping[str, Any] = channel.settings
            else:
                settings = {"to": [row.person]}
            out.append(
                Claimed(
                    row.id, row.delivery_id, row.channel_type, settings, row.payload, row.attempts
                )
            )
        if gone:
            s.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id == bindparam("row"))
                .values(state=DEAD, last_error=bindparam("error")),
                gone,
            )
    return out


def _current_escalations(
    s: Session, svc: Services, tenant_ids: set[int]
) -> dict[int, EscalationConfig | None]:
    """Each tenant's channels and people as configured now (None: no configuration)."""
    if not tenant_ids:
        return {}
    latest = dict(
        s.execute(
            select(ConfigVersionRow.tenant_id, func.max(ConfigVersionRow.version))
            .where(ConfigVersionRow.tenant_id.in_(sorted(tenant_ids)))
            .group_by(ConfigVersionRow.tenant_id)
        )
        .tuples()
        .all()
    )
    return {
        t: sla_config(svc, tenant_id=t, version=latest[t]).escalation if t in latest else None
        for t in tenant_ids
    }


def backoff_us(attempts: int, *, base_s: float, cap_s: float) -> int:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, times 0.5-1."""
    delay = min(cap_s, base_s * 2.0 ** max(0, attempts - 1))
    return round(delay * _jitter.uniform(0.5, 1.0) * 1_000_000)


def finish(
    svc: Services,
    outcomes: Sequence[Outcome],
    *,
    now: int,
    max_attempts: int,
    base_s: float,
    cap_s: float,
) -> None:
    """Record what became of claimed deliveries."""
    if not outcomes:
        return
    ok = [o.row_id for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    with svc.writing() as s:
        if ok:  # most of them: one statement
            s.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(ok), _OUTBOX.c.state == PENDING)
                .values(state=SENT, sent_us=now, last_error=None)
            )
        if not failed:
            return
        rows = {
            r.id: r
            for r in s.scalars(
                select(OutboxRow).where(OutboxRow.id.in_([o.row_id for o in failed]))
            )
        }
        for o in failed:
            row = rows.get(o.row_id)
            if row is None or row.state != PENDING:
                continue
            row.last_error = o.error[:500]
            if o.permanent or row.attempts >= max_attempts:
                row.state = DEAD
            else:
                delay = backoff_us(row.attempts, base_s=base_s, cap_s=cap_s)
                if o.retry_after_s is not None:
                    delay = max(delay, round(o.retry_after_s * 1_000_000))
                row.next_us = now + delay


def next_due(svc: Services) -> int | None:
    """The earliest instant a pending or held delivery is due (None: nothing waits)."""
    with svc.reading() as s:
        return s.scalar(
            select(func.min(OutboxRow.next_us)).where(OutboxRow.state.in_((PENDING, HELD)))
        )


# ---------------------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------------------


def outbox_view(row: OutboxRow) -> dict[str, Any]:
    return {
        "delivery_id": row.delivery_id,
        "state": row.state,
        "kind": row.kind,
        "channel": row.channel,
        "person": row.person,
        "channel_type": row.channel_type,
        "ticket": row.payload.get("ticket"),
        "attempts": row.attempts,
        "next_at": _iso(row.next_us) if row.state in (PENDING, HELD) else None,
        "created_at": _iso(row.created_us),
        "sent_at": _iso(row.sent_us),
        "last_error": row.last_error,
    }


def list_outbox(
    svc: Services, *, tenant_id: int, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise TicketError(f"unknown state {state!r} (one of {', '.join(STATES)})", "state")
    q = select(OutboxRow).where(OutboxRow.tenant_id == tenant_id)
    if state is not None:
        q = q.where(OutboxRow.state == state)
    with svc.reading() as s:
        rows = list(s.scalars(q.order_by(OutboxRow.id.desc()).limit(limit)))
    return [outbox_view(r) for r in rows]


def retry(
    svc: Services, *, tenant_id: int, delivery_ids: Sequence[str] = (), all_dead: bool = False
) -> int:
    """Dead deliveries made pending again, due now, with their attempts reset; how many."""
    if not delivery_ids and not all_dead:
        raise TicketError("name delivery ids or ask for every dead delivery", "delivery_ids")
    with svc.writing() as s:
        if delivery_ids:
            found = set(
                s.scalars(
                    select(OutboxRow.delivery_id).where(
                        OutboxRow.tenant_id == tenant_id,
                        OutboxRow.delivery_id.in_(list(delivery_ids)),
                    )
                )
            )
            missing = [d for d in delivery_ids if d not in found]
            if missing:
                raise NotFoundError(f"no delivery {missing[0]!r} in this tenant", "delivery_ids")
        q = update(OutboxRow).where(OutboxRow.tenant_id == tenant_id, OutboxRow.state == DEAD)
        if delivery_ids:
            q = q.where(OutboxRow.delivery_id.in_(list(delivery_ids)))
        result = s.execute(
            q.values(state=PENDING, attempts=0, next_us=svc.clock(), last_error=None)
        )
        count: int = result.rowcount  # type: ignore[attr-defined]
        return count
