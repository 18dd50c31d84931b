"""GET /api/v1/tickets: filters and cursor pagination."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from apihelpers import FakeClock, Tenant, ticket_doc


def ids(tenant: Tenant, **params: object) -> list[str]:
    r = tenant.get("/api/v1/tickets", params=params)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["items"]]


@pytest.fixture
def tickets(acme: Tenant, clock: FakeClock) -> Tenant:
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    docs = [
        ticket_doc("A", priority="critical", team="tier1"),
        ticket_doc("B", priority="low", team="billing"),
        ticket_doc(
            "C",
            priority="medium",
            team="tier1",
            events=[
                {"id": "C-r", "type": "agent_reply", "at": "2026-11-25T09:10:00Z"},
                {"id": "C-p", "type": "status", "at": "2026-11-25T09:10:00Z", "status": "pending"},
            ],
        ),
        ticket_doc(
            "D",
            priority="high",
            team="network",
            events=[
                {"id": "D-r", "type": "agent_reply", "at": "2026-11-25T09:10:00Z"},
                {"id": "D-s", "type": "resolved", "at": "2026-11-25T09:20:00Z"},
            ],
        ),
    ]
    for doc in docs:
        assert acme.post("/api/v1/tickets", doc).status_code == 201
    return acme


def test_filters(tickets: Tenant) -> None:
    assert ids(tickets) == ["A", "B", "C", "D"]
    assert ids(tickets, team="tier1") == ["A", "C"]
    assert ids(tickets, priority="P1") == ["A"]
    assert ids(tickets, priority="critical") == ["A"]
    assert ids(tickets, priority="sev2") == ["D"]  # the tenant's own alias
    assert ids(tickets, status="pending") == ["C"]
    assert ids(tickets, status="solved") == ["D"]
    assert ids(tickets, state="paused") == ["C"]
    assert ids(tickets, state="met") == ["D"]
    assert ids(tickets, state="running") == ["A", "B"]
    assert ids(tickets, team="tier1", state="running") == ["A"]
    assert ids(tickets, team="nobody") == []


def test_breached_includes_a_clock_past_due_with_nothing_written_since(
    tickets: Tenant, clock: FakeClock
) -> None:
    assert ids(tickets, state="breached") == []
    # A is P1: first response due within one business hour of 09:00 UTC (10:00 Berlin)
    clock.advance(timedelta(hours=1))
    assert ids(tickets, state="breached") == ["A"]
    assert ids(tickets, state="running") == ["B"]  # A is no longer running but breached
    assert tickets.get("/api/v1/tickets/A").json()["sla_state"] == "running"  # as written
    clock.advance(timedelta(days=10))
    assert ids(tickets, state="breached") == ["A", "B"]  # C is paused, D is solved
    assert ids(tickets, state="running") == []


def test_cursor_pagination_visits_every_ticket_once(acme: Tenant, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    for i in range(7):
        acme.post("/api/v1/tickets", ticket_doc(f"T-{i}", team="tier1" if i % 2 else "tier2"))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 3, "team": "tier1"}
        if cursor:
            params["cursor"] = cursor
        body = acme.get("/api/v1/tickets", params=params).json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["T-1", "T-3", "T-5"]
    assert pages == 1 or pages == 2

    all_ids: list[str] = []
    cursor = None
    while True:
        body = acme.get(
            "/api/v1/tickets", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        assert len(body["items"]) <= 2
        all_ids += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert all_ids == [f"T-{i}" for i in range(7)]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 501}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"state": "on_fire"}, "query.state"),
        ({"priority": "P9"}, "priority"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "bm90LWEtbnVtYmVy"}, "cursor"),
        # decodes to a number, but none a row id can be (the database cannot compare it)
        ({"cursor": base64.urlsafe_b64encode(b"9" * 25).decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(str(2**63).encode()).decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"-1").decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, "cursor"),
        ({"team": "a\x00b"}, "query.team"),
    ],
)
def test_bad_list_parameters_are_422_naming_them(
    acme: Tenant, params: dict[str, object], path: str
) -> None:
    r = acme.get("/api/v1/tickets", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request"
    assert path in [d["path"] for d in r.json()["error"]["details"]]
