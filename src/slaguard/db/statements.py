"""Statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Insert, Row, Table, Text, bindparam, cast, func, select
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
) -> list[Row[Any]]:
    """Insert `rows` (each with the same keys) in one statement; with `skip_stored` (a
    unique constraint's columns) a row already stored under them is skipped, as in
    `insert_new`. The `returning` columns of the rows written, in no particular order.

    On PostgreSQL the values travel as one array per column, unnested by the server:
    one short statement however many rows. A multi-row VALUES list (what SQLAlchemy
    makes of a RETURNING insert) is a statement with a placeholder per value, which
    psycopg rewrites anew each time (it caches only short statements): for a few hundred
    rows that cost more than building the rows. SQLite: the usual many-row insert."""
    if not rows:
        return []
    dialect = s.get_bind().dialect
    if dialect.name != "postgresql":
        stmt = insert_new(dialect.name, table, key=skip_stored) if skip_stored else table.insert()
        if not returning:
            s.execute(stmt, list(rows))
            return []
        return list(s.execute(stmt.returning(*(table.c[c] for c in returning)), list(rows)).all())
    names = list(rows[0])
    arrays, picks = [], []
    params: dict[str, list[Any]] = {}
    for i, name in enumerate(names):
        column = table.c[name]
        values = [r[name] for r in rows]
        if isinstance(column.type, JSON):  # as text, made JSON by the server
            values = [None if v is None else json.dumps(v) for v in values]
        element = Text() if isinstance(column.type, JSON) else column.type
        arrays.append(cast(bindparam(f"v{i}"), postgresql.ARRAY(element)))
        params[f"v{i}"] = values
    u = func.unnest(*arrays).table_valued(*(f"c{i}" for i in range(len(names)))).render_derived()
    for i, name in enumerate(names):
        value = u.c[f"c{i}"]
        picks.append(cast(value, JSON) if isinstance(table.c[name].type, JSON) else value)
    stmt = postgresql.insert(table).from_select(
        names, select(*picks).select_from(u), include_defaults=False
    )
    if skip_stored:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_stored))
    if not returning:
        s.execute(stmt, params)
        return []
    return list(s.execute(stmt.returning(*(table.c[c] for c in returning)), params).all())
