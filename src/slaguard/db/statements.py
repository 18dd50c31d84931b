"""Statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Dialect,
    Insert,
    Row,
    Table,
    Text,
    bindparam,
    cast,
    column,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["insert_many", "insert_new"]


def insert_new(dialect: str, table: Table, *, key: Sequence[str]) -> Insert:
    """An INSERT that skips each row whose `key` columns (a unique constraint) are
    already stored, by anyone: `ON CONFLICT (key) DO NOTHING` on both databases."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))
    raise ValueError(f"unsupported database {dialect!r}")


def insert_many(
    s: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_stored: Sequence[str] = (),
    returning: Sequence[str] = (),
    json_text: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert `rows` (each with the same keys) in one statement; with `skip_stored` (a
    unique constraint's columns) a row already stored under them is skipped, as in
    `insert_new`. The `returning` columns of the rows written, in no particular order.
    The JSON columns named in `json_text` are given as their JSON text, stored as it is
    (the column's own serialiser would format it anew).

    On PostgreSQL the rows travel as one JSON document, read by the server with
    `json_to_recordset`: one short statement and one parameter however many rows, made
    by the json module's encoder. A multi-row VALUES list (what SQLAlchemy makes of a
    RETURNING insert) is a statement with a placeholder per value, which psycopg rewrites
    anew each time (it caches only short statements), and arrays (one per column) are
    escaped element by element in Python: for a few hundred rows either cost more than
    building the rows. SQLite: the usual many-row insert."""
    if not rows:
        return []
    if any(r.keys() != rows[0].keys() for r in rows):
        raise ValueError("every row must have the same columns")
    dialect = s.get_bind().dialect
    if dialect.name != "postgresql":
        stmt = insert_new(dialect.name, table, key=skip_stored) if skip_stored else table.insert()
        if json_text:
            stmt = stmt.values({c: bindparam(c, type_=Text) for c in json_text})
        if not returning:
            s.execute(stmt, list(rows))
            return []
        return list(s.execute(stmt.returning(*(table.c[c] for c in returning)), list(rows)).all())
    names = tuple(rows[0])
    sql = _recordset_insert(
        dialect, table, names, tuple(skip_stored), tuple(returning), tuple(json_text)
    )
    result = s.connection().exec_driver_sql(sql, {"rows": json.dumps(rows)})
    return list(result.all()) if returning else []


@functools.lru_cache(maxsize=64)
def _recordset_insert(
    dialect: Dialect,
    table: Table,
    names: tuple[str, ...],
    skip_stored: tuple[str, ...],
    returning: tuple[str, ...],
    json_text: tuple[str, ...],
) -> str:
    """`INSERT INTO table (names) SELECT ... FROM json_to_recordset(:rows)` as the
    driver's SQL. Compiled once per shape of insert: SQLAlchemy does not cache the
    compilation of a table-valued function, and compiling it costs more than a small
    insert."""

    def kind(name: str) -> Any:
        return Text() if name in json_text else table.c[name].type

    rows = (
        func.json_to_recordset(cast(bindparam("rows"), JSON))
        .table_valued(*(column(n, kind(n)) for n in names))
        .render_derived(with_types=True)
    )
    picks = [cast(rows.c[n], JSON) if n in json_text else rows.c[n] for n in names]
    stmt = postgresql.insert(table).from_select(
        list(names), select(*picks).select_from(rows), include_defaults=False
    )
    if skip_stored:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_stored))
    if returning:
        return str(stmt.returning(*(table.c[c] for c in returning)).compile(dialect=dialect))
    return str(stmt.compile(dialect=dialect))
