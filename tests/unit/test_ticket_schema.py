"""Ticket documents -> domain Tickets: every event type, the convenience types, each error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from slaguard.config.model import load_config, parse_config
from slaguard.domain.calendar import to_us
from slaguard.domain.errors import LinkError, TicketError
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import Event, EventKind, ordered_events
from slaguard.schemas import parse_ticket

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def config() -> SlaConfig:
    return load_config(EXAMPLES / "slaguard.yaml")


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-23T{hour:02d}:{minute:02d}:00Z"


def us(hour: int, minute: int = 0) -> int:
    return to_us(datetime(2026, 11, 23, hour, minute, tzinfo=UTC))


def ticket(*events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "T-1", "type": "support", "priority": "P3"}
    doc.update(fields)
    doc["events"] = [{"type": "created", "at": at(9)}, *events]
    return doc


def errors(doc: dict[str, Any], config: SlaConfig) -> dict[str, str]:
    with pytest.raises(TicketError) as info:
        parse_ticket(doc, config)
    return {d.path: d.message for d in info.value.details}


# ---------------------------------------------------------------------------------------
# The example and the ticket's fields
# ---------------------------------------------------------------------------------------


def test_the_example_ticket_loads(config: SlaConfig) -> None:
    doc = json.loads((EXAMPLES / "ticket.json").read_text(encoding="utf-8"))
    t = parse_ticket(doc, config)
    assert t.id == "T-1042"
    assert t.fields["type"] == "support"
    assert t.fields["priority"] == "P3"
    assert t.fields["region"] == "emea"
    assert "status" not in t.fields
    assert len(t.events) == 11
    kinds = [e.kind for e in ordered_events(t.events)]
    assert kinds[0] is EventKind.CREATED
    assert kinds[-2:] == [EventKind.STATUS, EventKind.CSAT]
    assert t.events[0].at == to_us(datetime(2026, 11, 23, 8, tzinfo=UTC))
    assert t.events[5].data == {"priority": "P2"}
    assert t.events[9].data == {"status": "solved"}
    assert config.policies.select(t.fields) is config.policies.policies[2]


def test_fields_text_and_custom_fields(config: SlaConfig) -> None:
    doc = ticket(
        priority="critical",
        tier="enterprise",
        vip=True,
        channel="phone",
        team="tier1",
        queue="urgent",
        assignee="li",
        category="billing",
        product="invoicing",
        account="acme",
        source="zendesk",
        tags=["a", "b"],
        custom_fields={"region": "amer", "seats": 40, "langs": ["de", "en"]},
        subject="Invoice wrong",
        description="It charges VAT.",
    )
    t = parse_ticket(doc, config)
    assert dict(t.fields) == {
        "type": "support",
        "priority": "P1",
        "tier": "enterprise",
        "vip": True,
        "channel": "phone",
        "team": "tier1",
        "queue": "urgent",
        "assignee": "li",
        "category": "billing",
        "product": "invoicing",
        "account": "acme",
        "source": "zendesk",
        "tags": ("a", "b"),
        "region": "amer",
        "seats": 40,
        "langs": ("de", "en"),
    }
    assert t.text == "Invoice wrong\nIt charges VAT."
    assert config.policies.select(t.fields) is config.policies.policies[0]


def test_fields_left_out_are_absent_and_vip_defaults_to_false(config: SlaConfig) -> None:
    doc = ticket()
    del doc["priority"]
    t = parse_ticket(doc, config)
    assert dict(t.fields) == {"type": "support", "vip": False, "tags": ()}


def test_classification_picks_implementation_for_a_setup_request(config: SlaConfig) -> None:
    doc = ticket(subject="Onboarding", description="Hello, I need a new setup for Berlin.")
    del doc["type"]
    t = parse_ticket(doc, config)
    assert t.fields["type"] == "implementation"
    # the created event starts in the implementation workflow's first status
    assert t.events[0].data == {"status": "received"}


def test_classification_falls_back_to_the_default_type(config: SlaConfig) -> None:
    doc = ticket(subject="Printer broken")
    del doc["type"]
    assert parse_ticket(doc, config).fields["type"] == "support"


def test_an_explicit_type_wins_over_classification(config: SlaConfig) -> None:
    doc = ticket(subject="I need a new setup")
    assert parse_ticket(doc, config).fields["type"] == "support"


# ---------------------------------------------------------------------------------------
# Every event type
# ---------------------------------------------------------------------------------------

EVENT_CASES: list[tuple[dict[str, Any], EventKind, dict[str, Any]]] = [
    ({"type": "status", "status": "pending"}, EventKind.STATUS, {"status": "pending"}),
    ({"type": "priority", "priority": "urgent"}, EventKind.PRIORITY, {"priority": "P1"}),
    ({"type": "priority", "priority": 2}, EventKind.PRIORITY, {"priority": "P2"}),
    ({"type": "tier", "tier": "business"}, EventKind.TIER, {"tier": "business"}),
    (
        {"type": "assigned", "team": "tier2", "assignee": "ben"},
        EventKind.ASSIGNED,
        {"team": "tier2", "assignee": "ben"},
    ),
    ({"type": "assigned", "team": "tier2"}, EventKind.ASSIGNED, {"team": "tier2"}),
    ({"type": "assigned", "assignee": None}, EventKind.ASSIGNED, {"assignee": None}),
    (
        {"type": "field", "name": "category", "value": "security"},
        EventKind.FIELD,
        {"name": "category", "value": "security"},
    ),
    (
        {"type": "field", "name": "tags", "value": ["x", "y"]},
        EventKind.FIELD,
        {"name": "tags", "value": ("x", "y")},
    ),
    ({"type": "agent_reply"}, EventKind.AGENT_REPLY, {"public": True}),
    ({"type": "agent_reply", "public": False}, EventKind.AGENT_REPLY, {"public": False}),
    ({"type": "internal_note"}, EventKind.AGENT_REPLY, {"public": False}),
    ({"type": "customer_reply"}, EventKind.CUSTOMER_REPLY, {}),
    ({"type": "callback_requested"}, EventKind.CALLBACK_REQUESTED, {}),
    ({"type": "callback_made"}, EventKind.CALLBACK_MADE, {}),
    ({"type": "duplicate_of", "original": "T-0"}, EventKind.DUPLICATE_OF, {"original": "T-0"}),
    ({"type": "caused_by", "cause": "T-9"}, EventKind.CAUSED_BY, {"cause": "T-9"}),
    ({"type": "csat", "score": 4}, EventKind.CSAT, {"score": 4}),
    ({"type": "csat", "score": 4.5}, EventKind.CSAT, {"score": 4.5}),
    ({"type": "resolved"}, EventKind.STATUS, {"status": "solved"}),
    ({"type": "closed"}, EventKind.STATUS, {"status": "closed"}),
    ({"type": "reopened"}, EventKind.STATUS, {"status": "open"}),
]


@pytest.mark.parametrize(
    ("event", "kind", "data"),
    EVENT_CASES,
    ids=[f"{c[0]['type']}-{i}" for i, c in enumerate(EVENT_CASES)],
)
def test_each_event_type(
    config: SlaConfig, event: dict[str, Any], kind: EventKind, data: dict[str, Any]
) -> None:
    t = parse_ticket(ticket({**event, "id": "e2", "at": "2026-11-23T10:30:00+01:00"}), config)
    assert t.events[1] == Event(kind=kind, at=us(9, 30), id="e2", data=data)


def test_the_created_event_and_its_initial_fields(config: SlaConfig) -> None:
    doc = ticket()
    doc["events"] = [
        {
            "id": "c",
            "type": "created",
            "at": at(9),
            "status": "open",
            "priority": "high",
            "team": "tier1",
            "tags": ["a"],
        }
    ]
    t = parse_ticket(doc, config)
    assert t.events == (
        Event(
            EventKind.CREATED,
            us(9),
            "c",
            {"status": "open", "priority": "P2", "team": "tier1", "tags": ("a",)},
        ),
    )


def test_the_created_status_defaults_to_the_workflows_first(config: SlaConfig) -> None:
    assert parse_ticket(ticket(), config).events[0].data == {"status": "new"}


def test_without_a_created_event_created_at_makes_one(config: SlaConfig) -> None:
    doc = ticket({"type": "agent_reply", "at": at(10)}, created_at="2026-11-23T10:00:00+01:00")
    doc["events"].pop(0)
    t = parse_ticket(doc, config)
    assert t.events[0] == Event(EventKind.CREATED, us(9), None, {"status": "new"})
    assert [e.kind for e in t.events] == [EventKind.CREATED, EventKind.AGENT_REPLY]


def test_created_at_equal_to_the_created_event_is_fine(config: SlaConfig) -> None:
    t = parse_ticket(ticket(created_at=at(9)), config)
    assert len(t.events) == 1


def test_a_created_event_sent_twice_is_kept_once(config: SlaConfig) -> None:
    doc = ticket({"id": "other", "type": "created", "at": at(9)})
    t = parse_ticket(doc, config)
    assert [e.kind for e in t.events] == [EventKind.CREATED]


@pytest.mark.parametrize(
    ("ticket_type", "kind", "status"),
    [
        ("support", "resolved", "solved"),
        ("support", "closed", "closed"),
        ("support", "reopened", "open"),
        ("implementation", "resolved", "completed"),
        ("implementation", "closed", "completed"),
        ("implementation", "reopened", "provisioning"),
    ],
)
def test_convenience_status_events_follow_the_workflow(
    config: SlaConfig, ticket_type: str, kind: str, status: str
) -> None:
    t = parse_ticket(ticket({"type": kind, "at": at(10)}, type=ticket_type), config)
    assert t.events[1].kind is EventKind.STATUS
    assert t.events[1].data == {"status": status}


def test_convenience_events_in_a_configured_workflow() -> None:
    cfg = parse_config(
        {
            "calendars": {"always": {"timezone": "UTC", "always_open": True}},
            "workflows": {
                "support": {
                    "statuses": {"fresh": "active", "waiting": "paused", "finished": "done"}
                },
            },
            "policies": [{"name": "p", "calendar": "always", "targets": {}}],
        }
    )
    doc = ticket(
        {"type": "resolved", "at": at(10)},
        {"type": "closed", "at": at(11)},
        {"type": "reopened", "at": at(12)},
    )
    statuses = [e.data["status"] for e in parse_ticket(doc, cfg).events]
    # no closed status: the first done; no active status after the first: the first active
    assert statuses == ["fresh", "finished", "finished", "fresh"]


# ---------------------------------------------------------------------------------------
# Each error, with its path
# ---------------------------------------------------------------------------------------


def test_a_time_without_offset_is_refused(config: SlaConfig) -> None:
    found = errors(ticket({"type": "agent_reply", "at": "2026-11-23T10:00:00"}), config)
    assert found == {
        "events[1].at": "2026-11-23T10:00:00 has no time zone offset: an offset is required "
        "(e.g. +01:00 or Z)"
    }


@pytest.mark.parametrize("value", ["yesterday", "23.11.2026 10:00", 1700000000, None])
def test_a_time_that_is_not_iso_8601_is_refused(config: SlaConfig, value: Any) -> None:
    found = errors(ticket({"type": "agent_reply", "at": value}), config)
    assert "expected an ISO-8601 time" in found["events[1].at"]


def test_created_at_needs_an_offset(config: SlaConfig) -> None:
    found = errors(ticket(created_at="2026-11-23T09:00:00"), config)
    assert "an offset is required" in found["created_at"]


def test_an_event_without_at(config: SlaConfig) -> None:
    assert errors(ticket({"type": "customer_reply"}), config) == {"events[1].at": "required"}


def test_an_unknown_event_type(config: SlaConfig) -> None:
    found = errors(ticket({"type": "escalated", "at": at(10)}), config)
    assert found["events[1].type"].startswith("unknown event type 'escalated' (use one of")


def test_an_event_without_type(config: SlaConfig) -> None:
    found = errors(ticket({"at": at(10)}), config)
    assert found["events[1].type"].startswith("required")


def test_an_event_with_an_unknown_key(config: SlaConfig) -> None:
    found = errors(ticket({"type": "customer_reply", "at": at(10), "body": "hi"}), config)
    assert found == {"events[1].body": "unknown field"}


def test_an_event_that_is_not_an_object(config: SlaConfig) -> None:
    assert errors(ticket("reply"), config) == {  # type: ignore[arg-type]
        "events[1]": "expected a mapping, got 'reply'"
    }


def test_an_unknown_priority_on_the_ticket(config: SlaConfig) -> None:
    found = errors(ticket(priority="asap"), config)
    assert found["priority"].startswith("unknown priority 'asap' (use one of P1, P2")


def test_an_unknown_priority_in_an_event(config: SlaConfig) -> None:
    found = errors(ticket({"type": "priority", "at": at(10), "priority": "P0"}), config)
    assert list(found) == ["events[1].priority"]


def test_an_unknown_priority_on_the_created_event(config: SlaConfig) -> None:
    doc = ticket()
    doc["events"][0]["priority"] = "asap"
    assert list(errors(doc, config)) == ["events[0].priority"]


def test_an_unknown_status(config: SlaConfig) -> None:
    found = errors(ticket({"type": "status", "at": at(10), "status": "provisioning"}), config)
    assert found == {
        "events[1].status": "unknown status 'provisioning' for a support ticket "
        "(use one of new, open, pending, on_hold, solved, closed)"
    }


def test_an_unknown_status_on_the_created_event(config: SlaConfig) -> None:
    doc = ticket()
    doc["events"][0]["status"] = "received"
    assert list(errors(doc, config)) == ["events[0].status"]


def test_a_type_without_workflow(config: SlaConfig) -> None:
    found = errors(ticket(type="incident"), config)
    assert found == {
        "type": "no workflow for ticket type 'incident' (known: implementation, support)"
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "required"), ("", "must not be empty"), ("  ", "must not be empty")],
)
def test_the_id_is_required(config: SlaConfig, value: Any, message: str) -> None:
    doc = ticket()
    if value is None:
        del doc["id"]
    else:
        doc["id"] = value
    assert errors(doc, config)["id"].startswith(message)


def test_the_id_must_be_a_string(config: SlaConfig) -> None:
    doc = ticket(id=42)
    assert "valid string" in errors(doc, config)["id"]


def test_no_created_event_and_no_created_at(config: SlaConfig) -> None:
    doc = ticket({"type": "agent_reply", "at": at(10)})
    doc["events"].pop(0)
    assert errors(doc, config) == {
        "created_at": "required: the ticket has no created event; "
        "give created_at or a created event"
    }


def test_created_at_that_differs_from_the_created_event(config: SlaConfig) -> None:
    found = errors(ticket(created_at=at(8)), config)
    assert found == {
        "created_at": "2026-11-23T08:00:00Z differs from the created event "
        "(events[0] at 2026-11-23T09:00:00Z)"
    }


def test_two_created_events_with_different_content(config: SlaConfig) -> None:
    doc = ticket({"type": "created", "at": at(9), "status": "open"})
    found = errors(doc, config)
    assert found == {
        "events[1]": "a second created event with different content "
        "(the ticket was created by events[0])"
    }


def test_an_event_before_the_created_event(config: SlaConfig) -> None:
    doc = ticket({"type": "customer_reply", "at": at(8, 59)})
    assert errors(doc, config) == {
        "events[1].at": "2026-11-23T08:59:00Z is before the ticket was created "
        "(events[0] at 2026-11-23T09:00:00Z)"
    }


def test_an_event_before_created_at(config: SlaConfig) -> None:
    doc = ticket({"type": "customer_reply", "at": at(8, 59)}, created_at=at(9))
    doc["events"].pop(0)
    assert list(errors(doc, config)) == ["events[0].at"]


def test_the_same_event_id_with_different_content(config: SlaConfig) -> None:
    doc = ticket(
        {"id": "x", "type": "customer_reply", "at": at(10)},
        {"id": "x", "type": "customer_reply", "at": at(11)},
    )
    assert list(errors(doc, config)) == ["events[2].id"]


def test_assigned_needs_a_team_or_an_assignee(config: SlaConfig) -> None:
    found = errors(ticket({"type": "assigned", "at": at(10)}), config)
    assert found == {"events[1]": "give team, assignee or both"}


@pytest.mark.parametrize(("name", "event"), [("priority", "priority"), ("team", "assigned")])
def test_field_events_do_not_change_fields_with_their_own_event(
    config: SlaConfig, name: str, event: str
) -> None:
    doc = ticket({"type": "field", "at": at(10), "name": name, "value": "x"})
    assert errors(doc, config) == {"events[1].name": f"{name} changes with a {event!r} event"}


def test_field_events_do_not_change_the_type(config: SlaConfig) -> None:
    doc = ticket({"type": "field", "at": at(10), "name": "type", "value": "implementation"})
    assert "cannot change" in errors(doc, config)["events[1].name"]


def test_custom_fields_may_not_shadow_standard_fields(config: SlaConfig) -> None:
    doc = ticket(custom_fields={"priority": "P1", "region": "emea"})
    assert errors(doc, config) == {
        "custom_fields.priority": "'priority' is a standard ticket field; give it at the top level"
    }


def test_status_is_not_a_ticket_field(config: SlaConfig) -> None:
    assert errors(ticket(status="open"), config) == {"status": "unknown field"}


def test_a_csat_score_below_zero(config: SlaConfig) -> None:
    found = errors(ticket({"type": "csat", "at": at(10), "score": -1}), config)
    assert list(found) == ["events[1].score"]


def test_the_document_must_be_an_object(config: SlaConfig) -> None:
    with pytest.raises(TicketError, match="must be a JSON object"):
        parse_ticket(["T-1"], config)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------


def test_a_duplicate_of_itself_is_a_link_error(config: SlaConfig) -> None:
    doc = ticket({"type": "duplicate_of", "at": at(10), "original": "T-1"})
    with pytest.raises(LinkError) as info:
        parse_ticket(doc, config)
    assert [str(d) for d in info.value.details] == [
        "events[1].original: a ticket cannot be a duplicate of itself"
    ]


def test_caused_by_itself_is_a_link_error(config: SlaConfig) -> None:
    doc = ticket({"type": "caused_by", "at": at(10), "cause": "T-1"})
    with pytest.raises(LinkError) as info:
        parse_ticket(doc, config)
    assert [d.path for d in info.value.details] == ["events[1].cause"]


def test_a_duplicate_of_two_originals_is_a_link_error(config: SlaConfig) -> None:
    doc = ticket(
        {"type": "duplicate_of", "at": at(11), "original": "T-3"},
        {"type": "duplicate_of", "at": at(10), "original": "T-2"},
    )
    with pytest.raises(LinkError) as info:
        parse_ticket(doc, config)
    assert [str(d) for d in info.value.details] == [
        "events[1].original: a ticket can be a duplicate of one original only "
        "(already of 'T-2' by events[2])"
    ]


def test_the_same_original_twice_is_fine(config: SlaConfig) -> None:
    doc = ticket(
        {"type": "duplicate_of", "at": at(10), "original": "T-2"},
        {"type": "duplicate_of", "at": at(11), "original": "T-2"},
    )
    assert len(parse_ticket(doc, config).events) == 3


def test_link_and_other_errors_together_are_one_ticket_error(config: SlaConfig) -> None:
    doc = ticket(
        {"type": "duplicate_of", "at": at(10), "original": "T-1"},
        {"type": "status", "at": at(10), "status": "gone"},
    )
    with pytest.raises(TicketError) as info:
        parse_ticket(doc, config)
    assert not isinstance(info.value, LinkError)
    assert [d.path for d in info.value.details] == ["events[2].status", "events[1].original"]


# ---------------------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(config: SlaConfig) -> None:
    doc = ticket(
        {"type": "agent_reply", "at": "2026-11-23T10:00:00"},
        {"type": "status", "at": at(10), "status": "waiting"},
        {"type": "pager", "at": at(10)},
        {"type": "customer_reply", "at": at(8)},
        priority="P7",
        custom_fields={"tier": "gold"},
        colour="red",
    )
    doc["id"] = ""
    assert list(errors(doc, config)) == [
        "id",
        "colour",
        "priority",
        "custom_fields.tier",
        "events[1].at",
        "events[2].status",
        "events[3].type",
        "events[4].at",
    ]
