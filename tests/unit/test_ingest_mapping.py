"""Webhook payloads -> ticket fields and event documents, for every source.

The sample payloads in tests/fixtures/webhooks follow the vendors' published webhook
formats; each has its expected mapping written out by hand below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from slaguard.config.model import load_config
from slaguard.domain.errors import SlaError
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import EventKind
from slaguard.ingest import (
    SOURCES,
    Ingested,
    UnknownSourceError,
    WebhookJsonError,
    WebhookPayloadError,
    parse_webhook,
)
from slaguard.schemas.ticket import parse_ticket

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "webhooks"


@pytest.fixture(scope="module")
def config() -> SlaConfig:
    return load_config(ROOT / "examples" / "slaguard.yaml")


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def payload(name: str) -> Any:
    return json.loads(raw(name))


def source_of(name: str) -> str:
    return name.split("_", 1)[0]


def ingest(name: str) -> Ingested:
    return parse_webhook(source_of(name), raw(name))


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def refused(source: str, data: Any | bytes) -> WebhookPayloadError:
    with pytest.raises(WebhookPayloadError) as info:
        parse_webhook(source, data if isinstance(data, bytes) else body(data))
    return info.value


# ---------------------------------------------------------------------------------------
# Expected mappings, by hand
# ---------------------------------------------------------------------------------------

ZENDESK_5158 = {
    "id": "5158",
    "source": "zendesk",
    "priority": "P2",
    "channel": "email",
    "team": "8447320466430",
    "assignee": "8447388090777",
    "subject": "Invoice export fails with error 500",
    "tags": ["billing", "export"],
    "created_at": "2026-11-23T08:00:00Z",
}
ZENDESK_5161 = {
    "id": "5161",
    "source": "zendesk",
    "priority": "P3",
    "team": "Billing",
    "account": "Acme GmbH",
    "channel": "portal",
    "tags": ["billing", "vat"],
    "subject": "Wrong VAT rate on invoice INV-2026-118",
    "created_at": "2026-11-23T09:00:00Z",
    "custom_fields": {"ticket_type": "question"},
}
JIRA_SUP17 = {
    "id": "SUP-17",
    "source": "jira",
    "priority": "P1",
    "subject": "VPN drops every few minutes",
}
FRESHDESK_2047 = {
    "id": "2047",
    "source": "freshdesk",
    "priority": "P1",
    "team": "Tier 1",
    "assignee": "ben@acme.example",
    "created_at": "2026-11-23T09:00:00+01:00",
}

EXPECTED: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "zendesk_ticket_created.json": (
        {
            **{k: v for k, v in ZENDESK_5158.items() if k != "assignee"},
            "account": "8447346622598",
            "description": "Since this morning the invoice export stops with error 500.",
            "custom_fields": {"ticket_type": "incident"},
        },
        [
            {
                "id": "zendesk:5158:created",
                "type": "created",
                "at": "2026-11-23T08:00:00Z",
                "status": "new",
            }
        ],
    ),
    "zendesk_status_changed.json": (
        {
            **ZENDESK_5158,
            "account": "8447346622598",
            "description": "Since this morning the invoice export stops with error 500.",
            "custom_fields": {"ticket_type": "incident"},
        },
        [
            {
                "id": "zendesk:5158:event:5a1f3e47-2c11-4b0e-9d2e-6f7a8b9c0d1e",
                "type": "status",
                "at": "2026-11-23T09:30:00.250000Z",
                "status": "on_hold",
            }
        ],
    ),
    "zendesk_priority_changed.json": (
        {
            **ZENDESK_5158,
            "priority": "P1",
            "account": "8447346622598",
            "description": "Since this morning the invoice export stops with error 500.",
            "custom_fields": {"ticket_type": "incident"},
        },
        [
            {
                "id": "zendesk:5158:event:9e8d7c6b-5a49-4382-a716-15f4e3d2c1b0",
                "type": "priority",
                "at": "2026-11-23T08:20:00Z",
                "priority": "P1",
            }
        ],
    ),
    "zendesk_comment_added_public.json": (
        {
            **ZENDESK_5158,
            "account": "8447346622598",
            "custom_fields": {"ticket_type": "incident"},
        },
        [
            {
                "id": "zendesk:5158:comment:8447391447198",
                "type": "agent_reply",
                "at": "2026-11-23T08:25:00Z",
                "public": True,
            }
        ],
    ),
    "zendesk_comment_added_private.json": (
        ZENDESK_5158,
        [
            {
                "id": "zendesk:5158:comment:8447391447255",
                "type": "agent_reply",
                "at": "2026-11-23T08:40:00Z",
                "public": False,
            }
        ],
    ),
    "zendesk_comment_added_customer.json": (
        ZENDESK_5158,
        [
            {
                "id": "zendesk:5158:comment:8447391447301",
                "type": "customer_reply",
                "at": "2026-11-23T10:05:00Z",
            }
        ],
    ),
    "zendesk_agent_assignment_changed.json": (
        ZENDESK_5158,
        [
            {
                "id": "zendesk:5158:event:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                "type": "assigned",
                "at": "2026-11-23T08:10:00Z",
                "assignee": "8447388090777",
            }
        ],
    ),
    "zendesk_trigger_created.json": (
        {
            **ZENDESK_5161,
            "description": "Our November invoice charges 19% VAT although we are exempt.",
        },
        [
            {
                "id": "zendesk:5161:created",
                "type": "created",
                "at": "2026-11-23T09:00:00Z",
                "status": "new",
            }
        ],
    ),
    "zendesk_trigger_updated.json": (
        {**ZENDESK_5161, "priority": "P2", "assignee": "ben@acme.example"},
        [
            {
                "id": "zendesk:5161:status:2026-11-23T10:40:00Z",
                "type": "status",
                "at": "2026-11-23T10:40:00Z",
                "status": "pending",
            },
            {
                "id": "zendesk:5161:priority:2026-11-23T10:40:00Z",
                "type": "priority",
                "at": "2026-11-23T10:40:00Z",
                "priority": "P2",
            },
            {
                "id": "zendesk:5161:comment:9911",
                "type": "agent_reply",
                "at": "2026-11-23T10:40:00Z",
                "public": True,
            },
        ],
    ),
    "jira_issue_created.json": (
        {
            **JIRA_SUP17,
            "priority": "P2",
            "category": "Network",
            "tags": ["vpn", "emea"],
            "description": (
                "Since the client update this morning the VPN disconnects every five minutes."
            ),
            "created_at": "2026-11-23T09:00:00+01:00",
            "custom_fields": {"ticket_type": "Incident", "project": "SUP"},
        },
        [
            {
                "id": "jira:SUP-17:created",
                "type": "created",
                "at": "2026-11-23T09:00:00+01:00",
                "status": "open",
            }
        ],
    ),
    "jira_issue_updated.json": (
        {
            **JIRA_SUP17,
            "assignee": "5b10ac8d82e05b22cc7d4ef5",
            "category": "Network",
            "tags": ["vpn", "emea", "outage"],
            "created_at": "2026-11-23T09:00:00+01:00",
            "custom_fields": {"ticket_type": "Incident", "project": "SUP"},
        },
        [
            {
                "id": "jira:SUP-17:changelog:10150:status",
                "type": "status",
                "at": "2026-11-23T09:15:00.456000Z",
                "status": "pending",
            },
            {
                "id": "jira:SUP-17:changelog:10150:priority",
                "type": "priority",
                "at": "2026-11-23T09:15:00.456000Z",
                "priority": "P1",
            },
            {
                "id": "jira:SUP-17:changelog:10150:assignee",
                "type": "assigned",
                "at": "2026-11-23T09:15:00.456000Z",
                "assignee": "5b10ac8d82e05b22cc7d4ef5",
            },
        ],
    ),
    "jira_comment_created_public.json": (
        {
            **JIRA_SUP17,
            "assignee": "5b10ac8d82e05b22cc7d4ef5",
            "custom_fields": {"ticket_type": "Incident", "project": "SUP"},
        },
        [
            {
                "id": "jira:SUP-17:comment:10071",
                "type": "agent_reply",
                "at": "2026-11-23T10:20:00+01:00",
                "public": True,
            }
        ],
    ),
    "jira_comment_created_internal.json": (
        JIRA_SUP17,
        [
            {
                "id": "jira:SUP-17:comment:10072",
                "type": "agent_reply",
                "at": "2026-11-23T10:30:00+01:00",
                "public": False,
            }
        ],
    ),
    "jira_comment_created_customer.json": (
        JIRA_SUP17,
        [
            {
                "id": "jira:SUP-17:comment:10075",
                "type": "customer_reply",
                "at": "2026-11-23T12:00:00+01:00",
            }
        ],
    ),
    "freshdesk_ticket_created.json": (
        {
            "id": "2047",
            "source": "freshdesk",
            "priority": "P2",
            "channel": "email",
            "team": "Tier 1",
            "account": "Customer GmbH",
            "tags": ["login", "portal"],
            "subject": "Cannot log in to the customer portal",
            "description": "<div>The password reset mail never arrives.</div>",
            "created_at": "2026-11-23T09:00:00+01:00",
            "custom_fields": {"ticket_type": "problem"},
        },
        [
            {
                "id": "freshdesk:2047:created",
                "type": "created",
                "at": "2026-11-23T09:00:00+01:00",
                "status": "open",
            }
        ],
    ),
    "freshdesk_status_changed.json": (
        {
            **FRESHDESK_2047,
            "priority": "P2",
            "channel": "email",
            "account": "Customer GmbH",
            "tags": ["login", "portal"],
            "subject": "Cannot log in to the customer portal",
            "custom_fields": {"ticket_type": "problem"},
        },
        [
            {
                "id": "freshdesk:2047:status:2026-11-23T08:45:00Z",
                "type": "status",
                "at": "2026-11-23T09:45:00+01:00",
                "status": "pending",
            }
        ],
    ),
    "freshdesk_priority_changed.json": (
        {
            **FRESHDESK_2047,
            "channel": "email",
            "subject": "Cannot log in to the customer portal",
        },
        [
            {
                "id": "freshdesk:2047:priority:2026-11-23T08:20:00Z",
                "type": "priority",
                "at": "2026-11-23T09:20:00+01:00",
                "priority": "P1",
            }
        ],
    ),
    "freshdesk_reply_sent.json": (
        FRESHDESK_2047,
        [
            {
                "id": "freshdesk:2047:reply:2026-11-23T08:25:00Z",
                "type": "agent_reply",
                "at": "2026-11-23T09:25:00+01:00",
                "public": True,
            }
        ],
    ),
    "freshdesk_note_private.json": (
        FRESHDESK_2047,
        [
            {
                "id": "freshdesk:2047:note:2026-11-23T08:30:00Z",
                "type": "agent_reply",
                "at": "2026-11-23T09:30:00+01:00",
                "public": False,
            }
        ],
    ),
    "freshdesk_reply_customer.json": (
        FRESHDESK_2047,
        [
            {
                "id": "freshdesk:2047:note:2026-11-23T10:05:00Z",
                "type": "customer_reply",
                "at": "2026-11-23T11:05:00+01:00",
            }
        ],
    ),
    "generic_event.json": (
        {"id": "T-1042", "source": "generic"},
        [
            {
                "id": "crm-7781-call-1",
                "type": "callback_requested",
                "at": "2026-11-23T11:00:00+01:00",
            }
        ],
    ),
    "generic_events_list.json": (
        {"id": "T-1042", "source": "generic"},
        [
            {
                "id": "h:84c75c96c2e6074ccf65dc8c3faa10645d4041b1",
                "type": "customer_reply",
                "at": "2026-11-23T15:10:00+01:00",
            },
            {
                "id": "h:31938857b9cb29ef178cd6860d43e6bc3ea7bf6f",
                "type": "status",
                "at": "2026-11-23T15:10:00+01:00",
                "status": "open",
            },
            {"id": "ext-88", "type": "csat", "at": "2026-11-24T13:00:00+01:00", "score": 5},
        ],
    ),
    "generic_ticket_with_events.json": (
        {
            "id": "T-1042",
            "source": "generic",
            "type": "support",
            "priority": "medium",
            "tier": "business",
            "channel": "email",
            "team": "tier1",
            "assignee": "li",
            "tags": ["invoice", "vat"],
            "custom_fields": {"region": "emea"},
            "subject": "Invoice shows the wrong VAT rate",
            "created_at": "2026-11-23T09:00:00+01:00",
        },
        [
            {"id": "e1", "type": "created", "at": "2026-11-23T09:00:00+01:00", "status": "new"},
            {
                "id": "h:1d03a36f7c66eef6b3feaf143563c851e5ccb730",
                "type": "agent_reply",
                "at": "2026-11-23T10:40:00+01:00",
                "public": True,
            },
        ],
    ),
}

CREATED = [
    "zendesk_ticket_created.json",
    "zendesk_trigger_created.json",
    "jira_issue_created.json",
    "freshdesk_ticket_created.json",
    "generic_ticket_with_events.json",
]


def test_every_sample_payload_has_an_expectation() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)
    assert {source_of(name) for name in EXPECTED} == set(SOURCES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_sample_payload_maps_to_its_ticket_fields_and_events(name: str) -> None:
    ticket, events = EXPECTED[name]
    result = ingest(name)
    assert result.ticket == ticket
    assert result.events == events


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_redelivered_webhook_maps_to_the_same_keys(name: str) -> None:
    first = ingest(name)
    again = parse_webhook(source_of(name), json.dumps(payload(name), indent=4).encode())
    assert again == first
    ids = [e["id"] for e in first.events]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and i for i in ids)


@pytest.mark.parametrize("name", CREATED)
def test_a_created_payload_is_a_valid_ticket_document(name: str, config: SlaConfig) -> None:
    result = ingest(name)
    ticket = parse_ticket(result.ticket | {"events": result.events}, config)
    assert ticket.id == result.ticket["id"]
    assert ticket.fields["source"] == source_of(name)
    assert ticket.events[0].kind is EventKind.CREATED


@pytest.mark.parametrize(
    ("source", "ticket_id"),
    [("zendesk", "5158"), ("zendesk", "5161"), ("jira", "SUP-17"), ("freshdesk", "2047")],
)
def test_a_vendor_tickets_history_is_a_valid_ticket_document(
    source: str, ticket_id: str, config: SlaConfig
) -> None:
    results = [ingest(p.name) for p in sorted(FIXTURES.glob(f"{source}_*.json"))]
    mine = [r for r in results if r.ticket["id"] == ticket_id]
    created = next(r for r in mine if any(e["type"] == "created" for e in r.events))
    events = [e for r in mine for e in r.events]
    ticket = parse_ticket(created.ticket | {"events": events}, config)
    assert len(ticket.events) == len(events)
    assert {e.id for e in ticket.events} == {e["id"] for e in events}


def test_an_update_with_several_changes_gives_several_events_at_one_instant() -> None:
    events = ingest("jira_issue_updated.json").events
    assert [e["type"] for e in events] == ["status", "priority", "assigned"]
    assert len({e["at"] for e in events}) == 1


def test_a_same_comment_seen_by_two_jira_events_has_one_key() -> None:
    updated = payload("jira_issue_updated.json")
    comment = payload("jira_comment_created_public.json")["comment"]
    updated["comment"] = comment
    del updated["changelog"]
    events = parse_webhook("jira", body(updated)).events
    assert events == ingest("jira_comment_created_public.json").events


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(UnknownSourceError, match="servicenow") as info:
        parse_webhook("servicenow", b"{}")
    assert info.value.http_status == 404


# ---------------------------------------------------------------------------------------
# Vocabulary: statuses, priorities, authors
# ---------------------------------------------------------------------------------------


def zendesk_change(kind: str, current: Any) -> dict[str, Any]:
    data: dict[str, Any] = payload("zendesk_status_changed.json")
    data["type"] = f"zen:event-type:ticket.{kind}"
    data["event"] = {"current": current, "previous": None}
    return data


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("NEW", "new"),
        ("OPEN", "open"),
        ("PENDING", "pending"),
        ("HOLD", "on_hold"),
        ("SOLVED", "solved"),
        ("CLOSED", "closed"),
    ],
)
def test_zendesk_statuses(status: str, expected: str) -> None:
    events = parse_webhook("zendesk", body(zendesk_change("status_changed", status))).events
    assert [e["status"] for e in events] == [expected]


@pytest.mark.parametrize(
    ("priority", "expected"),
    [("URGENT", "P1"), ("HIGH", "P2"), ("NORMAL", "P3"), ("LOW", "P4")],
)
def test_zendesk_priorities(priority: str, expected: str) -> None:
    events = parse_webhook("zendesk", body(zendesk_change("priority_changed", priority))).events
    assert [e["priority"] for e in events] == [expected]


def test_a_cleared_zendesk_priority_gives_no_event() -> None:
    data = zendesk_change("priority_changed", None)
    data["detail"]["priority"] = None
    result = parse_webhook("zendesk", body(data))
    assert result.events == []
    assert "priority" not in result.ticket


@pytest.mark.parametrize(
    ("kind", "current", "event"),
    [
        ("group_assignment_changed", "900", {"type": "assigned", "team": "900"}),
        ("agent_assignment_changed", None, {"type": "assigned", "assignee": None}),
        ("problem_link_changed", "5100", {"type": "caused_by", "cause": "5100"}),
        ("tags_changed", None, {"type": "field", "name": "tags", "value": ["billing", "export"]}),
    ],
)
def test_zendesk_other_changes(kind: str, current: Any, event: dict[str, Any]) -> None:
    (mapped,) = parse_webhook("zendesk", body(zendesk_change(kind, current))).events
    assert {k: v for k, v in mapped.items() if k not in {"id", "at"}} == event


def test_other_zendesk_ticket_events_update_fields_only() -> None:
    data = zendesk_change("subject_changed", "New subject")
    result = parse_webhook("zendesk", body(data))
    assert result.events == []
    assert result.ticket["subject"] == "Invoice export fails with error 500"


def test_a_zendesk_comment_author_may_be_given_by_role() -> None:
    data = payload("zendesk_comment_added_customer.json")
    data["event"]["comment"]["author"] = {"id": "1", "role": "end-user"}
    assert parse_webhook("zendesk", body(data)).events[0]["type"] == "customer_reply"
    data["event"]["comment"]["author"] = {"id": "2", "role": "admin"}
    assert parse_webhook("zendesk", body(data)).events[0]["type"] == "agent_reply"


@pytest.mark.parametrize(
    ("via", "channel"),
    [
        ("Mail", "email"),
        ("Web Form", "portal"),
        ("Web service", "api"),
        ("Chat", "chat"),
        ("Phone call (incoming)", "phone"),
        ("Twitter", "twitter"),
    ],
)
def test_zendesk_channels(via: str, channel: str) -> None:
    data = payload("zendesk_trigger_created.json")
    data["ticket"]["via"] = via
    assert parse_webhook("zendesk", body(data)).ticket["channel"] == channel


def test_a_zendesk_trigger_without_event_is_created_when_never_updated() -> None:
    data = payload("zendesk_trigger_created.json")
    del data["event"]
    assert [e["type"] for e in parse_webhook("zendesk", body(data)).events] == ["created"]
    data["ticket"]["updated_at"] = "2026-11-23T09:05:00Z"
    data["ticket"]["priority"] = "-"  # what the placeholder renders for no priority
    events = parse_webhook("zendesk", body(data)).events
    assert [(e["type"], e["at"]) for e in events] == [("status", "2026-11-23T09:05:00Z")]


def jira_status_change(to: str, current: str | None = None, category: str = "new") -> bytes:
    data = payload("jira_issue_updated.json")
    data["changelog"]["items"] = [
        {"field": "status", "fieldId": "status", "to": "1", "toString": to}
    ]
    data["issue"]["fields"]["status"] = {
        "name": current or to,
        "id": "1",
        "statusCategory": {"key": category},
    }
    return body(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Waiting for customer", "pending"),
        ("Waiting for support", "open"),
        ("In Progress", "open"),
        ("Resolved", "solved"),
        ("Done", "solved"),
        ("Closed", "closed"),
        ("Pending", "on_hold"),
        ("Waiting for third party", "on_hold"),
        ("To Do", "new"),
    ],
)
def test_jira_statuses(name: str, expected: str) -> None:
    (event,) = parse_webhook("jira", jira_status_change(name)).events
    assert event["status"] == expected


@pytest.mark.parametrize(
    ("category", "expected"), [("new", "new"), ("indeterminate", "open"), ("done", "solved")]
)
def test_an_unknown_jira_status_falls_back_on_its_category(category: str, expected: str) -> None:
    (event,) = parse_webhook("jira", jira_status_change("Triage", category=category)).events
    assert event["status"] == expected


def test_an_unknown_jira_status_without_its_category_is_refused() -> None:
    err = refused("jira", jira_status_change("Triage", current="Waiting for customer"))
    assert err.path == "changelog.items[0].toString"
    assert "unknown Jira status 'Triage'" in str(err)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Highest", "P1"), ("High", "P2"), ("Medium", "P3"), ("Low", "P4"), ("Lowest", "P4")],
)
def test_jira_priorities(name: str, expected: str) -> None:
    data = payload("jira_issue_created.json")
    data["issue"]["fields"]["priority"]["name"] = name
    assert parse_webhook("jira", body(data)).ticket["priority"] == expected


def test_a_jira_comment_by_the_reporter_is_a_customer_reply() -> None:
    data = payload("jira_comment_created_public.json")
    data["issue"]["fields"]["reporter"] = {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
    assert parse_webhook("jira", body(data)).events[0]["type"] == "customer_reply"


def test_a_restricted_jira_comment_outside_jsm_is_internal() -> None:
    data = payload("jira_comment_created_public.json")
    del data["comment"]["jsdPublic"]
    assert parse_webhook("jira", body(data)).events[0]["public"] is True
    data["comment"]["visibility"] = {"type": "role", "value": "Developers"}
    assert parse_webhook("jira", body(data)).events[0]["public"] is False


def test_other_jira_events_are_skipped_naming_the_issue() -> None:
    """Not mapped: nothing to store and no ticket to create, whatever the issue says."""
    data = payload("jira_comment_created_public.json")
    data["webhookEvent"] = "comment_updated"
    result = parse_webhook("jira", body(data))
    assert result.events == []
    assert result.ticket == {"id": data["issue"]["key"]}
    assert result.skipped is not None and "comment_updated is not mapped" in result.skipped


def freshdesk(triggered: str, **fields: Any) -> bytes:
    data = payload("freshdesk_status_changed.json")
    data["freshdesk_webhook"]["triggered_event"] = triggered
    data["freshdesk_webhook"].update(fields)
    return body(data)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (2, "open"),
        (3, "pending"),
        (4, "solved"),
        (5, "closed"),
        ("Resolved", "solved"),
        ("Waiting on Customer", "pending"),
        ("Waiting on Third Party", "on_hold"),
    ],
)
def test_freshdesk_statuses(status: Any, expected: str) -> None:
    # without a `to` in the triggered event, the ticket's status is the new one
    (event,) = parse_webhook(
        "freshdesk", freshdesk("{status:{from:Open}}", ticket_status=status)
    ).events
    assert event["status"] == expected


def test_the_freshdesk_events_own_target_status_wins() -> None:
    result = parse_webhook("freshdesk", freshdesk("{status:{from:Open,to:Closed}}"))
    assert [e["status"] for e in result.events] == ["closed"]


@pytest.mark.parametrize(
    ("priority", "expected"),
    [(4, "P1"), (3, "P2"), (2, "P3"), (1, "P4"), ("Urgent", "P1"), ("low", "P4")],
)
def test_freshdesk_priorities(priority: Any, expected: str) -> None:
    result = parse_webhook("freshdesk", freshdesk("{due_by:changed}", ticket_priority=priority))
    assert result.ticket["priority"] == expected
    assert result.events == []  # an event slaguard does not map: fields only


def test_a_freshdesk_triggered_event_may_be_a_json_object() -> None:
    data = payload("freshdesk_status_changed.json")
    data["freshdesk_webhook"]["triggered_event"] = {"status": {"from": "Open", "to": "Closed"}}
    (event,) = parse_webhook("freshdesk", body(data)).events
    assert event["status"] == "closed"


@pytest.mark.parametrize(
    ("triggered", "event"),
    [
        ("{responder_id:{from:1,to:2}}", {"type": "assigned", "assignee": "ben@acme.example"}),
        ("{group_id:{from:1,to:2}}", {"type": "assigned", "team": "Tier 1"}),
        ("{note_type:public}", {"type": "agent_reply", "public": True}),
    ],
)
def test_freshdesk_other_events(triggered: str, event: dict[str, Any]) -> None:
    (mapped,) = parse_webhook("freshdesk", freshdesk(triggered)).events
    assert {k: v for k, v in mapped.items() if k not in {"id", "at"}} == event


def test_a_freshdesk_payload_without_the_wrapper_is_read_the_same() -> None:
    inner = payload("freshdesk_status_changed.json")["freshdesk_webhook"]
    assert parse_webhook("freshdesk", body(inner)) == ingest("freshdesk_status_changed.json")


# ---------------------------------------------------------------------------------------
# Malformed payloads: each refused, naming the field
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the body is empty"),
        (b"{not json", "the body is not valid JSON"),
        (b'{"a": NaN}', "the body is not valid JSON"),
        (b"\xff\xfe\xfa", "the body is not"),
    ],
)
def test_a_body_that_is_not_json_is_refused(source: str, data: bytes, message: str) -> None:
    err = refused(source, data)
    assert isinstance(err, WebhookJsonError)
    assert err.path == ""
    assert message in str(err)
    assert isinstance(err, SlaError)
    # As a malformed body on the ticket routes: 400 invalid_json.
    assert err.code == "invalid_json"
    assert err.http_status == 400


@pytest.mark.parametrize(
    ("name", "field", "path"),
    [
        ("generic_ticket_with_events.json", ("ticket", "team"), "ticket.team"),
        ("generic_events_list.json", (1, "status"), "[1].status"),
        ("zendesk_ticket_created.json", ("detail", "subject"), "detail.subject"),
        ("zendesk_trigger_created.json", ("ticket", "title"), "ticket.title"),
        ("jira_issue_created.json", ("issue", "fields", "summary"), "issue.fields.summary"),
        (
            "freshdesk_ticket_created.json",
            ("freshdesk_webhook", "ticket_subject"),
            "freshdesk_webhook.ticket_subject",
        ),
    ],
)
@pytest.mark.parametrize(
    ("bad", "message"),
    [("\x00", "NUL"), ("\ud800", "unpaired surrogates")],
    ids=["NUL", "lone surrogate"],
)
def test_text_no_column_can_hold_is_refused_naming_its_field(
    name: str, field: tuple[str | int, ...], path: str, bad: str, message: str
) -> None:
    """The checks the ticket API makes of its bodies (`check_storable`), for every source."""
    data = payload(name)
    node = data
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = f"before{bad}after"
    err = refused(source_of(name), body(data))
    assert err.code == "invalid_payload"
    assert err.http_status == 422
    assert err.path == path
    assert message in str(err)


def test_a_key_with_nul_and_too_deep_a_body_are_refused() -> None:
    err = refused(
        "generic", {"ticket": "T-1", "type": "created", "at": "2026-11-23T09:00:00Z", "x\x00": 1}
    )
    assert err.path == "x\\u0000"  # the key written out, so the error can be sent
    deep: Any = "leaf"
    for _ in range(70):
        deep = {"a": deep}
    err = refused("jira", {"webhookEvent": "jira:issue_created", "nested": deep})
    assert "nested deeper than" in str(err)


def test_generic_keys_id_less_events_as_the_ticket_api_does() -> None:
    """The generic format is slaguard's own event JSON: an event without an id gets the key
    POST /api/v1/tickets/{id}/events gives it, so sent both ways it is stored once."""
    from slaguard.app.tickets import _keyed

    event = {"type": "customer_reply", "at": "2026-11-23T15:10:00+01:00", "channel": "email"}
    api_key = _keyed("T-9", event, 0)["id"]
    assert api_key.startswith("h:")
    for shape in (
        {"ticket": "T-9", **event},
        [{"ticket": "T-9", **event}],
        {"ticket": {"id": "T-9"}, "events": [event]},
        {"ticket": {"id": "T-9"}, "events": [{"ticket": "T-9", **event}]},
    ):
        (mapped,) = parse_webhook("generic", body(shape)).events
        assert mapped["id"] == api_key, shape
    # An explicit "id": null is part of the content, for the API too.
    nulled = {**event, "id": None}
    (mapped,) = parse_webhook("generic", body({"ticket": "T-9", **nulled})).events
    assert mapped["id"] == _keyed("T-9", nulled, 0)["id"]
    # The same event of another ticket is another event.
    (other,) = parse_webhook("generic", body({"ticket": "T-10", **event})).events
    assert other["id"] != api_key


@pytest.mark.parametrize("source", ["zendesk", "jira", "freshdesk"])
def test_a_list_body_is_refused_where_an_object_is_expected(source: str) -> None:
    err = refused(source, [{"id": 1}])
    assert err.path == ""
    assert "the body must be a JSON object, got a list" in str(err)


@pytest.mark.parametrize(
    ("name", "edit", "path", "message"),
    [
        (
            "zendesk_ticket_created.json",
            lambda d: d.update(detail=[]),
            "detail",
            "expected a JSON object, got a list",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d["detail"].pop("id"),
            "detail.id",
            "required: the ticket id",
        ),
        (
            "zendesk_status_changed.json",
            lambda d: d.pop("id"),
            "id",
            "required: the Zendesk event id",
        ),
        (
            "zendesk_status_changed.json",
            lambda d: d.update(time="2026-11-23 soon"),
            "time",
            "expected an ISO-8601 time",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d["detail"].update(created_at="2026-11-23T08:00:00"),
            "detail.created_at",
            "has no time zone offset",
        ),
        (
            "zendesk_status_changed.json",
            lambda d: d["event"].update(current="DELETED"),
            "event.current",
            "unknown Zendesk status 'DELETED'",
        ),
        (
            "zendesk_priority_changed.json",
            lambda d: d["event"].update(current="BLOCKER"),
            "event.current",
            "unknown Zendesk priority 'BLOCKER'",
        ),
        (
            "zendesk_comment_added_public.json",
            lambda d: d["event"]["comment"].pop("id"),
            "event.comment.id",
            "required: the comment id",
        ),
        (
            "zendesk_comment_added_public.json",
            lambda d: d["event"]["comment"]["author"].pop("is_staff"),
            "event.comment.author.role",
            "required: the author's role",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d.update(type="zen:event-type:user.created"),
            "type",
            "only ticket events are mapped",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d.pop("type"),
            "type",
            "expected a Zendesk event webhook",
        ),
        (
            "zendesk_trigger_created.json",
            lambda d: d["ticket"].update(id=""),
            "ticket.id",
            "required: the ticket id (a non-empty string or an integer), got an empty string",
        ),
        (
            "zendesk_trigger_created.json",
            lambda d: d["ticket"].update(created_at="today"),
            "ticket.created_at",
            "expected an ISO-8601 time",
        ),
        (
            "zendesk_trigger_updated.json",
            lambda d: d["ticket"].update(status="Escalated"),
            "ticket.status",
            "unknown Zendesk status 'Escalated'",
        ),
        (
            "zendesk_trigger_updated.json",
            lambda d: d["ticket"]["latest_comment"].pop("author_role"),
            "ticket.latest_comment.author_role",
            "required",
        ),
        (
            "zendesk_trigger_updated.json",
            lambda d: d["ticket"]["latest_comment"].update(is_public="yes"),
            "ticket.latest_comment.is_public",
            "expected true or false",
        ),
        (
            "zendesk_trigger_updated.json",
            lambda d: d.update(event="deleted"),
            "event",
            "expected created or updated",
        ),
        (
            "jira_issue_created.json",
            lambda d: d["issue"].pop("key"),
            "issue.key",
            "required: the issue key",
        ),
        (
            "jira_issue_created.json",
            lambda d: d.pop("issue"),
            "issue",
            "required: a JSON object",
        ),
        (
            "jira_issue_created.json",
            lambda d: d.pop("webhookEvent"),
            "webhookEvent",
            "required",
        ),
        (
            "jira_issue_created.json",
            lambda d: d["issue"]["fields"].update(created="2026-13-01T00:00:00.000+0000"),
            "issue.fields.created",
            "expected an ISO-8601 time",
        ),
        (
            "jira_issue_created.json",
            lambda d: d["issue"]["fields"]["priority"].update(name="Meh"),
            "issue.fields.priority.name",
            "unknown Jira priority 'Meh'",
        ),
        (
            "jira_issue_updated.json",
            lambda d: d.update(timestamp="soon"),
            "timestamp",
            "expected an ISO-8601 time",
        ),
        (
            "jira_issue_updated.json",
            lambda d: d.update(timestamp=1e300),
            "timestamp",
            "out of range",
        ),
        (
            "jira_issue_updated.json",
            lambda d: d["changelog"].update(items={"field": "status"}),
            "changelog.items",
            "expected a list, got an object",
        ),
        (
            "jira_issue_updated.json",
            lambda d: d["changelog"].pop("id"),
            "changelog.id",
            "required: the changelog id",
        ),
        (
            "jira_comment_created_public.json",
            lambda d: d["comment"].pop("created"),
            "comment.created",
            "required",
        ),
        (
            "jira_comment_created_public.json",
            lambda d: d["issue"]["fields"].update(labels=[1, 2]),
            "issue.fields.labels[0]",
            "expected a string, got a number",
        ),
        (
            "freshdesk_ticket_created.json",
            lambda d: d["freshdesk_webhook"].pop("ticket_id"),
            "freshdesk_webhook.ticket_id",
            "required: the Freshdesk ticket id",
        ),
        (
            "freshdesk_ticket_created.json",
            lambda d: d.update(freshdesk_webhook=[]),
            "freshdesk_webhook",
            "expected a JSON object, got a list",
        ),
        (
            "freshdesk_ticket_created.json",
            lambda d: d["freshdesk_webhook"].update(ticket_created_at="yesterday"),
            "freshdesk_webhook.ticket_created_at",
            "expected an ISO-8601 time",
        ),
        (
            "freshdesk_status_changed.json",
            lambda d: d["freshdesk_webhook"].pop("ticket_updated_at"),
            "freshdesk_webhook.ticket_updated_at",
            "required",
        ),
        (
            "freshdesk_status_changed.json",
            lambda d: d["freshdesk_webhook"].pop("triggered_event"),
            "freshdesk_webhook.triggered_event",
            "required",
        ),
        (
            "freshdesk_status_changed.json",
            lambda d: d["freshdesk_webhook"].update(ticket_status=9),
            "freshdesk_webhook.ticket_status",
            "unknown Freshdesk status '9'",
        ),
        (
            "freshdesk_status_changed.json",
            lambda d: d["freshdesk_webhook"].update(triggered_event="{status:{to:Snoozed}}"),
            "freshdesk_webhook.triggered_event",
            "unknown Freshdesk status 'Snoozed'",
        ),
        (
            "freshdesk_priority_changed.json",
            lambda d: d["freshdesk_webhook"].update(ticket_priority=5),
            "freshdesk_webhook.ticket_priority",
            "unknown Freshdesk priority '5'",
        ),
        (
            "freshdesk_note_private.json",
            lambda d: d["freshdesk_webhook"].update(triggered_event="{note_type:shared}"),
            "freshdesk_webhook.triggered_event",
            "expected note_type public or private",
        ),
        (
            "generic_event.json",
            lambda d: d.pop("ticket"),
            "ticket",
            "required: the ticket id",
        ),
        (
            "generic_event.json",
            lambda d: d.update(at="2026-11-23T11:00:00"),
            "at",
            "has no time zone offset",
        ),
        (
            "generic_event.json",
            lambda d: d.update(type="escalated"),
            "type",
            "expected an event type",
        ),
        (
            "generic_event.json",
            lambda d: d.update(id=7),
            "id",
            "expected a non-empty string",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["ticket"].pop("id"),
            "ticket.id",
            "required: the ticket id",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d.update(events={"type": "created"}),
            "events",
            "expected a list",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["events"][1].update(at="later"),
            "events[1].at",
            "expected an ISO-8601 time",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["events"][1].update(ticket="T-9"),
            "events[1].ticket",
            "differs from the ticket's id",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d.update(extra=1),
            "extra",
            "unknown field",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["ticket"].update(events=[]),
            "ticket.events",
            "give the events at the top level",
        ),
        (
            "generic_events_list.json",
            lambda d: d[2].update(ticket="T-9"),
            "[2].ticket",
            "all the events of one body must be of one ticket",
        ),
        (
            "generic_events_list.json",
            lambda d: d.append("created"),
            "[3]",
            "expected a JSON object, got a string",
        ),
        # instants outside the years the service stores, even without a date (year 0 UTC)
        (
            "generic_event.json",
            lambda d: d.update(at="0001-01-01T00:30:00+01:00"),
            "at",
            "outside the years the service accepts (1990 to 2099)",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["events"][1].update(at="2100-01-01T00:00:00Z"),
            "events[1].at",
            "outside the years the service accepts (1990 to 2099)",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d["detail"].update(created_at="0001-01-01T00:30:00+01:00"),
            "detail.created_at",
            "outside the years the service accepts (1990 to 2099)",
        ),
        (
            "jira_issue_updated.json",
            lambda d: d.update(timestamp=0),
            "timestamp",
            "outside the years the service accepts (1990 to 2099)",
        ),
        # a ticket id is one segment of the API's URLs
        (
            "generic_event.json",
            lambda d: d.update(ticket="INC/42"),
            "ticket",
            "may not contain '/'",
        ),
        (
            "generic_ticket_with_events.json",
            lambda d: d["ticket"].update(id="INC/42"),
            "ticket.id",
            "may not contain '/'",
        ),
        (
            "generic_events_list.json",
            lambda d: [e.update(ticket="x" * 201) for e in d],
            "[0].ticket",
            "at most 200 characters",
        ),
        (
            "jira_issue_created.json",
            lambda d: d["issue"].update(key="OPS/7"),
            "issue.key",
            "may not contain '/'",
        ),
        (
            "zendesk_trigger_created.json",
            lambda d: d["ticket"].update(id="51/58"),
            "ticket.id",
            "may not contain '/'",
        ),
        (
            "freshdesk_ticket_created.json",
            lambda d: d["freshdesk_webhook"].update(ticket_id="7/1"),
            "freshdesk_webhook.ticket_id",
            "may not contain '/'",
        ),
        # text no column can hold: the generic body by its own paths, a vendor's by the
        # field it maps to
        (
            "generic_event.json",
            lambda d: d.update(actor="a\ud800"),
            "actor",
            "unpaired surrogates",
        ),
        (
            "generic_event.json",
            lambda d: d.update({"\ud800": 1}),
            "\\ud800",
            "unpaired surrogates",
        ),
        (
            "generic_event.json",
            lambda d: d.update(ticket="T-\ud800"),
            "ticket",
            "unpaired surrogates",
        ),
        (
            "generic_events_list.json",
            lambda d: d[1].update(actor="a\x00b"),
            "[1].actor",
            "NUL",
        ),
        (
            "zendesk_ticket_created.json",
            lambda d: d["detail"].update(description="a\x00b"),
            "detail.description",
            "NUL",
        ),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(
    name: str, edit: Any, path: str, message: str
) -> None:
    data = payload(name)
    edit(data)
    err = refused(source_of(name), data)
    assert err.path == path
    assert str(err).startswith(f"{path}: ")
    assert message in str(err)


def test_an_empty_generic_list_is_refused() -> None:
    err = refused("generic", [])
    assert err.path == ""
    assert "empty list" in str(err)


def test_text_a_vendor_payload_does_not_map_is_checked_too() -> None:
    """The whole body is checked before it is mapped, named by its own paths."""
    data = payload("zendesk_ticket_created.json")
    data["detail"]["brand_id"] = "a\x00"
    err = refused("zendesk", data)
    assert err.path == "detail.brand_id"
