"""Keys and roles: viewer reads, agent writes tickets and events, admin the configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from apihelpers import Tenant, TestClient, ticket_doc
from sqlalchemy import update

from slaguard.app.services import API_KEY_TTL_S, Services, TtlCache
from slaguard.db.tables import ApiKeyRow


def error_of(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets"),
        ("GET", "/api/v1/tickets/T-1"),
        ("GET", "/api/v1/tickets/T-1/clocks"),
        ("GET", "/api/v1/tickets/T-1/explain"),
        ("POST", "/api/v1/tickets"),
        ("POST", "/api/v1/tickets/T-1/events"),
        ("GET", "/api/v1/config"),
        ("PUT", "/api/v1/config"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sg_not-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "not-bearer", "empty"],
)
def test_every_endpoint_needs_a_valid_key(
    client: TestClient, acme: Tenant, method: str, path: str, headers: dict[str, str]
) -> None:
    r = client.request(method, path, headers=headers, content=b"{}")
    assert r.status_code == 401
    assert error_of(r)["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == "Bearer"


def test_viewer_reads_but_cannot_write(acme: Tenant) -> None:
    assert acme.post("/api/v1/tickets", ticket_doc(), role="agent").status_code == 201
    assert acme.get("/api/v1/tickets", role="viewer").status_code == 200
    assert acme.get("/api/v1/tickets/T-1", role="viewer").status_code == 200
    assert acme.get("/api/v1/config", role="viewer").status_code == 200

    r = acme.post("/api/v1/tickets", ticket_doc("T-2"), role="viewer")
    assert r.status_code == 403
    assert error_of(r)["code"] == "forbidden"
    event = {"id": "x", "type": "agent_reply", "at": "2026-11-25T09:10:00Z"}
    assert acme.post("/api/v1/tickets/T-1/events", event, role="viewer").status_code == 403
    assert acme.put_config("{}", role="viewer").status_code == 403
    # nothing was written
    assert [t["id"] for t in acme.get("/api/v1/tickets").json()["items"]] == ["T-1"]


def test_agent_writes_tickets_but_not_configuration(acme: Tenant) -> None:
    event = {"id": "x", "type": "agent_reply", "at": "2026-11-25T09:10:00Z"}
    assert acme.post("/api/v1/tickets", ticket_doc(), role="agent").status_code == 201
    assert acme.post("/api/v1/tickets/T-1/events", event, role="agent").status_code == 201
    r = acme.put_config("{}", role="agent")
    assert r.status_code == 403
    assert "admin" in error_of(r)["message"]
    assert acme.get("/api/v1/config").json()["version"] == 1


def test_admin_does_everything(acme: Tenant) -> None:
    assert acme.post("/api/v1/tickets", ticket_doc(), role="admin").status_code == 201
    assert acme.get("/api/v1/tickets/T-1", role="admin").status_code == 200
    document = acme.get("/api/v1/config").json()["document"]
    r = acme.client.put("/api/v1/config", json=document, headers=acme.headers("admin"))
    assert r.status_code == 201
    assert r.json() == {"version": 2}


def test_a_revoked_key_is_refused(services: Services, acme: Tenant) -> None:
    with services.writing() as s:
        s.execute(update(ApiKeyRow).values(revoked_us=1))
    r = acme.get("/api/v1/tickets")
    assert r.status_code == 401
    assert "revoked" in error_of(r)["message"]


def test_a_key_revoked_after_use_is_refused_once_its_check_expires(
    services: Services, acme: Tenant
) -> None:
    ticking = [0.0]
    services.api_keys = TtlCache(API_KEY_TTL_S, monotonic=lambda: ticking[0])
    assert acme.get("/api/v1/tickets").status_code == 200
    with services.writing() as s:
        s.execute(update(ApiKeyRow).values(revoked_us=1))
    assert acme.get("/api/v1/tickets").status_code == 200  # remembered for a while
    ticking[0] += API_KEY_TTL_S
    r = acme.get("/api/v1/tickets")
    assert r.status_code == 401
    assert "revoked" in error_of(r)["message"]


def test_keys_of_one_tenant_are_not_keys_of_another(
    make_tenant: Callable[..., Tenant],
) -> None:
    a = make_tenant("a")
    b = make_tenant("b")
    assert a.keys["admin"] != b.keys["admin"]
    a.post("/api/v1/tickets", ticket_doc())
    assert a.get("/api/v1/tickets").json()["items"][0]["id"] == "T-1"
    assert b.get("/api/v1/tickets").json()["items"] == []
