"""The `slaguard` command line. Errors print one line naming the field, and exit 2."""

from __future__ import annotations

import sys

import typer

from slaguard.cli import (
    audit_cmd,
    calendar_cmd,
    explain_cmd,
    import_cmd,
    report_cmd,
    sources_cmd,
    users_cmd,
    worker_cmd,
)
from slaguard.cli.admin_cmd import config_app, keys_app, migrate, tenants_app
from slaguard.cli.serve_cmd import serve
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
app.command("migrate")(migrate)
app.command("serve")(serve)
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="keys")
app.add_typer(config_app, name="config")
app.add_typer(sources_cmd.app, name="sources")
app.command("import")(import_cmd.import_tickets)
app.command("worker")(worker_cmd.worker)
app.command("report")(report_cmd.report)
app.add_typer(audit_cmd.audit_app, name="audit")
app.add_typer(worker_cmd.outbox_app, name="outbox")
app.add_typer(users_cmd.users_app, name="users")


def main() -> None:
    """Console entry point: SlaError and ValueError become a one-line message and exit 2."""
    try:
        app()
    except (SlaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


@app.command("run")
def run() -> None:
    """Set up and start slaguard (API and worker) on the embedded default (`make run`)."""
    from slaguard.cli.run_cmd import run as run_service

    run_service()
