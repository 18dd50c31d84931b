"""The calendar CLI as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "calendars.yaml"


def slaguard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI with test arguments
        [sys.executable, "-m", "slaguard", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_add_prints_the_due_instant_in_the_calendars_zone() -> None:
    r = slaguard(
        "calendar", "add", "--config", str(EXAMPLE), "--calendar", "berlin",
        "--start", "2026-12-23T15:00:00Z", "--duration", "4h",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    # 16:00-17:00 on the 23rd, the 24th closed (dates), 25/26 public holidays,
    # the 27th a Sunday, then Monday's split shift 09:00-12:00.
    assert r.stdout.strip() == "2026-12-28T12:00:00+01:00"


def test_add_json() -> None:
    r = slaguard(
        "calendar", "add", "--config", str(EXAMPLE), "--calendar", "berlin",
        "--start", "2026-11-23T16:30:00+01:00", "--duration", "1h", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["due"] == "2026-11-24T09:30:00+01:00"
    assert out["duration_seconds"] == 3600


def test_elapsed_over_a_night_shift_prints_seconds() -> None:
    r = slaguard(
        "calendar", "elapsed", "--config", str(EXAMPLE), "--calendar", "new-york-nights",
        "--start", "2026-11-02T20:00:00-05:00", "--end", "2026-11-03T07:00:00-05:00",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert float(r.stdout) == 8 * 3600  # Monday 22:00-24:00 + Tuesday 00:00-06:00


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--calendar", "nowhere"], "--calendar"),
        (["--calendar", "berlin", "--start", "2026-12-23T16:00"], "--start"),
        (["--calendar", "berlin", "--duration", "4 days"], "--duration"),
    ],
)
def test_bad_input_names_the_field_and_exits_2(args: list[str], field: str) -> None:
    base = {"--calendar": "berlin", "--start": "2026-12-23T16:00Z", "--duration": "4h"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    r = slaguard("calendar", "add", "--config", str(EXAMPLE), *flat)
    assert r.returncode == 2
    assert field in r.stderr
    assert "Traceback" not in r.stderr


def test_invalid_calendar_in_file_names_its_path(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "calendars:\n  x:\n    timezone: Europe/Berlin\n    hours: {mon: ['17:00-09:00']}\n"
    )
    r = slaguard(
        "calendar", "add", "--config", str(cfg), "--calendar", "x",
        "--start", "2026-12-23T16:00Z", "--duration", "4h",
    )  # fmt: skip
    assert r.returncode == 2
    assert "calendars.x.hours.mon[0]" in r.stderr
