"""The small report dataset both report test files use, its answers worked out by hand in
their docstrings: four tickets created at START on a 24x7 calendar, first response due
in 1h (warning at 30m), resolution in 8h; judged at START + 3h:

    T1 team a, email: replied at 30m (met, warned at 30m), resolved at 2h (met)
    T2 team a, chat:  replied at 2h (breached at 1h, warned at 30m)
    T3 team b, email: replied at 10m (met, never warned)
    T4 team b, chat:  no reply: breached at 1h, warned at 30m (found by the worker)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apihelpers import START, FakeClock, Tenant

from slaguard.app import configs
from slaguard.app.refresh import refresh_due
from slaguard.app.services import Services
from slaguard.config.files import parse_text

__all__ = ["CONFIG", "at", "four_tickets"]

CONFIG = """
calendars:
  always: {timezone: UTC, always_open: true}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {P1: 1h, P2: 1h, P3: 1h, P4: 1h}
      resolution: {P1: 8h, P2: 8h, P3: 8h, P4: 8h}
    warnings: ["50%"]
"""


def at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def four_tickets(
    make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock
) -> Tenant:
    """The tenant `acme` with the four tickets, the clock at START + 3h."""
    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(CONFIG))
    plan = {
        "T1": ("a", "email", [("agent_reply", 30), ("resolved", 120)]),
        "T2": ("a", "chat", [("agent_reply", 120)]),
        "T3": ("b", "email", [("agent_reply", 10)]),
        "T4": ("b", "chat", []),
    }
    for tid, (team, channel, _events) in plan.items():
        doc: dict[str, Any] = {
            "id": tid,
            "priority": "P2",
            "team": team,
            "channel": channel,
            "events": [{"id": f"{tid}-c", "type": "created", "at": at(0)}],
        }
        assert t.post("/api/v1/tickets", doc).status_code == 201
    for tid, (_, _, events) in plan.items():
        for n, (kind, minute) in enumerate(events):
            clock.set(START + timedelta(minutes=minute))
            r = t.post(
                f"/api/v1/tickets/{tid}/events",
                {"id": f"{tid}-{n}", "type": kind, "at": at(minute)},
            )
            assert r.status_code in (200, 201), r.text
    clock.set(START + timedelta(hours=3))
    # T4 was last written at START: the worker's refresh brings its clocks up to date.
    while refresh_due(services, now=clock()):
        pass
    return t
