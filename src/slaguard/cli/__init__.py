"""The `slaguard` command line. Errors print one line naming the field, and exit 2."""

from __future__ import annotations

import sys

import typer

from slaguard.cli import calendar_cmd, explain_cmd
from slaguard.domain.errors import SlaError

__all__ = ["app", "main"]

app = typer.Typer(
    name="slaguard",
    help="SLA clocks in business time: deadlines, warnings, escalation and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar_cmd.app, name="calendar")
app.command("explain")(explain_cmd.explain)


def main() -> None:
    """Console entry point: SlaError and ValueError become a one-line message and exit 2."""
    try:
        app()
    except (SlaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


@app.command("run")
def run() -> None:
    """Set up and start slaguard on the embedded default (what `make run` calls)."""
    from slaguard.cli.run_cmd import run as run_service

    run_service()
