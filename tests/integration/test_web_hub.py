"""The SLA hub: its figures over a known set of tickets, filters, lane lists, the live
fragment, the review calendar, Swedish, and tenants kept apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant, TestClient, ticket_doc
from icalendar import Calendar
from sqlalchemy import insert
from webhelpers import make_user, sign_in

from slaguard.app import hub
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role
from slaguard.db.tables import BacklogSampleRow
from slaguard.domain.calendar import to_us

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday, 15:00 in Berlin
DAY_US = 86_400_000_000


def _at(day: int, hh: int, mm: int = 0) -> str:
    """An instant on November `day`, 2026 (UTC)."""
    return datetime(2026, 11, day, hh, mm, tzinfo=UTC).isoformat()


def _ev(kind: str, at: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, **data}


# (id, priority, team, queue, assignee, created, events)
DATASET: list[tuple[str, str, str, str, str | None, str, list[dict[str, Any]]]] = [
    # breached: no first reply for a day (first response and resolution breached)
    ("A", "high", "tier1", "billing", "ann", _at(24, 9), []),
    # critical: P1, first response due in 30 minutes
    ("B", "critical", "tier1", "tech", None, _at(25, 13, 30), []),
    # warning: first response past its 50% warning, due tomorrow
    ("C", "medium", "tier1", "billing", "ann", _at(25, 8, 30), []),
    # fine: nothing at risk
    ("D", "low", "tier1", "tech", None, _at(25, 13), []),
    # waiting on the customer (pending) and on a third party (on_hold)
    (
        "E",
        "medium",
        "tier2",
        "billing",
        "bob",
        _at(25, 12),
        [_ev("status", _at(25, 12, 30), status="pending")],
    ),
    (
        "F",
        "low",
        "tier2",
        "tech",
        "bob",
        _at(25, 12),
        [_ev("status", _at(25, 12, 10), status="on_hold")],
    ),
    # done yesterday: first reply after the 50% warning (saved), then a CSAT of 1
    (
        "G",
        "high",
        "tier1",
        "tech",
        "ann",
        _at(24, 9),
        [
            _ev("agent_reply", _at(24, 11, 30)),
            _ev("status", _at(24, 13), status="solved"),
            _ev("csat", _at(24, 14), score=1),
        ],
    ),
    # solved yesterday, reopened today
    (
        "H",
        "medium",
        "tier2",
        "tech",
        "bob",
        _at(24, 9),
        [
            _ev("agent_reply", _at(24, 9, 10)),
            _ev("status", _at(24, 10), status="solved"),
            _ev("status", _at(25, 10), status="open"),
        ],
    ),
    # a callback overdue since 10:15
    (
        "I",
        "high",
        "tier2",
        "billing",
        "ann",
        _at(25, 8),
        [_ev("agent_reply", _at(25, 8, 10)), _ev("callback_requested", _at(25, 8, 15))],
    ),
    # a callback queued, due tomorrow
    (
        "J",
        "medium",
        "tier2",
        "tech",
        "bob",
        _at(25, 13),
        [_ev("agent_reply", _at(25, 13, 5)), _ev("callback_requested", _at(25, 13, 20))],
    ),
]


def _load(tenant: Tenant, prefix: str = "") -> None:
    for tid, priority, team, queue, assignee, created, events in DATASET:
        doc = ticket_doc(
            f"{prefix}{tid}",
            priority=priority,
            created=created,
            team=team,
            queue=queue,
            events=[{**e, "id": f"{prefix}{tid}-{i}"} for i, e in enumerate(events)],
        )
        if assignee:
            doc["assignee"] = assignee
        r = tenant.post("/api/v1/tickets", doc)
        assert r.status_code == 201, r.text


@pytest.fixture
def dataset(clock: FakeClock, acme: Tenant, make_tenant: Any) -> Tenant:
    clock.set(NOW)
    _load(acme)
    globex = make_tenant("globex")
    _load(globex, prefix="GX-")  # the same tickets in another tenant
    return acme


@pytest.fixture
def viewer(services: Services, client: TestClient, dataset: Tenant) -> TestClient:
    email = make_user(services, dataset.name, "viewer")
    assert sign_in(client, dataset.name, email).status_code == 303
    return client


def _figures(services: Services, tenant: Tenant, **kw: Any) -> hub.HubFigures:
    now = to_us(NOW)
    f = hub.HubFilter(start_us=kw.pop("start", now - 7 * DAY_US), end_us=now + 1, **kw)
    principal = Principal(tenant.tenant_id, tenant.name, Role.VIEWER)
    return hub.hub_figures(services, principal=principal, f=f)


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return " ".join(found.group(1).split())


def _value(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*data-value="([^"]*)"', html)
    assert found, element_id
    return found.group(1)


def _lane_row(html: str, lane: str) -> str:
    found = re.search(rf'<tr data-lane="{lane}".*?</tr>', html, re.S)
    assert found, lane
    return found.group(0)


def _backlog(html: str, lane: str) -> int:
    row = _lane_row(html, lane)
    found = re.search(r'data-testid="lane-backlog">([^<]*)<', row)
    assert found
    return int(found.group(1))


# ---------------------------------------------------------------------------------------


def test_figures_of_a_known_dataset(services: Services, dataset: Tenant) -> None:
    h = _figures(services, dataset)
    # counted: A fr+res (breached), G fr (warned, met) + res, H fr, I fr + callback
    # (breached), J fr -> 8 counted, 3 breached
    assert (h.counted, h.breached_in_window, h.met) == (8, 3, 5)
    assert h.hit_rate == 0.625
    # warned or breached: A x2, I callback, G fr; enforced: G fr (met after its warning)
    assert (h.warned_or_breached, h.enforced, h.enforcement_score) == (4, 1, 0.25)
    assert (h.breached, h.critical, h.warning) == (2, 1, 1)
    assert h.signals == {
        "created": 10,
        "active": 7,
        "urgent_active": 1,
        "unassigned_active": 2,
        "breached_active": 2,
        "escalation_due": 0,
        "waiting_internal": 1,
        "waiting_customer": 1,
        "callbacks_queued": 2,
        "callbacks_overdue": 1,
        "reopened": 1,
        "csat_low": 1,
    }
    backlog = {f.lane: f.backlog for f in h.lanes}
    assert backlog == {
        "sla_breached": 2,
        "escalation_due": 0,
        "first_response_due": 6,
        "callback_overdue": 1,
        "queue_pressure": 9,
        "reopen_risk": 1,
        "csat_followup": 1,
    }
    severity = {f.lane: h.severity(f.lane).value for f in h.lanes}
    assert severity == {
        "sla_breached": "critical",
        "escalation_due": "ok",
        "first_response_due": "critical",
        "callback_overdue": "critical",
        "queue_pressure": "ok",  # no normal level yet
        "reopen_risk": "warning",
        "csat_followup": "warning",
    }
    fr = h.lane("first_response_due")
    assert (fr.overdue, fr.due_soon) == (1, 1)
    assert fr.soonest_us == to_us(datetime(2026, 11, 25, 14, 30, tzinfo=UTC))
    assert h.lane("sla_breached").oldest_overdue_us == to_us(
        datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    )


def test_at_risk_breached_first_then_by_time_left(services: Services, dataset: Tenant) -> None:
    h = _figures(services, dataset)
    assert [(r.ticket, r.metric, r.state) for r in h.at_risk] == [
        ("A", "first_response", "breached"),
        ("A", "resolution", "breached"),
        ("I", "callback", "breached"),
        ("B", "first_response", "critical"),
        ("C", "first_response", "warning"),
    ]
    first = h.at_risk[0]
    assert (first.priority, first.tier, first.assignee, first.policy) == (
        "P2",
        "standard",
        "ann",
        "standard",
    )


def test_filters_by_team_queue_and_window(services: Services, dataset: Tenant) -> None:
    tier2 = _figures(services, dataset, team="tier2")
    assert (tier2.breached, tier2.critical, tier2.warning) == (1, 0, 0)
    assert tier2.lane("queue_pressure").backlog == 5
    assert tier2.signals["created"] == 5
    billing = _figures(services, dataset, queue="billing")
    assert (billing.breached, billing.critical, billing.warning) == (2, 0, 1)
    assert [r.ticket for r in billing.at_risk] == ["A", "A", "I", "C"]
    both = _figures(services, dataset, team="tier1", queue="billing")
    assert both.lane("queue_pressure").backlog == 2  # A and C
    today = _figures(services, dataset, start=to_us(datetime(2026, 11, 25, tzinfo=UTC)))
    # today: A's resolution breach, I's first response and callback, J's first response
    assert (today.counted, today.breached_in_window, today.hit_rate) == (4, 2, 0.5)
    assert today.signals["created"] == 7
    assert today.signals["csat_low"] == 0  # G's rating came yesterday
    assert today.signals["reopened"] == 1


def test_queue_pressure_against_the_sampled_normal_level(
    services: Services, dataset: Tenant
) -> None:
    now = to_us(NOW)
    rows = [
        {
            "tenant_id": dataset.tenant_id,
            "team": team,
            "at_us": now - h * 3_600_000_000,
            "open_tickets": n,
        }
        for h in range(1, 25)
        for team, n in (("tier1", 4), ("tier2", 2))
    ]
    with services.writing() as s:
        s.execute(insert(BacklogSampleRow), rows)
    h = _figures(services, dataset)
    pressure = h.lane("queue_pressure")
    assert (pressure.backlog, pressure.normal) == (9, 6)
    assert h.severity("queue_pressure").value == "critical"  # 9 > 6 x 1.25
    tier1 = _figures(services, dataset, team="tier1")
    assert (tier1.lane("queue_pressure").backlog, tier1.lane("queue_pressure").normal) == (4, 4)
    assert tier1.severity("queue_pressure").value == "ok"
    assert _figures(services, dataset, queue="tech").lane("queue_pressure").normal is None


def test_the_page_shows_the_figures(viewer: TestClient) -> None:
    r = viewer.get("/")
    assert r.status_code == 200
    html = r.text
    assert _value(html, "hit-rate") == "0.625"
    assert _text(html, "hit-rate") == "62.5%"
    assert _value(html, "enforcement-score") == "0.25"
    assert (
        _value(html, "count-breached"),
        _value(html, "count-critical"),
        _value(html, "count-warning"),
    ) == ("2", "1", "1")
    assert (
        'data-lane="sla_breached"' in _text(html, "work-next") or 'data-lane="sla_breached"' in html
    )
    work_next = re.search(r'id="work-next"[^>]*>(.*?)</p>', html, re.S)
    assert work_next and "Work the 2 breached tickets first" in work_next.group(1)
    assert "24 hours ago" in work_next.group(1)
    assert _backlog(html, "sla_breached") == 2
    assert _backlog(html, "first_response_due") == 6
    assert _backlog(html, "queue_pressure") == 9
    assert "2 breached" in _lane_row(html, "sla_breached")
    assert "Support lead" in _lane_row(html, "sla_breached")
    assert "Escalation owner" in _lane_row(html, "escalation_due")
    assert "within SLA" in _lane_row(html, "escalation_due")
    assert 'href="/?lane=callback_overdue#lane-tickets"' in _lane_row(html, "callback_overdue")
    at_risk = re.search(r'<table class="responsive" id="at-risk">.*?</table>', html, re.S)
    assert at_risk
    assert re.findall(r'<tr data-ticket="([^"]+)" data-state="([^"]+)"', at_risk.group(0)) == [
        ("A", "breached"),
        ("A", "breached"),
        ("I", "breached"),
        ("B", "critical"),
        ("C", "warning"),
    ]
    assert 'href="/tickets/B"' in at_risk.group(0)
    assert f'data-now-us="{to_us(NOW)}"' in at_risk.group(0)
    signals = re.search(r'id="queue-signals".*?</section>', html, re.S)
    assert signals
    assert re.search(
        r'data-signal="callbacks_queued">\s*<dt>[^<]*</dt>\s*<dd data-value="2"', signals.group(0)
    )
    assert 'id="escalation-policy"' in html and 'id="review-cadence"' in html
    assert 'id="review-ics" href="/hub/review.ics"' in html
    assert 'hx-get="/hub/live"' in html and 'hx-trigger="every 15s"' in html


def test_filters_are_kept_in_links_and_the_live_refresh(viewer: TestClient) -> None:
    html = viewer.get("/", params={"team": "tier2", "window": "today"}).text
    assert 'hx-get="/hub/live?team=tier2&amp;window=today"' in html
    assert 'href="/?team=tier2&amp;window=today&amp;lane=sla_breached#lane-tickets"' in html
    assert _value(html, "count-breached") == "1"
    assert _backlog(html, "queue_pressure") == 5
    assert 'value="tier2"' in html
    queue = viewer.get("/", params={"queue": "billing"}).text
    assert _value(queue, "count-warning") == "1"
    # an unknown window falls back to 7 days
    assert _value(viewer.get("/", params={"window": "1y"}).text, "hit-rate") == "0.625"


def test_the_lane_list(viewer: TestClient) -> None:
    html = viewer.get("/", params={"lane": "first_response_due"}).text
    section = re.search(r'id="lane-tickets".*?</section>', html, re.S)
    assert section
    rows = re.findall(r'<tr data-ticket="([^"]+)" data-state="([^"]+)"', section.group(0))
    assert rows == [
        ("A", "breached"),
        ("B", "critical"),
        ("C", "warning"),
        ("D", "running"),
        ("E", "paused"),
        ("F", "paused"),
    ]
    assert 'aria-current="true"' in _lane_row(html, "first_response_due")
    reopen = viewer.get("/", params={"lane": "reopen_risk"}).text
    section = re.search(r'id="lane-tickets".*?</section>', reopen, re.S)
    assert section
    assert re.findall(r'<tr data-ticket="([^"]+)"', section.group(0)) == ["H"]
    csat = viewer.get("/", params={"lane": "csat_followup"}).text
    section = re.search(r'id="lane-tickets".*?</section>', csat, re.S)
    assert section and re.findall(r'<tr data-ticket="([^"]+)"', section.group(0)) == ["G"]
    callback = viewer.get("/", params={"lane": "callback_overdue", "team": "tier1"}).text
    section = re.search(r'id="lane-tickets".*?</section>', callback, re.S)
    assert section and "No tickets." in section.group(0)
    # an unknown lane shows no list
    assert 'id="lane-tickets"' not in viewer.get("/", params={"lane": "nope"}).text


def test_the_live_fragment(viewer: TestClient, clock: FakeClock) -> None:
    r = viewer.get("/hub/live", params={"team": "tier1"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text
    for element in (
        "hit-rate",
        "enforcement-score",
        "count-breached",
        "work-next",
        "lanes",
        "at-risk",
        "queue-signals",
    ):
        assert f'id="{element}"' in r.text
    assert _value(r.text, "count-breached") == "1"
    assert _value(r.text, "count-critical") == "1"
    # time passes: B's first response breaches
    clock.advance(timedelta(minutes=31))
    r = viewer.get("/hub/live", params={"team": "tier1"}, headers={"HX-Request": "true"})
    assert _value(r.text, "count-breached") == "2"
    assert _value(r.text, "count-critical") == "0"


def test_figures_are_remembered_for_the_refresh_interval(
    viewer: TestClient, clock: FakeClock
) -> None:
    def as_of(**params: str) -> int:
        r = viewer.get("/hub/live", params=params, headers={"HX-Request": "true"})
        return int(_value(r.text, "hub-as-of"))

    first = as_of()
    assert first == to_us(NOW)
    clock.advance(timedelta(seconds=14))
    assert as_of() == first  # the same view: remembered
    assert as_of(team="tier1") == first + 14_000_000  # another view: computed
    clock.advance(timedelta(seconds=1))
    assert as_of() == first + 15_000_000  # 15 s old: computed again


def test_the_review_calendar(viewer: TestClient) -> None:
    r = viewer.get("/hub/review.ics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Weekly SLA review"
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["MO"]
    start = event["dtstart"].dt
    # the example configuration: Mondays 09:00 Europe/Stockholm, next after NOW
    assert start.isoformat() == "2026-11-30T09:00:00+01:00"
    assert str(start.tzinfo) == "Europe/Stockholm"
    assert event["duration"].dt == timedelta(minutes=45)
    assert any(c.name == "VTIMEZONE" for c in cal.walk())


def test_swedish(services: Services, client: TestClient, dataset: Tenant) -> None:
    email = make_user(services, dataset.name, "viewer", email="sv@acme.example")
    sign_in(client, dataset.name, email)
    html = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9"}).text
    assert '<html lang="sv">' in html
    assert "SLA-träffsäkerhet" in html
    assert "Ta de 2 överskridna ärendena först: det äldsta överskreds för 24 timmar sedan." in html
    assert _text(html, "hit-rate").replace("\xa0", " ") == "62,5 %"
    assert "2 överskridna" in _lane_row(html, "sla_breached")
    assert "Köbelastning" in html
    assert "inom SLA" in _lane_row(html, "escalation_due")


def test_viewers_see_only_their_tenant(
    services: Services, client: TestClient, dataset: Tenant
) -> None:
    email = make_user(services, "globex", "viewer")
    sign_in(client, "globex", email)
    html = client.get("/").text
    assert 'href="/tickets/GX-A"' in html
    assert 'href="/tickets/A"' not in html
    assert _value(html, "count-breached") == "2"
    lane = client.get("/", params={"lane": "sla_breached"}).text
    assert 'data-ticket="A"' not in lane and 'data-ticket="GX-A"' in lane


def test_the_hub_needs_a_session(client: TestClient, dataset: Tenant) -> None:
    r = client.get("/hub/live", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/signin")
    assert client.get("/hub/review.ics", follow_redirects=False).status_code == 303
