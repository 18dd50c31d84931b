"""Signing in, languages, roles and tenants, in a real browser."""

from __future__ import annotations

from typing import Any


def test_sign_in_and_out(page_for: Any, site: Any) -> None:
    page = page_for("acme", "lead")
    assert "Lead of acme" in page.inner_text("header")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.base}/signin")
    page.goto("/")
    assert page.url.startswith(f"{site.base}/signin")


def test_wrong_password_says_so(browser: Any, site: Any) -> None:
    context = browser.new_context(base_url=site.base)
    try:
        page = context.new_page()
        page.goto("/signin")
        page.get_by_label("Organisation").fill("acme")
        page.get_by_label("Email").fill("lead@acme.example")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert "Wrong organisation, email or password" in page.inner_text("[role=alert]")
    finally:
        context.close()


def test_switch_to_swedish(page_for: Any) -> None:
    page = page_for("acme", "agent")  # the only test that changes this user's language
    assert page.get_attribute("html", "lang") == "en"
    page.select_option("#locale-choice", "sv")
    page.wait_for_load_state()
    page.wait_for_selector("html[lang=sv]")
    assert "Logga ut" in page.inner_text("header")
    page.reload()
    assert page.get_attribute("html", "lang") == "sv"  # kept: it is the user's choice


def test_browser_language_is_followed(page_for: Any) -> None:
    page = page_for("acme", "lead", locale="sv-SE")
    assert page.get_attribute("html", "lang") == "sv"


def test_keyboard_reaches_the_content(page_for: Any) -> None:
    page = page_for("acme", "viewer")
    page.goto("/")
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    assert "Skip to content" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_viewer_cannot_reach_admin_pages(page_for: Any) -> None:
    page = page_for("acme", "viewer")
    assert page.locator("nav a", has_text="Configuration").count() == 0
    response = page.goto("/config")
    assert response is not None and response.status == 403
