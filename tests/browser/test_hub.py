"""The SLA hub in a real browser, over the known dataset of `conftest.dataset`."""

from __future__ import annotations

from typing import Any


def _value(page: Any, selector: str) -> str:
    value = page.get_attribute(selector, "data-value")
    assert value is not None, selector
    return value


def test_counts_and_lanes_of_the_known_dataset(page_for: Any) -> None:
    page = page_for("acme", "lead")
    assert _value(page, "#count-breached") == "2"  # ACME-1 and ACME-2
    assert _value(page, "#count-critical") == "1"  # ACME-3: due within the hour
    assert float(_value(page, "#hit-rate")) == 0.6  # 3 met (ACME-5, ACME-6 twice) of 5
    backlog = {
        row.get_attribute("data-lane"): row.inner_text().split("\t")
        for row in page.query_selector_all("#lanes tr[data-lane]")
    }
    assert set(backlog) == {
        "sla_breached",
        "escalation_due",
        "first_response_due",
        "callback_overdue",
        "queue_pressure",
        "reopen_risk",
        "csat_followup",
    }

    def cell(lane: str, testid: str) -> str:
        return page.inner_text(f'#lanes tr[data-lane="{lane}"] [data-testid="{testid}"]')

    assert cell("sla_breached", "lane-backlog") == "2"
    assert "critical" in cell("sla_breached", "lane-severity")
    assert cell("first_response_due", "lane-backlog") == "4"  # ACME-1..4 are unanswered
    assert cell("callback_overdue", "lane-backlog") == "0"
    assert "within SLA" in cell("callback_overdue", "lane-window")
    assert "2 breached" in page.inner_text("#work-next")


def test_at_risk_list_is_breached_first_then_by_time_left(page_for: Any) -> None:
    page = page_for("acme", "viewer")
    rows = page.query_selector_all("#at-risk tr[data-ticket]")
    assert [r.get_attribute("data-ticket") for r in rows] == ["ACME-1", "ACME-2", "ACME-3"]
    assert [r.get_attribute("data-state") for r in rows][:2] == ["breached", "breached"]


def test_countdowns_run_without_reload(page_for: Any) -> None:
    page = page_for("acme", "viewer")
    countdown = '#at-risk tr[data-ticket="ACME-3"] .countdown'
    first = page.inner_text(countdown)
    page.wait_for_timeout(2_100)
    second = page.inner_text(countdown)
    assert first != second
    assert ":" in second


def test_a_lane_opens_the_list_behind_it(page_for: Any) -> None:
    page = page_for("acme", "lead")
    page.click('#lanes tr[data-lane="sla_breached"] a[data-testid="lane-link"]')
    page.wait_for_selector("#lane-table")
    listed = page.inner_text("#lane-table")
    assert "ACME-1" in listed and "ACME-2" in listed
    assert "ACME-4" not in listed


def test_escalation_policy_and_review_cadence(page_for: Any, site: Any) -> None:
    page = page_for("acme", "viewer")
    levels = page.query_selector_all("#escalation-policy li[data-level]")
    assert len(levels) == 3
    assert "at 75%" in levels[0].inner_text()
    assert "at breach" in levels[1].inner_text()
    assert "2 hours after breach" in levels[2].inner_text()
    assert "Weekly SLA review" in page.inner_text("#review-cadence")
    with page.expect_download() as download:
        page.click("#review-ics")
    text = download.value.path().read_text()
    assert "BEGIN:VEVENT" in text and "RRULE:FREQ=WEEKLY" in text
    assert "Europe/Stockholm" in text


def test_a_tenant_sees_only_its_own_tickets(page_for: Any) -> None:
    page = page_for("globex", "viewer")
    assert _value(page, "#count-breached") == "1"
    body = page.inner_text("body")
    assert "GLOBEX-1" in body
    assert "ACME-" not in body
    response = page.goto("/?lane=sla_breached")
    assert response is not None and response.status == 200
    assert "ACME-" not in page.inner_text("body")
