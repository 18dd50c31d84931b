"""Services over a freshly migrated database of each backend, on a clock the test sets;
the API over them; tenants with a key per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from apihelpers import EXAMPLE_CONFIG, FakeClock, Tenant, TestClient

from receivers import HttpReceiver, SmtpServer, running_receiver, running_smtp
from slaguard.api import create_app
from slaguard.api.observability import configure_logging
from slaguard.app import configs, tenants
from slaguard.app.services import Services
from slaguard.config.files import load_mapping
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.db.migrate import upgrade


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    configure_logging(json=False, level="info")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    """Services over a freshly migrated database, on the test's clock."""
    engine = make_engine(database_url, pool_size=5, max_overflow=5)
    svc = Services(
        engine=engine, write_engine=writer(engine), is_sqlite=is_sqlite(database_url), clock=clock
    )
    upgrade(svc.write_engine)
    try:
        yield svc
    finally:
        engine.dispose()


@pytest.fixture
def app(services: Services) -> Any:
    return create_app(services)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_tenant(services: Services, client: TestClient) -> Callable[..., Tenant]:
    def make(name: str, *, config: bool = True) -> Tenant:
        _, admin = tenants.create_tenant(services, name=name)
        keys = {
            "admin": admin,
            "agent": tenants.create_key(services, tenant=name, role="agent"),
            "viewer": tenants.create_key(services, tenant=name, role="viewer"),
        }
        tenant_id = tenants.tenant_named(services, name)
        if config:
            configs.apply_config(
                services, tenant_id=tenant_id, document=load_mapping(EXAMPLE_CONFIG)
            )
        return Tenant(name, tenant_id, keys, client)

    return make


@pytest.fixture
def acme(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("acme")


@pytest.fixture
def globex(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("globex")


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """A real HTTP receiver on loopback (tests/receivers.py)."""
    with running_receiver() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback."""
    with running_smtp() as server:
        yield server
