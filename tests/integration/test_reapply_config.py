"""Re-applying a newer configuration version to a ticket: the ticket keeps the version it
was created under until an admin re-applies a newer one, which re-judges its whole
history, in one transaction, with an audit record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from apihelpers import START, FakeClock, Tenant
from reportdata import CONFIG, at
from sqlalchemy import select

from slaguard.app import configs
from slaguard.app.refresh import refresh_due
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.db.tables import AuditRow

ALIAS = "priorities:\n  aliases: {sev2: P2}\n"
# v1: first response due in 1h; v2: in 2h; v3: as v2, but "sev2" is no priority any more
V1 = CONFIG + ALIAS
V2 = CONFIG.replace("first_response: {P1: 1h, P2: 1h", "first_response: {P1: 1h, P2: 2h") + ALIAS
V3 = V2.removesuffix(ALIAS)


@pytest.fixture
def breached(
    make_tenant: Any, services: Services, clock: FakeClock
) -> tuple[Tenant, Services, FakeClock]:
    """T-1 (priority sev2 = P2), created at START with no reply, judged at START + 90m
    under v1: its first response breached at 1h. Then v2 is applied to the tenant."""
    t: Tenant = make_tenant("acme", config=False)
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(V1))
    doc = {
        "id": "T-1",
        "priority": "sev2",
        "events": [{"id": "c", "type": "created", "at": at(0)}],
    }
    assert t.post("/api/v1/tickets", doc).status_code == 201
    clock.set(START + timedelta(minutes=90))
    while refresh_due(services, now=clock()):
        pass
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(V2))
    return t, services, clock


def reapply(t: Tenant, role: str = "admin", **params: Any) -> httpx.Response:
    return t.client.post(
        "/api/v1/tickets/T-1/reapply-config", params=params, headers=t.headers(role)
    )


def first_response(t: Tenant) -> dict[str, Any]:
    clocks = t.get("/api/v1/tickets/T-1/clocks").json()["clocks"]
    [fr] = [c for c in clocks if c["metric"] == "first_response"]
    return dict(fr)


def reapplied(services: Services, tenant_id: int) -> list[Any]:
    with services.reading() as s:
        return list(
            s.scalars(
                select(AuditRow.data).where(
                    AuditRow.tenant_id == tenant_id, AuditRow.kind == "ticket.config_reapplied"
                )
            )
        )


def test_a_ticket_keeps_its_version_until_a_newer_one_is_reapplied(
    breached: tuple[Tenant, Services, FakeClock],
) -> None:
    t, services, _ = breached
    # still judged by v1 after v2 was applied to the tenant
    assert t.get("/api/v1/tickets/T-1").json()["config_version"] == 1
    assert first_response(t)["state"] == "breached"
    [breach] = t.get("/api/v1/tickets/T-1/breaches").json()
    assert breach["breached_at"] == at(60)

    assert reapply(t, "agent").status_code == 403
    r = reapply(t)
    assert r.status_code == 200, r.text
    assert r.json()["config_version"] == 2
    # under v2 the first response is due at 2h: running at 90m, and no breach
    fr = first_response(t)
    assert fr["state"] == "running" and fr["due_at"] == at(120)
    assert t.get("/api/v1/tickets/T-1/breaches").json() == []
    assert reapplied(services, t.tenant_id) == [{"from": 1, "to": 2}]

    # the version it is judged by again: nothing changes, nothing is recorded
    assert reapply(t, version=2).status_code == 200
    assert reapplied(services, t.tenant_id) == [{"from": 1, "to": 2}]


def test_an_older_or_unknown_version_is_refused_and_changes_nothing(
    breached: tuple[Tenant, Services, FakeClock],
) -> None:
    t, _, _ = breached
    assert reapply(t, version=2).status_code == 200
    older = reapply(t, version=1)
    assert older.status_code == 409
    assert older.json()["error"]["details"][0]["path"] == "version"
    unknown = reapply(t, version=3)
    assert unknown.status_code == 404
    assert t.get("/api/v1/tickets/T-1").json()["config_version"] == 2
    assert reapply(t, version=0).status_code == 422
    assert (
        t.client.post("/api/v1/tickets/T-9/reapply-config", headers=t.headers("admin")).status_code
        == 404
    )


def test_a_history_the_version_cannot_take_is_409_and_nothing_is_written(
    breached: tuple[Tenant, Services, FakeClock],
) -> None:
    t, services, _ = breached
    configs.apply_config(services, tenant_id=t.tenant_id, document=parse_text(V3))
    r = reapply(t)
    assert r.status_code == 409, r.text
    [detail] = r.json()["error"]["details"]
    assert detail["path"] == "version" and "sev2" in detail["message"]
    # still v1, still breached, no record
    assert t.get("/api/v1/tickets/T-1").json()["config_version"] == 1
    assert first_response(t)["state"] == "breached"
    assert len(t.get("/api/v1/tickets/T-1/breaches").json()) == 1
    assert reapplied(services, t.tenant_id) == []
