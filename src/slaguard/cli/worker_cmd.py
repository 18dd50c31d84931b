"""`slaguard worker` and `slaguard outbox list|retry`."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slaguard.cli.admin_cmd import JsonOpt, TenantOpt, open_services

if TYPE_CHECKING:
    from slaguard.app.services import Services
    from slaguard.settings import Settings

__all__ = ["outbox_app", "start_worker_thread", "worker"]

outbox_app = typer.Typer(help="Notifications waiting, sent and dead.", no_args_is_help=True)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Do what is due now, then exit (for cron)")
    ] = False,
) -> None:
    """Run the timers and deliver notifications until stopped (Ctrl-C / SIGTERM)."""
    from slaguard.api.observability import configure_logging
    from slaguard.bootstrap import build_services
    from slaguard.cli.admin_cmd import require_schema
    from slaguard.settings import load_settings
    from slaguard.worker.crash import checkpoint_from_env

    settings = load_settings()
    svc = build_services(settings)
    svc.checkpoint = checkpoint_from_env()
    try:
        require_schema(svc)
        configure_logging(json=settings.log_json, level=settings.log_level)
        asyncio.run(_work(svc, settings, once=once))
    finally:
        svc.engine.dispose()


async def _work(svc: Services, settings: Settings, *, once: bool) -> None:
    from slaguard.notify import Deliverer, SenderSettings
    from slaguard.worker import Worker, WorkerOptions

    async with Deliverer(SenderSettings.from_settings(settings)) as deliverer:
        w = Worker(
            svc,
            deliverer,
            WorkerOptions.from_settings(settings),
            database_url=settings.database_url,
        )
        if once:
            stats = await w.run_once()
            typer.echo(
                f"fired for {stats.tickets} tickets, sent {stats.sent}, failed {stats.failed}"
            )
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await w.run_forever(stop)


def start_worker_thread(svc: Services, settings: Settings) -> tuple[threading.Thread, Any]:
    """The worker in a background thread of this process (what `slaguard run` uses);
    returns the thread and a function that stops it."""
    from slaguard.notify import Deliverer, SenderSettings
    from slaguard.worker import Worker, WorkerOptions

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        async with Deliverer(SenderSettings.from_settings(settings)) as deliverer:
            w = Worker(
                svc,
                deliverer,
                WorkerOptions.from_settings(settings),
                database_url=settings.database_url,
            )
            await w.run_forever(stop)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()

    def halt() -> None:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)

    return thread, halt


@outbox_app.command("list")
def list_outbox(
    tenant: TenantOpt,
    state: Annotated[
        str | None, typer.Option("--state", help="pending, held, sent, dead or digested")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Deliveries of a tenant, newest first."""
    from slaguard.app import outbox, tenants

    with open_services() as svc:
        rows = outbox.list_outbox(
            svc, tenant_id=tenants.tenant_named(svc, tenant), state=state, limit=limit
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from slaguard.cli.tables import print_table

    table = Table("delivery id", "state", "kind", "to", "ticket", "attempts", "last error")
    for r in rows:
        to = r["channel"] or r["person"]
        table.add_row(
            r["delivery_id"],
            r["state"],
            r["kind"],
            f"{to} ({r['channel_type']})",
            str(r["ticket"] or ""),
            str(r["attempts"]),
            r["last_error"] or "",
        )
    print_table(table)


@outbox_app.command("retry")
def retry_outbox(
    tenant: TenantOpt,
    delivery_ids: Annotated[
        list[str] | None, typer.Argument(help="Delivery ids (default: with --all-dead)")
    ] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Every dead delivery of the tenant")
    ] = False,
) -> None:
    """Send dead deliveries again (same delivery ids), from the next worker round."""
    from slaguard.app import outbox, tenants

    with open_services() as svc:
        count = outbox.retry(
            svc,
            tenant_id=tenants.tenant_named(svc, tenant),
            delivery_ids=delivery_ids or [],
            all_dead=all_dead,
        )
    typer.echo(f"{count} deliveries pending again")
