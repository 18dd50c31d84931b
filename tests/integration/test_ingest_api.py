"""Webhooks through the API on both databases: signatures, create-then-append,
redeliveries, and refusals that reveal nothing about other tenants."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from apihelpers import FakeClock, Tenant, TestClient

from slaguard.app import ingest
from slaguard.app.services import Services
from slaguard.ingest.signatures import hub_signature, zendesk_signature

HOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(clock: FakeClock) -> None:
    clock.set(NOW)


def body(name: str) -> bytes:
    return (HOOKS / name).read_bytes()


def post_jira(client: TestClient, tenant: str, payload: bytes, secret: str) -> httpx.Response:
    return client.post(
        f"/api/v1/ingest/jira?tenant={tenant}",
        content=payload,
        headers={"X-Hub-Signature": hub_signature(secret, payload)},
    )


def test_jira_create_then_comment_then_redelivery(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    secret = ingest.set_source(services, tenant=acme.name, source="jira")
    created = body("jira_issue_created.json")
    r = post_jira(client, acme.name, created, secret)
    assert r.status_code == 201, r.text
    ticket_id = r.json()["ticket"]["id"]
    assert r.json()["ticket"]["source"] == "jira"

    comment = body("jira_comment_created_public.json")
    r = post_jira(client, acme.name, comment, secret)
    assert r.status_code == 201, r.text
    stored = acme.get(f"/api/v1/tickets/{ticket_id}").json()["events"]
    kinds = [e["type"] for e in stored]
    assert kinds.count("created") == 1
    assert "agent_reply" in kinds

    # The same deliveries again store nothing new and answer 200.
    for payload in (created, comment):
        r = post_jira(client, acme.name, payload, secret)
        assert r.status_code == 200, r.text
    assert acme.get(f"/api/v1/tickets/{ticket_id}").json()["events"] == stored

    # The first response clock was stopped by the public agent comment.
    clocks = acme.get(f"/api/v1/tickets/{ticket_id}/clocks").json()["clocks"]
    first = [c for c in clocks if c["metric"] == "first_response"]
    assert first and first[0]["stopped_at"] is not None


def test_zendesk_signature_with_timestamp(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    secret = ingest.set_source(services, tenant=acme.name, source="zendesk")
    payload = body("zendesk_ticket_created.json")
    stamp = NOW.isoformat().replace("+00:00", "Z")
    headers = {
        "X-Zendesk-Webhook-Signature": zendesk_signature(secret, stamp, payload),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    r = client.post(f"/api/v1/ingest/zendesk?tenant={acme.name}", content=payload, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["priority"] == "P2"  # Zendesk "high"

    # Replayed an hour later: the signature is still valid, the timestamp is not.
    stale = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    services.clock = lambda: int(stale.timestamp() * 1_000_000)
    r = client.post(f"/api/v1/ingest/zendesk?tenant={acme.name}", content=payload, headers=headers)
    assert r.status_code == 401
    assert "X-Zendesk-Webhook-Signature-Timestamp" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("tenant", "signature"),
    [("acme", "sha256=" + "0" * 64), ("nobody", None), ("acme", "")],
    ids=["bad signature", "unknown tenant", "missing signature"],
)
def test_refusals_are_401_and_write_nothing(
    services: Services, client: TestClient, acme: Tenant, tenant: str, signature: str | None
) -> None:
    secret = ingest.set_source(services, tenant=acme.name, source="jira")
    payload = body("jira_issue_created.json")
    headers = {
        "X-Hub-Signature": hub_signature(secret, payload) if signature is None else signature
    }
    if signature == "":
        headers = {}
    r = client.post(f"/api/v1/ingest/jira?tenant={tenant}", content=payload, headers=headers)
    assert r.status_code == 401, r.text
    assert acme.get("/api/v1/tickets").json()["items"] == []


def test_a_source_without_a_secret_is_refused_like_an_unknown_tenant(
    client: TestClient, acme: Tenant
) -> None:
    payload = body("jira_issue_created.json")
    r = client.post(
        f"/api/v1/ingest/jira?tenant={acme.name}",
        content=payload,
        headers={"X-Hub-Signature": hub_signature("x" * 32, payload)},
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_generic_with_an_api_key_and_tenant_isolation(
    client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    event = {"ticket": "G-1", "id": "g1", "type": "created", "at": "2026-11-23T09:00:00Z"}
    r = client.post("/api/v1/ingest/generic", content=json.dumps(event), headers=acme.headers())
    assert r.status_code == 201, r.text
    assert acme.get("/api/v1/tickets/G-1").status_code == 200
    assert globex.get("/api/v1/tickets/G-1").status_code == 404
    # A viewer key may not write.
    r = client.post(
        "/api/v1/ingest/generic", content=json.dumps(event), headers=acme.headers("viewer")
    )
    assert r.status_code == 403


def test_malformed_payload_names_the_field(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    r = client.post("/api/v1/ingest/generic", content=b"{not json", headers=acme.headers())
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_payload"
    r = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps({"ticket": "G-2", "type": "created", "at": "2026-11-23T09:00:00"}),
        headers=acme.headers(),
    )
    assert r.status_code == 422
    assert "at" in json.dumps(r.json()["error"])


def test_unknown_source_is_404(client: TestClient, acme: Tenant) -> None:
    r = client.post("/api/v1/ingest/servicedesk", content=b"{}", headers=acme.headers())
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_source"


def test_sources_set_validates(services: Services, acme: Tenant) -> None:
    from slaguard.domain.errors import ConfigError, NotFoundError

    with pytest.raises(ConfigError, match="unknown source"):
        ingest.set_source(services, tenant=acme.name, source="servicenow")
    with pytest.raises(ConfigError, match="16 characters"):
        ingest.set_source(services, tenant=acme.name, source="jira", secret="short")
    with pytest.raises(NotFoundError):
        ingest.set_source(services, tenant="nobody", source="jira")
    first = ingest.set_source(services, tenant=acme.name, source="jira")
    second = ingest.set_source(services, tenant=acme.name, source="jira")
    assert first != second  # rotated


def test_the_same_link_twice_is_stored_once(acme: Tenant) -> None:
    assert (
        acme.post(
            "/api/v1/tickets", {"id": "O-1", "created_at": "2026-11-23T09:00:00Z"}
        ).status_code
        == 201
    )
    doc = {
        "id": "D-1",
        "created_at": "2026-11-23T09:00:00Z",
        "events": [
            {"id": "l1", "type": "duplicate_of", "at": "2026-11-23T10:00:00Z", "original": "O-1"},
            {"id": "l2", "type": "duplicate_of", "at": "2026-11-23T11:00:00Z", "original": "O-1"},
        ],
    }
    r = acme.post("/api/v1/tickets", doc)
    assert r.status_code == 201, r.text
    r = acme.post(
        "/api/v1/tickets/D-1/events",
        {"id": "l3", "type": "duplicate_of", "at": "2026-11-23T12:00:00Z", "original": "O-1"},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (b'{"ticket": "G-9", "type": "created", "at": "0001-01-01T00:30:00+01:00"}', "at"),
        (
            b'{"ticket": "G-9", "type": "created", "at": "2026-11-23T09:00:00Z",'
            b' "actor": "a\\ud800"}',
            "actor",
        ),
        (
            b'{"ticket": "G-9", "type": "created", "at": "2026-11-23T09:00:00Z", "\\ud800": 1}',
            "\\ud800",
        ),
        (b'{"ticket": "G/9", "type": "created", "at": "2026-11-23T09:00:00Z"}', "ticket"),
    ],
)
def test_generic_input_the_service_cannot_store_is_422_naming_the_field(
    client: TestClient, acme: Tenant, payload: bytes, path: str
) -> None:
    r = client.post("/api/v1/ingest/generic", content=payload, headers=acme.headers())
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_payload"
    assert [d["path"] for d in error["details"]] == [path]
    assert acme.get("/api/v1/tickets").json()["items"] == []
