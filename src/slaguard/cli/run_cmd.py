"""`slaguard run`: what `make run` starts.

Brings the database (SQLite by default, ./slaguard.db) up to date; on the first run
creates the `demo` tenant with the example configuration and a few hundred tickets,
and keeps its admin key in `.slaguard-demo-key` and the password of its dashboard user
(admin@demo.example) in `.slaguard-demo-password` (readable by the owner only) so that
later runs can show them again; then serves the API on SLAGUARD_HOST:SLAGUARD_PORT and
runs the worker (timers, escalations, notifications) in the same process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

__all__ = ["DEMO_KEY_FILE", "DEMO_PASSWORD_FILE", "DEMO_USER", "run"]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DEMO_CONFIG = EXAMPLES / "slaguard.yaml"
DEMO_KEY_FILE = Path(".slaguard-demo-key")
DEMO_PASSWORD_FILE = Path(".slaguard-demo-password")
DEMO_USER = "admin@demo.example"


def run() -> None:
    from slaguard.api.observability import configure_logging
    from slaguard.app import tenants, users
    from slaguard.app.services import Services
    from slaguard.bootstrap import build_services, instance_secret
    from slaguard.cli.serve_cmd import run_server
    from slaguard.cli.worker_cmd import start_worker_thread
    from slaguard.db.engine import is_sqlite
    from slaguard.db.migrate import upgrade
    from slaguard.demo import DEMO_TENANT, create_demo
    from slaguard.domain.errors import AuthenticationError, NotFoundError
    from slaguard.settings import load_settings

    settings = load_settings()
    if is_sqlite(settings.database_url):
        _make_parent(settings.database_url)
    services: Services = build_services(settings)
    upgrade(services.write_engine)
    if not settings.secret_key.get_secret_value():
        services.secret = instance_secret(services) or services.secret

    key: str | None
    try:
        tenants.tenant_named(services, DEMO_TENANT)
    except NotFoundError:
        if not DEMO_CONFIG.is_file():
            typer.echo(f"(no demo data: {DEMO_CONFIG} is not there)")
            key = None
        else:
            from slaguard.config.files import load_mapping

            typer.echo("First run: creating the demo tenant and its tickets ...")
            key = create_demo(
                services,
                config=load_mapping(DEMO_CONFIG),
                source_text=DEMO_CONFIG.read_text(encoding="utf-8"),
            )
            _save_key(key)
            password = secrets.token_urlsafe(12)
            users.create_user(
                services,
                tenant=DEMO_TENANT,
                email=DEMO_USER,
                password=password,
                role="admin",
                name="Demo admin",
            )
            _save(DEMO_PASSWORD_FILE, password)
    else:
        key = _read_key()
        try:
            tenants.authenticate(services, key)
        except AuthenticationError:
            key = tenants.create_key(services, tenant=DEMO_TENANT, role="admin")
            _save_key(key)

    base = f"http://{settings.host}:{settings.port}"
    typer.echo(f"\nslaguard is serving on {base}  (API docs: {base}/docs)")
    if key is not None:
        typer.echo(f"demo tenant admin API key: {key}  (kept in {DEMO_KEY_FILE})")
        shown = _read(DEMO_PASSWORD_FILE)
        if shown is not None:
            typer.echo(
                f"dashboard: {base}/ - organisation {DEMO_TENANT}, email {DEMO_USER}, "
                f"password {shown}  (kept in {DEMO_PASSWORD_FILE})"
            )
        typer.echo(
            f'try: curl -H "Authorization: Bearer {key}" '
            f'"{base}/api/v1/tickets?state=breached&limit=5"\n'
        )
    configure_logging(json=settings.log_json, level=settings.log_level)
    _, stop_worker = start_worker_thread(services, settings)
    try:
        run_server(settings, services, host=settings.host, port=settings.port)
    finally:
        stop_worker()


def _make_parent(url: str) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _save_key(key: str) -> None:
    _save(DEMO_KEY_FILE, key)


def _save(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    path.chmod(0o600)


def _read_key() -> str | None:
    return _read(DEMO_KEY_FILE)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
