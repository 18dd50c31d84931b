"""GET /clocks is exactly `slaguard explain --format json` for the same ticket,
configuration and instant; GET /explain is its text."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apihelpers import EXAMPLE_CONFIG, EXAMPLE_TICKET, FakeClock, Tenant


@functools.cache  # the same for both backends: run it once
def explain_cli(ticket: Path, at: str, fmt: str = "json") -> str:
    r = subprocess.run(  # noqa: S603 - our own CLI with test arguments
        [
            sys.executable, "-m", "slaguard", "explain", "--config", str(EXAMPLE_CONFIG),
            "--ticket", str(ticket), "--now", at, "--format", fmt,
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout


AT = [
    "2026-11-23T09:30:00+01:00",
    "2026-11-23T17:30:00+01:00",
    "2026-11-24T10:00:00+01:00",
    "2026-12-01T00:00:00Z",
]


@pytest.fixture
def stored(acme: Tenant, clock: FakeClock) -> Tenant:
    clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    r = acme.post("/api/v1/tickets", json.loads(EXAMPLE_TICKET.read_text()))
    assert r.status_code == 201, r.text
    return acme


def test_clocks_equal_the_explain_json(stored: Tenant) -> None:
    for at in AT:
        api = stored.get("/api/v1/tickets/T-1042/clocks", params={"at": at})
        assert api.status_code == 200, api.text
        assert api.json() == json.loads(explain_cli(EXAMPLE_TICKET, at)), at


def test_explain_text_equals_the_cli(stored: Tenant) -> None:
    at = AT[2]
    api = stored.get("/api/v1/tickets/T-1042/explain", params={"at": at})
    assert api.status_code == 200
    assert api.headers["content-type"].startswith("text/plain")
    assert api.text == explain_cli(EXAMPLE_TICKET, at, "text")


def test_at_defaults_to_the_services_clock(stored: Tenant) -> None:
    now = stored.get("/api/v1/tickets/T-1042/clocks").json()
    assert (
        now
        == stored.get("/api/v1/tickets/T-1042/clocks", params={"at": "2026-11-26T12:00:00Z"}).json()
    )


def test_an_unencoded_plus_in_at_is_understood(stored: Tenant) -> None:
    plain = stored.client.get(
        "/api/v1/tickets/T-1042/clocks?at=2026-11-23T17:30:00+01:00",
        headers=stored.headers(),
    )
    assert plain.status_code == 200, plain.text
    assert plain.json() == json.loads(explain_cli(EXAMPLE_TICKET, AT[1]))


@pytest.mark.parametrize(
    "at", ["yesterday", "2026-11-23T17:30:00", "1066-10-14T09:00:00Z", "2026-13-01T00:00:00Z", ""]
)
@pytest.mark.parametrize("what", ["clocks", "explain"])
def test_bad_at_is_422_naming_it(stored: Tenant, at: str, what: str) -> None:
    r = stored.get(f"/api/v1/tickets/T-1042/{what}", params={"at": at})
    assert r.status_code == 422, r.text
    assert [d["path"] for d in r.json()["error"]["details"]] == ["at"]


def test_events_without_id_at_one_instant_apply_in_the_order_explain_gives(
    acme: Tenant, clock: FakeClock, tmp_path: Path
) -> None:
    """Replies of the same rank at the same instant, sent without ids: the service keys
    them by a hash of ticket and content, which must not decide their order. For this
    ticket id the keys would order the customer's reply first, the content the agent's
    (which leaves the next response running rather than met)."""
    clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    ticket = {
        "id": "T-1",
        "priority": "high",
        "events": [
            {"type": "created", "at": "2026-11-23T09:00:00+01:00"},
            {"type": "agent_reply", "at": "2026-11-23T09:10:00+01:00"},
            {"type": "customer_reply", "at": "2026-11-23T10:00:00+01:00"},
            {"type": "agent_reply", "at": "2026-11-23T10:00:00+01:00"},
        ],
    }
    stored = acme.post("/api/v1/tickets", ticket)
    assert stored.status_code == 201, stored.text
    keys = {e["type"]: e["id"] for e in acme.get("/api/v1/tickets/T-1").json()["events"][2:]}
    assert keys["customer_reply"] < keys["agent_reply"]  # the order the keys alone give
    path = tmp_path / "ticket.json"
    path.write_text(json.dumps(ticket))
    at = "2026-11-23T12:00:00+01:00"
    api = acme.get("/api/v1/tickets/T-1/clocks", params={"at": at})
    assert api.status_code == 200, api.text
    assert api.json() == json.loads(explain_cli(path, at))
    states = {(c["metric"], c["cycle"]): c["state"] for c in api.json()["clocks"]}
    assert states[("next_response", 1)] == "running"
