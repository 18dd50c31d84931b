"""`slaguard report NAME --tenant T --from --to --group-by --format table|json|csv`, and
`slaguard report rebuild-rollups --tenant T` (recompute the tenant's daily rollups)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from slaguard.cli.admin_cmd import TenantOpt, open_services

__all__ = ["report"]

REBUILD = "rebuild-rollups"
# The report's parameters as the API names them, and as this command does.
_OPTIONS = {"name": "NAME", "from": "--from", "to": "--to", "group_by": "--group-by"}


def report(
    name: Annotated[
        str,
        typer.Argument(
            help="compliance, response-times, coverage, trend, breach-reasons, pause-abuse, "
            "repeat-offenders; or rebuild-rollups"
        ),
    ],
    tenant: TenantOpt,
    from_: Annotated[
        str | None, typer.Option("--from", help="ISO-8601 start (default: 30 days before --to)")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="ISO-8601 end, exclusive (default: now)")
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="team, queue, category, product, channel, tier, priority, policy, assignee, "
            "account, metric",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """Print a report (definitions in docs/reports.md)."""
    from slaguard.api.deps import parse_at
    from slaguard.api.routers.reports import to_csv
    from slaguard.app import reports, tenants
    from slaguard.app.tenants import Principal, Role
    from slaguard.domain.errors import ErrorDetail, TicketError

    if name == REBUILD:
        from slaguard.app.rollups import rebuild_rollups
        from slaguard.cli.progress import working

        with open_services() as svc, working(f"rebuilding the daily rollups of {tenant}"):
            tenant_id = tenants.tenant_named(svc, tenant)
            rebuild_rollups(svc, principal=Principal(tenant_id, tenant, Role.ADMIN))
        typer.echo(f"rebuilt the daily rollups of {tenant}")
        return
    if fmt not in ("table", "json", "csv"):
        raise TicketError(f"unknown format {fmt!r} (table, json or csv)", "--format")
    with open_services() as svc:
        tenant_id = tenants.tenant_named(svc, tenant)
        principal = Principal(tenant_id=tenant_id, tenant=tenant, role=Role.VIEWER)
        start_us, end_us = parse_at(from_, "--from"), parse_at(to, "--to")
        try:
            result = reports.run_report(
                svc,
                principal=principal,
                name=name,
                start_us=start_us,
                end_us=end_us,
                group_by=group_by,
            )
        except TicketError as exc:  # named by the API's parameters: say the command's
            details = [ErrorDetail(_OPTIONS.get(d.path, d.path), d.message) for d in exc.details]
            raise TicketError(details) from None
    rows = result["rows"]
    if fmt == "json":
        typer.echo(json.dumps(result, indent=2))
        return
    if fmt == "csv":
        typer.echo(to_csv(name, rows), nl=False)
        return
    from rich.table import Table

    from slaguard.cli.tables import print_table

    names = reports.columns(name)
    table = Table(title=f"{name}: {result['from']} to {result['to']}")
    for column in names:
        numbers = all(isinstance(row[column], int | float | None) for row in rows)
        table.add_column(column, justify="right" if rows and numbers else "left")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in names))
    print_table(table)
