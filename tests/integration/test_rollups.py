"""The daily rollups and the report columns, on both databases.

Random ticket histories (seeded) are written through the service as events arrive:
field changes, reassignment, pauses, replies, solves and reopens, with the worker's
refresh in between. Afterwards:
- the rollups the write path kept equal those rebuilt from the clocks;
- compliance and trend (which count from the rollups) equal a brute-force count over
  every stored clock, for windows on and off day boundaries, long and short;
- both databases give the same reports for the same histories.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant, TestClient
from sqlalchemy import select

from pg import PgServer, fresh_schema
from slaguard.api import create_app
from slaguard.app import configs, reports, tenants
from slaguard.app.refresh import refresh_due
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.db import rollups
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.db.migrate import downgrade, upgrade
from slaguard.db.tables import ClockRollupRow, ClockRow, TicketRow
from slaguard.domain.calendar import to_us

CONFIG = """
calendars:
  always: {timezone: UTC, always_open: true}
policies:
  - name: fast
    calendar: always
    match: {tier: enterprise}
    targets:
      first_response: {P1: 20m, P2: 1h, P3: 3h, P4: 6h}
      next_response: {P1: 30m, P2: 1h, P3: 2h, P4: 4h}
      resolution: {P1: 4h, P2: 8h, P3: 20h, P4: 40h}
    warnings: ["50%"]
  - name: standard
    calendar: always
    targets:
      first_response: {P1: 30m, P2: 2h, P3: 4h, P4: 8h}
      next_response: {P1: 1h, P2: 2h, P3: 4h, P4: 8h}
      resolution: {P1: 6h, P2: 12h, P3: 30h, P4: 60h}
    warnings: ["50%"]
"""
T0 = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
DAY = 86_400_000_000
KINDS = ("agent_reply", "customer_reply", "pending", "open", "solve", "priority", "team")
KINDS += ("category", "tier", "duplicate")
GROUPS = [None, "team", "queue", "category", "tier", "policy", "metric", "account", "priority"]


def _histories(seed: int, n: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(instant, ticket, document or event) in arrival order: each ticket created, then
    its events a few minutes to hours apart, over about ten days."""
    rng = random.Random(seed)
    out: list[tuple[int, str, dict[str, Any]]] = []
    for i in range(n):
        tid = f"R-{i}"
        t = T0 + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))
        doc: dict[str, Any] = {
            "id": tid,
            "priority": rng.choice(["P1", "P2", "P3", "P4"]),
            "tier": rng.choice(["enterprise", "standard"]),
            "team": rng.choice(["a", "b"]),
            "channel": rng.choice(["email", "chat"]),
            "account": rng.choice(["acme", "globex", "initech"]),
            "events": [{"id": f"{tid}-0", "type": "created", "at": t.isoformat()}],
        }
        if rng.random() < 0.7:
            doc["queue"] = rng.choice(["general", "vip"])
        if rng.random() < 0.8:
            doc["category"] = rng.choice(["bug", "billing", ""])
        out.append((to_us(t), tid, doc))
        solved = False
        for k in range(1, rng.randrange(1, 9)):
            t += timedelta(minutes=rng.choice([5, 25, 50, 90, 200, 600, 1500]))
            kind = rng.choice(KINDS)
            ev: dict[str, Any] = {"id": f"{tid}-{k}", "at": t.isoformat()}
            if kind == "agent_reply":
                ev |= {"type": kind, "public": True}
            elif kind == "customer_reply":
                ev |= {"type": kind}
            elif kind == "pending":
                ev |= {"type": "status", "status": "pending"}
            elif kind == "open" or (kind == "solve" and solved):
                ev |= {"type": "status", "status": "open"}  # a reopen after a solve
                solved = False
            elif kind == "solve":
                ev |= {"type": "status", "status": "solved"}
                solved = True
            elif kind == "priority":
                ev |= {"type": "priority", "priority": rng.choice(["P1", "P2", "P3"])}
            elif kind == "team":
                ev |= {"type": "assigned", "team": rng.choice(["a", "b", "c"])}
            elif kind == "duplicate":  # cancels the ticket's clocks, breached or not
                ev |= {"type": "duplicate_of", "original": f"R-{rng.randrange(n)}"}
            elif kind == "tier":
                ev |= {"type": "tier", "tier": rng.choice(["enterprise", "standard"])}
            else:
                ev |= {"type": "field", "name": "category", "value": rng.choice(["bug", "ops"])}
            out.append((to_us(t), tid, ev))
    out.sort(key=lambda x: x[0])
    # some events arrive late, out of order
    for _ in range(n // 4):
        i = rng.randrange(len(out) - 1)
        if out[i][2].get("type") != "created" and "events" not in out[i][2]:
            j = min(len(out) - 1, i + rng.randrange(1, 6))
            out.insert(j, out.pop(i))
    return out


def _play(t: Tenant, services: Services, clock: FakeClock, seed: int, n: int) -> int:
    created: set[str] = set()
    now = 0
    for at_us, tid, doc in _histories(seed, n):
        now = max(now, at_us) + 1
        clock.set(datetime.fromtimestamp(now / 1e6, UTC))
        if "events" in doc:
            r = t.post("/api/v1/tickets", doc)
            created.add(tid)
        elif tid in created:
            r = t.post(f"/api/v1/tickets/{tid}/events", doc)
        else:
            continue
        if doc.get("type") == "duplicate_of" and r.status_code in (409, 422):
            continue  # the original does not exist yet, or the link would break a rule
        assert r.status_code in (200, 201), r.text
        if random.Random(now).random() < 0.2:
            while refresh_due(services, now=now):
                pass
    # judged some hours after the last event, without a refresh: some running clocks
    # are overdue with no breach stored
    now += 5 * 3_600_000_000
    clock.set(datetime.fromtimestamp(now / 1e6, UTC))
    return now


def _stored_rollups(services: Services, tenant_id: int) -> Counter[tuple[Any, ...]]:
    r = ClockRollupRow
    with services.reading() as s:
        rows = s.execute(
            select(r.dim, r.value, r.metric, r.e_day, r.b_day, r.warned, r.shard, r.n).where(
                r.tenant_id == tenant_id
            )
        ).all()
    return Counter({tuple(x[:7]): x[7] for x in rows if x[7]})


def _brute_force(
    services: Services, tenant_id: int, w: tuple[int, int], group_by: str | None, now: int
) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        k: (v[0], v[1]) for k, v in _brute_force_all(services, tenant_id, w, group_by, now).items()
    }


def _brute_force_all(
    services: Services, tenant_id: int, w: tuple[int, int], group_by: str | None, now: int
) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """The definition of counted and breached, clock by clock, in Python."""
    a, b = w
    with services.reading() as s:
        rows = s.execute(
            select(ClockRow, TicketRow)
            .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
            .where(ClockRow.tenant_id == tenant_id)
        ).all()
    out: dict[tuple[str, str], list[int]] = {}
    for c, tk in rows:
        if c.state == "cancelled":  # never counted, even when it breached first
            continue
        breach = c.breached_us
        if breach is None and c.state == "running" and c.due_us is not None and c.due_us < now:
            breach = c.due_us
        ended = c.state in ("met", "breached_met") and c.stopped_us is not None
        counted = (ended and a <= c.stopped_us < b) or (breach is not None and a <= breach < b)
        if not counted:
            continue
        if group_by is None:
            seg = "all"
        elif group_by in ("metric", "policy"):
            seg = getattr(c, group_by)
        else:
            seg = getattr(tk, group_by)
        got = out.setdefault(("(none)" if seg is None else seg, c.metric), [0, 0, 0, 0])
        breached = breach is not None and breach < b
        got[0] += 1
        got[1] += int(breached)
        got[2] += int(bool(c.warnings))
        got[3] += int(bool(c.warnings) and breached)
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}


def _compliance(
    services: Services, tenant_id: int, w: tuple[int, int], group_by: str | None, now: int
) -> dict[tuple[str, str], tuple[int, int]]:
    rows = reports.compliance(services, tenant_id, reports.Window(*w), group_by, now)
    return {(r["segment"], r["metric"]): (r["counted"], r["breached"]) for r in rows}


@pytest.fixture
def random_tenant(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> tuple[Tenant, int]:
    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))
    now = _play(t, services, clock, seed=7, n=40)
    return t, now


def test_kept_rollups_equal_rebuilt_ones(
    random_tenant: tuple[Tenant, int], services: Services
) -> None:
    t, _ = random_tenant
    kept = _stored_rollups(services, t.tenant_id)
    assert kept  # the histories stop and breach clocks
    with services.reading() as s:
        cancelled = s.execute(
            select(ClockRow.breached_us).where(
                ClockRow.tenant_id == t.tenant_id, ClockRow.state == "cancelled"
            )
        ).all()
    # duplicates cancel clocks, some of them after they breached
    assert any(b is not None for (b,) in cancelled)
    with services.writing() as s:
        rollups.rebuild(s.connection(), [t.tenant_id])
    assert _stored_rollups(services, t.tenant_id) == kept


def test_upgrading_drops_cancelled_instances_from_stored_rollups(
    random_tenant: tuple[Tenant, int], services: Services
) -> None:
    """A database whose rollups still count breached clocks cancelled since (as the write
    path kept them before) is consistent again after the migration."""
    t, _ = random_tenant
    kept = _stored_rollups(services, t.tenant_id)
    counts: Counter[rollups.Key] = Counter()
    with services.reading() as s:
        rows = s.execute(
            select(ClockRow, TicketRow)
            .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
            .where(ClockRow.tenant_id == t.tenant_id, ClockRow.state == "cancelled")
        ).all()
    for c, tk in rows:
        rollups.add_clock(
            counts,
            ticket_id=c.ticket_id,
            dims={d: getattr(tk, d) for d in rollups.TICKET_DIMS},
            metric=c.metric,
            state="breached",  # as if it had not been cancelled
            policy=c.policy,
            stopped_us=None,
            breached_us=c.breached_us,
            warned=bool(c.warnings),
            sign=1,
        )
    with services.writing() as s:
        rollups.apply(s.connection(), t.tenant_id, counts)
    assert _stored_rollups(services, t.tenant_id) != kept
    downgrade(services.write_engine, "e7a41c2b9d50")
    upgrade(services.write_engine)
    assert _stored_rollups(services, t.tenant_id) == kept


def test_compliance_and_trend_from_rollups_equal_a_count_of_the_clocks(
    random_tenant: tuple[Tenant, int], services: Services
) -> None:
    t, now = random_tenant
    rng = random.Random(3)
    start = to_us(T0)
    midnight = start - start % DAY
    windows = [
        (midnight, midnight + 12 * DAY),  # whole days
        (start - DAY, now + DAY),  # everything, off day boundaries
        (midnight + 2 * DAY + 3_600_000_000, midnight + 2 * DAY + 7_200_000_000),  # 1 h
        (midnight + 3 * DAY - 1, midnight + 4 * DAY + 1),  # edges of 1 us
    ]
    for _ in range(8):
        a = start + rng.randrange(0, 12 * DAY)
        windows.append((a, a + rng.randrange(1, 6 * DAY)))
    for w in windows:
        for group in GROUPS:
            assert _compliance(services, t.tenant_id, w, group, now) == _brute_force(
                services, t.tenant_id, w, group, now
            ), (w, group)
        for group in (None, "team", "policy"):
            rows = reports.coverage(services, t.tenant_id, reports.Window(*w), group, now)
            got = {
                (r["segment"], r["metric"]): (
                    r["counted"],
                    r["breached"],
                    r["warned"],
                    round(r["at_risk_coverage"] * r["breached"]) if r["breached"] else 0,
                )
                for r in rows
            }
            assert got == _brute_force_all(services, t.tenant_id, w, group, now), (w, group)
    for end in (now, midnight + 9 * DAY, start + 6 * DAY + 12_345):
        for group in (None, "queue", "metric"):
            rows = reports.trend(services, t.tenant_id, reports.Window(0, end), group, now)
            for period, span in (("week", 7 * DAY), ("quarter", 91 * DAY)):
                expected = _brute_force(services, t.tenant_id, (end - span, end), group, now)
                before = _brute_force(
                    services, t.tenant_id, (end - 2 * span, end - span), group, now
                )
                got = {(r["segment"], r["metric"]): r for r in rows if r["period"] == period}
                assert set(got) == set(expected) | set(before)
                for key, r in got.items():
                    assert r["breached"] == expected.get(key, (0, 0))[1]
                    assert r["previous_breached"] == before.get(key, (0, 0))[1]


def test_report_columns_follow_the_tickets_current_fields(
    random_tenant: tuple[Tenant, int], services: Services
) -> None:
    t, _ = random_tenant
    r = t.post(
        "/api/v1/tickets",
        {
            "id": "C-1",
            "priority": "P2",
            "queue": "vip",
            "category": "bug",
            "product": "api",
            "channel": "chat",
            "tier": "enterprise",
            "account": "acct-42",
            "events": [{"id": "C-1-0", "type": "created", "at": "2026-11-03T09:00:00+00:00"}],
        },
    )
    assert r.status_code == 201, r.text
    r = t.post(
        "/api/v1/tickets/C-1/events",
        {
            "id": "C-1-1",
            "type": "field",
            "name": "category",
            "value": "billing",
            "at": "2026-11-03T10:00:00+00:00",
        },
    )
    assert r.status_code in (200, 201), r.text
    with services.reading() as s:
        row = s.scalars(select(TicketRow).where(TicketRow.external_id == "C-1")).one()
    assert (row.queue, row.category, row.product, row.channel, row.tier, row.account) == (
        "vip",
        "billing",
        "api",
        "chat",
        "enterprise",
        "acct-42",
    )


def test_both_databases_give_the_same_reports(tmp_path: Path, pg_server: PgServer) -> None:
    """The same histories on SQLite and PostgreSQL: every report, every grouping."""
    results = []
    with fresh_schema(pg_server.url) as pg_url:
        for url in (f"sqlite:///{tmp_path / 'same.db'}", pg_url):
            engine = make_engine(url)
            clock = FakeClock()
            svc = Services(
                engine=engine, write_engine=writer(engine), is_sqlite=is_sqlite(url), clock=clock
            )
            try:
                upgrade(svc.write_engine)
                with TestClient(create_app(svc)) as client:
                    _, admin = tenants.create_tenant(svc, name="same")
                    tid = tenants.tenant_named(svc, "same")
                    configs.apply_config(svc, tenant_id=tid, document=parse_text(CONFIG))
                    tenant = Tenant("same", tid, {"admin": admin, "agent": admin}, client)
                    now = _play(tenant, svc, clock, seed=11, n=25)
                    principal = tenants.authenticate(svc, admin)
                    out = {}
                    for name in reports.REPORTS:
                        for group in (None, "team", "queue", "category", "policy", "metric"):
                            out[name, group] = reports.run_report(
                                svc,
                                principal=principal,
                                name=name,
                                start_us=to_us(T0) - DAY,
                                end_us=now,
                                group_by=group,
                            )["rows"]
                    results.append(out)
            finally:
                engine.dispose()
    sqlite_out, pg_out = results
    for key in sqlite_out:
        assert sqlite_out[key] == pg_out[key], key
