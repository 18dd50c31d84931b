"""`slaguard run`: what `make run` starts.

The HTTP service is not part of this release yet; until it is, `run` shows the
engine on the shipped example configuration and ticket, and how to use the CLI.
"""

from __future__ import annotations

from pathlib import Path

import typer

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def run() -> None:
    typer.echo("slaguard: SLA clocks in business time.\n")
    calendars = EXAMPLES / "calendars.yaml"
    if calendars.exists():
        from slaguard.cli.calendar_cmd import load_calendar, parse_instant
        from slaguard.domain.durations import parse_duration

        cal = load_calendar(calendars, "berlin")
        start = parse_instant("2026-12-23T16:00:00+01:00", "start")
        due = cal.add(start, parse_duration("4h")).astimezone(cal.tz)
        typer.echo(f"A 4h business-time target started {start.isoformat()} in Berlin")
        typer.echo(
            f"(split shift, Berlin public holidays, 24 Dec closed) is due {due.isoformat()}.\n"
        )
    typer.echo("Try:")
    typer.echo(
        "  slaguard calendar add --config examples/calendars.yaml --calendar berlin "
        "--start 2026-12-23T16:00+01:00 --duration 4h"
    )
    typer.echo("  slaguard --help")
