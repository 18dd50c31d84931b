"""`slaguard calendar add|elapsed`: check a deadline or an elapsed time by hand."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from slaguard.config.files import load_mapping
from slaguard.domain.calendar import BusinessCalendar
from slaguard.domain.durations import format_duration, parse_duration
from slaguard.domain.errors import ConfigError

app = typer.Typer(help="Business-time arithmetic on a configured calendar.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path, typer.Option("--config", help="YAML/JSON file or folder with `calendars`")
]
CalendarOpt = Annotated[str, typer.Option("--calendar", help="Name of the calendar in the file")]
StartOpt = Annotated[str, typer.Option("--start", help="ISO-8601 instant with offset")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def parse_instant(text: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"not an ISO-8601 instant: {text!r}", field) from None
    if t.tzinfo is None:
        raise ConfigError(f"{text!r} has no UTC offset (write e.g. {text}+01:00 or {text}Z)", field)
    return t


def load_calendar(config: Path, name: str) -> BusinessCalendar:
    if not config.exists():
        raise ConfigError(f"no such file or folder: {config}", "--config")
    mapping = load_mapping(config)
    calendars = mapping.get("calendars")
    if not isinstance(calendars, dict) or not calendars:
        raise ConfigError(f"{config} defines no calendars", "calendars")
    if name not in calendars:
        known = ", ".join(sorted(map(str, calendars)))
        raise ConfigError(f"unknown calendar {name!r} (defined: {known})", "--calendar")
    try:
        return BusinessCalendar.from_config(calendars[name], name=name)
    except ConfigError as exc:
        raise ConfigError(exc.prefixed(f"calendars.{name}")) from None


def _emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(payload, indent=2) if as_json else text)


@app.command("add")
def add(
    config: ConfigOpt,
    calendar: CalendarOpt,
    start: StartOpt,
    duration: Annotated[str, typer.Option("--duration", help="Business time, e.g. 4h, 30m, 1h30m")],
    as_json: JsonOpt = False,
) -> None:
    """The instant when DURATION of open time has passed since START."""
    cal = load_calendar(config, calendar)
    t0 = parse_instant(start, "--start")
    d = parse_duration(duration, "--duration")
    due = cal.add(t0, d).astimezone(cal.tz)
    _emit(
        as_json,
        {
            "calendar": calendar,
            "start": t0.isoformat(),
            "duration_seconds": d.total_seconds(),
            "due": due.isoformat(),
        },
        due.isoformat(),
    )


@app.command("elapsed")
def elapsed(
    config: ConfigOpt,
    calendar: CalendarOpt,
    start: StartOpt,
    end: Annotated[str, typer.Option("--end", help="ISO-8601 instant with offset")],
    as_json: JsonOpt = False,
) -> None:
    """Open time between START and END, in seconds."""
    cal = load_calendar(config, calendar)
    t0 = parse_instant(start, "--start")
    t1 = parse_instant(end, "--end")
    seconds = cal.elapsed(t0, t1).total_seconds()
    _emit(
        as_json,
        {
            "calendar": calendar,
            "start": t0.isoformat(),
            "end": t1.isoformat(),
            "elapsed_seconds": seconds,
            "elapsed": format_duration(seconds),
        },
        f"{seconds:.6f}".rstrip("0").rstrip("."),
    )
