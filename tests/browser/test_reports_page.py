"""The reports page in a real browser: charts drawn, and the CSV of what is shown."""

from __future__ import annotations

import csv
import io
from typing import Any


def test_charts_are_drawn_and_the_csv_is_the_table(page_for: Any) -> None:
    page = page_for("acme", "lead")
    page.click('nav a:has-text("Reports")')
    page.wait_for_selector("#table-compliance")
    for chart in ("#chart-compliance", "#chart-breach-rate"):
        box = page.locator(chart).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, chart
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].filter(c => c.width > 0).length"
    )
    assert drawn >= 2

    table = [
        {
            cell.get_attribute("data-col"): cell.inner_text()
            for cell in row.query_selector_all("[data-col]")
        }
        for row in page.query_selector_all("#table-compliance tbody tr")
    ]
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [r["segment"] for r in rows] == [t["segment"] for t in table]
    tier1 = next(r for r in rows if r["segment"] == "tier1")
    # ACME-1 and ACME-2 breached their first response; ACME-5 and ACME-6 met theirs
    # (and ACME-6 its resolution): the known dataset of conftest.dataset
    assert (int(tier1["counted"]), int(tier1["breached"])) == (5, 2)
    assert float(tier1["compliance_rate"]) == 0.6


def test_a_viewer_sees_only_their_tenants_figures(page_for: Any) -> None:
    page = page_for("globex", "viewer")
    page.goto("/reports")
    page.wait_for_selector("#table-compliance")
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert sum(int(r["counted"]) for r in rows) == 1  # GLOBEX-1's breach only
