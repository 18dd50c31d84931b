"""`slaguard sources set`: let a help desk post webhooks for a tenant."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from slaguard.app.ingest import set_source
from slaguard.bootstrap import build_services
from slaguard.settings import load_settings

app = typer.Typer(help="Webhook sources (zendesk, jira, freshdesk, generic).", no_args_is_help=True)


@app.command("set")
def set_(
    source: Annotated[str, typer.Argument(help="generic, zendesk, jira or freshdesk")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's name")],
    secret: Annotated[
        str | None,
        typer.Option("--secret", help="The secret the source signs with (default: a new one)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Register or rotate SOURCE's webhook secret for TENANT; prints the secret and URL."""
    settings = load_settings()
    svc = build_services(settings)
    value = set_source(svc, tenant=tenant, source=source, secret=secret)
    url = f"http://{settings.host}:{settings.port}/api/v1/ingest/{source}?tenant={tenant}"
    if as_json:
        typer.echo(json.dumps({"tenant": tenant, "source": source, "secret": value, "url": url}))
    else:
        typer.echo(f"secret: {value}\nwebhook URL: {url}")
