"""A ticket's page, its customer view and the configuration pages in a real browser."""

from __future__ import annotations

from typing import Any


def test_open_a_breached_ticket_from_its_lane_and_see_its_timeline(page_for: Any) -> None:
    page = page_for("acme", "lead")
    page.click('#lanes tr[data-lane="sla_breached"] a[data-testid="lane-link"]')
    page.click('#lane-table a:has-text("ACME-1")')
    page.wait_for_selector("#ticket-fields")
    assert "Checkout is down" in page.inner_text("#ticket-fields")
    clock = page.locator('section.clock[data-metric="first_response"]')
    assert clock.get_attribute("data-state") == "breached"
    timeline = clock.locator('svg[data-testid="timeline"]')
    assert timeline.is_visible()
    assert timeline.locator(".breach-mark").count() == 1
    assert timeline.locator(".warning-mark").count() >= 1  # 75% of the hour
    assert timeline.locator("rect.seg-running").count() >= 1
    assert page.locator('#events tr.event[data-id="ACME-1-created"]').count() == 1


def test_a_status_link_shows_the_requester_only_the_timers(page_for: Any, browser: Any) -> None:
    page = page_for("acme", "lead")
    page.goto("/tickets/ACME-2")
    page.click("button#status-link")
    url = page.input_value("#status-link-result input#status-link-url")
    assert "/status/" in url
    stranger = browser.new_context()  # no session at all
    try:
        view = stranger.new_page()
        view.goto(url)
        timers = view.inner_text("#status-clocks")
        assert "first" in timers.lower()
        body = view.inner_text("body")
        assert "ada" not in body  # the assignee is not the requester's business
        assert "Sign out" not in body
        forged = view.goto(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"))
        assert forged is not None and forged.status == 404
    finally:
        stranger.close()


def test_an_admin_sees_the_configuration_and_a_bad_edit_is_refused_by_path(
    page_for: Any,
) -> None:
    page = page_for("acme", "admin")
    page.click('nav a:has-text("Configuration")')
    page.wait_for_selector("#config-current")
    assert page.get_attribute("#config-current", "data-version") == "1"
    page.fill("#config-text", "policies:\n  - name: broken\n    calendar: nowhere\n")
    page.click("#config-validate")
    page.wait_for_selector("#config-errors li[data-path]")
    paths = [li.get_attribute("data-path") for li in page.query_selector_all("#config-errors li")]
    assert any(p and p.startswith("policies[0]") for p in paths), paths
    page.goto("/config")
    assert page.get_attribute("#config-current", "data-version") == "1"  # nothing stored


def test_another_tenants_ticket_is_not_found(page_for: Any, site: Any) -> None:
    page = page_for("globex", "viewer")
    response = page.goto("/tickets/ACME-1")
    assert response is not None and response.status == 404
    assert "Checkout is down" not in page.inner_text("body")
