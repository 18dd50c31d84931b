"""`slaguard migrate | tenants create | keys create | config apply`: operator commands.

They act on the database of SLAGUARD_DATABASE_URL (default: ./slaguard.db). A key is
printed once, when it is made; only its hash is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

from slaguard.app.services import Services
from slaguard.app.tenants import Role
from slaguard.domain.errors import ConfigError

__all__ = [
    "JsonOpt",
    "TenantOpt",
    "config_app",
    "emit",
    "keys_app",
    "migrate",
    "open_services",
    "require_schema",
    "tenants_app",
]

tenants_app = typer.Typer(help="Tenants: every record belongs to one.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of a tenant.", no_args_is_help=True)
config_app = typer.Typer(help="A tenant's SLA configuration.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
TenantOpt = Annotated[str, typer.Option("--tenant", help="The tenant's name")]


@contextmanager
def open_services(*, migrating: bool = False) -> Iterator[Services]:
    """The services on the configured database, closed when the block ends. A database
    error in the block that comes from a database out of reach or not migrated (unless
    `migrating` it) becomes a one-line `ConfigError` saying so."""
    from slaguard.bootstrap import build_services
    from slaguard.settings import load_settings

    svc = build_services(load_settings())
    try:
        yield svc
    except DBAPIError as exc:
        problem = _schema_problem(svc, migrating=migrating)
        if problem is None:
            raise
        raise problem from exc
    finally:
        svc.engine.dispose()


def require_schema(svc: Services) -> None:
    """Refuse to start a server or worker on a database out of reach or not migrated:
    it would fail every request and every round."""
    problem = _schema_problem(svc)
    if problem is not None:
        raise problem


def _schema_problem(svc: Services, *, migrating: bool = False) -> ConfigError | None:
    from slaguard.db.migrate import schema_behind

    where = svc.engine.url.render_as_string()
    try:
        behind = schema_behind(svc.engine)
    except DBAPIError as unreachable:
        first = str(unreachable.orig).strip().splitlines()[0] if unreachable.orig else ""
        return ConfigError(f"cannot reach the database {where}: {first}")
    if behind is not None and not migrating:
        return ConfigError(f"the database {where} is not ready ({behind}): run `slaguard migrate`")
    return None


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(payload, indent=2) if as_json else text)


def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    from slaguard.db.migrate import upgrade

    with open_services(migrating=True) as svc:
        upgrade(svc.write_engine)
        typer.echo(f"database schema is up to date ({svc.engine.url.render_as_string()})")


@tenants_app.command("create")
def create_tenant(
    name: Annotated[str, typer.Argument(help="Lower-case letters, digits, '-' or '_'")],
    as_json: JsonOpt = False,
) -> None:
    """A new tenant and its first admin key (printed once)."""
    from slaguard.app.tenants import create_tenant as create

    with open_services() as svc:
        tenant, key = create(svc, name=name)
    emit(
        as_json,
        {"tenant": tenant, "api_key": key},
        f"tenant {tenant} created\nadmin API key (shown once): {key}",
    )


@keys_app.command("create")
def create_key(
    tenant: TenantOpt,
    role: Annotated[Role, typer.Option("--role", help="What the key may do")],
    as_json: JsonOpt = False,
) -> None:
    """A new API key for a tenant: viewer reads, agent also writes tickets and events,
    admin also changes the configuration."""
    from slaguard.app.tenants import create_key as create

    with open_services() as svc:
        key = create(svc, tenant=tenant, role=role.value)
    emit(
        as_json,
        {"tenant": tenant, "role": role.value, "api_key": key},
        f"{role.value} API key for {tenant} (shown once): {key}",
    )


@config_app.command("apply")
def apply_config(
    path: Annotated[Path, typer.Argument(help="YAML/JSON file, or a folder of them")],
    tenant: TenantOpt,
    as_json: JsonOpt = False,
) -> None:
    """Check a configuration and store it as the tenant's new version. Nothing is
    stored when any part is invalid; every problem is named by its path."""
    from slaguard.app.configs import apply_config as apply
    from slaguard.app.tenants import tenant_named
    from slaguard.config.files import load_mapping

    document = load_mapping(path)
    source = path.read_text(encoding="utf-8") if path.is_file() else None
    with open_services() as svc:
        version = apply(
            svc, tenant_id=tenant_named(svc, tenant), document=document, source_text=source
        )
    emit(
        as_json,
        {"tenant": tenant, "version": version},
        f"configuration version {version} stored for {tenant}",
    )
