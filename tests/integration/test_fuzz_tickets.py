"""Near-valid tickets and events, each with one field replaced by anything JSON can say:
the answer is a 2xx or a 4xx naming a field, never a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from apihelpers import FakeClock, Tenant, ticket_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
INSTANTS = st.builds(
    lambda t, minutes: t.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # noqa: DTZ001
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)
VALUES = JSON | INSTANTS | st.sampled_from(["P1", "critical", "sev2", "x" * 300, "\u0000", ""])

TICKET_FIELDS = [
    "id", "type", "priority", "tier", "vip", "channel", "team", "assignee", "category",
    "tags", "custom_fields", "subject", "created_at", "events", "unknown",
]  # fmt: skip
EVENTS = [
    {"type": "agent_reply", "at": "2026-11-25T10:00:00Z"},
    {"type": "status", "at": "2026-11-25T10:00:00Z", "status": "pending"},
    {"type": "priority", "at": "2026-11-25T10:00:00Z", "priority": "low"},
    {"type": "assigned", "at": "2026-11-25T10:00:00Z", "team": "tier2"},
    {"type": "field", "at": "2026-11-25T10:00:00Z", "name": "region", "value": "amer"},
    {"type": "duplicate_of", "at": "2026-11-25T10:00:00Z", "original": "T-0"},
    {"type": "caused_by", "at": "2026-11-25T10:00:00Z", "cause": "T-0"},
    {"type": "csat", "at": "2026-11-25T10:00:00Z", "score": 4},
    {"type": "callback_requested", "at": "2026-11-25T10:00:00Z"},
    {"type": "reopened", "at": "2026-11-25T10:00:00Z"},
]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _check(r: Any) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["code"] and error["message"]


def test_tickets_with_one_odd_field(acme: Tenant, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 26, tzinfo=UTC))
    acme.post("/api/v1/tickets", ticket_doc("T-0"))
    counter = iter(range(10**6))

    @SETTINGS
    @given(field=st.sampled_from(TICKET_FIELDS), value=VALUES, drop=st.booleans())
    def run(field: str, value: Any, drop: bool) -> None:
        doc = ticket_doc(f"F-{next(counter)}")
        if drop and field in doc:
            del doc[field]
        else:
            doc[field] = value
        _check(acme.post("/api/v1/tickets", doc))

    run()


def test_events_with_one_odd_field(acme: Tenant, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 26, tzinfo=UTC))
    acme.post("/api/v1/tickets", ticket_doc("T-0"))
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    counter = iter(range(10**6))

    @SETTINGS
    @given(
        base=st.sampled_from(EVENTS),
        field=st.sampled_from(["type", "at", "id", "status", "priority", "team", "original",
                               "cause", "score", "name", "value", "public", "extra"]),
        value=VALUES,
        as_list=st.booleans(),
    )  # fmt: skip
    def run(base: dict[str, Any], field: str, value: Any, as_list: bool) -> None:
        event = {**base, "id": f"ev-{next(counter)}", field: value}
        _check(acme.post("/api/v1/tickets/T-1/events", [event] if as_list else event))
        _check(acme.get("/api/v1/tickets/T-1/clocks"))

    run()
