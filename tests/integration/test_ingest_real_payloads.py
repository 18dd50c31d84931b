"""Webhook bodies as the help desks send them, through the API on both databases.

The fixtures under tests/fixtures/webhooks/<vendor>/ keep the shape of bodies recorded
from the vendors or published in their documentation (null fields, custom fields, avatar
maps, nanosecond times, numeric ids and all); only names, addresses and hosts are
replaced. Each test posts them signed as the vendor signs them and checks what is stored:
the ticket, its events (types, instants, keys) and, where it matters, its clocks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelpers import FakeClock, Tenant, TestClient

from slaguard.app import ingest
from slaguard.app.services import Services
from slaguard.ingest.signatures import hub_signature, zendesk_signature

HOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STAMP = "2026-11-23T12:00:00Z"


@pytest.fixture(autouse=True)
def _now(clock: FakeClock) -> None:
    clock.set(NOW)


def raw(vendor: str, name: str) -> bytes:
    return (HOOKS / vendor / name).read_bytes()


class Hook:
    """Posts a vendor's bodies for one tenant, signed as the vendor signs them."""

    def __init__(self, services: Services, client: TestClient, tenant: Tenant, vendor: str):
        self.client = client
        self.tenant = tenant
        self.vendor = vendor
        self.secret = ingest.set_source(services, tenant=tenant.name, source=vendor)

    def post(self, payload: bytes | str) -> httpx.Response:
        body = raw(self.vendor, payload) if isinstance(payload, str) else payload
        if self.vendor == "zendesk":
            headers = {
                "X-Zendesk-Webhook-Signature": zendesk_signature(self.secret, STAMP, body),
                "X-Zendesk-Webhook-Signature-Timestamp": STAMP,
            }
        elif self.vendor == "jira":
            headers = {"X-Hub-Signature": hub_signature(self.secret, body)}
        else:
            headers = {"X-Slaguard-Secret": self.secret}
        return self.client.post(
            f"/api/v1/ingest/{self.vendor}?tenant={self.tenant.name}", content=body, headers=headers
        )


def events_of(tenant: Tenant, ticket: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(key, type, at, the rest) of each stored event, in time order."""
    r = tenant.get(f"/api/v1/tickets/{ticket}")
    assert r.status_code == 200, r.text
    return [
        (e["id"], e["type"], e["at"], {k: v for k, v in e.items() if k not in {"id", "type", "at"}})
        for e in r.json()["events"]
    ]


def clock(tenant: Tenant, ticket: str, metric: str) -> dict[str, Any]:
    clocks = tenant.get(f"/api/v1/tickets/{ticket}/clocks").json()["clocks"]
    (found,) = (c for c in clocks if c["metric"] == metric and c["cycle"] == 1)
    return found


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def no_tickets(tenant: Tenant) -> bool:
    return tenant.get("/api/v1/tickets").json()["items"] == []


# -- Zendesk event webhooks --------------------------------------------------------------

ZENDESK_LIFE = [
    "ticket_created.json",
    "priority_changed.json",
    "agent_assignment_changed.json",
    "comment_added_agent.json",
    "comment_added_customer.json",
    "status_changed.json",
]


def test_zendesk_event_webhooks_of_one_ticket(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    hook = Hook(services, client, acme, "zendesk")
    for name in ZENDESK_LIFE:
        r = hook.post(name)
        assert r.status_code == 201, (name, r.text)

    ticket = acme.get("/api/v1/tickets/5158").json()
    assert ticket["source"] == "zendesk"
    assert ticket["status"] == "solved"
    assert ticket["priority"] == "P1"  # URGENT since 11:30
    assert ticket["assignee"] == "8447388090496"  # the integer id, as text
    assert instant(ticket["created_at"]) == datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)
    fields = ticket["fields"]  # as the creating delivery gave them
    assert fields["team"] == "8447320466430"
    assert fields["account"] == "8447346622462"
    assert fields["channel"] == "api"  # via web_service
    assert fields["tags"] == ["mobile", "login"]
    assert fields["subject"] == "Cannot login to mobile app"
    assert fields["custom_fields"] == {"ticket_type": "problem"}

    # Event times keep the microseconds of Zendesk's nanosecond `time`.
    assert events_of(acme, "5158") == [
        ("zendesk:5158:created", "created", "2025-01-08T10:12:07Z", {"status": "open"}),
        (
            "zendesk:5158:event:b7c8d9e0-1f2a-3b4c-5d6e-7f8a9b0c1d2e",
            "priority",
            "2025-01-08T11:30:15.456789Z",
            {"priority": "P1"},
        ),
        (
            "zendesk:5158:event:c6d7e8f9-0a1b-2c3d-4e5f-6a7b8c9d0e1f",
            "assigned",
            "2025-01-08T12:15:45.789012Z",
            {"assignee": "8447388090496"},
        ),
        (
            "zendesk:5158:comment:9876543210",
            "agent_reply",
            "2025-01-08T14:25:30.123456Z",
            {"public": True},
        ),
        ("zendesk:5158:comment:9876543299", "customer_reply", "2025-01-08T15:02:11Z", {}),
        (
            "zendesk:5158:event:a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d",
            "status",
            "2025-01-08T16:45:20.987654Z",
            {"status": "solved"},
        ),
    ]
    first = clock(acme, "5158", "first_response")
    assert instant(first["stopped_at"]) == datetime(2025, 1, 8, 14, 25, 30, 123456, tzinfo=UTC)
    resolution = clock(acme, "5158", "resolution")
    assert instant(resolution["stopped_at"]) == datetime(2025, 1, 8, 16, 45, 20, 987654, tzinfo=UTC)

    # Zendesk redelivers with the same event ids: nothing new, in any order.
    stored = events_of(acme, "5158")
    for name in reversed(ZENDESK_LIFE):
        r = hook.post(name)
        assert r.status_code == 200, (name, r.text)
        assert [e["created"] for e in r.json()["events"]] == [False]
    assert events_of(acme, "5158") == stored


def test_zendesk_events_arriving_before_the_created_one(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    """The first delivery creates the ticket from its detail; the created event, when it
    comes, is put in time order."""
    hook = Hook(services, client, acme, "zendesk")
    for name in ("status_changed.json", "agent_assignment_changed.json", "ticket_created.json"):
        r = hook.post(name)
        assert r.status_code == 201, (name, r.text)
    assert [e[1] for e in events_of(acme, "5158")] == ["created", "assigned", "status"]
    assert acme.get("/api/v1/tickets/5158").json()["status"] == "solved"


def test_zendesk_ticket_created_with_few_fields(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    """Title-case status, no priority, `event.current` an object: as documented examples
    show it."""
    r = Hook(services, client, acme, "zendesk").post("ticket_created_sparse.json")
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert ticket["id"] == "35436"
    assert ticket["status"] == "open"
    assert ticket["priority"] is None
    assert ticket["fields"]["channel"] == "portal"  # via web
    assert events_of(acme, "35436") == [
        ("zendesk:35436:created", "created", "2024-04-17T17:18:10Z", {"status": "open"})
    ]


def test_zendesk_deleted_ticket_is_skipped_and_never_created(
    services: Services, client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    # Unknown ticket: 200, nothing stored, no ticket created.
    r = Hook(services, client, globex, "zendesk").post("ticket_soft_deleted.json")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"] is None
    assert r.json()["events"] == []
    assert "ticket.soft_deleted is not mapped" in r.json()["skipped"]
    assert no_tickets(globex)

    # Known ticket: 200, the ticket as it is.
    hook = Hook(services, client, acme, "zendesk")
    assert hook.post("ticket_created.json").status_code == 201
    before = events_of(acme, "5158")
    r = hook.post("ticket_soft_deleted.json")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["id"] == "5158"
    assert r.json()["events"] == []
    assert r.json()["skipped"]
    assert events_of(acme, "5158") == before


def test_zendesk_non_ticket_event_is_422_naming_the_type(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    r = Hook(services, client, acme, "zendesk").post("user_active_changed.json")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_payload"
    assert [d["path"] for d in error["details"]] == ["type"]
    assert "user.active_changed" in error["message"]
    assert no_tickets(acme)


# -- Jira --------------------------------------------------------------------------------


def test_jira_server_issue_created_reassigned_commented_deleted(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    hook = Hook(services, client, acme, "jira")
    r = hook.post("issue_created_server.json")
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert ticket["id"] == "BUG-15"
    assert ticket["status"] == "open"  # "Open", no status category in Jira Server bodies
    assert ticket["priority"] == "P2"  # Major
    assert ticket["assignee"] is None
    assert ticket["fields"]["custom_fields"] == {"ticket_type": "Bug", "project": "BUG"}
    assert ticket["fields"]["description"] == "Fix me please"

    # The changelog names the user by name, the issue by account id: one assignee.
    r = hook.post("issue_updated_reassigned_server.json")
    assert r.status_code == 201, r.text
    account = "99:27935d01-92a7-4687-8272-a9b8d3b2ae2e"
    assert acme.get("/api/v1/tickets/BUG-15").json()["assignee"] == account

    # issue_commented: the commenter is the issue's reporter, a customer reply (docs).
    r = hook.post("issue_commented_server.json")
    assert r.status_code == 201, r.text

    assert events_of(acme, "BUG-15") == [
        ("jira:BUG-15:created", "created", "2013-03-27T16:53:58.301000Z", {"status": "open"}),
        (
            "jira:BUG-15:changelog:10600:assignee",
            "assigned",
            "2013-03-27T16:57:45.325000Z",  # the webhook's timestamp, in milliseconds
            {"assignee": account},
        ),
        ("jira:BUG-15:comment:10400", "customer_reply", "2013-03-27T17:05:34.250000Z", {}),
    ]
    stored = events_of(acme, "BUG-15")

    # Deleted in Jira: not mapped, 200, the ticket as it was.
    r = hook.post("issue_deleted_server.json")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["id"] == "BUG-15"
    assert r.json()["events"] == []
    assert "jira:issue_deleted is not mapped" in r.json()["skipped"]
    assert events_of(acme, "BUG-15") == stored

    # Redeliveries store nothing new.
    for name in ("issue_created_server.json", "issue_updated_reassigned_server.json"):
        assert hook.post(name).status_code == 200
    assert events_of(acme, "BUG-15") == stored


def test_jira_issue_deleted_never_creates_the_ticket(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    r = Hook(services, client, acme, "jira").post("issue_deleted_server.json")
    assert r.status_code == 200, r.text
    assert r.json() == {"ticket": None, "events": [], "skipped": r.json()["skipped"]}
    assert no_tickets(acme)
    metrics = client.get("/metrics").text
    assert 'slaguard_webhooks_skipped_total{source="jira"} 1.0' in metrics
    assert "slaguard_tickets_created_total 0.0" in metrics


def test_jira_cloud_status_change_with_null_and_custom_fields(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    """Items without fieldId, dozens of null custom fields, assignee null."""
    r = Hook(services, client, acme, "jira").post("issue_updated_status.json")
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert ticket["status"] == "open"  # In Progress
    assert ticket["priority"] == "P3"  # Medium
    assert ticket["assignee"] is None
    assert instant(ticket["created_at"]) == datetime(2017, 1, 30, 17, 30, 41, 962000, tzinfo=UTC)
    assert events_of(acme, "TEST-1") == [
        (
            "jira:TEST-1:changelog:10000:status",
            "status",
            "2017-01-30T17:32:14.721000Z",
            {"status": "open"},
        )
    ]


def test_jira_cloud_priority_change_timestamp_last(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    r = Hook(services, client, acme, "jira").post("issue_updated_priority.json")
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["priority"] == "P2"  # Critical -> Major
    assert events_of(acme, "TEST-1") == [
        (
            "jira:TEST-1:changelog:10102:priority",
            "priority",
            "2014-02-26T19:57:13.145000Z",
            {"priority": "P2"},
        )
    ]


def test_jira_comment_created_on_a_known_and_an_unknown_issue(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    hook = Hook(services, client, acme, "jira")
    # A comment event carries no creation time: it cannot create the ticket.
    r = hook.post("comment_created.json")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_ticket"
    assert [d["path"] for d in r.json()["error"]["details"]] == ["created_at"]
    assert no_tickets(acme)

    created = {"id": "ZUL-1", "priority": "P3", "created_at": "2019-01-07T16:00:00-03:30"}
    assert acme.post("/api/v1/tickets", created).status_code == 201
    r = hook.post("comment_created.json")
    assert r.status_code == 201, r.text
    assert events_of(acme, "ZUL-1")[-1] == (
        "jira:ZUL-1:comment:10000",
        "agent_reply",
        "2019-01-07T16:55:51.184000-03:30",
        {"public": True},  # jsdPublic
    )
    first = clock(acme, "ZUL-1", "first_response")
    assert instant(first["stopped_at"]) == datetime(2019, 1, 7, 20, 25, 51, 184000, tzinfo=UTC)
    assert hook.post("comment_created.json").status_code == 200


@pytest.mark.parametrize("name", ["comment_deleted.json", "worklog_created.json"])
def test_jira_events_that_are_not_mapped_are_200_and_store_nothing(
    services: Services, client: TestClient, acme: Tenant, name: str
) -> None:
    r = Hook(services, client, acme, "jira").post(name)
    assert r.status_code == 200, r.text
    assert r.json()["ticket"] is None
    assert r.json()["events"] == []
    assert "is not mapped" in r.json()["skipped"]
    assert no_tickets(acme)


def test_jira_issue_comment_deleted_adds_no_reply(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    hook = Hook(services, client, acme, "jira")
    body = json.loads(raw("jira", "issue_comment_deleted.json"))
    # Also with the deleted comment alongside, as Jira Server may send it.
    body["comment"] = body["issue"]["fields"]["comment"]["comments"][0]
    for payload in (raw("jira", "issue_comment_deleted.json"), json.dumps(body).encode()):
        r = hook.post(payload)
        assert r.status_code in (200, 201), r.text
        assert r.json()["events"] == []
    assert events_of(acme, "TOM-1") == []


# -- Freshdesk ---------------------------------------------------------------------------

TIMES = {
    "ticket_created_at": "2026-11-20T09:00:00+01:00",
    "ticket_updated_at": "2026-11-20T09:45:00+01:00",
}


def with_times(name: str, **times: str) -> bytes:
    """The recorded body with the time fields slaguard's docs ask the rule to add."""
    data = json.loads(raw("freshdesk", name))
    data["freshdesk_webhook"].update(times or TIMES)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("ticket_created.json", "ticket_created_at"),
        ("inline_images_created.json", "ticket_created_at"),
        ("status_changed.json", "ticket_updated_at"),
        ("priority_changed.json", "ticket_updated_at"),
        ("private_note.json", "ticket_updated_at"),
        ("public_note.json", "ticket_updated_at"),
        ("minimal.json", "triggered_event"),
    ],
)
def test_freshdesk_bodies_without_the_fields_slaguard_needs_are_422_naming_them(
    services: Services, client: TestClient, acme: Tenant, name: str, field: str
) -> None:
    r = Hook(services, client, acme, "freshdesk").post(name)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_payload"
    assert [d["path"] for d in error["details"]] == [f"freshdesk_webhook.{field}"]
    assert no_tickets(acme)


def test_freshdesk_rule_bodies_with_times(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    hook = Hook(services, client, acme, "freshdesk")
    r = hook.post(with_times("ticket_created.json"))
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert ticket["id"] == "11"
    assert ticket["status"] == "pending"
    assert ticket["priority"] == "P2"  # High
    assert ticket["fields"]["custom_fields"] == {"ticket_type": "incident"}
    assert ticket["fields"]["subject"] == "Test ticket subject ☃"

    # (body, local time of the change, the key's part and UTC time, event type, fields)
    steps = [
        (
            "status_changed.json",
            "10:00",
            "status:2026-11-20T09:00:00Z",
            "status",
            {"status": "pending"},
        ),
        (
            "priority_changed.json",
            "10:05",
            "priority:2026-11-20T09:05:00Z",
            "priority",
            {"priority": "P4"},
        ),
        (
            "private_note.json",
            "10:10",
            "note:2026-11-20T09:10:00Z",
            "agent_reply",
            {"public": False},
        ),
        ("public_note.json", "10:15", "note:2026-11-20T09:15:00Z", "agent_reply", {"public": True}),
    ]
    for name, at, *_ in steps:
        r = hook.post(with_times(name, ticket_updated_at=f"2026-11-20T{at}:00+01:00"))
        assert r.status_code == 201, (name, r.text)
    assert events_of(acme, "11") == [
        ("freshdesk:11:created", "created", "2026-11-20T09:00:00+01:00", {"status": "pending"}),
        *(
            (f"freshdesk:11:{key}", kind, f"2026-11-20T{at}:00+01:00", rest)
            for _, at, key, kind, rest in steps
        ),
    ]
    assert acme.get("/api/v1/tickets/11").json()["priority"] == "P4"

    # An event the mapper does not know, on a known ticket: the ticket as it is.
    before = events_of(acme, "11")
    r = hook.post(with_times("unknown_event.json"))
    assert r.status_code == 200, r.text
    assert r.json()["events"] == []
    assert events_of(acme, "11") == before


def test_freshdesk_created_with_inline_images(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    r = Hook(services, client, acme, "freshdesk").post(with_times("inline_images_created.json"))
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert (ticket["status"], ticket["priority"]) == ("open", "P1")
    assert "guinea_pig.png" in ticket["fields"]["description"]
    assert events_of(acme, "12") == [
        ("freshdesk:12:created", "created", "2026-11-20T09:00:00+01:00", {"status": "open"})
    ]
