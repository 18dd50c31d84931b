"""The response-times report can read its clocks through `ix_clocks_timed`.

The index is partial: the planner uses it only when it can prove, from the report's own
WHERE, that every clock the report wants satisfies the index's condition. These tests
catch a report and an index that drift apart (a metric or a state added on one side
only), which would leave the report scanning every clock of the tenant again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from apihelpers import FakeClock, Tenant
from reportdata import four_tickets
from sqlalchemy import event

from slaguard.app.reports import run_report
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextmanager
def _statements(svc: Services) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(svc.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(svc.engine, "before_cursor_execute", capture)


def _scans(plan: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(node type, index name) of every node of a JSON plan."""
    yield plan["Node Type"], plan.get("Index Name")
    for child in plan.get("Plans", []):
        yield from _scans(child)


def _plan_without_seq_scans(svc: Services, statement: str, params: Any) -> list[Any]:
    raw = svc.engine.raw_connection()
    try:
        cur = raw.cursor()
        # Tiny tables are cheapest to read whole: forbid that, so the planner shows which
        # index it can use for the report's conditions.
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET enable_bitmapscan = off")
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        (plan,) = cur.fetchone()
        raw.rollback()
    finally:
        raw.close()
    return list(_scans((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]))


@pytest.mark.parametrize("group_by", [None, "team"])
def test_response_times_read_the_timed_clocks_from_their_index(
    make_tenant: Callable[..., Tenant],
    services: Services,
    clock: FakeClock,
    group_by: str | None,
) -> None:
    t = four_tickets(make_tenant, services, clock)
    principal = Principal(t.tenant_id, t.name, Role.VIEWER)
    with _statements(services) as seen:
        result = run_report(
            services,
            principal=principal,
            name="response-times",
            start_us=None,
            end_us=None,
            group_by=group_by,
        )
    assert result["rows"], "the dataset has met clocks to report"
    (statement, params) = next((st, p) for st, p in seen if "percentile_disc" in st)
    scans = _plan_without_seq_scans(services, statement, params)
    on_clocks = [(node, index) for node, index in scans if index and "clocks" in index]
    assert on_clocks == [("Index Only Scan", "ix_clocks_timed")]
