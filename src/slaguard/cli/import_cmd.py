"""`slaguard import FILE --tenant NAME`: bulk-load ticket history from JSON lines or CSV.

Acts on the database of SLAGUARD_DATABASE_URL. Each ticket goes in whole or not at all;
rejected tickets are listed with the file's line numbers. Exit status: 0 when everything
in the file is in the database, 1 when some tickets or lines were rejected, 2 on a usage
or configuration error, 130 when interrupted (run the same command again to finish).
Formats and rules: docs/import.md.
"""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slaguard.domain.errors import ConfigError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from slaguard.app.imports import ImportProgress, ImportSummary

__all__ = ["import_tickets"]


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


class _Bar:
    """A rich progress display on stderr: scanning (bytes), then importing (tickets)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress: Progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            auto_refresh=False,  # redrawn on each update: no thread of its own
        )
        self.scan: TaskID | None = None
        self.load: TaskID | None = None
        self.started = 0.0

    def __call__(self, p: ImportProgress) -> None:
        bar = self.progress
        if self.scan is None:
            bar.start()
            self.scan = bar.add_task("scanning", total=p.bytes_total or 1, detail="")
        if p.phase == "scan":
            mb = f"{p.bytes_read / 1e6:,.1f}/{p.bytes_total / 1e6:,.1f} MB"
            bar.update(self.scan, completed=p.bytes_read, detail=mb)
        else:
            if self.load is None:
                bar.update(self.scan, completed=p.bytes_total or 1)
                self.load = bar.add_task("importing", total=p.tickets_total or 1, detail="")
                self.started = time.perf_counter()
            rate = p.events_imported / max(time.perf_counter() - self.started, 1e-9)
            bar.update(
                self.load,
                completed=p.tickets_done,
                detail=(
                    f"{p.tickets_done:,}/{p.tickets_total:,} tickets, "
                    f"{p.events_imported:,} events, {rate:,.0f}/s"
                ),
            )
        bar.refresh()

    def stop(self) -> None:
        if self.scan is not None:
            self.progress.stop()


def _report(summary: ImportSummary) -> str:
    lines = [text for r in summary.rejections for text in r.text()]
    conflicts = f" ({summary.conflicts:,} conflicts)" if summary.conflicts else ""
    lines += [
        f"tickets imported   {summary.imported:,}",
        f"events imported    {summary.events_imported:,}",
        f"already imported   {summary.already_imported:,}",
        f"rejected tickets   {summary.rejected:,}{conflicts}",
        f"malformed lines    {summary.malformed_lines:,}",
        f"elapsed            {summary.elapsed:,.1f} s ({summary.events_per_second:,.0f} events/s)",
    ]
    if summary.interrupted:
        lines.append("interrupted: run the same command again to import the rest")
    return "\n".join(lines)


def import_tickets(
    file: Annotated[Path, typer.Argument(help="A .jsonl/.ndjson or .csv file")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's name")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="csv or jsonl (default: from the file's extension)"),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Tickets per transaction")] = 500,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=0, help="Processes (default: one per CPU, at most 8; 0: none)"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary, with every rejection, as JSON")
    ] = False,
) -> None:
    """Import tickets and their events; each ticket goes in whole or not at all.

    Running the same import again skips what is already in and finishes the rest.
    """
    from slaguard.app.imports import guess_format, import_file
    from slaguard.app.tenants import Principal, Role, tenant_named
    from slaguard.cli.admin_cmd import open_services

    guess_format(file, fmt.value if fmt is not None else None)  # usage errors first
    if not file.is_file():
        raise ConfigError(f"no such file: {file}", "FILE")
    bar = _Bar() if sys.stderr.isatty() else None
    with open_services() as svc:
        tenant_id = tenant_named(svc, tenant)
        # The operator at the console acts for the tenant with full rights.
        principal = Principal(tenant_id=tenant_id, tenant=tenant, role=Role.ADMIN)
        try:
            summary = import_file(
                svc,
                principal=principal,
                path=file,
                fmt=fmt.value if fmt is not None else None,
                batch=batch,
                workers=workers,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.stop()
    payload: dict[str, Any] = summary.as_json()
    typer.echo(json.dumps(payload, indent=2) if as_json else _report(summary))
    if summary.interrupted:
        raise typer.Exit(130)
    if not summary.complete:
        raise typer.Exit(1)
