"""Helpers for the API tests: a tenant calling the API, ticket documents, example paths."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from slaguard.domain.calendar import to_us

with warnings.catch_warnings():
    # Starlette asks for the `httpx2` package and warns when it uses `httpx`, which it
    # still supports; the client behaves the same.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, inside Berlin's hours

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "examples" / "slaguard.yaml"
EXAMPLE_TICKET = ROOT / "examples" / "ticket.json"

__all__ = [
    "EXAMPLE_CONFIG",
    "EXAMPLE_TICKET",
    "ROOT",
    "START",
    "FakeClock",
    "Tenant",
    "TestClient",
    "ticket_doc",
]


class FakeClock:
    """The services' clock, set and moved by the test (UTC epoch microseconds)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> int:
        return to_us(self.now)

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Tenant:
    """A tenant with one key per role, calling the API through `client`."""

    name: str
    tenant_id: int
    keys: dict[str, str]
    client: TestClient

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, path: str, role: str = "viewer", **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(role), **kw)

    def post(self, path: str, body: Any, role: str = "agent", **kw: Any) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers(role), **kw)

    def put_config(
        self, text: str, content_type: str = "application/yaml", role: str = "admin"
    ) -> httpx.Response:
        return self.client.put(
            "/api/v1/config",
            content=text.encode(),
            headers={**self.headers(role), "Content-Type": content_type},
        )


def ticket_doc(
    tid: str = "T-1",
    *,
    priority: str = "high",
    created: str = "2026-11-25T09:00:00+00:00",
    events: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A support ticket (Berlin calendar, `standard` policy) created at `created`."""
    return {
        "id": tid,
        "priority": priority,
        "tier": "standard",
        "channel": "email",
        "team": "tier1",
        "subject": "Printer on fire",
        "custom_fields": {"region": "emea"},
        **fields,
        "events": [
            {"id": f"{tid}-created", "type": "created", "at": created, "status": "new"},
            *(events or []),
        ],
    }
