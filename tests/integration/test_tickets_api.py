"""Tickets and events through the API: creation, idempotency (also under concurrency),
arrival order, link rules, and input errors that name the field."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from apihelpers import FakeClock, Tenant, TestClient, ticket_doc

T0 = "2026-11-25T09:00:00+00:00"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # after every event these tests send


@pytest.fixture(autouse=True)
def _now(clock: FakeClock) -> None:
    clock.set(NOW)


def reply(eid: str, at: str, type_: str = "agent_reply", **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": type_, "at": at, **data}


def events_of(tenant: Tenant, tid: str) -> list[dict[str, Any]]:
    r = tenant.get(f"/api/v1/tickets/{tid}")
    assert r.status_code == 200, r.text
    return r.json()["events"]  # type: ignore[no-any-return]


def error(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def paths(r: httpx.Response) -> list[str]:
    return [d["path"] for d in error(r)["details"]]


# -- create and read ---------------------------------------------------------------------


def test_create_returns_the_ticket_with_its_events(acme: Tenant) -> None:
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", assignee="li"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body == {
        "id": "T-1",
        "source": "api",
        "type": "support",
        "status": "new",
        "priority": "P2",
        "team": "tier1",
        "assignee": "li",
        "policy": "standard",
        "sla_state": "breached",
        "config_version": 1,
        "created_at": T0,
        "updated_at": NOW.isoformat(),
        "fields": body["fields"],
        "events": [{"id": "T-1-created", "type": "created", "at": T0, "status": "new"}],
    }
    assert body["fields"]["subject"] == "Printer on fire"
    assert acme.get("/api/v1/tickets/T-1").json() == body


def test_the_same_ticket_twice_is_a_conflict(acme: Tenant) -> None:
    assert acme.post("/api/v1/tickets", ticket_doc("T-1")).status_code == 201
    r = acme.post("/api/v1/tickets", ticket_doc("T-1"))
    assert r.status_code == 409
    assert paths(r) == ["id"]


def test_events_update_the_ticket(acme: Tenant, clock: FakeClock) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    clock.advance(timedelta(minutes=30))
    r = acme.post(
        "/api/v1/tickets/T-1/events",
        [
            reply("r1", "2026-11-25T09:20:00Z"),
            reply("s1", "2026-11-25T09:20:00Z", "status", status="pending"),
        ],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ticket"]["status"] == "pending"
    assert body["ticket"]["updated_at"] == "2026-11-27T12:30:00+00:00"
    assert [(e["id"], e["created"]) for e in body["events"]] == [("r1", True), ("s1", True)]
    assert [e["id"] for e in events_of(acme, "T-1")] == ["T-1-created", "r1", "s1"]
    clocks = acme.get("/api/v1/tickets/T-1/clocks").json()["clocks"]
    first = next(c for c in clocks if c["metric"] == "first_response")
    assert first["state"] == "met"
    assert first["stopped_at"] == "2026-11-25T10:20:00+01:00"


def test_an_event_without_an_id_is_keyed_by_its_content(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    note = {"type": "internal_note", "at": "2026-11-25T09:05:00Z"}
    first = acme.post("/api/v1/tickets/T-1/events", note)
    assert first.status_code == 201
    again = acme.post("/api/v1/tickets/T-1/events", note)
    assert again.status_code == 200
    assert again.json()["events"][0]["id"] == first.json()["events"][0]["id"]
    assert len(events_of(acme, "T-1")) == 2


# -- idempotency -------------------------------------------------------------------------


def test_same_key_twice_is_200_with_the_stored_event(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    event = reply("r1", "2026-11-25T09:20:00Z")
    assert acme.post("/api/v1/tickets/T-1/events", event).status_code == 201
    r = acme.post("/api/v1/tickets/T-1/events", event)
    assert r.status_code == 200
    assert r.json()["events"] == [{"id": "r1", "created": False, "event": event}]
    assert [e["id"] for e in events_of(acme, "T-1")] == ["T-1-created", "r1"]


def test_a_batch_with_one_new_event_is_201(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    old = reply("r1", "2026-11-25T09:20:00Z")
    acme.post("/api/v1/tickets/T-1/events", old)
    new = reply("r2", "2026-11-25T09:40:00Z", "internal_note")
    r = acme.post("/api/v1/tickets/T-1/events", [old, new])
    assert r.status_code == 201
    assert [(e["id"], e["created"]) for e in r.json()["events"]] == [("r1", False), ("r2", True)]


def test_same_key_other_content_is_409_naming_the_id(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.post("/api/v1/tickets/T-1/events", reply("r1", "2026-11-25T09:20:00Z"))
    r = acme.post("/api/v1/tickets/T-1/events", reply("r1", "2026-11-25T09:21:00Z"))
    assert r.status_code == 409
    assert error(r)["code"] == "conflict"
    assert paths(r) == ["events[0].id"]
    stored = events_of(acme, "T-1")[1]
    assert stored["at"] == "2026-11-25T09:20:00Z"


def test_a_key_used_by_another_ticket_is_409(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.post("/api/v1/tickets", ticket_doc("T-2"))
    event = reply("r1", "2026-11-25T09:20:00Z")
    acme.post("/api/v1/tickets/T-1/events", event)
    r = acme.post("/api/v1/tickets/T-2/events", [reply("ok", "2026-11-25T09:10:00Z"), event])
    assert r.status_code == 409
    assert paths(r) == ["events[1].id"]
    assert len(events_of(acme, "T-2")) == 1  # the whole batch was refused


def _race(n: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_the_same_key_sent_concurrently_is_stored_once(acme: Tenant, app: Any) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    event = reply("r1", "2026-11-25T09:20:00Z")
    clients = [TestClient(app) for _ in range(4)]
    try:
        responses = _race(
            len(clients),
            lambda i: clients[i].post(
                "/api/v1/tickets/T-1/events", json=event, headers=acme.headers("agent")
            ),
        )
    finally:
        for c in clients:
            c.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 201], [r.text for r in responses]
    for r in responses:
        assert r.json()["events"][0]["event"] == event
    assert [e["id"] for e in events_of(acme, "T-1")] == ["T-1-created", "r1"]


def test_the_same_ticket_created_concurrently_exists_once(acme: Tenant, app: Any) -> None:
    clients = [TestClient(app) for _ in range(3)]
    try:
        responses = _race(
            len(clients),
            lambda i: clients[i].post(
                "/api/v1/tickets", json=ticket_doc("T-1"), headers=acme.headers("agent")
            ),
        )
    finally:
        for c in clients:
            c.close()
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    assert len(acme.get("/api/v1/tickets").json()["items"]) == 1


# -- arrival order -----------------------------------------------------------------------

HISTORY = [
    reply("r1", "2026-11-25T09:40:00Z"),
    reply("p1", "2026-11-25T09:40:00Z", "status", status="pending"),
    reply("c1", "2026-11-25T13:10:00Z", "customer_reply"),
    reply("o1", "2026-11-25T13:10:00Z", "status", status="open"),
    reply("pr", "2026-11-25T13:30:00Z", "priority", priority="critical"),
    reply("cb", "2026-11-25T14:00:00Z", "callback_requested"),
    reply("r2", "2026-11-26T09:20:00Z"),
    reply("cm", "2026-11-26T09:30:00Z", "callback_made"),
    reply("done", "2026-11-26T11:45:00Z", "resolved"),
    reply("again", "2026-11-26T15:00:00Z", "customer_reply"),
    reply("re", "2026-11-26T15:00:00Z", "reopened"),
]


@pytest.mark.parametrize(
    "order",
    [
        list(range(len(HISTORY))),
        list(reversed(range(len(HISTORY)))),
        [5, 0, 9, 2, 10, 7, 1, 3, 8, 4, 6],
    ],
    ids=["in-order", "reversed", "shuffled"],
)
def test_out_of_order_arrival_gives_the_same_clocks(
    acme: Tenant, clock: FakeClock, order: list[int]
) -> None:
    clock.advance(timedelta(days=3))
    acme.post("/api/v1/tickets", ticket_doc("ref", events=HISTORY))
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    for i in order:
        event = {**HISTORY[i], "id": f"x-{HISTORY[i]['id']}"}
        r = acme.post("/api/v1/tickets/T-1/events", event)
        assert r.status_code == 201, r.text
    for at in ("2026-11-25T15:00:00Z", "2026-11-26T12:00:00Z", "2026-11-27T09:00:00Z", None):
        params = {"at": at} if at else {}
        want = acme.get("/api/v1/tickets/ref/clocks", params=params).json()
        got = acme.get("/api/v1/tickets/T-1/clocks", params=params).json()
        assert got["clocks"] == want["clocks"], at
    ref_view = acme.get("/api/v1/tickets/ref").json()
    view = acme.get("/api/v1/tickets/T-1").json()
    for name in ("status", "priority", "sla_state", "policy"):
        assert view[name] == ref_view[name], name


# -- links -------------------------------------------------------------------------------


def test_duplicate_of_a_missing_ticket_names_the_original(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    link = reply("d1", "2026-11-25T09:30:00Z", "duplicate_of", original="T-404")
    r = acme.post("/api/v1/tickets/T-1/events", link)
    assert 400 <= r.status_code < 500
    assert paths(r) == ["events[0].original"]
    assert len(events_of(acme, "T-1")) == 1


def test_duplicate_of_an_existing_ticket_cancels_its_clocks(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.post("/api/v1/tickets", ticket_doc("T-2"))
    link = reply("d1", "2026-11-25T09:30:00Z", "duplicate_of", original="T-1")
    r = acme.post("/api/v1/tickets/T-2/events", link)
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["sla_state"] == "cancelled"


def test_a_cause_cycle_is_409_naming_the_field_and_nothing_is_written(acme: Tenant) -> None:
    for tid in ("A", "B", "C"):
        acme.post("/api/v1/tickets", ticket_doc(tid))
    ok1 = acme.post(
        "/api/v1/tickets/A/events", reply("l1", "2026-11-25T09:30:00Z", "caused_by", cause="B")
    )
    ok2 = acme.post(
        "/api/v1/tickets/B/events", reply("l2", "2026-11-25T09:30:00Z", "caused_by", cause="C")
    )
    assert (ok1.status_code, ok2.status_code) == (201, 201)
    note = reply("n1", "2026-11-25T09:31:00Z", "internal_note")
    cycle = reply("l3", "2026-11-25T09:32:00Z", "caused_by", cause="A")
    r = acme.post("/api/v1/tickets/C/events", [note, cycle])
    assert r.status_code == 409, r.text
    assert error(r)["code"] == "invalid_link"
    assert paths(r) == ["events[1].cause"]
    assert [e["id"] for e in events_of(acme, "C")] == ["C-created"]
    # the refused link left nothing behind: C may still be linked elsewhere
    r = acme.post(
        "/api/v1/tickets/C/events", reply("l4", "2026-11-25T09:33:00Z", "caused_by", cause="B")
    )
    assert r.status_code == 409  # C -> B -> C is a cycle too
    assert acme.post("/api/v1/tickets/C/events", note).status_code == 201


def test_a_second_original_is_refused(acme: Tenant) -> None:
    for tid in ("A", "B", "C"):
        acme.post("/api/v1/tickets", ticket_doc(tid))
    acme.post(
        "/api/v1/tickets/C/events",
        reply("d1", "2026-11-25T09:30:00Z", "duplicate_of", original="A"),
    )
    r = acme.post(
        "/api/v1/tickets/C/events",
        reply("d2", "2026-11-25T09:31:00Z", "duplicate_of", original="B"),
    )
    assert r.status_code == 409
    assert paths(r) == ["events[0].original"]


# -- input errors ------------------------------------------------------------------------

_CREATED_AT = b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", '


@pytest.mark.parametrize(
    ("body", "status", "code", "path"),
    [
        (b"{", 400, "invalid_json", None),
        (b"", 400, "invalid_json", None),
        (b"[1,", 400, "invalid_json", None),
        (b'{"id": NaN}', 400, "invalid_json", None),
        (b"\xff\xfe", 400, "invalid_json", None),
        (b"[]", 422, "invalid_ticket", None),
        (b'"T-1"', 422, "invalid_ticket", None),
        (b'{"id": 5, "created_at": "2026-11-25T09:00:00Z"}', 422, "invalid_ticket", "id"),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "colour": "red"}',
            422,
            "invalid_ticket",
            "colour",
        ),
        (b'{"id": "T-9", "created_at": "yesterday"}', 422, "invalid_ticket", "created_at"),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00"}',
            422,
            "invalid_ticket",
            "created_at",
        ),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "priority": "P7"}',
            422,
            "invalid_ticket",
            "priority",
        ),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "team": "a\\u0000b"}',
            422,
            "invalid_ticket",
            "team",
        ),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "team": "\\ud800"}',
            422,
            "invalid_ticket",
            "team",
        ),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "custom_fields": {"n": 1e400}}',
            422,
            "invalid_ticket",
            "custom_fields.n",
        ),
        (
            b'{"id": "T-9", "events": [{"type": "created", "at": "2026-11-25T09:00:00Z",'
            b' "priority": "urgentest"}]}',
            422,
            "invalid_ticket",
            "events[0].priority",
        ),
        (
            b'{"id": "T-9", "events": [{"type": "created", "at": "0001-01-01T00:00:00+01:00"}]}',
            422,
            "invalid_ticket",
            "events[0].at",
        ),
        # before year 1 in UTC: no date at all, still the same refusal naming the field
        (
            b'{"id": "T-9", "events": [{"type": "created", "at": "2026-11-25T09:00:00Z"},'
            b' {"type": "agent_reply", "at": "0001-01-01T00:30:00+01:00"}]}',
            422,
            "invalid_ticket",
            "events[1].at",
        ),
        (
            b'{"id": "T-9", "created_at": "0001-01-01T00:00:00+01:00",'
            b' "events": [{"type": "created", "at": "2026-11-25T09:00:00Z"}]}',
            422,
            "invalid_ticket",
            "created_at",
        ),
        (
            b'{"id": "T-9", "events": [{"type": "created", "at": "2100-01-01T00:00:00Z"}]}',
            422,
            "invalid_ticket",
            "events[0].at",
        ),
        # a lone surrogate in an object key: the error names it escaped
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "custom_fields": {"\\ud800": 1}}',
            422,
            "invalid_ticket",
            "custom_fields.\\ud800",
        ),
        (
            b'{"id": "T-9", "created_at": "2026-11-25T09:00:00Z", "\\udfff\\u0000": 1}',
            422,
            "invalid_ticket",
            "\\udfff\\u0000",
        ),
        # events that are not a list are refused, not ignored
        *(
            (_CREATED_AT + b'"events": ' + v + b"}", 422, "invalid_ticket", "events")
            for v in (b"{}", b"false", b'""', b"0", b"null")
        ),
        # a '/' would make the ticket unreachable at /api/v1/tickets/{id}
        (b'{"id": "T/9", "created_at": "2026-11-25T09:00:00Z"}', 422, "invalid_ticket", "id"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json", None),
    ],
)
def test_bad_tickets_are_4xx_naming_the_field(
    acme: Tenant, body: bytes, status: int, code: str | None, path: str | None
) -> None:
    r = acme.client.post(
        "/api/v1/tickets",
        content=body,
        headers={**acme.headers("agent"), "Content-Type": "application/json"},
    )
    assert r.status_code == status, r.text
    if code is not None:
        assert error(r)["code"] == code
    if path is not None:
        assert path in paths(r), r.text
    assert acme.get("/api/v1/tickets").json()["items"] == []


@pytest.mark.parametrize(
    ("ticket_id", "message"),
    [(None, "required"), (123, "got 123"), ("  ", "got '  '"), (["T-1"], "got ['T-1']")],
)
def test_a_ticket_id_that_is_missing_or_no_string_says_which(
    acme: Tenant, ticket_id: object, message: str
) -> None:
    body: dict[str, object] = {"created_at": "2026-11-25T09:00:00Z"}
    if ticket_id is not None:
        body["id"] = ticket_id
    r = acme.post("/api/v1/tickets", body)
    assert r.status_code == 422, r.text
    [detail] = [d for d in error(r)["details"] if d["path"] == "id"]
    assert message in detail["message"]
    assert ("required" in detail["message"]) == (ticket_id is None)


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"id": "e", "type": "agent_reply", "at": "soon"}, "events[0].at"),
        ({"id": "e", "type": "agent_reply", "at": "2026-11-25T09:10:00"}, "events[0].at"),
        ({"id": "e", "type": "agent_reply"}, "events[0].at"),
        (
            {"id": "e", "type": "agent_reply", "at": "2026-11-25T09:10:00Z", "mood": 1},
            "events[0].mood",
        ),
        ({"id": "e", "type": "teleported", "at": "2026-11-25T09:10:00Z"}, "events[0].type"),
        (
            {"id": "e", "type": "priority", "at": "2026-11-25T09:10:00Z", "priority": "P0"},
            "events[0].priority",
        ),
        (
            {"id": "e", "type": "status", "at": "2026-11-25T09:10:00Z", "status": "lost"},
            "events[0].status",
        ),
        ({"id": "e", "type": "agent_reply", "at": "2026-11-24T09:10:00Z"}, "events[0].at"),
        ({"id": 7, "type": "agent_reply", "at": "2026-11-25T09:10:00Z"}, "events[0].id"),
        ("not an event", "events[0]"),
        ({"id": "e", "type": "agent_reply", "at": "0001-01-01T00:30:00+01:00"}, "events[0].at"),
        ({"id": "e", "type": "agent_reply", "at": "9999-12-31T23:00:00-05:00"}, "events[0].at"),
    ],
)
def test_bad_events_are_422_naming_the_field(acme: Tenant, event: object, path: str) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    r = acme.post("/api/v1/tickets/T-1/events", [event])
    assert r.status_code == 422, r.text
    assert path in paths(r), r.text
    assert len(events_of(acme, "T-1")) == 1


def test_an_instant_outside_the_years_has_one_message_whichever_check_meets_it(
    acme: Tenant,
) -> None:
    """The check that an event is not before the creation, or that created_at matches the
    created event, never sees an instant without a date: the range refusal comes first."""
    created = {"type": "created", "at": "2026-11-25T09:00:00Z"}
    for body in (
        {"id": "Y-1", "events": [created, {"type": "agent_reply", "at": "0001-01-01T00:30+01:00"}]},
        {"id": "Y-2", "created_at": "0001-01-01T00:00:00+01:00", "events": [created]},
        {"id": "Y-3", "created_at": "0001-01-01T00:00:00+01:00"},
    ):
        r = acme.post("/api/v1/tickets", body)
        assert r.status_code == 422, r.text
        assert [d["message"] for d in error(r)["details"]] == [
            "outside the years the service accepts (1990 to 2099)"
        ], r.text
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    r = acme.post("/api/v1/tickets/T-1/events", [reply("e", "0001-01-01T00:30:00+01:00")])
    assert r.status_code == 422, r.text
    assert error(r)["details"] == [
        {"path": "events[0].at", "message": "outside the years the service accepts (1990 to 2099)"}
    ]
    assert [t["id"] for t in acme.get("/api/v1/tickets").json()["items"]] == ["T-1"]
    assert len(events_of(acme, "T-1")) == 1


def test_a_surrogate_in_a_key_of_an_event_is_422_and_stores_nothing(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    r = acme.client.post(
        "/api/v1/tickets/T-1/events",
        content=b'{"type": "agent_reply", "at": "2026-11-25T09:10:00Z", "\\ud83d": 1}',
        headers={**acme.headers("agent"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert paths(r) == ["\\ud83d"]
    assert len(events_of(acme, "T-1")) == 1


def test_an_empty_list_of_events_is_422(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    r = acme.post("/api/v1/tickets/T-1/events", [])
    assert r.status_code == 422
    assert paths(r) == ["events"]


def test_a_body_over_the_limit_is_413(acme: Tenant) -> None:
    from slaguard.api.deps import MAX_BODY_BYTES

    r = acme.client.post(
        "/api/v1/tickets",
        content=b" " * (MAX_BODY_BYTES + 1),
        headers={**acme.headers("agent"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert error(r)["code"] == "too_large"


def test_opposite_cause_links_sent_concurrently_never_form_a_cycle(acme: Tenant, app: Any) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.post("/api/v1/tickets", ticket_doc("T-2"))
    links = [
        ("T-1", reply("c1", "2026-11-25T09:30:00Z", "caused_by", cause="T-2")),
        ("T-2", reply("c2", "2026-11-25T09:30:00Z", "caused_by", cause="T-1")),
    ]
    clients = [TestClient(app) for _ in links]
    try:
        responses = _race(
            len(clients),
            lambda i: clients[i].post(
                f"/api/v1/tickets/{links[i][0]}/events",
                json=links[i][1],
                headers=acme.headers("agent"),
            ),
        )
    finally:
        for c in clients:
            c.close()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert paths(refused) == ["events[0].cause"]
    stored = [e["type"] for t in ("T-1", "T-2") for e in events_of(acme, t)]
    assert stored.count("caused_by") == 1
