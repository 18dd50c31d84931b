"""PostgreSQL connections from `make_engine` plan every statement with its parameters'
values and the tables' current sizes, also once psycopg has prepared it: a generic plan
made while a table was small must not outlive the table's growth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, bindparam, text

from pg import PgServer, fresh_schema
from slaguard.db.engine import make_engine

# psycopg prepares a statement on the server at its 5th run on a connection; PostgreSQL
# then makes 5 custom plans before it weighs a generic one.
RUNS = 15
_LOOKUP = text("SELECT key FROM keyed WHERE tenant = :tenant AND key IN :keys").bindparams(
    bindparam("keys", expanding=True)
)


@pytest.fixture
def url(pg_server: PgServer) -> Iterator[str]:
    with fresh_schema(pg_server.url) as url:
        yield url


def _plans(conn: Connection) -> tuple[int, int]:
    """(generic, custom) plans made for the prepared lookup on this connection."""
    row = conn.execute(
        text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%FROM keyed%'"
        )
    ).one()
    return int(row.generic_plans), int(row.custom_plans)


def test_a_prepared_statement_is_planned_afresh_each_time(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE keyed (tenant int, key text, UNIQUE (tenant, key))"))
        with engine.connect() as conn:
            for i in range(RUNS):
                keys = [f"k{i}-{j}" for j in range(50)]
                assert conn.execute(_LOOKUP, {"tenant": 1, "keys": keys}).all() == []
            generic, custom = _plans(conn)
            # prepared (so counted here) and never run with a generic plan
            assert generic == 0
            assert custom >= RUNS - 5
            conn.rollback()
    finally:
        engine.dispose()


def test_the_setting_outlives_rolled_back_transactions(url: str) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        for _ in range(3):
            with engine.connect() as conn:  # the pool's one connection, every time
                assert conn.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
                conn.execute(text("SET LOCAL work_mem = '8MB'"))
                conn.rollback()
    finally:
        engine.dispose()


def test_without_it_postgresql_would_keep_a_generic_plan(url: str) -> None:
    """What the setting prevents, so that the test above can fail: the same statement on a
    connection with PostgreSQL's default settles on a generic plan."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE keyed (tenant int, key text, UNIQUE (tenant, key))"))
        with engine.connect() as conn:
            conn.execute(text("SET plan_cache_mode = auto"))
            for i in range(RUNS):
                conn.execute(_LOOKUP, {"tenant": 1, "keys": [f"k{i}-{j}" for j in range(50)]})
            generic, _ = _plans(conn)
            assert generic > 0
            conn.rollback()
    finally:
        engine.dispose()
