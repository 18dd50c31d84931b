"""/healthz, /metrics, /openapi.json, and the shape of errors outside the use cases."""

from __future__ import annotations

from typing import Any

import pytest
from apihelpers import Tenant, TestClient, ticket_doc
from prometheus_client.parser import text_string_to_metric_families

from slaguard.api import create_app
from slaguard.app.services import Services
from slaguard.db.engine import make_engine, writer


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_checks_the_database(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_gone(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    app = create_app(Services(engine=engine, write_engine=writer(engine), is_sqlite=True))
    with TestClient(app) as c:
        r = c.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable"}
    engine.dispose()


def test_metrics_count_requests_by_route_template_and_ingestion(
    client: TestClient, acme: Tenant
) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.post("/api/v1/tickets", ticket_doc("T-2"))
    event = {"id": "r", "type": "agent_reply", "at": "2026-11-25T09:00:00Z"}
    acme.post("/api/v1/tickets/T-1/events", event)
    acme.post("/api/v1/tickets/T-1/events", event)
    acme.get("/api/v1/tickets/T-1")
    acme.get("/api/v1/tickets/T-2")
    acme.get("/api/v1/tickets/nope")
    client.get("/no/such/path")

    m = samples(client)

    def requests(method: str, route: str, status: str) -> float:
        key = (
            "slaguard_http_requests_total",
            (("method", method), ("route", route), ("status", status)),
        )
        return m.get(key, 0.0)

    assert requests("POST", "/api/v1/tickets", "201") == 2
    assert requests("POST", "/api/v1/tickets/{ticket_id}/events", "201") == 1
    assert requests("POST", "/api/v1/tickets/{ticket_id}/events", "200") == 1
    assert requests("GET", "/api/v1/tickets/{ticket_id}", "200") == 2
    assert requests("GET", "/api/v1/tickets/{ticket_id}", "404") == 1
    assert requests("GET", "<unmatched>", "404") == 1
    assert m[("slaguard_tickets_created_total", ())] == 2
    assert m[("slaguard_events_ingested_total", ())] == 3  # two created events + one reply
    assert m[("slaguard_events_repeated_total", ())] == 1
    latency = (
        "slaguard_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/api/v1/tickets")),
    )
    assert m[latency] == 2


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("GET", "/api/v2/tickets", 404, "not_found"),
        ("DELETE", "/api/v1/tickets", 405, "method_not_allowed"),
        ("PATCH", "/api/v1/config", 405, "method_not_allowed"),
    ],
)
def test_routing_errors_have_the_same_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == status
    assert r.json() == {
        "error": {"code": code, "message": r.json()["error"]["message"], "details": []}
    }


def test_an_unexpected_exception_is_a_logged_500_in_the_same_shape(
    services: Services, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slaguard.app import tickets

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tickets, "get_ticket", broken)
    r = acme.get("/api/v1/tickets/T-1")
    assert r.status_code == 500
    error = r.json()["error"]
    assert error["code"] == "internal"
    assert r.headers["x-request-id"] in error["message"]
    assert "boom" not in r.text


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths) >= {
        "/api/v1/config",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/events",
        "/api/v1/tickets/{ticket_id}/clocks",
        "/api/v1/tickets/{ticket_id}/explain",
        "/healthz",
        "/metrics",
    }
    assert "TicketIn" in doc["components"]["schemas"]
    assert "EventIn" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200


def test_json_logs_one_line_per_request(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from slaguard.api.observability import configure_logging

    configure_logging(json=True)
    try:
        capsys.readouterr()
        client.get("/healthz", headers={"X-Request-ID": "req-1"})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        configure_logging(json=False)
    [line] = [x for x in lines if x.get("request_id") == "req-1"]
    assert line["event"] == "request"
    assert line["route"] == "/healthz"
    assert line["status"] == 200
    assert line["level"] == "info"
