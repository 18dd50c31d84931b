"""What the append path keeps between writes (parsed histories, after-commit hooks) never
changes what is stored: whatever another process wrote in between, the stored clocks and
clock log equal a fresh evaluation of the stored events."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant, ticket_doc
from sqlalchemy import select

from slaguard.app import history, tenants, tickets
from slaguard.app.services import Services, on_commit
from slaguard.db.tables import ClockLogRow, ClockRow, TicketRow
from slaguard.domain.errors import TicketError
from slaguard.domain.tickets import Event, EventKind

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(clock: FakeClock) -> None:
    clock.set(NOW)


def another_process(svc: Services) -> Services:
    """Services over the same database with caches of their own."""
    return Services(
        engine=svc.engine, write_engine=svc.write_engine, is_sqlite=svc.is_sqlite, clock=svc.clock
    )


def stored(svc: Services, tid: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with svc.reading() as s:
        pk = s.scalar(select(TicketRow.id).where(TicketRow.external_id == tid))
        clocks = s.execute(
            select(
                ClockRow.metric,
                ClockRow.cycle,
                ClockRow.state,
                ClockRow.policy,
                ClockRow.target_us,
                ClockRow.started_us,
                ClockRow.due_us,
                ClockRow.stopped_us,
                ClockRow.breached_us,
                ClockRow.elapsed_us,
                ClockRow.warnings,
                ClockRow.next_us,
            ).where(ClockRow.ticket_id == pk)
        ).all()
        log = s.execute(
            select(
                ClockLogRow.at_us,
                ClockLogRow.metric,
                ClockLogRow.cycle,
                ClockLogRow.action,
                ClockLogRow.detail,
                ClockLogRow.cause,
            )
            .where(ClockLogRow.ticket_id == pk)
            .order_by(ClockLogRow.id)
        ).all()
    return sorted(tuple(r) for r in clocks), [tuple(r) for r in log]


def fresh(svc: Services, tenant: Tenant, tid: str) -> tuple[list[Any], list[Any]]:
    principal = tenants.authenticate(svc, tenant.keys["viewer"])
    ev, _ = tickets.evaluate_ticket(svc, principal=principal, ticket_id=tid)
    clocks = [
        (
            c.metric,
            c.cycle,
            c.state.value,
            c.policy,
            c.target_us,
            c.started_at,
            c.due_at,
            c.stopped_at,
            c.breached_at,
            c.elapsed_us,
            [[label, at] for label, at in c.warnings],
            c.next_at,
        )
        for c in ev.clocks
    ]
    log = [
        (at, m, cycle, action, detail[:300], cause)
        for at, m, cycle, action, detail, cause in ev.raw_log
    ]
    return sorted(clocks), log


def event(n: int, minutes: int) -> dict[str, Any]:
    kinds = ["agent_reply", "customer_reply", "customer_reply", "agent_reply"]
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    if n % 7 == 3:
        return {"id": f"e{n}", "type": "status", "at": at, "status": "pending"}
    if n % 7 == 5:
        return {"id": f"e{n}", "type": "status", "at": at, "status": "open"}
    return {"id": f"e{n}", "type": kinds[n % 4], "at": at}


def add(svc: Services, tenant: Tenant, tid: str, *events: dict[str, Any]) -> None:
    principal = tenants.authenticate(svc, tenant.keys["agent"])
    tickets.add_events(svc, principal=principal, ticket_id=tid, events=list(events))


def test_stored_clocks_equal_a_fresh_evaluation_whoever_wrote_last(
    services: Services, acme: Tenant
) -> None:
    other = another_process(services)
    assert (
        acme.post(
            "/api/v1/tickets",
            {
                "id": "T-1",
                "type": "support",
                "priority": "P2",
                "tier": "business",
                "events": [{"id": "c", "type": "created", "at": T0.isoformat()}],
            },
        ).status_code
        == 201
    )
    rng = random.Random(7)
    minutes = list(range(10, 10 + 25 * 40, 40))
    rng.shuffle(minutes)
    for n, m in enumerate(minutes):
        writer = services if rng.random() < 0.6 else other
        add(writer, acme, "T-1", event(n, m))
        assert stored(services, "T-1") == fresh(services, acme, "T-1"), n
    assert len(services.histories.get(history.key_of(ticket_row(services, "T-1")))) > 1


def ticket_row(svc: Services, tid: str) -> TicketRow:
    with svc.reading() as s:
        row = s.scalar(select(TicketRow).where(TicketRow.external_id == tid))
    assert row is not None
    return row


def test_a_stale_or_wrong_kept_history_is_not_trusted(services: Services, acme: Tenant) -> None:
    acme.post(
        "/api/v1/tickets",
        {
            "id": "T-1",
            "type": "support",
            "priority": "P2",
            "tier": "business",
            "events": [{"id": "c", "type": "created", "at": T0.isoformat()}],
        },
    )
    for n in range(4):
        add(services, acme, "T-1", event(n, 30 * n + 10))
    row = ticket_row(services, "T-1")
    kept = services.histories.get(history.key_of(row))
    assert [e.id for e in kept] == ["c", "e0", "e1", "e2", "e3"]
    # A shorter entry (a prefix, as left by a slower writer) is not stored over it, and a
    # wrong one (not what is stored) is noticed and read afresh.
    services.histories.put(history.key_of(row), kept[:2])
    assert services.histories.get(history.key_of(row)) == kept
    services.histories = type(services.histories)()
    wrong = (*kept[:4], Event(kind=EventKind.AGENT_REPLY, at=kept[4].at, id="not-stored"))
    services.histories.put(history.key_of(row), wrong)
    add(services, acme, "T-1", event(4, 200))
    assert stored(services, "T-1") == fresh(services, acme, "T-1")
    kept = services.histories.get(history.key_of(row))
    assert [e.id for e in kept] == ["c", "e0", "e1", "e2", "e3", "e4"]


def test_after_commit_hooks_run_only_for_what_committed(services: Services) -> None:
    ran: list[str] = []
    with services.writing() as s:
        on_commit(s, lambda: ran.append("outer"))
        with pytest.raises(RuntimeError), s.begin_nested():
            on_commit(s, lambda: ran.append("rolled back savepoint"))
            raise RuntimeError
        with s.begin_nested():
            on_commit(s, lambda: ran.append("kept savepoint"))
            with pytest.raises(RuntimeError), s.begin_nested():
                on_commit(s, lambda: ran.append("inner rolled back"))
                raise RuntimeError
        assert ran == []  # nothing before the commit
    assert ran == ["outer", "kept savepoint"]
    ran.clear()
    with pytest.raises(RuntimeError), services.writing() as s:
        on_commit(s, lambda: ran.append("rolled back"))
        raise RuntimeError
    assert ran == []


def test_concurrent_writes_are_each_all_or_nothing(services: Services, acme: Tenant) -> None:
    """Many requests at once (on SQLite, committed together): the refused ones leave
    nothing behind, the others are all stored, and every ticket's clocks are right."""
    for t in range(4):
        acme.post("/api/v1/tickets", ticket_doc(f"T-{t}"))
    principal = tenants.authenticate(services, acme.keys["agent"])
    outcomes: dict[str, str] = {}

    def send(t: int) -> None:
        for n in range(6):
            ev = event(n, 30 * n + 10)
            ev["id"] = f"T-{t}-{n}"
            if n == 3 and t % 2:
                ev = {**ev, "type": "status", "status": "no-such-status"}
            try:
                tickets.add_events(services, principal=principal, ticket_id=f"T-{t}", events=[ev])
                outcomes[ev["id"]] = "stored"
            except TicketError:
                outcomes[ev["id"]] = "refused"

    threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(k for k, v in outcomes.items() if v == "refused") == ["T-1-3", "T-3-3"]
    for t in range(4):
        keys = [e["id"] for e in acme.get(f"/api/v1/tickets/T-{t}").json()["events"]]
        want = [f"T-{t}-{n}" for n in range(6) if outcomes[f"T-{t}-{n}"] == "stored"]
        assert sorted(keys) == sorted([f"T-{t}-created", *want])
        assert stored(services, f"T-{t}") == fresh(services, acme, f"T-{t}")


def test_no_more_write_transactions_run_at_once_than_allowed(services: Services) -> None:
    """On PostgreSQL `write_concurrency` transactions at most (the rest wait their turn),
    on SQLite one; whichever way they were started, each one commits."""
    svc = dataclasses.replace(another_process(services), write_concurrency=2)
    allowed = 1 if svc.is_sqlite else 2
    inside = 0
    most = 0
    guard = threading.Lock()
    entered = threading.Barrier(allowed, timeout=10)
    ran: list[int] = []

    def write(n: int) -> None:
        nonlocal inside, most
        with svc.writing() as s:
            on_commit(s, lambda: ran.append(n))
            with guard:
                inside += 1
                most = max(most, inside)
            entered.wait()  # the allowed number do get in together
            time.sleep(0.05)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3 * allowed)]
    futures = [svc.submit_write(lambda s: s.connection() is not None) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [f.result(timeout=10) for f in futures] == [True] * 4
    assert most == allowed
    assert sorted(ran) == list(range(3 * allowed))
