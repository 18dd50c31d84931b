"""Statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_new"]


def insert_new(dialect: str, table: Table, *, key: Sequence[str]) -> Insert:
    """An INSERT that skips each row whose `key` columns (a unique constraint) are
    already stored, by anyone: `ON CONFLICT (key) DO NOTHING` on both databases."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))
    raise ValueError(f"unsupported database {dialect!r}")
