"""The composition root's shared state: the installation's signing key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from slaguard import bootstrap
from slaguard.app.services import Services
from slaguard.db.tables import InstanceRow


def test_the_signing_key_is_created_once_and_then_read(services: Services) -> None:
    first = bootstrap.instance_secret(services)
    assert first is not None and len(first) == 64
    assert bootstrap.instance_secret(services) == first


def test_a_process_that_loses_the_race_to_create_the_key_reads_the_winners(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if services.is_sqlite:
        pytest.skip("SQLite writers take the database lock first: no two find the key missing")
    real = bootstrap.secrets.token_hex

    def another_process_wins(n: int) -> Any:
        # between this process finding no key and storing its own, another stores one
        with services.engine.begin() as c:
            c.execute(insert(InstanceRow), {"name": "secret_key", "value": "theirs"})
        return real(n)

    monkeypatch.setattr(bootstrap.secrets, "token_hex", another_process_wins)
    assert bootstrap.instance_secret(services) == b"theirs"
    with services.reading() as s:
        assert list(s.scalars(select(InstanceRow.value))) == ["theirs"]
