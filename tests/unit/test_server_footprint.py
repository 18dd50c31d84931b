"""What a server process carries: packages that only batch work, configuration changes,
the dashboard's pages or its sign-in need are imported when first used, not by every API
or worker process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from slaguard.domain.calendar import BusinessCalendar

_ON_DEMAND = ("numpy", "holidays", "icalendar", "babel", "argon2")

_SERVE_AND_EVALUATE = """
import sys
from slaguard.api.app import create_app
from slaguard.bootstrap import build_services
from slaguard.settings import Settings
from slaguard.domain.calendar import BusinessCalendar

settings = Settings(database_url="sqlite:///" + sys.argv[1])
create_app(build_services(settings), settings)
hours = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
cal = BusinessCalendar.from_config({"timezone": "Europe/Berlin", "hours": hours})
cal.add_us(1_790_000_000_000_000, 3_600_000_000)
print(",".join(m for m in %r if m in sys.modules))
"""


def test_an_api_process_judging_tickets_imports_no_batch_or_page_only_packages(
    tmp_path: Path,
) -> None:
    out = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", _SERVE_AND_EVALUATE % (_ON_DEMAND,), f"{tmp_path}/x.db"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""


def test_batch_operations_work_on_the_arrays_made_at_their_first_call() -> None:
    hours = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    cal = BusinessCalendar.from_config({"timezone": "Europe/Berlin", "hours": hours})
    starts = np.array(["2026-11-23T08:00:00"], dtype="datetime64[us]")
    got = cal.add_many(starts, np.array([3_600_000_000], dtype="timedelta64[us]"))
    assert got[0] == np.datetime64("2026-11-23T09:00:00", "us")  # 09:00 CET = 08:00 UTC
