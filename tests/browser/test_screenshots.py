"""Screenshots of the hub, a ticket page and the reports page over the demo data that
`slaguard run` creates, taken in the real browser. They are checked here on every run;
with SLAGUARD_SCREENSHOTS=DIR (`make screenshots`) they are also saved there, which is
how docs/images/ is made."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servers import Server


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`slaguard run` on a fresh file: (its address, the demo user's password)."""
    folder = tmp_path_factory.mktemp("demo")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    server = Server(
        {**clean, "SLAGUARD_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}"}, folder, "run"
    )
    try:
        server.wait(timeout=120)
        yield server.base, (folder / ".slaguard-demo-password").read_text().strip()
    finally:
        server.stop()


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_screenshots_of_the_demo(browser: Any, demo: tuple[str, str]) -> None:
    base, password = demo
    context = browser.new_context(
        base_url=base,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Berlin",
    )
    try:
        page = context.new_page()
        page.goto("/")
        page.fill("#tenant", "demo")
        page.fill("#email", "admin@demo.example")
        page.fill("#password", password)
        page.click(".signin button[type=submit]")
        page.wait_for_selector("#lanes")
        shots = {"hub": page.screenshot(full_page=True)}
        breached = page.get_attribute('#at-risk tr[data-state="breached"]', "data-ticket")
        assert breached, "the demo has breached tickets"
        page.goto(f"/tickets/{breached}")
        page.wait_for_selector('svg[data-testid="timeline"]')
        shots["ticket"] = page.screenshot(full_page=True)
        page.goto("/reports?days=30")
        page.wait_for_selector("#chart-compliance")
        page.wait_for_function(
            "() => [...document.querySelectorAll('canvas')].every(c => c.width > 0)"
        )
        page.wait_for_timeout(500)  # charts animate in
        shots["reports"] = page.screenshot(full_page=True)
    finally:
        context.close()
    target = os.environ.get("SLAGUARD_SCREENSHOTS")
    for name, png in shots.items():
        width, height = _size(png)
        assert width == 1280 and height >= 900, name
        assert len(png) > 30_000, f"{name}: the page looks empty"
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / f"{name}.png").write_bytes(png)
