"""Engines for SQLite (WAL, foreign keys, a busy timeout) and PostgreSQL (psycopg 3, pooled)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["is_sqlite", "make_engine", "normalise_url", "writer"]


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def make_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 20, echo: bool = False
) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so that a
        # transaction starts when SQLAlchemy says (and writers take the lock up front).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
    )
    event.listen(engine, "connect", _postgres_session)
    return engine


def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement on the server once it has run 5 times on a connection,
    # and PostgreSQL may then keep one generic plan for it, made without the parameters'
    # values and with the tables' sizes as they were then, for as long as the pooled
    # connection lives. A plan made while a table was small outlives its growth: the
    # check of 500 idempotency keys, planned on an empty `events` table, went on reading
    # every event of the tenant, and batches of events that took 1 s took 13 s once the
    # tenant had a few hundred thousand events. Custom plans are made with the values
    # and the sizes of now; the statements stay prepared (parsed once per connection).
    with dbapi_connection.cursor() as cur:
        cur.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()  # a session setting, kept whatever the transactions do


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A write transaction takes the database lock when it begins (IMMEDIATE): a
    # deferred one that reads first and then writes can fail at once with "database is
    # locked" instead of waiting. Readers stay deferred, so WAL lets them run alongside.
    write = conn.get_execution_options().get("slaguard_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) marked for write transactions."""
    return engine.execution_options(slaguard_write=True)
