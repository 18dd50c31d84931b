"""`slaguard audit verify|export`: check and hand over a tenant's audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from slaguard.cli.admin_cmd import TenantOpt, open_services
from slaguard.cli.progress import progress_bar

__all__ = ["audit_app"]

_STEP = 10_000  # records between redraws of the export's progress bar

audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify(tenant: TenantOpt) -> None:
    """Check the whole chain; name the first record altered, removed or reordered.
    Exit code 1 on any break."""
    from slaguard.app import audit, tenants

    with open_services() as svc:
        tenant_id = tenants.tenant_named(svc, tenant)
        total = audit.sealed_count(svc, tenant_id=tenant_id)
        with progress_bar("verifying", total) as advance:
            checked, broken = audit.verify(svc, tenant_id=tenant_id, progress=advance)
        pending = audit.unsealed_count(svc, tenant_id=tenant_id)
    if broken is not None:
        typer.echo(
            f"BROKEN at record {broken.seq} (id {broken.record_id}): {broken.reason}; "
            f"{checked} records before it are intact",
            err=True,
        )
        raise typer.Exit(1)
    note = f" ({pending} newer records not yet sealed)" if pending else ""
    typer.echo(f"ok: {checked} records, the chain is intact{note}")


@audit_app.command("export")
def export(
    tenant: TenantOpt,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """Write the sealed records as JSON lines with their hashes (docs/audit.md says how
    to verify them independently)."""
    from slaguard.app import audit, tenants

    with open_services() as svc:
        tenant_id = tenants.tenant_named(svc, tenant)
        lines = (_line(r) for r in audit.export(svc, tenant_id=tenant_id))
        if output is None:
            for line in lines:
                typer.echo(line)
            return
        total = audit.sealed_count(svc, tenant_id=tenant_id)
        with output.open("w", encoding="utf-8") as f, progress_bar("exporting", total) as advance:
            count = 0
            for line in lines:
                f.write(line + "\n")
                count += 1
                if count % _STEP == 0:
                    advance(count)
    typer.echo(f"{count} records written to {output}")


def _line(record: dict[str, object]) -> str:
    """One record as a line of JSON, in UTF-8 where it can be: a garbled record's text
    may hold lone surrogates, which only JSON's ASCII escapes can carry."""
    line = json.dumps(record, sort_keys=True, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, sort_keys=True)
    return line
