"""Reports on both databases, against a small dataset whose answers are worked out by
hand in the comments below (not by the code under test)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from apihelpers import START, FakeClock, Tenant
from reportdata import CONFIG, at, four_tickets

from servers import ok, slaguard
from slaguard.app import configs
from slaguard.app.refresh import refresh_due
from slaguard.app.reports import COLUMNS, REPORTS
from slaguard.app.services import Services
from slaguard.config.files import parse_text


@pytest.fixture
def dataset(make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock) -> Tenant:
    """Four tickets created at START on a 24x7 calendar, first response due in 1h
    (warning at 30m), resolution in 8h; judged at START + 3h:

        T1 team a, email: replied at 30m (met, warned at 30m), resolved at 2h (met)
        T2 team a, chat:  replied at 2h (breached at 1h, warned at 30m)
        T3 team b, email: replied at 10m (met, never warned)
        T4 team b, chat:  no reply: breached at 1h, warned at 30m (found by the worker)
    """
    return four_tickets(make_tenant, services, clock)


def report(t: Tenant, name: str, **params: str) -> list[dict[str, Any]]:
    query = {"from": at(0), "to": at(24 * 60), **params}
    r = t.get(f"/api/v1/reports/{name}", params=query)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def post_history(
    t: Tenant, tid: str, priority: str, events: list[tuple[str, str | None, float]]
) -> None:
    """Ticket `tid` created at START with (type, status or None, minute) events."""
    docs: list[dict[str, Any]] = [{"id": f"{tid}-c", "type": "created", "at": at(0)}]
    for n, (kind, status, minute) in enumerate(events):
        doc: dict[str, Any] = {"id": f"{tid}-{n}", "type": kind, "at": at(minute)}
        if status is not None:
            doc["status"] = status
        docs.append(doc)
    body = {"id": tid, "priority": priority, "events": docs}
    assert t.post("/api/v1/tickets", body).status_code == 201, tid


def test_compliance_and_breach_rate_per_metric(dataset: Tenant) -> None:
    rows = by(report(dataset, "compliance"), "metric")
    # first_response: 4 counted (T1, T3 met; T2 breached and met late; T4 breached)
    fr = rows[("first_response",)]
    assert (fr["counted"], fr["met"], fr["breached"]) == (4, 2, 2)
    assert fr["compliance_rate"] == 0.5 and fr["breach_rate"] == 0.5
    assert fr["alert"] == "critical" and fr["recommended_action"]
    # resolution: only T1 ended (met); the others still run within 8h
    res = rows[("resolution",)]
    assert (res["counted"], res["met"], res["breached"]) == (1, 1, 0)
    assert res["compliance_rate"] == 1.0 and res["alert"] == "ok"


def test_compliance_grouped_by_team_and_by_a_document_field(dataset: Tenant) -> None:
    teams = by(report(dataset, "compliance", group_by="team"), "segment", "metric")
    assert teams[("a", "first_response")]["breached"] == 1  # T2
    assert teams[("b", "first_response")]["breached"] == 1  # T4
    assert teams[("a", "first_response")]["counted"] == 2
    channels = by(report(dataset, "compliance", group_by="channel"), "segment", "metric")
    assert channels[("chat", "first_response")]["compliance_rate"] == 0.0  # T2, T4
    assert channels[("email", "first_response")]["compliance_rate"] == 1.0  # T1, T3


def test_response_times_median_p90_mean(dataset: Tenant) -> None:
    rows = by(report(dataset, "response-times"), "metric")
    fr = rows[("first_response",)]
    # stopped: T1 30m, T2 120m, T3 10m -> sorted 10, 30, 120
    assert fr["count"] == 3
    assert fr["business_median_s"] == 30 * 60
    assert fr["business_p90_s"] == 120 * 60  # nearest rank: ceil(0.9 * 3) = 3rd
    assert fr["business_mean_s"] == pytest.approx((10 + 30 + 120) * 60 / 3, abs=0.01)
    assert fr["calendar_median_s"] == 30 * 60  # 24x7: calendar time = business time
    res = rows[("resolution",)]
    assert res["count"] == 1 and res["business_median_s"] == 120 * 60


def test_response_times_ungrouped_agree_with_each_metric_on_its_own(dataset: Tenant) -> None:
    """Without a group the figures come from one pass FILTERed by metric (PostgreSQL);
    grouped by metric, from GROUP BY: the same numbers. A metric with nothing stopped
    in the window has no row."""
    figures = [
        "count",
        *(
            f"{kind}_{stat}_s"
            for kind in ("business", "calendar")
            for stat in ("median", "p90", "mean")
        ),
    ]
    whole = by(report(dataset, "response-times"), "metric")
    apart = by(report(dataset, "response-times", group_by="metric"), "metric")
    assert sorted(whole) == sorted(apart) == [("first_response",), ("resolution",)]
    for metric, row in whole.items():
        assert row["segment"] == "all"
        assert {f: row[f] for f in figures} == {f: apart[metric][f] for f in figures}
    # up to 0:45 only first responses (T1 at 0:30, T3 at 0:10) had stopped
    early = report(dataset, "response-times", **{"from": at(0), "to": at(45)})
    assert [(r["metric"], r["count"], r["business_p90_s"]) for r in early] == [
        ("first_response", 2, 30 * 60)
    ]


def test_at_risk_coverage_and_save_rate(dataset: Tenant) -> None:
    fr = by(report(dataset, "coverage"), "metric")[("first_response",)]
    # breached: T2, T4, both warned first -> coverage 1.0
    assert fr["breached"] == 2 and fr["at_risk_coverage"] == 1.0
    # warned: T1 (met: saved), T2, T4 (breached) -> save rate 1/3
    assert fr["warned"] == 3 and fr["save_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert fr["escalated"] == 0 and fr["escalation_rate"] == 0.0


def test_window_excludes_what_ended_outside_it(dataset: Tenant) -> None:
    # from 0:45 to 1:30: T2's and T4's breaches (1:00) fall inside; T1 (0:30) and T3
    # (0:10) ended before it; T2's late reply (2:00) after it.
    rows = by(report(dataset, "compliance", **{"from": at(45), "to": at(90)}), "metric")
    assert rows[("first_response",)]["counted"] == 2
    assert rows[("first_response",)]["breached"] == 2


@pytest.mark.parametrize("name", REPORTS)
def test_every_row_has_the_declared_columns_and_an_empty_csv_keeps_its_header(
    dataset: Tenant, name: str
) -> None:
    for group in (None, "team"):
        params = {"group_by": group} if group else {}
        for row in report(dataset, name, **params):
            assert list(row) == list(COLUMNS[name])
    # a window with nothing in it: no rows, and the CSV is the header alone
    empty = {"from": at(-3 * 24 * 60), "to": at(-2 * 24 * 60)}
    assert report(dataset, name, **empty) == []
    r = dataset.get(f"/api/v1/reports/{name}", params={**empty, "format": "csv"})
    assert r.status_code == 200
    assert r.text == ",".join(COLUMNS[name]) + "\n"


def test_csv_download(dataset: Tenant) -> None:
    r = dataset.get("/api/v1/reports/compliance", params={"format": "csv", "group_by": "team"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(row["segment"], row["metric"]) for row in rows} >= {("a", "first_response")}


def test_the_cli_prints_the_apis_rows_whole_when_piped(dataset: Tenant, services: Services) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    env = {
        **clean,
        "SLAGUARD_DATABASE_URL": services.engine.url.render_as_string(hide_password=False),
        "COLUMNS": "60",  # a narrow terminal's width: not one a pipe is cut to
    }
    window = ["--from", at(0), "--to", at(24 * 60), "--group-by", "team"]
    api = report(dataset, "compliance", group_by="team")
    cli = ["report", "compliance", "--tenant", dataset.name, *window]

    as_csv = ok(slaguard(env, *cli, "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert rows == [{k: "" if v is None else str(v) for k, v in row.items()} for row in api]

    table = ok(slaguard(env, *cli)).splitlines()
    header = next(line for line in table if "segment" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == list(COLUMNS["compliance"])
    body = [line for line in table if line.startswith("│")]
    assert len(body) == len(api)  # one line a row: nothing wrapped
    for line, row in zip(body, api, strict=True):
        cells = line.strip("│").split("│")
        assert [c.strip() for c in cells] == ["" if v is None else str(v) for v in row.values()]
        counted = cells[list(COLUMNS["compliance"]).index("counted")]
        assert counted.endswith(f"{row['counted']} ")  # numbers to the right


def test_bad_requests_name_the_field(dataset: Tenant) -> None:
    r = dataset.get("/api/v1/reports/nope")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["path"] == "name"
    r = dataset.get("/api/v1/reports/compliance", params={"group_by": "planet"})
    assert r.json()["error"]["details"][0]["path"] == "group_by"
    r = dataset.get("/api/v1/reports/compliance", params={"from": at(60), "to": at(0)})
    assert r.json()["error"]["details"][0]["path"] == "from"
    r = dataset.get("/api/v1/reports/compliance", params={"from": "yesterday"})
    assert r.json()["error"]["details"][0]["path"] == "from"


def test_reports_see_only_their_tenant(dataset: Tenant, make_tenant: Callable[..., Tenant]) -> None:
    other = make_tenant("globex")
    assert report(other, "compliance") == []


def test_breach_reasons_suggested_confirmed_and_reported(dataset: Tenant) -> None:
    [breach] = dataset.get("/api/v1/tickets/T2/breaches").json()
    assert (breach["metric"], breach["cycle"]) == ("first_response", 1)
    assert breach["breached_at"] == at(60)
    # nobody was assigned for the whole first hour: more than a quarter of the target
    assert breach["suggested_reason"] == "unclear_ownership" and breach["evidence"]
    assert breach["reason"] is None

    path = "/api/v1/tickets/T2/breaches/first_response/1"
    r = dataset.client.put(path, json={"reason": "planet"}, headers=dataset.headers("agent"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["path"] == "reason"
    r = dataset.client.put(path, json={"reason": "staffing"}, headers=dataset.headers("viewer"))
    assert r.status_code == 403
    r = dataset.client.put(
        path, json={"reason": "staffing", "note": "two out sick"}, headers=dataset.headers("agent")
    )
    assert r.status_code == 200 and r.json()["reason"] == "staffing"
    missing = dataset.client.put(
        "/api/v1/tickets/T1/breaches/first_response/1",
        json={"reason": "staffing"},
        headers=dataset.headers("agent"),
    )
    assert missing.status_code == 404

    rows = by(report(dataset, "breach-reasons"), "reason")
    # T2 confirmed as staffing; T4 still only suggested (unclear ownership)
    assert rows[("staffing",)]["confirmed"] == 1
    assert rows[("staffing",)]["share"] == 1.0 and rows[("staffing",)]["cumulative_share"] == 1.0
    assert rows[("staffing",)]["top_cause_concentration"] == 1.0
    assert rows[("unclear_ownership",)]["confirmed"] == 0
    assert rows[("unclear_ownership",)]["suggested_only"] == 1


def test_reasons_are_confirmed_from_the_taxonomy_as_it_stands_now(
    dataset: Tenant, services: Services
) -> None:
    """T2 is judged by the configuration it started under; the tenant's taxonomy changed
    since: a reason added later can be given to its breach, one dropped no longer."""
    reasons = ["misrouting", "staffing", "other", "vendor_outage"]
    document = {**parse_text(CONFIG), "breach_reasons": [r for r in reasons if r != "staffing"]}
    configs.apply_config(services, tenant_id=dataset.tenant_id, document=document)
    path = "/api/v1/tickets/T2/breaches/first_response/1"
    agent = dataset.headers("agent")
    r = dataset.client.put(path, json={"reason": "vendor_outage"}, headers=agent)
    assert r.status_code == 200 and r.json()["reason"] == "vendor_outage"
    r = dataset.client.put(path, json={"reason": "staffing"}, headers=agent)
    assert r.status_code == 422
    assert "vendor_outage" in r.json()["error"]["details"][0]["message"]
    assert dataset.get("/api/v1/tickets/T2").json()["config_version"] == 1


def test_pause_abuse(dataset: Tenant) -> None:
    def ticket(tid: str, events: list[tuple[str, str | None, float]]) -> None:
        post_history(dataset, tid, "P3", events)

    # parked in pending at 0:10; the customer answered at 0:20; still pending at 3:00
    ticket("T5", [("status", "pending", 10), ("customer_reply", None, 20)])
    # paused three times for 10 minutes each; the customer never wrote
    ticket(
        "T6",
        [
            ("status", "pending", 10),
            ("status", "open", 20),
            ("status", "pending", 30),
            ("status", "open", 40),
            ("status", "pending", 50),
            ("status", "open", 60),
        ],
    )
    # answered within the hour: resumed 30 minutes after the reply, not abuse
    ticket(
        "T7",
        [("status", "pending", 10), ("customer_reply", None, 20), ("status", "open", 50)],
    )
    rows = report(dataset, "pause-abuse")
    assert [list(r) for r in rows] == [list(COLUMNS["pause-abuse"])]
    found = {(r["ticket"], r["finding"]): r for r in rows}
    # T6's pauses were all hours before its resolution was due (8h; warned at 4h)
    assert set(found) == {("T5", "paused after the customer replied")}
    assert found[("T5", "paused after the customer replied")]["since"] == at(20)
    assert found[("T5", "paused after the customer replied")]["kept_stopped_s"] == 160 * 60


def test_pause_abuse_right_before_due_and_pauses_ended_by_a_solve(
    dataset: Tenant, clock: FakeClock
) -> None:
    """Resolution due in 8h (24x7), warned at 50%: 4h of running time."""
    clock.set(START + timedelta(hours=10))

    def ticket(tid: str, events: list[tuple[str, str | None, float]]) -> None:
        post_history(dataset, tid, "P2", events)

    # Running 0:00-1:00, 1:10-4:20, 4:30-5:00, 5:20-6:40 (360 of 480 minutes), solved
    # at 7:10 while paused. The warning: 240 minutes of running time, at 4:10. The pause
    # at 1:00 is long before due; the three after 4:10 (10, 20 and 30 minutes, the last
    # ended by the solve) are right before it.
    ticket(
        "U1",
        [
            ("status", "pending", 60),
            ("status", "open", 70),
            ("status", "pending", 260),
            ("status", "open", 270),
            ("status", "pending", 300),
            ("status", "open", 320),
            ("status", "pending", 400),
            ("status", "solved", 430),
        ],
    )
    # Only two pauses after the warning (at 4:00): not repeated.
    ticket(
        "U2",
        [
            ("status", "pending", 30),
            ("status", "open", 40),
            ("status", "pending", 250),
            ("status", "open", 260),
            ("status", "pending", 280),
            ("status", "open", 290),
        ],
    )
    # Paused at 0:10, the customer answered at 0:20, solved from pending at 3:20: kept
    # stopped for 3 hours after the reply (not until now).
    ticket(
        "U3",
        [("status", "pending", 10), ("customer_reply", None, 20), ("status", "solved", 200)],
    )
    rows = report(dataset, "pause-abuse")
    found = {(r["ticket"], r["finding"]): r for r in rows if r["ticket"].startswith("U")}
    assert set(found) == {
        ("U1", "paused 3 times right before due"),
        ("U3", "paused after the customer replied"),
    }
    repeated = found[("U1", "paused 3 times right before due")]
    assert (repeated["pauses"], repeated["kept_stopped_s"]) == (3, 60 * 60)
    replied = found[("U3", "paused after the customer replied")]
    assert (replied["since"], replied["kept_stopped_s"]) == (at(20), 180 * 60)


def test_repeat_offenders_breach_in_consecutive_weeks(dataset: Tenant) -> None:
    week_before = START - timedelta(days=7)
    for tid, created in (("Q1", week_before), ("Q2", START), ("Q3", START)):
        body = {
            "id": tid,
            "priority": "P2",
            "queue": "billing" if tid != "Q3" else "returns",
            "events": [{"id": f"{tid}-c", "type": "created", "at": created.isoformat()}],
        }
        assert dataset.post("/api/v1/tickets", body).status_code == 201
    rows = report(
        dataset,
        "repeat-offenders",
        **{"from": week_before.isoformat(), "to": (START + timedelta(days=7)).isoformat()},
    )
    # billing breached in the window's first week (Q1: first response at +1h and
    # resolution at +8h) and its second week (Q2: first response; its resolution is not
    # due before now); returns and the tickets without a queue only in the second week
    assert rows == [
        {
            "segment": "billing",
            "weeks_in_a_row": 2,
            "from": week_before.isoformat(),
            "breaches": 3,
        }
    ]


def test_a_backlog_above_the_teams_normal_level_is_suggested(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> None:
    from slaguard.app.backlog import sample_if_due

    t: Tenant = make_tenant("busy", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))

    def open_ticket(tid: str) -> None:
        body = {
            "id": tid,
            "priority": "P2",
            "team": "a",
            "assignee": "li@example.com",
            "events": [{"id": f"{tid}-c", "type": "created", "at": clock.now.isoformat()}],
        }
        assert t.post("/api/v1/tickets", body).status_code == 201

    # a day of hourly samples with one open ticket in team a
    open_ticket("N-0")
    for _ in range(24):
        assert sample_if_due(services, now=clock())
        assert not sample_if_due(services, now=clock())  # once an hour
        clock.advance(timedelta(hours=1))
    # now three open tickets, one of which breaches
    open_ticket("N-1")
    open_ticket("N-2")
    clock.advance(timedelta(hours=2))
    while refresh_due(services, now=clock()):
        pass
    [breach] = t.get("/api/v1/tickets/N-2/breaches").json()
    assert breach["suggested_reason"] == "backlog"
    assert "3 open tickets" in breach["evidence"][0] and "normal 1" in breach["evidence"][0]


ORDER_CONFIG = """
calendars:
  always: {timezone: UTC, always_open: true}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {P1: 30m, P2: 1h, P3: 1h, P4: 1h}
      resolution: {P1: 8h, P2: 8h, P3: 8h, P4: 8h}
"""
# Events after the creation of each ticket (all created at START, P2, team a, unassigned):
# A is answered at 0:30, inside its hour; B becomes P1 at 0:10 (first response due at
# 0:30 from its start) and is assigned at 0:20; C is marked a duplicate of A at 1:35,
# after its first response breached at 1:00, which cancels its clocks.
LATER = {
    "A": [{"type": "agent_reply", "at": at(30)}],
    "B": [
        {"type": "priority", "priority": "P1", "at": at(10)},
        {"type": "assigned", "assignee": "li@example.com", "at": at(20)},
    ],
    "C": [{"type": "duplicate_of", "original": "A", "at": at(95)}],
}


def _order_tenant(
    name: str, make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> Tenant:
    t: Tenant = make_tenant(name, config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(ORDER_CONFIG))
    return t


def _ticket(tid: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    created = {"id": f"{tid}-c", "type": "created", "at": at(0)}
    later = [{"id": f"{tid}-{n}", **e} for n, e in enumerate(events)]
    return {"id": tid, "priority": "P2", "team": "a", "events": [created, *later]}


def _breaches(t: Tenant) -> list[dict[str, Any]]:
    return [b for tid in LATER for b in t.get(f"/api/v1/tickets/{tid}/breaches").json()]


def test_breach_rows_do_not_depend_on_the_order_events_arrive_in(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> None:
    from sqlalchemy import select

    from slaguard.db.tables import AuditRow

    # in time order: every event is known when the clocks are first computed
    ordered = _order_tenant("ordered", make_tenant, services, clock)
    clock.set(START + timedelta(minutes=100))
    for tid, events in LATER.items():
        assert ordered.post("/api/v1/tickets", _ticket(tid, events)).status_code == 201

    # late: the breaches of all three at 1:00 are noted first, C's is confirmed by a
    # person, then the events arrive
    late = _order_tenant("late", make_tenant, services, clock)
    clock.set(START)
    for tid in LATER:
        assert late.post("/api/v1/tickets", _ticket(tid, [])).status_code == 201
    clock.set(START + timedelta(minutes=90))
    while refresh_due(services, now=clock()):
        pass
    assert [(b["ticket"], b["breached_at"]) for b in _breaches(late)] == [
        ("A", at(60)),
        ("B", at(60)),
        ("C", at(60)),
    ]
    r = late.client.put(
        "/api/v1/tickets/C/breaches/first_response/1",
        json={"reason": "staffing"},
        headers=late.headers("agent"),
    )
    assert r.status_code == 200
    clock.set(START + timedelta(minutes=100))
    for tid, events in LATER.items():
        for n, e in enumerate(events):
            r = late.post(f"/api/v1/tickets/{tid}/events", {"id": f"{tid}-{n}", **e})
            assert r.status_code in (200, 201), r.text

    clock.set(START + timedelta(minutes=120))
    # A met its first response, C's clocks were cancelled: only B's breach is left, at
    # 0:30, unassigned for its first 20 minutes (more than a quarter of 30m)
    expected = [
        {
            "ticket": "B",
            "metric": "first_response",
            "cycle": 1,
            "breached_at": at(30),
            "suggested_reason": "unclear_ownership",
            "evidence": [
                "unassigned for 20m of business time while the clock ran, more than a "
                "quarter of the 30m target"
            ],
            "reason": None,
            "confirmed_by": None,
            "confirmed_at": None,
            "note": "",
        }
    ]
    assert _breaches(ordered) == expected
    assert _breaches(late) == expected
    reasons = report(ordered, "breach-reasons")
    assert [(r["reason"], r["confirmed"], r["suggested_only"]) for r in reasons] == [
        ("unclear_ownership", 0, 1)
    ]
    assert report(late, "breach-reasons") == reasons

    # every change to the late tenant's breaches is in its audit trail
    with services.reading() as s:
        records = s.execute(
            select(AuditRow.kind, AuditRow.subject, AuditRow.data)
            .where(AuditRow.tenant_id == late.tenant_id, AuditRow.kind.like("breach.%"))
            .order_by(AuditRow.id)
        ).all()
    kinds = [(k, subject) for k, subject, _ in records]
    assert kinds == [
        ("breach.reason", "C"),
        ("breach.removed", "A"),
        ("breach.updated", "B"),
        ("breach.updated", "B"),
        ("breach.removed", "C"),
    ]
    removed_c = records[-1].data
    assert (removed_c["reason"], removed_c["breached_at"]) == ("staffing", at(60))
    assert removed_c["confirmed_by"] == "agent of late"
    moved_b = records[2].data
    assert (moved_b["before"]["breached_at"], moved_b["breached_at"]) == (at(60), at(30))
    assert records[1].data["reason"] is None
    with services.reading() as s:
        none_ordered = s.scalars(
            select(AuditRow.kind).where(
                AuditRow.tenant_id == ordered.tenant_id, AuditRow.kind.like("breach.%")
            )
        ).all()
    assert none_ordered == []


def test_the_backlog_is_measured_at_the_breach_not_when_it_is_noted(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> None:
    from slaguard.db.tables import BacklogSampleRow
    from slaguard.domain.calendar import to_us

    t: Tenant = make_tenant("busy", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))
    with services.writing() as s:  # two days of hourly samples: team a normally has 2
        s.add_all(
            BacklogSampleRow(
                tenant_id=t.tenant_id,
                team="a",
                at_us=to_us(START - timedelta(hours=h)),
                open_tickets=2,
            )
            for h in range(1, 49)
        )

    def ticket(tid: str, minute: int, *events: tuple[str, int]) -> None:
        clock.set(START + timedelta(minutes=max([minute, *(m for _, m in events)])))
        docs = [{"id": f"{tid}-c", "type": "created", "at": at(minute)}]
        docs += [{"id": f"{tid}-{k}", "type": k, "at": at(m)} for k, m in events]
        body = {"id": tid, "priority": "P2", "team": "a", "assignee": "li", "events": docs}
        assert t.post("/api/v1/tickets", body).status_code == 201

    ticket("T1", 0)  # never answered: its first response breaches at 1:00
    ticket("D1", 0, ("agent_reply", 10), ("resolved", 30))  # done before the breach
    ticket("O1", 10)
    ticket("O2", 20)
    for n in range(5):  # after the breach, before the worker catches up
        ticket(f"N{n}", 240)
    clock.set(START + timedelta(minutes=300))
    while refresh_due(services, now=clock()):
        pass
    # open in team a at 1:00: T1, O1, O2 (D1 was done at 0:30; N0-N4 came later)
    [breach] = t.get("/api/v1/tickets/T1/breaches").json()
    assert breach["suggested_reason"] == "backlog"
    assert breach["evidence"] == ["3 open tickets in the team at the breach, above its normal 2"]


def test_cancelled_instances_never_count(dataset: Tenant) -> None:
    """T4 (first response breached at 1h, warned at 30m) is marked a duplicate of T3 at
    3h: its clocks are cancelled and leave every report, breach included."""
    r = dataset.post(
        "/api/v1/tickets/T4/events",
        {"id": "T4-dup", "type": "duplicate_of", "original": "T3", "at": at(180)},
    )
    assert r.status_code in (200, 201), r.text
    fr = by(report(dataset, "compliance"), "metric")[("first_response",)]
    # T1, T3 met; T2 breached and met late; T4 no longer counts
    assert (fr["counted"], fr["met"], fr["breached"]) == (3, 2, 1)
    cov = by(report(dataset, "coverage"), "metric")[("first_response",)]
    # breached: T2 (warned first); warned: T1 (saved), T2
    assert (cov["breached"], cov["warned"], cov["at_risk_coverage"]) == (1, 2, 1.0)
    assert cov["save_rate"] == 0.5
    week = {(r["period"], r["metric"]): r for r in report(dataset, "trend")}
    assert week[("week", "first_response")]["breached"] == 1
    # T2's breach is suggested as unclear ownership; T4's is gone with its clock
    reasons = by(report(dataset, "breach-reasons"), "reason")
    assert reasons[("unclear_ownership",)]["suggested_only"] == 1
    by_team = by(report(dataset, "compliance", group_by="team"), "segment", "metric")
    assert (
        by_team[("b", "first_response")]["counted"],
        by_team[("b", "first_response")]["breached"],
    ) == (1, 0)


def test_repeat_offenders_leave_out_cancelled_breaches(dataset: Tenant) -> None:
    week_before = START - timedelta(days=7)
    for tid, created in (("Q1", week_before), ("Q2", START)):
        body = {
            "id": tid,
            "priority": "P2",
            "queue": "billing",
            "events": [{"id": f"{tid}-c", "type": "created", "at": created.isoformat()}],
        }
        assert dataset.post("/api/v1/tickets", body).status_code == 201
    window = {"from": week_before.isoformat(), "to": (START + timedelta(days=7)).isoformat()}
    assert [r["weeks_in_a_row"] for r in report(dataset, "repeat-offenders", **window)] == [2]
    # Q2, the only breach of billing's second week, turns out to be a duplicate of Q1
    r = dataset.post(
        "/api/v1/tickets/Q2/events",
        {"id": "Q2-dup", "type": "duplicate_of", "original": "Q1", "at": at(180)},
    )
    assert r.status_code in (200, 201), r.text
    assert report(dataset, "repeat-offenders", **window) == []


ESCALATING = (
    CONFIG
    + """
channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/hook", secret: s}
escalations:
  - name: ladder
    levels:
      - {when: breach, metrics: [first_response], notify: [hook]}
"""
)


def test_coverage_resolution_time_of_escalated_tickets_and_the_others(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> None:
    """Five tickets created at START (first response due in 1h, resolution in 8h, 24x7).
    E1 and E5 get no reply within the hour: their first response breaches and the
    ladder's breach level fires for them at 1:00. Resolved at (minutes):

        escalated:     E1 180, E5 300          -> mean 240, median (1st of 2) 180
        not escalated: E2 60, E3 120, E4 240   -> mean 140, median (2nd of 3) 120
    """
    from slaguard.app import firing

    t: Tenant = make_tenant("esc", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(ESCALATING))
    for tid, team in (("E1", "a"), ("E2", "a"), ("E3", "b"), ("E4", "b"), ("E5", "b")):
        body = {
            "id": tid,
            "priority": "P2",
            "team": team,
            "events": [{"id": f"{tid}-c", "type": "created", "at": at(0)}],
        }
        assert t.post("/api/v1/tickets", body).status_code == 201

    def post(tid: str, kind: str, minute: float) -> None:
        clock.set(START + timedelta(minutes=minute))
        r = t.post(
            f"/api/v1/tickets/{tid}/events",
            {"id": f"{tid}-{kind}", "type": kind, "at": at(minute)},
        )
        assert r.status_code in (200, 201), r.text

    for tid in ("E2", "E3", "E4"):
        post(tid, "agent_reply", 10)
    clock.set(START + timedelta(minutes=61))
    while refresh_due(services, now=clock()):
        pass
    while firing.fire_due(services, now=clock(), limit=10):
        pass
    for tid, minute in (("E2", 60), ("E1", 90), ("E5", 90), ("E3", 120)):
        if tid in ("E1", "E5"):
            post(tid, "agent_reply", minute)
        else:
            post(tid, "resolved", minute)
    for tid, minute in (("E1", 180), ("E4", 240), ("E5", 300)):
        post(tid, "resolved", minute)
    clock.set(START + timedelta(hours=6))

    res = by(report(t, "coverage"), "metric")[("resolution",)]
    assert res["escalated_resolution_mean_s"] == 240 * 60
    assert res["escalated_resolution_median_s"] == 180 * 60
    assert res["not_escalated_resolution_mean_s"] == 140 * 60
    assert res["not_escalated_resolution_median_s"] == 120 * 60
    fr = by(report(t, "coverage"), "metric")[("first_response",)]
    assert fr["escalated"] == 2 and fr["escalated_resolution_mean_s"] is None
    # by team: a = E1 (escalated, 180), E2 (60); b = E5 (escalated, 300), E3 (120), E4 (240)
    teams = by(report(t, "coverage", group_by="team"), "segment", "metric")
    a, b = teams[("a", "resolution")], teams[("b", "resolution")]
    assert (a["escalated_resolution_median_s"], a["not_escalated_resolution_median_s"]) == (
        180 * 60,
        60 * 60,
    )
    assert (b["escalated_resolution_mean_s"], b["not_escalated_resolution_mean_s"]) == (
        300 * 60,
        180 * 60,
    )
    assert b["not_escalated_resolution_median_s"] == 120 * 60  # 1st of 2
    # escalated instances: E1's and E5's first responses, wherever they are grouped
    assert [teams[(team, "first_response")]["escalated"] for team in "ab"] == [1, 1]
    policies = report(t, "coverage", group_by="policy")
    assert [(r["metric"], r["escalated"]) for r in policies if r["escalated"]] == [
        ("first_response", 2)
    ]
    r = t.get(
        "/api/v1/reports/coverage", params={"from": at(0), "to": at(24 * 60), "format": "csv"}
    )
    assert r.status_code == 200
    rows = {row["metric"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert float(rows["resolution"]["escalated_resolution_median_s"]) == 180 * 60
    assert rows["first_response"]["escalated_resolution_median_s"] == ""


def test_compliance_alert_follows_the_tenants_levels(dataset: Tenant) -> None:
    """first_response at 50% (2 of 4 met), resolution at 100% (1 of 1)."""
    rows = by(report(dataset, "compliance"), "metric")
    assert rows[("first_response",)]["alert"] == "critical"  # under the default 85%
    before = dataset.get("/api/v1/config").json()["version"]
    bad = CONFIG + "reports: {compliance_target: 80%, compliance_critical: 90%}\n"
    r = dataset.put_config(bad)
    assert r.status_code == 422
    assert [d["path"] for d in r.json()["error"]["details"]] == ["reports.compliance_critical"]
    assert dataset.get("/api/v1/config").json()["version"] == before
    r = dataset.put_config(
        CONFIG + "reports: {compliance_target: 100%, compliance_critical: 40%}\n"
    )
    assert r.status_code == 201, r.text
    rows = by(report(dataset, "compliance"), "metric")
    fr, res = rows[("first_response",)], rows[("resolution",)]
    assert (fr["alert"], fr["recommended_action"] != "") == ("below_target", True)
    assert (res["alert"], res["recommended_action"]) == ("ok", "")


def test_pause_abuse_a_pause_ended_by_a_solve_stays_ended_after_a_reopening(
    dataset: Tenant,
) -> None:
    """A pause lasts until the clock's next resume, stop or cancel in the clock-event
    log: a solve ends it even when the ticket is reopened later. Judged at 3:00.

    V1: pending at 0:10, the customer answered at 0:20, solved from pending at 0:40,
        reopened at 2:00. The pause ended at 0:40: kept stopped 20 minutes after the
        reply, within the hour, so no finding (not 0:20 to now, 160 minutes).
    V2: pending at 0:10, the customer answered at 0:20, solved from pending at 1:50,
        reopened at 2:00, pending again 2:30-2:40. The first pause ended at 1:50: kept
        stopped 90 minutes after the reply (not until the resume at 2:40, 140 minutes);
        the customer did not write during the second.
    """

    def ticket(tid: str, events: list[tuple[str, str | None, float]]) -> None:
        post_history(dataset, tid, "P3", events)

    ticket(
        "V1",
        [
            ("status", "pending", 10),
            ("customer_reply", None, 20),
            ("status", "solved", 40),
            ("status", "open", 120),
        ],
    )
    ticket(
        "V2",
        [
            ("status", "pending", 10),
            ("customer_reply", None, 20),
            ("status", "solved", 110),
            ("status", "open", 120),
            ("status", "pending", 150),
            ("status", "open", 160),
        ],
    )
    rows = [r for r in report(dataset, "pause-abuse") if r["ticket"].startswith("V")]
    assert rows == [
        {
            "ticket": "V2",
            "finding": "paused after the customer replied",
            "since": at(20),
            "pauses": 1,
            "kept_stopped_s": 90 * 60,
        }
    ]


def test_compliance_alert_judges_the_rate_itself_not_its_rounded_figure(
    dataset: Tenant,
) -> None:
    """Grouped by team, team a's first responses: T1 met, T2 breached; with T0 (team a,
    replied at 0:05, met) 2 of 3 are met: 66.666...%, shown rounded as 0.6667. Under a
    target of 66.667% that is below target (66.6666... < 66.667), and under a critical
    level of 66.6669% critical, although the rounded figure 0.6667 is above both."""
    body = {
        "id": "T0",
        "priority": "P2",
        "team": "a",
        "events": [
            {"id": "T0-c", "type": "created", "at": at(0)},
            {"id": "T0-r", "type": "agent_reply", "at": at(5)},
        ],
    }
    assert dataset.post("/api/v1/tickets", body).status_code == 201
    levels = "reports: {compliance_target: '66.667%', compliance_critical: '66.6669%'}\n"
    assert dataset.put_config(CONFIG + levels).status_code == 201
    teams = by(report(dataset, "compliance", group_by="team"), "segment", "metric")
    a = teams[("a", "first_response")]
    assert (a["counted"], a["met"], a["compliance_rate"]) == (3, 2, 0.6667)
    assert (a["alert"], a["recommended_action"]) == ("critical", "adjust target or add capacity")
    # team b: T3 met, T4 breached: 50%, critical either way
    assert teams[("b", "first_response")]["alert"] == "critical"
    # resolution of team a: T1 met, 100%
    assert teams[("a", "resolution")]["alert"] == "ok"


def test_hours_without_open_tickets_are_part_of_the_teams_normal_backlog(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> None:
    """The normal level is the 90th percentile of the team's hourly samples, the hours
    it had no open ticket included (they sample 0). Team a (24x7, first response in 1h,
    everyone assigned, so no other rule holds):

        0:00-2:00   N-0 open: 3 samples of 1 (0:00, 1:00, 2:00); answered and solved at 2:30
        3:00-42:00  nothing open: 40 samples of 0
        42:30       N-1 opens; 43:00 a sample of 1; its first response breaches at 43:30

    44 samples over the 30 days before the breach, 40 of them 0: the 90th percentile is
    the 40th smallest (ceil(0.9 * 44) = 40), 0. One open ticket at the breach (N-1) is
    above it: backlog. Without the empty hours there would be 4 samples, fewer than a
    day's 24, and no normal level to compare with.
    """
    from slaguard.app.backlog import sample_if_due

    t: Tenant = make_tenant("idle", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))
    start = clock.now

    def post(path: str, body: dict[str, Any]) -> None:
        r = t.post(path, body)
        assert r.status_code in (200, 201), r.text

    def ticket(tid: str) -> None:
        created = {"id": f"{tid}-c", "type": "created", "at": clock.now.isoformat()}
        body = {"id": tid, "priority": "P2", "team": "a", "assignee": "li@example.com"}
        post("/api/v1/tickets", {**body, "events": [created]})

    ticket("N-0")
    for _ in range(3):
        assert sample_if_due(services, now=clock())
        clock.advance(timedelta(minutes=10))
        assert not sample_if_due(services, now=clock())
        clock.advance(timedelta(minutes=50))
    at_2_30 = (start + timedelta(minutes=150)).isoformat()
    post(
        "/api/v1/tickets/N-0/events",
        {"id": "N-0-r", "type": "agent_reply", "at": (start + timedelta(minutes=10)).isoformat()},
    )
    post("/api/v1/tickets/N-0/events", {"id": "N-0-s", "type": "resolved", "at": at_2_30})
    for _ in range(40):  # 3:00 to 42:00
        assert sample_if_due(services, now=clock())
        clock.advance(timedelta(hours=1))
    clock.advance(timedelta(minutes=-30))  # 42:30
    ticket("N-1")
    clock.advance(timedelta(minutes=30))  # 43:00
    assert sample_if_due(services, now=clock())
    clock.advance(timedelta(hours=1))  # 44:00
    while refresh_due(services, now=clock()):
        pass
    [breach] = t.get("/api/v1/tickets/N-1/breaches").json()
    assert breach["breached_at"] == (start + timedelta(minutes=43 * 60 + 30)).isoformat()
    assert breach["suggested_reason"] == "backlog"
    assert breach["evidence"] == ["1 open tickets in the team at the breach, above its normal 0"]
