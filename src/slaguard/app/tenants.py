"""Tenants and their API keys. Keys are shown once and stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from slaguard.app.services import Services
from slaguard.db.tables import ApiKeyRow, TenantRow
from slaguard.domain.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
)

__all__ = [
    "Principal",
    "Role",
    "authenticate",
    "create_key",
    "create_tenant",
    "remembered",
    "require",
    "tenant_named",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class Role(StrEnum):
    VIEWER = "viewer"  # reads
    AGENT = "agent"  # reads, creates tickets, posts events
    LEAD = "lead"  # an agent who also confirms breach reasons and runs the queue
    ADMIN = "admin"  # everything, including configuration

    @property
    def rank(self) -> int:
        return {"viewer": 0, "agent": 1, "lead": 2, "admin": 3}[self.value]


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: int
    tenant: str
    role: Role

    @property
    def actor(self) -> str:
        """Who acted, as the audit trail and acknowledgements name a key's holder."""
        return f"{self.role.value} of {self.tenant}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return "sg_" + secrets.token_urlsafe(32)


def create_tenant(svc: Services, *, name: str) -> tuple[str, str]:
    """A new tenant and its first admin key: (tenant name, key)."""
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r}: use 1-63 lower-case letters, digits, '-' or '_' (starting with a letter "
            "or digit)",
            "name",
        )
    key = _new_key()
    with svc.writing() as s:
        if s.scalar(select(TenantRow.id).where(TenantRow.name == name)) is not None:
            raise ConflictError(f"tenant {name!r} already exists", "name")
        tenant = TenantRow(name=name, created_us=svc.clock())
        s.add(tenant)
        s.flush()
        s.add(_key_row(tenant.id, Role.ADMIN, key, svc.clock()))
    return name, key


def create_key(svc: Services, *, tenant: str, role: str) -> str:
    try:
        r = Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r} (admin, lead, agent, viewer)", "role") from None
    key = _new_key()
    with svc.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == tenant))
        if tenant_id is None:
            raise NotFoundError(f"no tenant {tenant!r}", "tenant")
        s.add(_key_row(tenant_id, r, key, svc.clock()))
    return key


def _key_row(tenant_id: int, role: Role, key: str, now: int) -> ApiKeyRow:
    return ApiKeyRow(
        tenant_id=tenant_id, role=role.value, key_hash=_hash(key), prefix=key[:10], created_us=now
    )


def tenant_named(svc: Services, name: str) -> int:
    with svc.reading() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == name))
    if tenant_id is None:
        raise NotFoundError(f"no tenant {name!r}", "tenant")
    return tenant_id


def authenticate(svc: Services, key: str | None) -> Principal:
    """The tenant and role of a valid API key.

    A valid key is remembered for `API_KEY_TTL_S` seconds (by hash, in this process),
    so a client sending many requests costs one query per key and interval. That is
    correct because a key's tenant and role never change once created; only revocation
    does, and it takes effect when the entry expires (or at once where `svc.api_keys`
    forgets the hash). Unknown and revoked keys are never remembered."""
    if not key:
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    principal = remembered(svc, key)
    if principal is not None:
        return principal
    key_hash = _hash(key)
    with svc.reading() as s:
        row = s.execute(
            select(ApiKeyRow.role, ApiKeyRow.revoked_us, TenantRow.id, TenantRow.name)
            .join(TenantRow, TenantRow.id == ApiKeyRow.tenant_id)
            .where(ApiKeyRow.key_hash == key_hash)
        ).first()
    if row is None or row.revoked_us is not None:
        raise AuthenticationError("unknown or revoked API key")
    svc.api_keys.put(key_hash, (row.id, row.name, row.role))
    return Principal(tenant_id=row.id, tenant=row.name, role=Role(row.role))


def remembered(svc: Services, key: str | None) -> Principal | None:
    """The principal of a key `authenticate` accepted within the last `API_KEY_TTL_S`
    seconds in this process, without a query; None otherwise."""
    known = svc.api_keys.get(_hash(key)) if key else None
    if known is None:
        return None
    tenant_id, tenant, role = known
    return Principal(tenant_id=tenant_id, tenant=tenant, role=Role(role))


def require(principal: Principal, role: Role) -> None:
    if principal.role.rank < role.rank:
        raise PermissionDenied(f"this needs the {role.value} role; the key has {principal.role}")
