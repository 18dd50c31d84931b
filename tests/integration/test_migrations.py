"""Alembic: upgrade to head, down to base, and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from slaguard.db.engine import make_engine, writer
from slaguard.db.migrate import downgrade, upgrade
from slaguard.db.tables import Base


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        expected = set(Base.metadata.tables)
        upgrade(writer(engine))
        assert expected <= set(inspect(engine).get_table_names())

        downgrade(writer(engine))
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(writer(engine))
        tables = set(inspect(engine).get_table_names())
        assert expected <= tables
        # the schema the migrations build is the schema the code declares
        for name in expected:
            declared = {c.name for c in Base.metadata.tables[name].columns}
            built = {c["name"] for c in inspect(engine).get_columns(name)}
            assert declared == built, name
    finally:
        engine.dispose()
