"""`slaguard explain`: every SLA clock of one ticket, with the arithmetic behind it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from slaguard.cli.calendar_cmd import parse_instant
from slaguard.config.model import load_config
from slaguard.domain.engine import evaluate
from slaguard.domain.errors import TicketError
from slaguard.domain.explain import evaluation_json, evaluation_text
from slaguard.schemas.ticket import parse_ticket


class Format(StrEnum):
    json = "json"
    text = "text"


def _read_ticket(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TicketError(f"cannot read {path}: {exc.strerror}", "--ticket") from None
    except json.JSONDecodeError as exc:
        raise TicketError(f"{path} is not valid JSON: {exc}", "--ticket") from None
    if not isinstance(data, dict):
        raise TicketError(f"{path}: a ticket is a JSON object", "--ticket")
    return data


def explain(
    config: Annotated[Path, typer.Option("--config", help="Configuration file or folder")],
    ticket: Annotated[Path, typer.Option("--ticket", help="Ticket JSON with its events")],
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate as of this ISO instant (default: now)")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json or text")] = Format.json,
) -> None:
    """Evaluate one ticket's SLA clocks as of NOW and show them."""
    cfg = load_config(config)
    at = parse_instant(now, "--now") if now is not None else datetime.now(UTC)
    t = parse_ticket(_read_ticket(ticket), cfg)
    ev = evaluate(t, cfg, at)
    if fmt is Format.json:
        typer.echo(json.dumps(evaluation_json(ev), indent=2))
    else:
        typer.echo(evaluation_text(ev, cfg), nl=False)
