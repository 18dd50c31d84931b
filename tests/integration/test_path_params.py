"""Path parameters of the ticket routes: what no column can hold is a 422, never a 500."""

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
