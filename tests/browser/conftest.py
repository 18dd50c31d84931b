"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright,
against a real `slaguard serve` process on a SQLite file with a known dataset.

Chromium comes from the system (`make browser` installs Debian's package); Playwright's
own browser downloads are never used. Without Chromium these tests are skipped, or fail
under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import Server, free_port, ok, slaguard

HERE = Path(__file__).parent
PASSWORD = "correct horse battery"


@dataclass
class Site:
    """The running service: its address, and the tenants' admin API keys."""

    base: str
    keys: dict[str, str]
    folder: Path


def _ticket(tid: str, priority: str, age: timedelta, now: datetime, **extra: Any) -> dict[str, Any]:
    created = now - age
    events: list[dict[str, Any]] = [
        {"id": f"{tid}-created", "type": "created", "at": created.isoformat(), "status": "new"}
    ]
    for i, event in enumerate(extra.pop("events", [])):
        events.append({"id": f"{tid}-{i}", **event})
    return {
        "id": tid,
        "priority": priority,
        "tier": extra.pop("tier", "standard"),
        "channel": "email",
        "team": extra.pop("team", "tier1"),
        "subject": extra.pop("subject", f"Ticket {tid}"),
        "assignee": extra.pop("assignee", None),
        **extra,
        "events": events,
    }


def dataset(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """acme: two breached first responses (P1, 3h and 2h old), one at risk (P2, 3.5h of
    4h), one fresh (P2), one answered in time, one solved; globex: one breached ticket
    whose subject no acme user may ever see."""
    replied = {"type": "agent_reply", "public": True}
    return {
        "acme": [
            _ticket("ACME-1", "urgent", timedelta(hours=3), now, subject="Checkout is down"),
            _ticket("ACME-2", "urgent", timedelta(hours=2), now, assignee="ada"),
            _ticket("ACME-3", "high", timedelta(hours=3, minutes=30), now),
            _ticket("ACME-4", "high", timedelta(minutes=10), now),
            _ticket(
                "ACME-5",
                "normal",
                timedelta(hours=1),
                now,
                events=[{**replied, "at": (now - timedelta(minutes=30)).isoformat()}],
            ),
            _ticket(
                "ACME-6",
                "low",
                timedelta(hours=5),
                now,
                events=[
                    {**replied, "at": (now - timedelta(hours=4)).isoformat()},
                    {
                        "type": "status",
                        "status": "solved",
                        "at": (now - timedelta(hours=3)).isoformat(),
                    },
                ],
            ),
        ],
        "globex": [
            _ticket("GLOBEX-1", "urgent", timedelta(hours=4), now, subject="Globex secret merger"),
        ],
    }


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    env = {**clean, "SLAGUARD_DATABASE_URL": f"sqlite:///{folder / 'site.db'}"}
    ok(slaguard(env, "migrate"))
    keys: dict[str, str] = {}
    for tenant in ("acme", "globex"):
        made = ok(slaguard(env, "tenants", "create", tenant, "--json"))
        keys[tenant] = json.loads(made)["api_key"]
        ok(slaguard(env, "config", "apply", str(HERE / "config.yaml"), "--tenant", tenant))
    for tenant, role in (
        ("acme", "admin"),
        ("acme", "lead"),
        ("acme", "agent"),
        ("acme", "viewer"),
        ("globex", "viewer"),
    ):
        ok(
            slaguard(
                {**env, "SLAGUARD_USER_PASSWORD": PASSWORD},
                *("users", "create", "--tenant", tenant, "--email", f"{role}@{tenant}.example"),
                *("--role", role, "--name", f"{role.title()} of {tenant}"),
            )
        )
    port = free_port()  # links the service makes (status links) point at it
    server = Server(
        {**env, "SLAGUARD_PUBLIC_URL": f"http://127.0.0.1:{port}"}, folder, "serve", port=port
    )
    try:
        server.wait()
        now = datetime.now(UTC)
        for tenant, tickets in dataset(now).items():
            for doc in tickets:
                r = httpx.post(
                    f"{server.base}/api/v1/tickets",
                    json=doc,
                    headers={"Authorization": f"Bearer {keys[tenant]}"},
                )
                assert r.status_code == 201, r.text
        yield Site(base=server.base, keys=keys, folder=folder)
    finally:
        server.stop()


# Per module, not per session: Playwright's synchronous API runs an event loop in this
# thread while it is open, and tests elsewhere start event loops of their own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed: run `make browser`")
        pytest.skip("Chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_for(browser: Any, site: Site) -> Iterator[Any]:
    """`page_for(tenant, role, locale="en-GB")`: a new browser context signed in as that
    user; each context is closed after the test."""
    contexts: list[Any] = []

    def open_page(tenant: str, role: str, locale: str = "en-GB", width: int = 1280) -> Any:
        context = browser.new_context(
            base_url=site.base,
            locale=locale,
            timezone_id="Europe/Stockholm",
            viewport={"width": width, "height": 900},
            accept_downloads=True,
        )
        contexts.append(context)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/")
        page.fill("#tenant", tenant)
        page.fill("#email", f"{role}@{tenant}.example")
        page.fill("#password", PASSWORD)
        page.click(".signin button[type=submit]")
        page.wait_for_url(f"{site.base}/")
        return page

    yield open_page
    for context in contexts:
        context.close()
