"""Team backlogs: sampled hourly by the worker; a breach's backlog (the team's open
tickets at the breach instant) is compared with the team's normal level (the 90th
percentile of the 30 days of samples before the breach) to suggest `backlog`.

An hour in which a team has no open ticket is part of its normal level: it samples 0.
Teams are not a table of their own, so a sample stores 0 for every team that had open
tickets in some sample of the 30 days before (the span a normal level looks at) and has
none now; a team idle for longer stops being sampled until it has open tickets again.

When the last sample was taken is kept in the `instance` table (`backlog_sampled_us`),
not read from the samples: an hour without any open ticket in any team stores no sample,
and must not make every worker round count the open tickets again. Taking a sample
locks that row, so of several workers one samples each hour.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, distinct, func, insert, or_, select
from sqlalchemy.orm import Session

from slaguard.app.services import Services
from slaguard.db.statements import insert_new
from slaguard.db.tables import BacklogSampleRow, ClockRow, InstanceRow, TicketRow
from slaguard.domain.states import ClockState

__all__ = ["OPEN_STATES", "first_sample", "level", "sample_if_due"]

HOUR_US = 3_600_000_000
WINDOW_US = 30 * 24 * HOUR_US
KEEP_US = 2 * WINDOW_US
MIN_SAMPLES = 24  # a day of samples before "normal" means anything
OPEN_STATES = (ClockState.RUNNING.value, ClockState.PAUSED.value, ClockState.BREACHED.value)
_SAMPLED = "backlog_sampled_us"  # the `instance` row: when the last sample was taken
_INSTANCE = InstanceRow.metadata.tables[InstanceRow.__tablename__]


def _open_by_team(s: Session, tenant_id: int | None = None) -> list[tuple[int, str, int]]:
    q = (
        select(TicketRow.tenant_id, TicketRow.team, func.count())
        .where(TicketRow.sla_state.in_(OPEN_STATES), TicketRow.team.is_not(None))
        .group_by(TicketRow.tenant_id, TicketRow.team)
    )
    if tenant_id is not None:
        q = q.where(TicketRow.tenant_id == tenant_id)
    return [(t, team, n) for t, team, n in s.execute(q)]


# The teams with open tickets in a sample since `since`: those an idle hour samples as 0.
_RECENTLY_BUSY = (
    select(BacklogSampleRow.tenant_id, BacklogSampleRow.team)
    .where(BacklogSampleRow.at_us >= bindparam("since"), BacklogSampleRow.open_tickets > 0)
    .distinct()
)


def sample_if_due(svc: Services, *, now: int) -> bool:
    """Record every team's open tickets if the last sample is an hour old; whether this
    call took the sample (it may have found no team with open tickets)."""
    marker = select(InstanceRow.value).where(InstanceRow.name == _SAMPLED)
    with svc.reading() as s:
        last = s.scalar(marker)
    if last is not None and now - int(last) < HOUR_US:
        return False
    with svc.writing() as s:
        if last is None:  # first time: from the samples stored before the marker existed
            first = s.scalar(select(func.max(BacklogSampleRow.at_us)))
            s.execute(
                insert_new(s.get_bind().dialect.name, _INSTANCE, key=["name"]),
                {"name": _SAMPLED, "value": str(first or 0)},
            )
        last = s.scalar(marker if svc.is_sqlite else marker.with_for_update())
        if last is not None and now - int(last) < HOUR_US:
            return False  # another worker took this hour's sample meanwhile
        s.execute(_INSTANCE.update().where(_INSTANCE.c.name == _SAMPLED).values(value=str(now)))
        counts = {(t, team[:200]): n for t, team, n in _open_by_team(s)}
        for t, team in s.execute(_RECENTLY_BUSY, {"since": now - WINDOW_US}):
            counts.setdefault((t, team), 0)
        rows = [
            {"tenant_id": t, "team": team, "at_us": now, "open_tickets": n}
            for (t, team), n in sorted(counts.items())
        ]
        if rows:
            s.execute(insert(BacklogSampleRow), rows)
        s.execute(delete(BacklogSampleRow).where(BacklogSampleRow.at_us < now - KEEP_US))
    return True


def first_sample(s: Session, tenant_id: int, team: str) -> int | None:
    """The instant of the team's oldest kept sample, if any."""
    first: int | None = s.scalar(
        select(func.min(BacklogSampleRow.at_us)).where(
            BacklogSampleRow.tenant_id == tenant_id, BacklogSampleRow.team == team
        )
    )
    return first


def level(s: Session, tenant_id: int, team: str, at: int) -> tuple[int, int] | None:
    """(the team's open tickets at the instant `at`, its normal level over the 30 days of
    samples before `at`), or None without enough samples.

    Open at `at`, as a sample counts it: a ticket of the team with a clock instance
    started at or before `at` and not stopped (met, done or cancelled) by then. Read
    from the stored clocks, so a breach noted late is judged by the backlog it met. Two
    things are not kept and are taken as they stand: the team is each ticket's current
    team, and a ticket done and reopened since counts as open from the start of its
    resolution clock to its last stop.
    """
    samples = sorted(
        s.scalars(
            select(BacklogSampleRow.open_tickets).where(
                BacklogSampleRow.tenant_id == tenant_id,
                BacklogSampleRow.team == team,
                BacklogSampleRow.at_us >= at - WINDOW_US,
                BacklogSampleRow.at_us <= at,
            )
        )
    )
    if len(samples) < MIN_SAMPLES:
        return None
    rank = -(-9 * len(samples) // 10)  # nearest rank: ceil(0.9 n)
    p90 = samples[rank - 1]
    # From the clock side: the tenant's clocks not stopped by `at` are those stopped
    # since (`ix_clocks_tenant_stopped`) or not stopped at all (`ix_clocks_tenant_state_due`,
    # by their states), a small part of its clocks; probing every ticket the team ever had
    # for such a clock took 0.4 s a breach at a million tickets, this 0.1 s.
    not_stopped = or_(
        ClockRow.stopped_us > at,
        and_(ClockRow.stopped_us.is_(None), ClockRow.state.in_(OPEN_STATES)),
    )
    current = s.scalar(
        select(func.count(distinct(TicketRow.id)))
        .select_from(ClockRow)
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(
            ClockRow.tenant_id == tenant_id,
            ClockRow.started_us <= at,
            not_stopped,
            TicketRow.tenant_id == tenant_id,
            TicketRow.team == team,
            TicketRow.created_us <= at,
        )
    )
    return int(current or 0), p90
