"""The customer view: a signed link shows one ticket's SLA timers and nothing else;
expired, altered, forged and other-purpose tokens are one 404 page; the API makes links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apihelpers import FakeClock, Tenant, TestClient, ticket_doc
from pagetree import parse

from slaguard.app import escalations, tokens
from slaguard.app.services import Services

EVENTS = [
    {
        "id": "e-reply",
        "type": "agent_reply",
        "at": "2026-11-25T09:10:00+00:00",
        "actor": "Ada Agent",
    },
    {
        "id": "e-note",
        "type": "internal_note",
        "at": "2026-11-25T09:20:00+00:00",
        "actor": "Ada Agent",
        "text": "customer is upset, do not tell them",
    },
]


@pytest.fixture
def ticket(acme: Tenant) -> Tenant:
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", events=EVENTS, assignee="Ada Agent"))
    assert r.status_code == 201, r.text
    return acme


def make_link(tenant: Tenant, days: int | None = None, ticket: str = "T-1") -> str:
    path = f"/api/v1/tickets/{ticket}/status-link" + (f"?days={days}" if days else "")
    r = tenant.client.post(path, headers=tenant.headers("agent"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"url", "expires_at"}
    return str(body["url"]).removeprefix("http://127.0.0.1:8000")


def refused(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "T-1" not in r.text and "Printer" not in r.text
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in r.headers["x-robots-tag"]
    assert parse(r.text).select("#status-clocks") == []


def test_a_link_shows_the_timers_and_nothing_else(
    client: TestClient, ticket: Tenant, clock: FakeClock
) -> None:
    path = make_link(ticket)
    clock.advance(timedelta(minutes=30))
    client.cookies.clear()  # no sign-in
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in r.headers["x-robots-tag"]
    tree = parse(r.text)
    timers = tree.select("#status-clocks li.timer")
    # P2 standard: first response (met by the reply) and resolution (running); next and
    # periodic responses have no cycle
    assert {(t.get("data-metric"), t.get("data-state")) for t in timers} == {
        ("first_response", "met"),
        ("resolution", "running"),
    }
    for secret in ("Ada Agent", "upset", "internal_note", "agent_reply", "Printer", "tier1"):
        assert secret not in r.text, secret
    assert tree.select("nav") == []  # no navigation of the dashboard


def test_expired_links_are_refused(client: TestClient, ticket: Tenant, clock: FakeClock) -> None:
    path = make_link(ticket, days=2)
    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock.advance(timedelta(seconds=2))
    refused(client, path)


def test_altered_and_forged_links_are_refused(
    services: Services, client: TestClient, ticket: Tenant, clock: FakeClock
) -> None:
    path = make_link(ticket)
    token = path.removeprefix("/status/")
    payload, expiry, mac = token.split(".")
    # a later expiry, a changed payload, a changed signature, garbage
    refused(client, f"/status/{payload}.{int(expiry) + 1}.{mac}")
    other = tokens._b64(f"{ticket.tenant_id}.2".encode())
    refused(client, f"/status/{other}.{expiry}.{mac}")
    refused(client, f"/status/{payload}.{expiry}.{mac[:-2]}AA")
    refused(client, "/status/nonsense")
    # signed with another secret
    forged = tokens.sign(b"guess", "status", f"{ticket.tenant_id}.1", expires_us=int(expiry))
    refused(client, f"/status/{forged}")
    # a valid acknowledgement token (same payload shape) is not a status link
    ack = escalations.ack_url(services, ticket.tenant_id, 1, services.clock())
    refused(client, "/status/" + ack.rsplit("/", 1)[1])
    assert client.get(path).status_code == 200


def test_the_api_makes_links_for_agents_of_the_tenant(
    client: TestClient, ticket: Tenant, globex: Tenant
) -> None:
    r = client.post("/api/v1/tickets/T-1/status-link", headers=ticket.headers("viewer"))
    assert r.status_code == 403
    r = client.post("/api/v1/tickets/T-1/status-link", headers=globex.headers("agent"))
    assert r.status_code == 404
    for days in (0, 366, -1):
        r = client.post(f"/api/v1/tickets/T-1/status-link?days={days}", headers=ticket.headers())
        assert r.status_code == 422
    r = client.post("/api/v1/tickets/T-1/status-link?days=365", headers=ticket.headers())
    assert r.status_code == 201
    assert r.json()["expires_at"].startswith("2027-11-25T09:00:00")
    r = client.post("/api/v1/tickets/T-1/status-link", headers=ticket.headers())
    assert r.json()["expires_at"].startswith("2026-12-25T09:00:00")


def test_a_link_of_a_deleted_tenants_ticket_is_refused(
    services: Services, client: TestClient, ticket: Tenant
) -> None:
    path = make_link(ticket)
    token = path.removeprefix("/status/")
    # the same ticket id of another tenant: the tenant is signed in the token
    forged_payload = tokens._b64(f"{ticket.tenant_id + 1}.1".encode())
    _, expiry, _ = token.split(".")
    refused(client, f"/status/{forged_payload}.{expiry}.x")
