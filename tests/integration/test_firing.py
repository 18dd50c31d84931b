"""Firing due timers many tickets at a time (`app/firing.py`), on both databases: every
level fires once, with one notification and one audit record; a ticket that fails is put
off without holding up the rest; on PostgreSQL, two workers take different tickets."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant
from sqlalchemy import and_, delete, func, select, text

from slaguard.app import configs, firing, outbox
from slaguard.app.due import RETRY_BROKEN_US, lock_due
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.db.tables import AuditRow, EscalationRow, OutboxRow, TicketRow, TimerRow

CONFIG = """
calendars:
  always: {timezone: UTC, always_open: true}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {P1: 20s, P2: 20s, P3: 20s, P4: 20s}
channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook", secret: s}
people:
  teams:
    tier1: {lead: ana@example.com}
    tier2: {lead: ben@example.com}
escalations:
  - name: ladder
    levels:
      - {when: "50%", notify: [hook]}
      - when: breach
        do: [{reassign: {team: tier2}}, {notify: [team_lead, hook]}]
      - {when: "4s after breach", notify: [hook], repeat_every: 2s}
"""


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant], services: Services) -> Tenant:
    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))
    return t


def create(tenant: Tenant, clock: FakeClock, count: int) -> None:
    for n in range(count):
        doc = {
            "id": f"T-{n}",
            "priority": "P2",
            "team": "tier1",
            "events": [{"id": f"c-{n}", "type": "created", "at": clock.now.isoformat()}],
        }
        assert tenant.post("/api/v1/tickets", doc).status_code == 201


def fire_all(services: Services, now: int, limit: int) -> int:
    taken = 0
    while n := firing.fire_due(services, now=now, limit=limit):
        taken += n
    return taken


def fired(services: Services) -> Counter[tuple[Any, ...]]:
    with services.reading() as s:
        return Counter(
            tuple(r)
            for r in s.execute(
                select(EscalationRow.ticket_id, EscalationRow.level, EscalationRow.cycle)
            )
        )


def count(services: Services, what: Any, *where: Any) -> int:
    with services.reading() as s:
        return s.scalar(select(func.count()).select_from(what).where(*where)) or 0


def test_batches_fire_every_level_once_with_its_notifications_and_audit(
    services: Services, tenant: Tenant, clock: FakeClock
) -> None:
    tickets = 23
    create(tenant, clock, tickets)
    # 50% at 10 s; breach (reassign: a ticket written on its own) at 20 s; 4 s after
    # breach at 24 s, re-notified every 2 s
    for seconds, levels in ((11, 1), (21, 2), (25, 3), (27, 3)):
        clock.set(clock.now.replace(second=seconds, microsecond=1000))
        assert fire_all(services, clock(), limit=5) == tickets
        assert fire_all(services, clock(), limit=5) == 0  # nothing due twice
        found = fired(services)
        assert len(found) == tickets * levels and set(found.values()) == {1}
    with services.reading() as s:
        teams = set(s.scalars(select(TicketRow.team)))
        kinds = Counter(s.scalars(select(AuditRow.kind)))
        repeats = set(s.scalars(select(EscalationRow.repeats).where(EscalationRow.level == 3)))
    assert teams == {"tier2"}
    assert kinds["escalation.fired"] == tickets * 3
    assert repeats == {1}
    # L1 hook; L2 tier2's lead and hook; L3 hook, then its first re-notification
    assert count(services, OutboxRow) == tickets * 5
    assert count(services, TimerRow, TimerRow.kind == "repeat") == tickets


def test_a_ticket_that_fails_is_put_off_and_the_rest_fire(
    services: Services, tenant: Tenant, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(tenant, clock, 6)
    real = firing.parse_ticket

    def parse(mapping: dict[str, Any], config: Any) -> Any:
        if mapping["id"] == "T-3":
            raise RuntimeError("a broken ticket")
        return real(mapping, config)

    monkeypatch.setattr(firing, "parse_ticket", parse)
    clock.advance(timedelta(seconds=11))
    assert fire_all(services, clock(), limit=4) == 6
    assert count(services, EscalationRow) == 5
    with services.reading() as s:
        later = set(
            s.scalars(
                select(TimerRow.fire_us).join(TicketRow).where(TicketRow.external_id == "T-3")
            )
        )
    assert clock() + RETRY_BROKEN_US in later  # its L1
    monkeypatch.undo()
    clock.advance(timedelta(seconds=61))
    assert fire_all(services, clock(), limit=4) == 6
    assert count(services, EscalationRow) == 6 * 3  # T-3's L1 late; every L2 and L3


def test_a_batch_that_cannot_be_written_is_written_ticket_by_ticket(
    services: Services, tenant: Tenant, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(tenant, clock, 6)
    real = firing.audit.record_many

    def record_many(s: Any, tenant_id: int, entries: Any, *, now: int) -> None:
        if any(e.subject == "T-4" and e.kind == "escalation.fired" for e in entries):
            raise RuntimeError("cannot write T-4's record")
        real(s, tenant_id, entries, now=now)

    monkeypatch.setattr(firing.audit, "record_many", record_many)
    clock.advance(timedelta(seconds=11))
    assert fire_all(services, clock(), limit=10) == 6
    assert count(services, EscalationRow) == 5
    assert count(services, OutboxRow) == 5
    assert count(services, AuditRow, AuditRow.kind == "escalation.fired") == 5


def test_two_workers_take_different_tickets_and_fire_each_level_once(
    services: Services, tenant: Tenant, clock: FakeClock
) -> None:
    if services.is_sqlite:
        pytest.skip("several workers coordinate through PostgreSQL; SQLite runs one")
    create(tenant, clock, 30)
    clock.advance(timedelta(seconds=11))
    now = clock()
    with services.writing() as s:  # a worker in the middle of a batch of 8
        held = lock_due(
            s,
            services,
            ticket_id=TimerRow.ticket_id,
            due=TimerRow.fire_us <= now,
            soonest=TimerRow.fire_us,
            limit=8,
        )
        assert len(held) == 8
        # another takes the next tickets, not the same locked ones (and not none)
        assert firing.fire_due(services, now=now, limit=8) == 8
        assert not {t for t, *_ in fired(services)} & {r.id for r in held}
    taken: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def worker(mine: list[int]) -> None:
        start.wait()
        while n := firing.fire_due(services, now=now, limit=3):
            mine.append(n)

    threads = [threading.Thread(target=worker, args=(t,)) for t in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(map(sum, taken)) == 30 - 8
    found = fired(services)
    assert len(found) == 30 and set(found.values()) == {1}
    assert count(services, OutboxRow) == 30


def test_a_ticket_another_worker_emptied_while_the_batch_was_read_is_not_taken(
    services: Services, tenant: Tenant, clock: FakeClock
) -> None:
    """The race that made a batch count tickets with nothing left due: worker B's
    statement reads the due timers, worker A then commits having fired one of those
    tickets, and B locks that ticket (no longer locked) with the timers of its snapshot.
    A filter that takes a second a row holds B's statement open while A commits."""
    if services.is_sqlite:
        pytest.skip("several workers coordinate through PostgreSQL; SQLite runs one")
    create(tenant, clock, 2)
    clock.advance(timedelta(seconds=11))
    now = clock()
    with services.writing() as s:
        s.execute(
            text(
                "CREATE FUNCTION slowly() RETURNS boolean LANGUAGE plpgsql VOLATILE AS "
                "$$ BEGIN PERFORM pg_sleep(1); RETURN true; END $$"
            )
        )
        first, second = sorted(s.scalars(select(TimerRow.ticket_id).distinct()))
    taken: list[int] = []

    def worker_b() -> None:
        with services.writing() as b:
            due = and_(TimerRow.fire_us <= now, func.slowly())
            rows = lock_due(
                b,
                services,
                ticket_id=TimerRow.ticket_id,
                due=due,
                soonest=TimerRow.fire_us,
                limit=10,
            )
            taken.extend(r.id for r in rows)

    with services.writing() as a:  # worker A, in the middle of firing `first`
        a.execute(select(TicketRow.id).where(TicketRow.id == first).with_for_update())
        a.execute(delete(TimerRow).where(TimerRow.ticket_id == first))
        b = threading.Thread(target=worker_b)
        b.start()
        time.sleep(0.5)  # B has begun reading: its snapshot holds first's timers
    b.join(timeout=30)
    assert taken == [second]


def test_the_notifications_fired_are_handed_over_leased_and_claimable_after_the_lease(
    services: Services, tenant: Tenant, clock: FakeClock
) -> None:
    create(tenant, clock, 5)
    clock.advance(timedelta(seconds=11))
    fresh: list[outbox.Claimed] = []
    assert firing.fire_due(services, now=clock(), limit=10, fresh=fresh, lease_us=10**6) == 5
    assert len(fresh) == 5
    assert all(c.attempts == 1 and c.settings for c in fresh)
    # leased to the caller, which sends them without a claim: nobody else takes them
    assert outbox.claim(services, now=clock(), limit=64, lease_us=10**6) == []
    # the caller did not send them (it crashed): after the lease, anyone does, same ids
    clock.advance(timedelta(seconds=2))
    again = outbox.claim(services, now=clock(), limit=64, lease_us=10**6)
    assert sorted(c.delivery_id for c in again) == sorted(c.delivery_id for c in fresh)
    assert sorted(c.row_id for c in again) == sorted(c.row_id for c in fresh)
    assert {c.attempts for c in again} == {2}
    assert [c.payload for c in sorted(again, key=lambda c: c.row_id)] == [
        c.payload for c in sorted(fresh, key=lambda c: c.row_id)
    ]
