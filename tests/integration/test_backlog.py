"""The hourly backlog sample: taken once an hour, even when it finds nothing to store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apihelpers import FakeClock, Tenant
from sqlalchemy import func, select

from slaguard.app.backlog import sample_if_due
from slaguard.app.services import Services
from slaguard.db.tables import BacklogSampleRow


def samples(services: Services) -> int:
    with services.reading() as s:
        return s.scalar(select(func.count()).select_from(BacklogSampleRow)) or 0


def test_an_hour_without_team_tickets_is_sampled_once(
    services: Services, clock: FakeClock, make_tenant: Callable[..., Tenant]
) -> None:
    t = make_tenant("quiet")
    body = {"id": "A-1", "events": [{"id": "c", "type": "created", "at": clock.now.isoformat()}]}
    assert t.post("/api/v1/tickets", body).status_code == 201  # open, but in no team
    assert sample_if_due(services, now=clock())
    for _ in range(3):  # the rest of the hour: no new sample, no count of open tickets
        clock.advance(timedelta(minutes=15))
        assert not sample_if_due(services, now=clock())
    clock.advance(timedelta(minutes=15))
    assert sample_if_due(services, now=clock())
    assert samples(services) == 0


def test_the_first_sample_after_an_upgrade_follows_the_stored_samples(
    services: Services, clock: FakeClock, make_tenant: Callable[..., Tenant]
) -> None:
    t = make_tenant("old")
    with services.writing() as s:  # sampled before the marker existed
        s.add(BacklogSampleRow(tenant_id=t.tenant_id, team="a", at_us=clock(), open_tickets=1))
    clock.advance(timedelta(minutes=30))
    assert not sample_if_due(services, now=clock())
    clock.advance(timedelta(minutes=30))
    assert sample_if_due(services, now=clock())
