"""`slaguard users create`: people who sign in to the dashboard (API keys are for
machines). The password is asked for twice, hidden, unless given with `--password` or
SLAGUARD_USER_PASSWORD."""

from __future__ import annotations

from typing import Annotated

import typer

from slaguard.app.tenants import Role
from slaguard.cli.admin_cmd import JsonOpt, TenantOpt, emit, open_services

__all__ = ["users_app"]

users_app = typer.Typer(help="People who sign in to the dashboard.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    tenant: TenantOpt,
    email: Annotated[str, typer.Option("--email", help="What they sign in with")],
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            help="viewer reads; agent also works tickets; lead also confirms breach "
            "reasons; admin also changes the configuration",
        ),
    ],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            envvar="SLAGUARD_USER_PASSWORD",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 10 characters (asked for when not given)",
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Shown in the dashboard")] = "",
    locale: Annotated[
        str | None, typer.Option("--locale", help="en or sv (default: from the browser)")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone (default: from the browser)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A new user of a tenant."""
    from slaguard.app.users import create_user as create

    with open_services() as svc:
        user_id = create(
            svc,
            tenant=tenant,
            email=email,
            password=password,
            role=role.value,
            name=name,
            locale=locale,
            timezone=timezone,
        )
    emit(
        as_json,
        {"tenant": tenant, "id": user_id, "email": email.strip().lower(), "role": role.value},
        f"{role.value} {email.strip().lower()} can now sign in to {tenant}",
    )
