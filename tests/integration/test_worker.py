"""The worker end to end, on both databases, on the test's clock: the example ladder and
every example trigger with targets of seconds, acknowledgements, retries, the
dead-letter list, quiet hours and digests. Deliveries go to a real HTTP receiver and a
real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant

from receivers import HttpReceiver, Reply, SmtpServer
from slaguard.app import configs, outbox
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.notify import Deliverer, SenderSettings
from slaguard.worker import Worker, WorkerOptions
from slaguard.worker.runner import RoundStats

SECRET = "hook-secret"


def config_text(hook: str, twilio: bool = False) -> str:
    return f"""
calendars:
  always: {{timezone: UTC, always_open: true}}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {{P1: 20s, P2: 40s, P3: 60s, P4: 80s}}
      resolution: {{P1: 600s, P2: 600s, P3: 600s, P4: 600s}}
channels:
  hook: {{type: webhook, url: "{hook}/hook", secret: {SECRET}}}
  leads-mail: {{type: email, to: [support-leads@example.com]}}
  oncall-sms: {{type: sms, provider: twilio, to: ["+4912345678"]}}
people:
  teams:
    tier1: {{lead: ana@example.com, manager: max@example.com, members: [li@example.com]}}
    tier2: {{lead: ben@example.com, manager: max@example.com}}
  roles:
    account_manager: [acm@example.com]
    senior: [sen@example.com]
    legal: [legal@example.com]
    security: [sec@example.com]
escalations:
  - name: standard-ladder
    applies_to: {{policy: [standard]}}
    levels:
      - when: "50%"
        metrics: [first_response]
        notify: [assignee, hook]
      - when: breach
        metrics: [first_response]
        do: [{{reassign: {{team: tier2}}}}, {{priority: raise}}, {{notify: [team_lead, hook]}}]
      - when: "4s after breach"
        metrics: [first_response]
        notify: [manager, leads-mail]
        repeat_every: 2s
triggers:
  - {{name: critical-to-oncall, stage: assign, when: {{event: created, priority: [P1]}},
     do: [{{assign: {{team: oncall}}}}, {{notify: [oncall-sms]}}]}}
  - {{name: vip-to-account-manager, stage: assign, when: {{event: created, vip: true}},
     do: [{{assign: {{role: account_manager}}}}]}}
  - {{name: security-parallel, stage: notify, when: {{event: created, category: [security]}},
     do: [{{notify: [legal, security]}}]}}
  - {{name: reopen-on-reply, stage: assign,
     when: {{event: customer_reply, status_category: done}},
     do: [{{status: open}}, {{assign: {{role: senior}}}}]}}
  - {{name: idle-4h, stage: assign, when: {{idle: 30s, status_category: active, category: [idle]}},
     do: [{{priority: raise}}, {{reassign: {{team: tier2}}}}]}}
"""


@pytest.fixture
def tenant(
    make_tenant: Callable[..., Tenant], services: Services, receiver: HttpReceiver
) -> Tenant:
    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(
        services, tenant_id=t.tenant_id, document=parse_text(config_text(receiver.url("")))
    )
    return t


class Runner:
    """Runs the worker once, as `slaguard worker --once` would, on the test's clock."""

    def __init__(self, services: Services, receiver: HttpReceiver, smtp: SmtpServer) -> None:
        self.services = services
        self.settings = SenderSettings(
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            twilio_account_sid="AC123",
            twilio_auth_token="tok",
            twilio_from="+15550001",
            twilio_base_url=receiver.url("/twilio").rstrip("/"),
            timeout_seconds=3.0,
        )
        self.options = WorkerOptions(max_attempts=3, backoff_seconds=10, backoff_max_seconds=60)

    def __call__(self) -> RoundStats:
        async def once() -> RoundStats:
            async with Deliverer(self.settings) as deliverer:
                return await Worker(self.services, deliverer, self.options).run_once()

        return asyncio.run(once())


@pytest.fixture
def run(services: Services, receiver: HttpReceiver, smtp: SmtpServer) -> Runner:
    return Runner(services, receiver, smtp)


def create(tenant: Tenant, clock: FakeClock, tid: str = "T-1", **fields: Any) -> dict[str, Any]:
    doc = {
        "id": tid,
        "priority": "P1",
        "team": "tier1",
        "assignee": "li@example.com",
        "events": [{"id": f"{tid}-c", "type": "created", "at": clock.now.isoformat()}],
        **fields,
    }
    r = tenant.post("/api/v1/tickets", doc)
    assert r.status_code == 201, r.text
    return dict(r.json())


def hooks(receiver: HttpReceiver) -> list[dict[str, Any]]:
    return [r.json() for r in receiver.requests_to("/hook")]


def mails_to(smtp: SmtpServer, address: str) -> list[Any]:
    return [m for m in smtp.messages if address in m.rcpt_tos]


def test_the_example_ladder_fires_each_level_once_in_business_time(
    tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver, smtp: SmtpServer
) -> None:
    create(tenant, clock, priority="P2")  # first_response 40s
    run()
    assert receiver.requests == [] and smtp.messages == []

    clock.advance(timedelta(seconds=19))
    run()
    assert hooks(receiver) == []  # 50% of 40s is at 20s

    clock.advance(timedelta(seconds=1))
    stats = run()
    assert stats.sent == 2
    [warning] = hooks(receiver)
    assert warning["kind"] == "warning" and warning["level"] == "L1"
    assert warning["ticket"] == "T-1" and warning["metric"] == "first_response"
    assert warning["cycle"] == 1 and warning["tenant"] == "acme"
    assert warning["due_at"].startswith((clock.now + timedelta(seconds=20)).isoformat()[:19])
    request = receiver.requests_to("/hook")[0]
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Slaguard-Signature"] == f"sha256={expected}"
    assert request.headers["X-Slaguard-Delivery"] == warning["delivery"]
    [mail] = mails_to(smtp, "li@example.com")  # the assignee
    assert mail.message["X-Slaguard-Delivery"] != warning["delivery"]

    run()  # nothing new: a level fires once
    assert len(hooks(receiver)) == 1

    clock.advance(timedelta(seconds=20))  # exactly at due: not yet breached
    run()
    assert len(hooks(receiver)) == 1
    clock.advance(timedelta(microseconds=1))
    run()
    breach = hooks(receiver)[1]
    assert breach["kind"] == "breach" and breach["level"] == "L2"
    assert breach["team"] == "tier2" and breach["priority"] == "P1"
    assert len(mails_to(smtp, "ben@example.com")) == 1  # tier2's lead, after the reassign
    ticket = tenant.get("/api/v1/tickets/T-1").json()
    assert ticket["team"] == "tier2" and ticket["priority"] == "P1" and ticket["assignee"] is None
    automated = [e for e in ticket["events"] if e.get("actor") == "slaguard"]
    assert [e["type"] for e in automated] == ["assigned", "priority"]

    # P1 now: the first_response target is 20s from the original start, breached at 20s;
    # 4s after breach (business time) was long ago: L3 fires at once, with its repeats.
    clock.advance(timedelta(seconds=1))
    run()
    assert len(mails_to(smtp, "max@example.com")) == 1
    assert len(mails_to(smtp, "support-leads@example.com")) == 1
    clock.advance(timedelta(seconds=2))
    run()
    assert len(mails_to(smtp, "max@example.com")) == 2  # re-notified until acknowledged

    fired = tenant.get("/api/v1/tickets/T-1/escalations").json()
    assert [(e["level"], e["kind"]) for e in fired] == [
        ("L1", "warning"),
        ("L2", "breach"),
        ("L3", "escalation"),
    ]
    r = tenant.post(f"/api/v1/escalations/{fired[2]['id']}/ack", {})
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_at"] is not None
    clock.advance(timedelta(seconds=10))
    run()
    assert len(mails_to(smtp, "max@example.com")) == 2  # acknowledged: no more repeats
    delivery_ids = [m.message["X-Slaguard-Delivery"] for m in smtp.messages]
    assert len(delivery_ids) == len(set(delivery_ids))


def test_a_paused_clock_holds_its_levels_back(
    tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver
) -> None:
    create(tenant, clock, priority="P2")  # 50% at 20s of running time
    clock.advance(timedelta(seconds=10))
    assert tenant.post(
        "/api/v1/tickets/T-1/events",
        {"id": "p", "type": "status", "status": "pending", "at": clock.now.isoformat()},
    ).status_code in (200, 201)
    clock.advance(timedelta(seconds=100))
    run()
    assert hooks(receiver) == []
    tenant.post(
        "/api/v1/tickets/T-1/events",
        {"id": "o", "type": "status", "status": "open", "at": clock.now.isoformat()},
    )
    clock.advance(timedelta(seconds=9))
    run()
    assert hooks(receiver) == []
    clock.advance(timedelta(seconds=1))
    run()
    assert [h["level"] for h in hooks(receiver)] == ["L1"]


def test_a_met_clock_fires_nothing_more(
    tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver
) -> None:
    create(tenant, clock, priority="P2")
    clock.advance(timedelta(seconds=5))
    tenant.post(
        "/api/v1/tickets/T-1/events",
        {"id": "r", "type": "agent_reply", "at": clock.now.isoformat()},
    )
    clock.advance(timedelta(seconds=300))
    run()
    assert hooks(receiver) == []


def test_event_triggers_run_in_stages(
    tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver, smtp: SmtpServer
) -> None:
    create(tenant, clock, "T-P1", priority="P1")
    body = create(tenant, clock, "T-VIP", priority="P3", vip=True)
    assert body["assignee"] == "acm@example.com"
    create(tenant, clock, "T-SEC", priority="P3", category="security")
    t = tenant.get("/api/v1/tickets/T-P1").json()
    assert t["team"] == "oncall" and t["assignee"] is None
    run()
    [sms] = receiver.requests_to("/twilio/2010-04-01/Accounts/AC123/Messages.json")
    assert sms.form()["To"] == "+4912345678"
    assert len(mails_to(smtp, "legal@example.com")) == 1
    assert len(mails_to(smtp, "sec@example.com")) == 1

    # reopen-on-reply: a customer reply to a solved ticket reopens it for a senior
    tenant.post(
        "/api/v1/tickets/T-SEC/events",
        {"id": "s", "type": "resolved", "at": clock.now.isoformat()},
    )
    clock.advance(timedelta(seconds=1))
    at = clock.now.isoformat()
    tenant.post("/api/v1/tickets/T-SEC/events", {"id": "cr", "type": "customer_reply", "at": at})
    t = tenant.get("/api/v1/tickets/T-SEC").json()
    assert t["status"] == "open" and t["assignee"] == "sen@example.com"
    # the same event again (idempotent) runs nothing twice
    tenant.post("/api/v1/tickets/T-SEC/events", {"id": "cr", "type": "customer_reply", "at": at})
    events = tenant.get("/api/v1/tickets/T-SEC").json()["events"]
    assert sum(e.get("actor") == "slaguard" and e["type"] == "status" for e in events) == 1


def test_an_idle_ticket_is_raised_and_reassigned_once_per_idle_period(
    tenant: Tenant, clock: FakeClock, run: Runner
) -> None:
    create(tenant, clock, "T-IDLE", priority="P4", team="tier1", category="idle")
    clock.advance(timedelta(seconds=29))
    run()
    assert tenant.get("/api/v1/tickets/T-IDLE").json()["priority"] == "P4"
    clock.advance(timedelta(seconds=1))
    run()
    t = tenant.get("/api/v1/tickets/T-IDLE").json()
    assert t["priority"] == "P3" and t["team"] == "tier2"
    # the trigger's own events start a new idle period: 30s later it raises again, to P2,
    # whose first_response target (40s) was passed long ago: the ladder's breach level
    # raises once more
    clock.advance(timedelta(seconds=30))
    run()
    events = tenant.get("/api/v1/tickets/T-IDLE").json()["events"]
    raised = [e["priority"] for e in events if e["type"] == "priority"]
    assert raised == ["P3", "P2", "P1"]
    fired = tenant.get("/api/v1/tickets/T-IDLE/escalations").json()
    assert [e["level"] for e in fired] == ["L1", "L2", "L3"]


def test_retries_with_backoff_then_dead_letter_then_retry_by_command(
    tenant: Tenant,
    clock: FakeClock,
    run: Runner,
    receiver: HttpReceiver,
    services: Services,
) -> None:
    receiver.respond("/hook", Reply(503))
    create(tenant, clock, priority="P4")  # 50% of 80s at 40s, breach after 80s
    clock.advance(timedelta(seconds=40))
    run()  # attempt 1 fails
    assert len(receiver.requests_to("/hook")) == 1
    run()
    assert len(receiver.requests_to("/hook")) == 1  # backing off
    clock.advance(timedelta(seconds=10))  # first retry after 5-10s
    run()
    assert len(receiver.requests_to("/hook")) == 2
    clock.advance(timedelta(seconds=20))
    run()
    assert len(receiver.requests_to("/hook")) == 3  # max_attempts=3: now dead
    [dead] = outbox.list_outbox(services, tenant_id=tenant.tenant_id, state="dead")
    assert dead["attempts"] == 3 and "503" in dead["last_error"]
    run()
    assert len(receiver.requests_to("/hook")) == 3

    receiver.respond("/hook", Reply(200))
    assert outbox.retry(services, tenant_id=tenant.tenant_id, all_dead=True) == 1
    run()
    sent = receiver.requests_to("/hook")
    assert len(sent) == 4 and sent[-1].status == 200
    ids = {r.headers["X-Slaguard-Delivery"] for r in sent}
    assert ids == {dead["delivery_id"]}  # one delivery, always under its id
    assert outbox.list_outbox(services, tenant_id=tenant.tenant_id, state="dead") == []


def test_acknowledgement_links(
    tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver
) -> None:
    create(tenant, clock, priority="P2")
    clock.advance(timedelta(seconds=20))
    run()
    [warning] = hooks(receiver)
    path = "/" + warning["ack_url"].split("/", 3)[3]
    page = tenant.client.get(path)
    assert page.status_code == 200 and "<form" in page.text  # a GET acknowledges nothing
    assert tenant.get("/api/v1/tickets/T-1/escalations").json()[0]["acknowledged_at"] is None
    done = tenant.client.post(path)
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert tenant.get("/api/v1/tickets/T-1/escalations").json()[0]["acknowledged_at"]
    forged = tenant.client.post(path[:-3] + "AAA")
    assert forged.status_code == 403


def test_acknowledging_another_tenants_escalation_is_not_found(
    tenant: Tenant,
    make_tenant: Callable[..., Tenant],
    clock: FakeClock,
    run: Runner,
    receiver: HttpReceiver,
) -> None:
    create(tenant, clock, priority="P2")
    clock.advance(timedelta(seconds=20))
    run()
    [fired] = tenant.get("/api/v1/tickets/T-1/escalations").json()
    other = make_tenant("globex")
    assert other.post(f"/api/v1/escalations/{fired['id']}/ack", {}).status_code == 404
    assert other.get("/api/v1/tickets/T-1/escalations").status_code == 404
    assert (
        tenant.post(f"/api/v1/escalations/{fired['id']}/ack", {}, role="viewer").status_code == 403
    )


def test_automations_run_needs_the_cron_secret(tenant: Tenant) -> None:
    r = tenant.client.post("/api/v1/automations/run")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


QUIET_AND_DIGEST = """
calendars:
  always: {{timezone: UTC, always_open: true}}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {{P1: 40s, P2: 40s, P3: 40s, P4: 40s}}
channels:
  digest-hook: {{type: webhook, url: "{hook}/digest", digest: 60s}}
people:
  quiet_hours:
    li@example.com: {{from: "08:00", to: "10:00", timezone: Europe/Berlin}}
escalations:
  - name: warn
    levels:
      - {{when: "50%", notify: [assignee, digest-hook]}}
"""


@pytest.fixture
def quiet_tenant(
    make_tenant: Callable[..., Tenant], services: Services, receiver: HttpReceiver
) -> Tenant:
    t: Tenant = make_tenant("quiet", config=False)
    text = QUIET_AND_DIGEST.format(hook=receiver.url("").rstrip("/"))
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(text))
    return t


def test_a_digest_channel_folds_a_windows_notifications_into_one_message(
    quiet_tenant: Tenant, clock: FakeClock, run: Runner, receiver: HttpReceiver
) -> None:
    for n in range(3):
        create(quiet_tenant, clock, f"D-{n}", priority="P3", assignee=None)
    clock.advance(timedelta(seconds=20))
    run()
    assert receiver.requests_to("/digest") == []  # held for the window
    clock.advance(timedelta(seconds=59))
    run()
    assert receiver.requests_to("/digest") == []
    clock.advance(timedelta(seconds=1))
    run()
    [digest] = [r.json() for r in receiver.requests_to("/digest")]
    assert digest["kind"] == "digest"
    assert sorted(item["ticket"] for item in digest["items"]) == ["D-0", "D-1", "D-2"]
    run()
    assert len(receiver.requests_to("/digest")) == 1
    # P1 is never held back
    create(quiet_tenant, clock, "D-P1", priority="P1", assignee=None)
    clock.advance(timedelta(seconds=20))
    run()
    [*_, urgent] = [r.json() for r in receiver.requests_to("/digest")]
    assert urgent["kind"] == "warning" and urgent["ticket"] == "D-P1"


def test_quiet_hours_hold_non_p1_notifications_until_they_end(
    quiet_tenant: Tenant, clock: FakeClock, run: Runner, smtp: SmtpServer
) -> None:
    # the test clock starts at 09:00 UTC = 10:00 in Berlin: set it inside quiet hours
    clock.set(clock.now.replace(hour=7, minute=30))  # 08:30 in Berlin
    create(quiet_tenant, clock, "Q-3", priority="P3")
    create(quiet_tenant, clock, "Q-1", priority="P1")
    clock.advance(timedelta(seconds=20))
    run()
    [mail] = mails_to(smtp, "li@example.com")
    assert "Q-1" in mail.message["Subject"]
    clock.set(clock.now.replace(hour=8, minute=59, second=59))
    run()
    assert len(mails_to(smtp, "li@example.com")) == 1
    clock.set(clock.now.replace(hour=9, minute=0, second=0))  # 10:00 in Berlin
    run()
    later = mails_to(smtp, "li@example.com")
    assert len(later) == 2 and "Q-3" in later[1].message["Subject"]


def test_automations_run_does_the_due_work_once_with_the_secret(
    tenant: Tenant, clock: FakeClock, services: Services, receiver: HttpReceiver
) -> None:
    from apihelpers import TestClient

    from slaguard.api import create_app
    from slaguard.settings import Settings

    app = create_app(services, Settings(cron_secret="cron-s3cret", smtp_port=1))
    with TestClient(app) as client:
        create(tenant, clock, priority="P2", assignee=None)
        clock.advance(timedelta(seconds=20))
        wrong = client.post("/api/v1/automations/run", headers={"X-Slaguard-Cron-Secret": "guess"})
        assert wrong.status_code == 401
        assert hooks(receiver) == []
        r = client.post(
            "/api/v1/automations/run", headers={"X-Slaguard-Cron-Secret": "cron-s3cret"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["sent"] == 1
        assert [h["level"] for h in hooks(receiver)] == ["L1"]
