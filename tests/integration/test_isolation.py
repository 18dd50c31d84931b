"""A key sees only its tenant: another tenant's ticket is a 404 on every endpoint, and
never appears in a list, whatever the filter."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from apihelpers import Tenant, ticket_doc

EVENT = {"id": "late", "type": "agent_reply", "at": "2026-11-25T09:30:00Z"}


@pytest.fixture
def with_ticket(acme: Tenant, globex: Tenant) -> tuple[Tenant, Tenant]:
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", team="secret-team"))
    assert r.status_code == 201
    return acme, globex


READS = [
    ("GET", "/api/v1/tickets/T-1", None),
    ("GET", "/api/v1/tickets/T-1/clocks", None),
    ("GET", "/api/v1/tickets/T-1/clocks?at=2026-11-25T12:00:00Z", None),
    ("GET", "/api/v1/tickets/T-1/explain", None),
    ("GET", "/api/v1/tickets/T-1/breaches", None),
    ("GET", "/api/v1/tickets/T-1/escalations", None),
]
WRITES = [
    ("POST", "/api/v1/tickets/T-1/events", EVENT),
    ("POST", "/api/v1/tickets/T-1/events", [EVENT]),
    ("POST", "/api/v1/tickets/T-1/status-link", None),
    ("PUT", "/api/v1/tickets/T-1/breaches/first_response/1", {"reason": "staffing"}),
]
ADMIN_WRITES = [("POST", "/api/v1/tickets/T-1/reapply-config", None)]


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [(role, *call) for role in ("viewer", "agent", "admin") for call in READS]
    + [(role, *call) for role in ("agent", "admin") for call in WRITES]
    + [("admin", *call) for call in ADMIN_WRITES],
)
def test_another_tenants_ticket_is_not_found(
    with_ticket: tuple[Tenant, Tenant], role: str, method: str, path: str, body: object
) -> None:
    acme, globex = with_ticket
    r = globex.client.request(method, path, json=body, headers=globex.headers(role))
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"
    assert "T-1" in r.json()["error"]["message"]
    assert "secret-team" not in r.text
    # the owner still sees it, unchanged
    owner = acme.get("/api/v1/tickets/T-1")
    assert owner.status_code == 200
    assert [e["id"] for e in owner.json()["events"]] == ["T-1-created"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?team=secret-team",
        "?priority=high",
        "?priority=P2",
        "?status=new",
        "?state=running",
        "?state=breached",
        "?limit=1",
    ],
)
def test_lists_never_show_another_tenants_tickets(
    with_ticket: tuple[Tenant, Tenant], query: str
) -> None:
    acme, globex = with_ticket
    assert globex.get(f"/api/v1/tickets{query}").json() == {"items": [], "next_cursor": None}
    if query != "?state=breached":
        assert [t["id"] for t in acme.get(f"/api/v1/tickets{query}").json()["items"]] == ["T-1"]


def test_the_same_ticket_id_in_two_tenants_is_two_tickets(
    with_ticket: tuple[Tenant, Tenant],
) -> None:
    acme, globex = with_ticket
    r = globex.post("/api/v1/tickets", ticket_doc("T-1", team="globex-team"))
    assert r.status_code == 201
    assert acme.get("/api/v1/tickets/T-1").json()["team"] == "secret-team"
    assert globex.get("/api/v1/tickets/T-1").json()["team"] == "globex-team"


def test_event_ids_of_another_tenant_do_not_collide(
    with_ticket: tuple[Tenant, Tenant],
) -> None:
    acme, globex = with_ticket
    globex.post("/api/v1/tickets", ticket_doc("G-1"))
    assert acme.post("/api/v1/tickets/T-1/events", EVENT).status_code == 201
    r = globex.post("/api/v1/tickets/G-1/events", EVENT)
    assert r.status_code == 201
    assert r.json()["events"][0]["created"] is True


def test_links_cannot_reach_another_tenants_ticket(with_ticket: tuple[Tenant, Tenant]) -> None:
    _, globex = with_ticket
    globex.post("/api/v1/tickets", ticket_doc("G-1"))
    link = {"id": "dup", "type": "duplicate_of", "at": "2026-11-25T09:30:00Z", "original": "T-1"}
    r = globex.post("/api/v1/tickets/G-1/events", link)
    assert r.status_code in (404, 409, 422)
    assert r.json()["error"]["details"][0]["path"] == "events[0].original"


def test_configuration_is_per_tenant(acme: Tenant, make_tenant: Callable[..., Tenant]) -> None:
    bare = make_tenant("bare", config=False)
    assert acme.get("/api/v1/config").status_code == 200
    r = bare.get("/api/v1/config")
    assert r.status_code == 404
    r = bare.post("/api/v1/tickets", ticket_doc())
    assert r.status_code == 409
    assert "configuration" in r.json()["error"]["message"]
