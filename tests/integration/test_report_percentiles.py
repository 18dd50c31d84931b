"""`response-times` against a brute-force oracle, on both databases: random first-response
and resolution instances are stored as the service stores them, and the report's count,
mean, median and p90 (nearest rank: the value at rank ceil(p * n) of the sorted values)
per segment and metric are compared with the same figures worked out in Python from the
list of values.

The values are whole milliseconds, so that every median and p90 is a number of seconds
the report shows exactly (three decimals); means are compared to the millisecond."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from slaguard.app import reports, tenants
from slaguard.app.reports import Window
from slaguard.app.services import Services
from slaguard.db.tables import ClockRow, TicketRow

START = 1_790_000_000_000_000  # the window: [START, START + 90 days)
DAY = 86_400_000_000
END = START + 90 * DAY
MS = 1_000

# team, metric, state, business time, calendar time, stopped at
Instance = tuple[str | None, str, str, int, int, int]

instance = st.tuples(
    st.sampled_from(["a", "b", None]),
    st.sampled_from(["first_response", "resolution"]),
    st.sampled_from(["met", "breached_met"]),
    st.integers(0, 10 * DAY // MS).map(lambda ms: ms * MS),
    st.integers(0, 30 * DAY // MS).map(lambda ms: ms * MS),
    st.integers(START - DAY, END + DAY),  # some outside the window
)
# A few instances, or enough that the groups hold several (where p90 is not the maximum).
instances = st.one_of(
    st.lists(instance, min_size=1, max_size=4),
    st.lists(instance, min_size=30, max_size=80),
)


def store(svc: Services, tenant_id: int, found: list[Instance]) -> None:
    with svc.writing() as s:
        s.execute(delete(ClockRow).where(ClockRow.tenant_id == tenant_id))
        s.execute(delete(TicketRow).where(TicketRow.tenant_id == tenant_id))
        for n, (team, metric, state, business, calendar, stop) in enumerate(found):
            ticket = TicketRow(
                tenant_id=tenant_id,
                external_id=f"T-{n}",
                document={"id": f"T-{n}"},
                team=team,
                config_version=1,
                created_us=stop - calendar,
                updated_us=stop,
            )
            s.add(ticket)
            s.flush()
            s.add(
                ClockRow(
                    tenant_id=tenant_id,
                    ticket_id=ticket.id,
                    metric=metric,
                    cycle=1,
                    state=state,
                    policy="standard",
                    target_us=DAY,
                    started_us=stop - calendar,
                    stopped_us=stop,
                    elapsed_us=business,
                    warnings=[],
                )
            )


def oracle(found: list[Instance], by_team: bool) -> dict[tuple[str, str], dict[str, Any]]:
    values: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for team, metric, _state, business, calendar, stop in found:
        if START <= stop < END:
            segment = (team or "(none)") if by_team else "all"
            values[(segment, metric)].append((business, calendar))

    def rank(sorted_values: list[int], p: int) -> float:  # p in percent
        return sorted_values[math.ceil(p * len(sorted_values) / 100) - 1] / 1e6

    out = {}
    for key, pairs in values.items():
        business = sorted(b for b, _ in pairs)
        calendar = sorted(c for _, c in pairs)
        out[key] = {
            "count": len(pairs),
            "business_median_s": rank(business, 50),
            "business_p90_s": rank(business, 90),
            "business_mean_s": sum(business) / len(business) / 1e6,
            "calendar_median_s": rank(calendar, 50),
            "calendar_p90_s": rank(calendar, 90),
            "calendar_mean_s": sum(calendar) / len(calendar) / 1e6,
        }
    return out


@pytest.fixture
def tenant_id(services: Services) -> int:
    """One tenant for all the examples of a test: `store` replaces its instances."""
    tenants.create_tenant(services, name="oracle")
    return tenants.tenant_named(services, "oracle")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(found=instances, by_team=st.booleans())
def test_response_times_equal_the_sorted_values(
    services: Services, tenant_id: int, found: list[Instance], by_team: bool
) -> None:
    store(services, tenant_id, found)

    rows = reports.response_times(
        services, tenant_id, Window(START, END), "team" if by_team else None, END
    )
    want = oracle(found, by_team)
    assert {(r["segment"], r["metric"]) for r in rows} == set(want)
    for r in rows:
        expected = want[(r["segment"], r["metric"])]
        for column in (
            "count",
            "business_median_s",
            "business_p90_s",
            "calendar_median_s",
            "calendar_p90_s",
        ):
            assert r[column] == expected[column], (column, r, expected)
        for column in ("business_mean_s", "calendar_mean_s"):
            assert abs(r[column] - expected[column]) <= 0.001, (column, r, expected)
