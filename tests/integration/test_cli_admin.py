"""The operator commands as people run them: real processes on a temporary SQLite file.

`migrate`, `tenants create`, `keys create`, `config apply`, and `serve` / `run` (the
server is started, answered on /healthz and the API, and stopped)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelpers import EXAMPLE_CONFIG

from pg import PgServer, fresh_schema
from servers import Server, free_port, ok, slaguard


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    return {**clean, "SLAGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_migrate_tenants_keys_and_config(env: dict[str, str], tmp_path: Path) -> None:
    assert "up to date" in ok(slaguard(env, "migrate"))
    assert "up to date" in ok(slaguard(env, "migrate"))  # again: nothing to do

    made = json.loads(ok(slaguard(env, "tenants", "create", "acme", "--json")))
    assert made["tenant"] == "acme"
    assert made["api_key"].startswith("sg_")
    human = ok(slaguard(env, "tenants", "create", "globex"))
    assert "globex" in human and "sg_" in human

    viewer = json.loads(
        ok(slaguard(env, "keys", "create", "--tenant", "acme", "--role", "viewer", "--json"))
    )
    assert set(viewer) == {"tenant", "role", "api_key"}
    assert viewer["role"] == "viewer"

    applied = json.loads(
        ok(slaguard(env, "config", "apply", str(EXAMPLE_CONFIG), "--tenant", "acme", "--json"))
    )
    assert applied == {"tenant": "acme", "version": 1}
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "all.yaml").write_text(EXAMPLE_CONFIG.read_text())
    assert "version 2" in ok(slaguard(env, "config", "apply", str(folder), "--tenant", "acme"))

    # the keys printed work against the same database through the API
    from apihelpers import TestClient

    from slaguard.api import create_app
    from slaguard.bootstrap import build_services
    from slaguard.settings import load_settings

    svc = build_services(load_settings(database_url=env["SLAGUARD_DATABASE_URL"]))
    try:
        with TestClient(create_app(svc)) as c:
            r = c.get("/api/v1/config", headers={"Authorization": f"Bearer {viewer['api_key']}"})
            assert r.status_code == 200
            assert r.json()["version"] == 2
            r = c.put(
                "/api/v1/config",
                content=EXAMPLE_CONFIG.read_bytes(),
                headers={"Authorization": f"Bearer {made['api_key']}"},
            )
            assert r.json() == {"version": 3}
    finally:
        svc.engine.dispose()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the tenant `acme`, copied by the tests that need one."""
    folder = tmp_path_factory.mktemp("prepared")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    env = {**clean, "SLAGUARD_DATABASE_URL": f"sqlite:///{folder / 'cli.db'}"}
    ok(slaguard(env, "migrate"))
    ok(slaguard(env, "tenants", "create", "acme"))
    return folder / "cli.db"


@pytest.fixture
def acme_env(env: dict[str, str], prepared: Path, tmp_path: Path) -> dict[str, str]:
    shutil.copy(prepared, tmp_path / "cli.db")
    return env


BACKWARDS = ["--from", "2026-11-20T00:00Z", "--to", "2026-11-01T00:00Z"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["tenants", "create", "Bad Name"], "name"),
        (["keys", "create", "--tenant", "nobody", "--role", "agent"], "nobody"),
        (["config", "apply", "missing.yaml", "--tenant", "acme"], "missing.yaml"),
        (["config", "apply", "BROKEN", "--tenant", "acme"], "timezone"),
        (["config", "apply", "CONFIG", "--tenant", "nobody"], "nobody"),
        (["report", "compliance", "--tenant", "acme", "--group-by", "nope"], "--group-by:"),
        (["report", "nope", "--tenant", "acme"], "NAME: unknown report 'nope'"),
        (["report", "trend", "--tenant", "acme", *BACKWARDS], "--from:"),
        (["report", "trend", "--tenant", "acme", "--from", "2026-11-20"], "--from:"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    acme_env: dict[str, str], tmp_path: Path, args: list[str], needle: str
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE_CONFIG.read_text().replace("Europe/Berlin", "Mars/Olympus"))
    args = [
        str(broken) if a == "BROKEN" else str(EXAMPLE_CONFIG) if a == "CONFIG" else a for a in args
    ]
    r = slaguard(acme_env, *args, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("error: ")
    assert len(r.stderr.strip().splitlines()) == 1
    assert needle in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["report", "compliance", "--tenant", "acme"],
        ["tenants", "create", "acme"],
        ["audit", "verify", "--tenant", "acme"],
        ["serve"],
        ["worker", "--once"],
    ],
)
def test_a_database_not_migrated_or_out_of_reach_is_one_line(
    env: dict[str, str], free_port_url: str, args: list[str]
) -> None:
    r = slaguard(env, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        f"error: the database {env['SLAGUARD_DATABASE_URL']} is not ready (it has no "
        "slaguard schema): run `slaguard migrate`"
    ]
    r = slaguard({**env, "SLAGUARD_DATABASE_URL": free_port_url}, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach the database postgresql+psycopg://slaguard:***@")
    assert "s3cret" not in line


@pytest.fixture
def free_port_url() -> str:
    """A PostgreSQL URL with a password, on a port nothing listens on."""
    return f"postgresql://slaguard:s3cret@127.0.0.1:{free_port()}/slaguard"


def test_a_duplicate_tenant_is_refused(acme_env: dict[str, str]) -> None:
    r = slaguard(acme_env, "tenants", "create", "acme")
    assert r.returncode == 2
    assert "already exists" in r.stderr


def test_report_rebuild_rollups(acme_env: dict[str, str]) -> None:
    assert "rebuilt" in ok(slaguard(acme_env, "report", "rebuild-rollups", "--tenant", "acme"))
    out = ok(slaguard(acme_env, "report", "trend", "--tenant", "acme", "--format", "json"))
    assert json.loads(out)["rows"] == []


# -- serve and run -------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.stop()


def test_serve(env: dict[str, str], tmp_path: Path, servers: list[Server]) -> None:
    ok(slaguard(env, "migrate"))
    key = json.loads(ok(slaguard(env, "tenants", "create", "acme", "--json")))["api_key"]
    port = free_port()
    # --host/--port win over SLAGUARD_HOST/SLAGUARD_PORT (set to another port by Server)
    server = Server(env, tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port), port=port)
    servers.append(server)
    server.wait()
    r = httpx.get(f"{server.base}/api/v1/config", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404  # no configuration yet
    assert r.json()["error"]["code"] == "not_found"
    log = server.stop()
    assert "/api/v1/config" in log  # each request is logged


def test_serve_with_workers_needs_postgresql(env: dict[str, str]) -> None:
    r = slaguard(env, "serve", "--workers", "2")
    assert r.returncode == 2
    assert "PostgreSQL" in r.stderr


def test_serve_with_workers_on_postgresql(
    pg_server: PgServer, tmp_path: Path, servers: list[Server]
) -> None:
    with fresh_schema(pg_server.url) as url:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
        env = {**clean, "SLAGUARD_DATABASE_URL": url}
        ok(slaguard(env, "migrate"))
        key = json.loads(ok(slaguard(env, "tenants", "create", "acme", "--json")))["api_key"]
        server = Server(env, tmp_path, "serve", "--workers", "2")
        servers.append(server)
        server.wait()
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        commands = [Path(f"/proc/{c}/cmdline").read_bytes() for c in children.read_text().split()]
        assert sum(b"spawn_main" in c for c in commands) == 2  # the worker processes
        for _ in range(4):
            r = httpx.get(
                f"{server.base}/api/v1/config", headers={"Authorization": f"Bearer {key}"}
            )
            assert r.status_code == 404  # no configuration yet
        server.stop()


def _get(server: Server, key: str, path: str, **params: Any) -> Any:
    r = httpx.get(f"{server.base}{path}", params=params, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_run_creates_the_demo_once_and_shows_its_key(tmp_path: Path, servers: list[Server]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    env["SLAGUARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'slaguard.db'}"
    started = time.monotonic()
    first = Server(env, tmp_path, "run")
    servers.append(first)
    first.wait()
    assert time.monotonic() - started < 30
    key_file = tmp_path / ".slaguard-demo-key"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    total = 0
    cursor = None
    while True:
        page = _get(
            first, key, "/api/v1/tickets", limit=500, **({"cursor": cursor} if cursor else {})
        )
        total += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert 200 <= total <= 1000
    for state in ("breached", "running", "paused", "met"):
        assert _get(first, key, "/api/v1/tickets", state=state, limit=1)["items"], state
    for status in ("new", "open", "pending", "solved", "provisioning"):
        assert _get(first, key, "/api/v1/tickets", status=status, limit=1)["items"], status
    password_file = tmp_path / ".slaguard-demo-password"
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    with httpx.Client(base_url=first.base) as browser:
        form = browser.get("/signin").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = browser.post(
            "/signin",
            data={
                "tenant": "demo",
                "email": "admin@demo.example",
                "password": password,
                "csrf_token": csrf.group(1),
            },
        )
        assert signed_in.status_code == 303
        assert browser.get("/").status_code == 200
    out = first.stop()
    assert key in out
    assert password in out
    assert f"http://127.0.0.1:{first.port}" in out

    again = Server(env, tmp_path, "run")
    servers.append(again)
    again.wait()
    page = _get(again, key, "/api/v1/tickets", limit=500)
    assert page["items"][0]["id"] == "DEMO-1001"
    out = again.stop()
    assert key in out
    assert "First run" not in out


def test_users_create(env: dict[str, str]) -> None:
    ok(slaguard(env, "migrate"))
    ok(slaguard(env, "tenants", "create", "acme"))
    out = ok(
        slaguard(
            {**env, "SLAGUARD_USER_PASSWORD": "a long enough secret"},
            *("users", "create", "--tenant", "acme", "--email", "Lead@Acme.Example"),
            *("--role", "lead", "--name", "Lee", "--json"),
        )
    )
    assert json.loads(out) == {
        "tenant": "acme",
        "id": 1,
        "email": "lead@acme.example",
        "role": "lead",
    }
    again = slaguard(
        {**env, "SLAGUARD_USER_PASSWORD": "a long enough secret"},
        *("users", "create", "--tenant", "acme", "--email", "lead@acme.example", "--role", "agent"),
    )
    assert again.returncode == 2
    assert "email" in again.stderr
    short = slaguard(
        {**env, "SLAGUARD_USER_PASSWORD": "short"},
        *("users", "create", "--tenant", "acme", "--email", "x@acme.example", "--role", "agent"),
    )
    assert short.returncode == 2
    assert "password" in short.stderr
