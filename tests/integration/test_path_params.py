"""Path and query parameters of the ticket routes: a bad one is a 422 `invalid_request`
naming it, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from apihelpers import EXAMPLE_TICKET, Tenant

# Every route under /api/v1/tickets/{ticket_id}, with the method it takes.
ROUTES = [
    ("GET", "/api/v1/tickets/{id}"),
    ("GET", "/api/v1/tickets/{id}/clocks"),
    ("GET", "/api/v1/tickets/{id}/explain"),
    ("GET", "/api/v1/tickets/{id}/breaches"),
    ("GET", "/api/v1/tickets/{id}/escalations"),
    ("PUT", "/api/v1/tickets/{id}/breaches/next_response/1"),
]


@pytest.fixture
def stored(acme: Tenant) -> Tenant:
    r = acme.client.post(
        "/api/v1/tickets", content=EXAMPLE_TICKET.read_bytes(), headers=acme.headers("agent")
    )
    assert r.status_code == 201, r.text
    return acme


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("ticket_id", ["T-1042\x00", "x" * 201])
def test_a_ticket_id_no_column_holds_is_422_naming_it(
    stored: Tenant, method: str, route: str, ticket_id: str
) -> None:
    r = stored.client.request(
        method,
        route.format(id=quote(ticket_id, safe="")),
        json={"reason": "backlog"},
        headers=stored.headers("agent"),
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert [d["path"] for d in error["details"]] == ["path.ticket_id"]


@pytest.mark.parametrize("metric", ["next_response\x00", "m" * 61])
def test_a_breach_metric_no_column_holds_is_422_naming_it(stored: Tenant, metric: str) -> None:
    r = stored.client.put(
        f"/api/v1/tickets/T-1042/breaches/{quote(metric, safe='')}/1",
        json={"reason": "backlog"},
        headers=stored.headers("agent"),
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert [d["path"] for d in error["details"]] == ["path.metric"]


@pytest.mark.parametrize("route", ["clocks", "explain"])
@pytest.mark.parametrize(
    "at", ["yesterday", "2026-11-25T09:00:00", "2100-01-01T00:00:00Z", "1989-12-31T23:59:59Z"]
)
def test_a_bad_at_is_422_invalid_request_naming_it(stored: Tenant, route: str, at: str) -> None:
    r = stored.get(f"/api/v1/tickets/T-1042/{route}", params={"at": at})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert [d["path"] for d in error["details"]] == ["at"]


@pytest.mark.parametrize("bad", ["2026-11-20T00:00:00Z\x00", "2026-11-20T00:00:00Z\n1"])
@pytest.mark.parametrize("param", ["from", "to"])
def test_a_report_window_with_a_control_character_is_422_naming_it(
    stored: Tenant, param: str, bad: str
) -> None:
    window = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-30T00:00:00Z", param: bad}
    r = stored.get("/api/v1/reports/compliance", params=window)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert [d["path"] for d in error["details"]] == [param]
