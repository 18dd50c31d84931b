"""Webhooks through the API on both databases: signatures, create-then-append,
redeliveries, and refusals that reveal nothing about other tenants."""

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


def signed_headers(source: str, secret: str, payload: bytes) -> dict[str, str]:
    """The headers `source` itself sends with `payload`, signed with `secret`."""
    if source == "zendesk":
        stamp = NOW.isoformat().replace("+00:00", "Z")
        return {
            "X-Zendesk-Webhook-Signature": zendesk_signature(secret, stamp, payload),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
    if source == "freshdesk":
        return {"X-Slaguard-Secret": secret}
    name = "X-Hub-Signature" if source == "jira" else "X-Slaguard-Signature"
    return {name: hub_signature(secret, payload)}


SAMPLES = {
    "zendesk": "zendesk_ticket_created.json",
    "jira": "jira_issue_created.json",
    "freshdesk": "freshdesk_ticket_created.json",
    "generic": "generic_ticket_with_events.json",
}


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_every_refusal_of_a_signed_request_is_the_same_401(
    services: Services, client: TestClient, acme: Tenant, globex: Tenant, source: str
) -> None:
    """An unknown tenant, a source without a secret and a missing, malformed or wrong
    signature get one 401, byte for byte: nothing tells which tenants exist."""
    secret = ingest.set_source(services, tenant=acme.name, source=source)
    other = next(s for s in sorted(SAMPLES) if s != source)
    ingest.set_source(services, tenant=globex.name, source=other)  # not for this source
    payload = body(SAMPLES[source])
    good = signed_headers(source, secret, payload)
    (name,) = (k for k in good if "Timestamp" not in k)
    cases = {
        "a wrong signature": (
            "acme",
            {**good, name: signed_headers(source, "x" * 32, payload)[name]},
        ),
        "a malformed signature": ("acme", {**good, name: "md5"}),
        "no signature": ("acme", {k: v for k, v in good.items() if k != name}),
        "an unknown tenant": ("no-such-tenant", good),
        "an unknown tenant, unsigned": ("no-such-tenant", {}),
        "a tenant name no column holds": ("acme%00", good),
        "no secret for the source": (globex.name, good),
    }
    answers = {}
    for case, (tenant, headers) in cases.items():
        r = client.post(
            f"/api/v1/ingest/{source}?tenant={tenant}", content=payload, headers=headers
        )
        assert r.status_code == 401, (case, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        answers[case] = r.json()
    assert all(a == answers["an unknown tenant"] for a in answers.values()), answers
    error = answers["an unknown tenant"]["error"]
    assert error["code"] == "invalid_signature"
    assert error["message"] == str(ingest.refusal(source))
    assert name in error["message"]  # the header to check, the same for every tenant
    assert f"slaguard sources set {source}" in error["message"]
    for tenant in (acme, globex):
        assert tenant.get("/api/v1/tickets").json()["items"] == []

    # The signed request itself passes.
    r = client.post(f"/api/v1/ingest/{source}?tenant=acme", content=payload, headers=good)
    assert r.status_code == 201, r.text


def test_an_unknown_tenant_costs_a_signature_check_too(
    services: Services, client: TestClient, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal of an unknown tenant takes the work of a bad signature's: the request is
    checked against a stand-in secret."""
    checked: list[str] = []
    real = ingest.verify_signature

    def spy(source: str, headers: Any, payload: bytes, secret: str, *, now: datetime) -> None:
        checked.append(secret)
        real(source, headers, payload, secret, now=now)

    monkeypatch.setattr(ingest, "verify_signature", spy)
    secret = ingest.set_source(services, tenant=acme.name, source="jira")
    payload = body("jira_issue_created.json")
    for tenant in ("acme", "nobody"):
        r = client.post(
            f"/api/v1/ingest/jira?tenant={tenant}",
            content=payload,
            headers={"X-Hub-Signature": "sha256=" + "0" * 64},
        )
        assert r.status_code == 401
    assert len(checked) == 2
    assert checked[0] == secret
    assert checked[1] and checked[1] != secret


def test_a_signed_request_without_a_tenant_is_told_to_name_one(client: TestClient) -> None:
    r = client.post("/api/v1/ingest/jira", content=b"{}", headers={"X-Hub-Signature": "x"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"
    assert "?tenant=NAME" in r.json()["error"]["message"]


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


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_a_body_that_is_not_json_is_400_invalid_json(
    client: TestClient, acme: Tenant, source: str
) -> None:
    """As on the ticket routes (docs/api.md: 400 invalid_json, a malformed body)."""
    for payload in (b"{not json", b"", b"  ", b'{"a": NaN}', b"\xff\xfe\xfa", b"[" * 100_000):
        r = client.post(f"/api/v1/ingest/{source}", content=payload, headers=acme.headers())
        assert r.status_code == 400, (payload[:20], r.text)
        assert r.json()["error"]["code"] == "invalid_json"
    assert acme.get("/api/v1/tickets").json()["items"] == []


def test_a_payload_that_does_not_map_names_the_field(client: TestClient, acme: Tenant) -> None:
    r = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps({"ticket": "G-2", "type": "created", "at": "2026-11-23T09:00:00"}),
        headers=acme.headers(),
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_payload"
    assert [d["path"] for d in r.json()["error"]["details"]] == ["at"]


def _with_value(source: str, literal: str) -> tuple[bytes, str]:
    """A sample payload of `source` with the JSON `literal` in one of the fields it maps,
    and that field's path."""
    data = json.loads(body(SAMPLES[source]))
    field = {
        "zendesk": ("detail", "subject"),
        "jira": ("issue", "fields", "summary"),
        "freshdesk": ("freshdesk_webhook", "ticket_subject"),
        "generic": ("ticket", "team"),
    }[source]
    node = data
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = "@@value@@"
    return json.dumps(data).replace('"@@value@@"', literal).encode(), ".".join(field)


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_what_no_column_can_hold_is_422_naming_the_field_and_stores_nothing(
    services: Services, client: TestClient, acme: Tenant, source: str
) -> None:
    """The checks POST /api/v1/tickets makes of its body, on every source's body: on both
    databases, never a 201 that stores a NUL, never a 500."""
    secret = ingest.set_source(services, tenant=acme.name, source=source)
    for literal, message in [
        (r'"tier1\u0000x"', "NUL"),
        (r'"tier1\ud800x"', "unpaired surrogates"),
        (r'"tier1\udfffx"', "unpaired surrogates"),
        ("1e400", "too large"),
    ]:
        payload, path = _with_value(source, literal)
        for url, headers in [
            (f"/api/v1/ingest/{source}", acme.headers("agent")),
            (
                f"/api/v1/ingest/{source}?tenant={acme.name}",
                signed_headers(source, secret, payload),
            ),
        ]:
            r = client.post(url, content=payload, headers=headers)
            assert r.status_code == 422, (literal, url, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_payload"
            assert [d["path"] for d in error["details"]] == [path]
            assert message in error["message"]
    assert acme.get("/api/v1/tickets").json()["items"] == []


def test_a_body_over_8_mib_is_413_before_anything_else(client: TestClient, acme: Tenant) -> None:
    """docs/api.md: 413 for a body over 8 MiB, on the webhooks as on the ticket routes,
    before its signature is checked (a 9 MiB body with a garbage signature is 413)."""
    from slaguard.api.deps import MAX_BODY_BYTES

    event = {"ticket": "BIG-1", "type": "agent_reply", "at": "2026-11-23T10:00:00Z"}
    big = json.dumps({**event, "pad": "x" * (9 * 1024 * 1024)}).encode()
    assert len(big) > MAX_BODY_BYTES
    for source in sorted(SAMPLES):
        for url, headers in [
            (f"/api/v1/ingest/{source}", acme.headers("agent")),
            (f"/api/v1/ingest/{source}?tenant={acme.name}", {"X-Hub-Signature": "x"}),
        ]:
            for streamed in (False, True):
                content: Any = big
                if streamed:  # no Content-Length: the limit holds as the body is read
                    content = iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
                r = client.post(url, content=content, headers=headers)
                assert r.status_code == 413, (url, streamed, r.text[:200])
                assert r.json()["error"]["code"] == "too_large"
    assert acme.get("/api/v1/tickets").json()["items"] == []


def test_a_body_of_exactly_8_mib_is_read(client: TestClient, acme: Tenant) -> None:
    from slaguard.api.deps import MAX_BODY_BYTES

    event = {"ticket": "BIG-1", "id": "b1", "type": "created", "at": "2026-11-23T10:00:00Z"}
    text = json.dumps(event).encode()
    payload = text + b" " * (MAX_BODY_BYTES - len(text))
    r = client.post("/api/v1/ingest/generic", content=payload, headers=acme.headers("agent"))
    assert r.status_code == 201, r.text


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


def test_an_id_less_event_sent_by_the_api_and_by_the_generic_webhook_is_stored_once(
    client: TestClient, acme: Tenant
) -> None:
    """The generic format is slaguard's own event JSON: an event without an id gets the key
    the ticket API gives it, whichever way it comes first."""
    created = {"type": "created", "at": "2026-11-20T09:00:00+01:00"}
    r = acme.post("/api/v1/tickets", {"id": "IDL-1", "priority": "high", "events": [created]})
    assert r.status_code == 201, r.text

    reply = {"type": "customer_reply", "at": "2026-11-20T10:00:00+01:00"}
    api = acme.post("/api/v1/tickets/IDL-1/events", reply)
    assert api.status_code == 201, api.text
    key = api.json()["events"][0]["id"]
    assert key.startswith("h:")
    hook = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps({"ticket": "IDL-1", **reply}),
        headers=acme.headers("agent"),
    )
    assert hook.status_code == 200, hook.text  # nothing new
    assert hook.json()["events"] == [{"id": key, "created": False, "event": {"id": key, **reply}}]

    # The other way round, and in the list and ticket-with-events shapes.
    note = {"type": "internal_note", "at": "2026-11-20T10:30:00+01:00"}
    hook = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps([{"ticket": "IDL-1", **note}]),
        headers=acme.headers("agent"),
    )
    assert hook.status_code == 201, hook.text
    assert acme.post("/api/v1/tickets/IDL-1/events", note).status_code == 200
    hook = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps({"ticket": {"id": "IDL-1"}, "events": [note, reply]}),
        headers=acme.headers("agent"),
    )
    assert hook.status_code == 200, hook.text

    events = acme.get("/api/v1/tickets/IDL-1").json()["events"]
    assert [e["type"] for e in events] == ["created", "customer_reply", "internal_note"]


def test_a_ticket_created_by_the_generic_webhook_has_the_api_s_keys(
    client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    events = [
        {"type": "created", "at": "2026-11-20T09:00:00+01:00"},
        {"type": "agent_reply", "at": "2026-11-20T09:30:00+01:00", "public": True},
    ]
    hook = client.post(
        "/api/v1/ingest/generic",
        content=json.dumps({"ticket": {"id": "IDL-2", "priority": "high"}, "events": events}),
        headers=acme.headers("agent"),
    )
    assert hook.status_code == 201, hook.text
    api = globex.post("/api/v1/tickets", {"id": "IDL-2", "priority": "high", "events": events})
    assert api.status_code == 201, api.text
    assert [e["id"] for e in hook.json()["events"]] == [e["id"] for e in api.json()["events"]]


@pytest.mark.parametrize("source", ["zendesk", "jira", "freshdesk"])
def test_vendor_events_keep_their_vendor_keys(
    client: TestClient, acme: Tenant, source: str
) -> None:
    r = client.post(
        f"/api/v1/ingest/{source}", content=body(SAMPLES[source]), headers=acme.headers("agent")
    )
    assert r.status_code == 201, r.text
    keys = [e["id"] for e in r.json()["events"]]
    assert keys and all(k.startswith(f"{source}:") for k in keys), keys


def test_docs_show_the_refusal_as_it_is() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text()
    assert json.dumps(str(ingest.refusal("jira"))) in docs


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_webhook_waiting_on_the_database_does_not_hold_up_other_requests(
    client: TestClient, acme: Tenant, database_url: str
) -> None:
    """The webhook's write waits for the database's write lock, held here by another
    connection; meanwhile the same app answers /healthz (which only reads)."""
    import sqlite3
    import threading

    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    answers: list[httpx.Response] = []
    payload = {"ticket": "HOLD-1", "type": "created", "at": "2026-11-23T09:00:00Z"}
    hook = threading.Thread(
        target=lambda: answers.append(
            client.post(
                "/api/v1/ingest/generic",
                content=json.dumps(payload),
                headers=acme.headers("agent"),
            )
        )
    )
    hook.start()
    try:
        hook.join(0.5)
        assert hook.is_alive(), "the webhook should be waiting for the write lock"
        health = client.get("/healthz")
        assert health.status_code == 200
        assert hook.is_alive()  # answered while the webhook still waited
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        hook.join(30)
    assert [r.status_code for r in answers] == [201]
