"""The ticket page: fields, events in order, each clock's timeline (running, paused,
outside business hours, warnings, breach), the arithmetic of due times, escalations
and deliveries after the worker fires, acknowledgements and breach reasons (CSRF and
roles), status links, and tenants kept apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant, TestClient, ticket_doc
from pagetree import Node, parse
from sqlalchemy import select
from webhelpers import csrf_of, make_user, sign_in

from slaguard.app.services import Services
from slaguard.db.tables import AuditRow, BreachRow, EscalationRow

# Wednesday 2026-11-25; Berlin (UTC+1) is open 09-12 and 13-17 local, 08-11 and 12-16 UTC.
HISTORY = [
    {"id": "T-1-pending", "type": "status", "at": "2026-11-25T09:30:00+00:00", "status": "pending"},
    {"id": "T-1-reply", "type": "customer_reply", "at": "2026-11-25T10:30:00+00:00"},
    {"id": "T-1-open", "type": "status", "at": "2026-11-25T10:30:00+00:00", "status": "open"},
    {
        "id": "T-1-note",
        "type": "internal_note",
        "at": "2026-11-25T10:45:00+00:00",
        "actor": "Ada Agent",
        "text": "customer is upset",
    },
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def doc(page: str) -> Node:
    return parse(page)


@pytest.fixture
def known(acme: Tenant, clock: FakeClock) -> Tenant:
    """T-1 (P2: first response 4 business hours, resolution 16 hours 24x7) paused for an
    hour, then breached at 15:00 UTC; seen at 16:30 UTC, after closing."""
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", events=HISTORY))
    assert r.status_code == 201, r.text
    clock.set(at("2026-11-25T16:30:00+00:00"))
    # an event after the breach: the ticket is recomputed and the breach recorded
    r = acme.post(
        "/api/v1/tickets/T-1/events",
        {"id": "T-1-late-note", "type": "internal_note", "at": "2026-11-25T16:20:00+00:00"},
    )
    assert r.status_code == 201, r.text
    return acme


def signed_in(services: Services, client: TestClient, tenant: Tenant, role: str) -> None:
    email = make_user(services, tenant.name, role)
    assert sign_in(client, tenant.name, email).status_code == 303


def clock_section(tree: Node, metric: str) -> Node:
    found = tree.select(f'section.clock[data-metric="{metric}"]')
    assert len(found) == 1, metric
    return found[0]


def segments(section: Node) -> list[tuple[str, float, float]]:
    out = []
    for rect in section.select('svg[data-testid="timeline"] rect.seg'):
        kind = next(c[4:] for c in rect.classes if c.startswith("seg-"))
        out.append((kind, float(rect.get("x") or 0), float(rect.get("width") or 0)))
    return out


def test_the_page_draws_each_clock_of_a_known_history(
    services: Services, client: TestClient, known: Tenant
) -> None:
    signed_in(services, client, known, "viewer")
    r = client.get("/tickets/T-1")
    assert r.status_code == 200, r.text
    tree = doc(r.text)
    assert "style=" not in r.text  # the CSP forbids inline styles

    fields = tree.by_id("ticket-fields")
    assert "Printer on fire" in fields.text_content()
    assert "P2" in fields.text_content()

    first = clock_section(tree, "first_response")
    assert first.get("data-state") == "breached"
    # running 09:00-09:30, paused 09:30-10:30, running 10:30-11:00, lunch 11:00-12:00
    # (outside), running 12:00-16:00, closed 16:00-16:30 (outside); 7.5 h drawn in 1000
    kinds = [k for k, _, _ in segments(first)]
    assert kinds == ["running", "paused", "running", "outside", "running", "outside"]
    widths = [w for _, _, w in segments(first)]
    assert widths == pytest.approx([66.67, 133.33, 66.67, 133.33, 533.33, 66.67], abs=0.02)
    # warnings at 50 % (13:00), 75 % (14:00) and 30 min before (14:30); the breach at 15:00
    warnings = first.select(".warning-mark")
    assert [w.get("data-threshold") for w in warnings] == ["50%", "75%", "30m before"]
    breach = first.select(".breach-mark")
    assert len(breach) == 1
    assert float(breach[0].select("rect")[0].get("x")) == pytest.approx(800 - 3, abs=0.02)
    # the text alternative lists the phases with their counted business time
    phases = [li.get("data-kind") for li in first.select("ol.phases li")]
    assert phases == ["running", "paused", "running", "warning", "warning", "warning", "breach"]
    assert "4:30" in first.select("ol.phases li")[2].text_content()  # 10:30-16:30
    assert "1:30" in first.select("ol.phases li")[2].text_content()  # of it outside
    # the arithmetic of the due time
    explain = first.select("pre.explain-text")[0].text_content()
    assert "target 4h (P2: 4h)" in explain
    assert "breached Wed 2026-11-25 16:00:00+0100" in explain

    resolution = clock_section(tree, "resolution")
    assert resolution.get("data-state") == "running"
    kinds = [k for k, _, _ in segments(resolution)]
    # 24x7: never outside hours; due 02:00 the next day (16 h + the paused hour)
    assert kinds == ["running", "paused", "running", "remaining"]
    assert resolution.select(".warning-mark") == []
    assert resolution.select(".breach-mark") == []
    assert len(resolution.select(".due-mark")) == 1
    assert len(resolution.select(".now-mark")) == 1
    assert resolution.select(".countdown")[0].get("data-due-us")

    # events in the order they happened, whatever order they arrived in
    ids = [tr.get("data-id") for tr in tree.select("#events tr.event")]
    assert ids == [
        "T-1-created",
        "T-1-pending",
        "T-1-reply",
        "T-1-open",
        "T-1-note",
        "T-1-late-note",
    ]
    assert "customer is upset" in tree.by_id("events").text_content()

    # the breach with its suggested reason, not confirmed; viewers get no form
    section = tree.by_id("breach-reason")
    assert [b.get("data-metric") for b in section.select("article.breach")] == ["first_response"]
    assert section.select("form") == []
    assert tree.select("#status-link") == []


def test_another_tenants_ticket_is_not_found(
    services: Services, client: TestClient, known: Tenant, globex: Tenant
) -> None:
    signed_in(services, client, globex, "admin")
    r = client.get("/tickets/T-1")
    assert r.status_code == 404
    assert "Printer on fire" not in r.text
    assert "text/html" in r.headers["content-type"]
    r = client.post("/tickets/T-1/status-link", data={"csrf_token": csrf_of(client.get("/").text)})
    assert r.status_code == 404


def test_a_lead_confirms_the_breach_reason_with_csrf(
    services: Services, client: TestClient, known: Tenant
) -> None:
    signed_in(services, client, known, "lead")
    page = client.get("/tickets/T-1")
    csrf = csrf_of(page.text)
    form = doc(page.text).select("#breach-reason form")[0]
    assert form.get("action") == "/tickets/T-1/breaches/first_response/1"
    options = [o.get("value") for o in form.select("select option")]
    assert "misrouting" in options and "backlog" in options

    # without the token: refused, nothing stored
    r = client.post(form.get("action"), data={"reason": "backlog"})
    assert r.status_code == 403
    # an unknown reason: refused
    r = client.post(form.get("action"), data={"reason": "aliens", "csrf_token": csrf})
    assert r.status_code == 422
    r = client.post(
        form.get("action"),
        data={"reason": "backlog", "note": "monday queue", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    fragment = doc(r.text).by_id("breach-reason")
    assert fragment.select("article.breach")[0].get("data-confirmed") == "true"
    with services.reading() as s:
        b = s.scalars(select(BreachRow)).one()
        assert (b.reason, b.note) == ("backlog", "monday queue")
    # without htmx: back to the page
    r = client.post(
        form.get("action"),
        data={"reason": "staffing", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/tickets/T-1#breach-reason"
    assert "staffing" in client.get("/tickets/T-1").text


def test_an_agent_may_not_confirm_a_breach_reason(
    services: Services, client: TestClient, known: Tenant
) -> None:
    signed_in(services, client, known, "agent")
    page = client.get("/tickets/T-1")
    assert doc(page.text).select("#breach-reason form") == []
    r = client.post(
        "/tickets/T-1/breaches/first_response/1",
        data={"reason": "backlog", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 403
    with services.reading() as s:
        assert s.scalars(select(BreachRow)).one().reason is None


def test_status_link_button_makes_a_link(
    services: Services, client: TestClient, known: Tenant
) -> None:
    signed_in(services, client, known, "agent")
    page = client.get("/tickets/T-1")
    assert doc(page.text).select("button#status-link")
    r = client.post("/tickets/T-1/status-link", data={"days": "7"})
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        "/tickets/T-1/status-link",
        data={"days": "7", "csrf_token": csrf_of(page.text)},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    url = doc(r.text).select("input#status-link-url")[0].get("value")
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/status/[\w-]+\.\d+\.[\w-]+", url)
    status = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert status.status_code == 200
    assert doc(status.text).select("#status-clocks")
    with services.reading() as s:
        kinds = list(s.scalars(select(AuditRow.kind).where(AuditRow.kind == "status_link.created")))
    assert kinds == ["status_link.created"]


def test_viewers_cannot_make_status_links(
    services: Services, client: TestClient, known: Tenant
) -> None:
    signed_in(services, client, known, "viewer")
    csrf = csrf_of(client.get("/tickets/T-1").text)
    r = client.post("/tickets/T-1/status-link", data={"csrf_token": csrf})
    assert r.status_code == 403


# ---------------------------------------------------------------------------------------
# escalations and deliveries, after the worker fires
# ---------------------------------------------------------------------------------------


@pytest.fixture
def worker_tenant(make_tenant: Any, services: Services, receiver: Any) -> Tenant:
    from test_worker import config_text

    from slaguard.app import configs
    from slaguard.config.files import parse_text

    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(
        services, tenant_id=t.tenant_id, document=parse_text(config_text(receiver.url("")))
    )
    return t


def test_escalations_and_deliveries_after_the_worker_fires(
    services: Services,
    client: TestClient,
    worker_tenant: Tenant,
    clock: FakeClock,
    receiver: Any,
    smtp: Any,
) -> None:
    from test_worker import Runner, create

    run = Runner(services, receiver, smtp)
    create(worker_tenant, clock, priority="P2")  # first response 40 s
    run()
    clock.advance(timedelta(seconds=20))  # 50 %: level 1
    run()
    clock.advance(timedelta(seconds=21))  # breach: level 2
    run()
    with services.reading() as s:
        fired = list(s.scalars(select(EscalationRow).order_by(EscalationRow.fired_us)))
    assert [e.level for e in fired][:2] == [1, 2]

    signed_in(services, client, worker_tenant, "agent")
    page = client.get("/tickets/T-1")
    assert page.status_code == 200
    tree = doc(page.text)
    rows = tree.select("#escalations tr.escalation")
    assert [r.get("data-escalation") for r in rows] == [str(e.id) for e in fired]
    assert all(r.get("data-acked") == "false" for r in rows)
    deliveries = tree.select("#deliveries tr.delivery")
    assert deliveries, page.text
    states = {d.get("data-state") for d in deliveries}
    assert states <= {"sent", "pending", "held", "dead", "digested"}
    assert "sent" in states
    first = clock_section(tree, "first_response")
    assert len(first.select(".breach-mark")) == 1

    # acknowledge level 1 through the page (htmx): the ladder of that clock is acknowledged
    form = rows[0].select("form")[0]
    r = client.post(form.get("action"), headers={"HX-Request": "true"})
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        form.get("action"),
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page.text)},
    )
    assert r.status_code == 200, r.text
    fragment = doc(r.text).by_id("escalations")
    acked = [tr.get("data-acked") for tr in fragment.select("tr.escalation")]
    assert acked == ["true"] * len(fired)
    assert "agent@acme.example" in fragment.text_content()
    # an escalation of no ticket of this page: not found
    r = client.post(
        "/tickets/T-1/escalations/999999/ack", headers={"X-CSRF-Token": csrf_of(page.text)}
    )
    assert r.status_code == 404


def test_viewers_cannot_acknowledge(
    services: Services,
    client: TestClient,
    worker_tenant: Tenant,
    clock: FakeClock,
    receiver: Any,
    smtp: Any,
) -> None:
    from test_worker import Runner, create

    run = Runner(services, receiver, smtp)
    create(worker_tenant, clock, priority="P2")
    clock.advance(timedelta(seconds=21))
    run()
    signed_in(services, client, worker_tenant, "viewer")
    page = client.get("/tickets/T-1")
    rows = doc(page.text).select("#escalations tr.escalation")
    assert rows and rows[0].select("form") == []
    r = client.post(
        f"/tickets/T-1/escalations/{rows[0].get('data-escalation')}/ack",
        headers={"X-CSRF-Token": csrf_of(page.text)},
    )
    assert r.status_code == 403


# ---------------------------------------------------------------------------------------
# re-applying a newer configuration version
# ---------------------------------------------------------------------------------------


def test_an_admin_judges_the_ticket_by_the_latest_version_from_the_page(
    services: Services, client: TestClient, known: Tenant
) -> None:
    from slaguard.app import configs

    signed_in(services, client, known, "admin")
    assert not doc(client.get("/tickets/T-1").text).select("button#reapply-config")
    # a second version of the tenant's configuration: T-1 stays on version 1
    document = configs.config_version(services, tenant_id=known.tenant_id, version=1).document
    configs.apply_config(services, tenant_id=known.tenant_id, document=document)
    page = client.get("/tickets/T-1")
    [button] = doc(page.text).select("button#reapply-config")
    assert "version 2" in button.text_content()
    r = client.post("/tickets/T-1/reapply-config", data={"version": "2"})
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        "/tickets/T-1/reapply-config",
        data={"version": "2", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert known.get("/api/v1/tickets/T-1").json()["config_version"] == 2
    assert not doc(client.get("/tickets/T-1").text).select("button#reapply-config")


def test_only_admins_reapply_a_version(
    services: Services, client: TestClient, known: Tenant
) -> None:
    from slaguard.app import configs

    document = configs.config_version(services, tenant_id=known.tenant_id, version=1).document
    configs.apply_config(services, tenant_id=known.tenant_id, document=document)
    signed_in(services, client, known, "lead")
    page = client.get("/tickets/T-1")
    assert not doc(page.text).select("button#reapply-config")
    r = client.post(
        "/tickets/T-1/reapply-config", data={"version": "2", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 403
    assert known.get("/api/v1/tickets/T-1").json()["config_version"] == 1
