"""Shared fixtures: an empty database of each backend for the storage and API tests.

`database_url` is parametrized over ["sqlite", "postgresql"], so every test built on it
(the `services` of tests/integration among them) runs on both. SQLite is a fresh file in
the test's temporary folder; PostgreSQL a fresh schema on the server that `tests/pg.py`
finds or starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg import PgServer, find_server, fresh_schema

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server, tried = find_server()
    if server is None:
        message = "no PostgreSQL for the tests: " + "; ".join(tried)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the parametrized backend (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'slaguard.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with fresh_schema(server.url) as url:
        yield url
