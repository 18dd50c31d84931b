"""A PostgreSQL server for the storage and API tests, and a fresh schema for each test.

Where the server comes from, in order:
1. SLAGUARD_TEST_PG_URL, if set and reachable;
2. postgresql://postgres@127.0.0.1:5432/postgres (a local server with trust auth);
3. a throwaway cluster made with the installed binaries (/usr/lib/postgresql/*/bin:
   initdb + pg_ctl) in a temporary folder on a free port; as root they run as the
   `postgres` user, since PostgreSQL refuses to run as root.
If none works the PostgreSQL tests are skipped, or fail when CI=true.

Each test gets its own schema (CREATE SCHEMA slaguard_test_<random>, dropped after),
selected through the connection's `search_path`, which is much faster than a database
per test and isolates as well.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

__all__ = ["DEFAULT_URL", "PgServer", "find_server", "fresh_schema"]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class PgServer:
    url: str
    how: str
    _cleanup: list[str] = field(default_factory=list)  # data folder of a throwaway cluster
    _as_postgres: bool = False
    _pg_ctl: str = ""

    def stop(self) -> None:
        for folder in self._cleanup:
            data = str(Path(folder) / "data")
            _run([self._pg_ctl, "-D", data, "-m", "immediate", "stop"], self._as_postgres)
            shutil.rmtree(folder, ignore_errors=True)
        self._cleanup.clear()


def reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def find_server() -> tuple[PgServer | None, list[str]]:
    """A usable server, and what was tried (for the skip or failure message)."""
    tried: list[str] = []
    for url in filter(None, [os.environ.get("SLAGUARD_TEST_PG_URL"), DEFAULT_URL]):
        if reachable(url):
            return PgServer(url, f"running server {url}"), tried
        tried.append(f"{url}: not reachable")
    try:
        server = start_cluster()
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        tried.append(f"throwaway cluster: {exc}")
        return None, tried
    return server, tried


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_postgres: bool) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def start_cluster() -> PgServer:
    initdbs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not initdbs:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb installed")
    bindir = Path(initdbs[-1]).parent
    as_postgres = os.geteuid() == 0
    folder = tempfile.mkdtemp(prefix="slaguard-pg-")
    if as_postgres:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError("running as root and there is no postgres user") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = str(Path(folder) / "data")
    port = _free_port()
    r = _run([str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"], as_postgres)
    if r.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {r.stderr.strip()[-300:]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(bindir / "pg_ctl")
    r = _run(
        [pg_ctl, "-D", data, "-o", options, "-l", str(Path(folder) / "log"), "-w", "start"],
        as_postgres,
    )
    if r.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {r.stderr.strip()[-300:]}")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    return PgServer(url, f"throwaway cluster on port {port}", [folder], as_postgres, pg_ctl)


@contextlib.contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    """The URL of an empty schema of its own, dropped (with everything in it) afterwards."""
    name = f"slaguard_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
