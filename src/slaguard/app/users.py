"""People who sign in to the dashboard, and their sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults); a session is a random token
in an HttpOnly cookie, stored as its SHA-256 hash with the session's CSRF token. A user
belongs to one tenant and has one role (viewer, agent, lead, admin: `tenants.Role`);
API keys stay what machines use.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update

from slaguard.app.services import Services, TtlCache
from slaguard.app.tenants import Principal, Role
from slaguard.db.tables import TenantRow, UserRow, WebSessionRow
from slaguard.domain.errors import AuthenticationError, ConfigError, ConflictError, NotFoundError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "LOCALES",
    "MIN_PASSWORD",
    "SESSION_US",
    "SessionCache",
    "WebUser",
    "create_user",
    "session_user",
    "set_preferences",
    "sign_in",
    "sign_out",
]

LOCALES = ("en", "sv")
MIN_PASSWORD = 10
SESSION_US = 12 * 3600 * 1_000_000  # a session lasts a working day

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


# argon2 (and the cffi it runs on) is loaded by the first sign-in or new user, not by
# every API and worker process: most never see a password.
@functools.cache
def _argon2() -> tuple[PasswordHasher, str]:
    """The hasher, and a hash to verify against when the email is unknown, which makes
    both answers take as long (made together: the first sign-in of either kind pays)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    return hasher, hasher.hash("slaguard-no-such-user")


def _hasher() -> PasswordHasher:
    return _argon2()[0]


def _dummy_hash() -> str:
    return _argon2()[1]


def _verified(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class WebUser:
    """The person behind a browser session."""

    id: int
    tenant_id: int
    tenant: str
    email: str
    name: str
    role: Role
    locale: str | None
    timezone: str | None
    csrf_token: str
    expires_us: int

    @property
    def principal(self) -> Principal:
        return Principal(tenant_id=self.tenant_id, tenant=self.tenant, role=self.role)

    @property
    def display_name(self) -> str:
        return self.name or self.email


SessionCache = TtlCache[WebUser]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale not in LOCALES:
        raise ConfigError(f"unknown language {locale!r} ({', '.join(LOCALES)})", "locale")


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {timezone!r} (an IANA name such as Europe/Stockholm)",
            "timezone",
        ) from None


def create_user(
    svc: Services,
    *,
    tenant: str,
    email: str,
    password: str,
    role: str,
    name: str = "",
    locale: str | None = None,
    timezone: str | None = None,
) -> int:
    """A new user of `tenant`; their id. The email is unique within the tenant."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 200:
        raise ConfigError(f"{email!r} is not an email address", "email")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password needs at least {MIN_PASSWORD} characters", "password")
    try:
        r = Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r} (admin, lead, agent, viewer)", "role") from None
    _check_locale(locale)
    _check_timezone(timezone)
    password_hash = _hasher().hash(password)
    with svc.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == tenant))
        if tenant_id is None:
            raise NotFoundError(f"no tenant {tenant!r}", "tenant")
        taken = s.scalar(
            select(UserRow.id).where(UserRow.tenant_id == tenant_id, UserRow.email == email)
        )
        if taken is not None:
            raise ConflictError(f"{tenant} already has a user {email!r}", "email")
        row = UserRow(
            tenant_id=tenant_id,
            email=email,
            name=name.strip(),
            role=r.value,
            password_hash=password_hash,
            locale=locale,
            timezone=timezone,
            created_us=svc.clock(),
        )
        s.add(row)
        s.flush()
        return row.id


def sign_in(svc: Services, *, tenant: str, email: str, password: str) -> str:
    """A new session's token for valid credentials; AuthenticationError otherwise, the
    same for an unknown tenant, an unknown email and a wrong password."""
    email = email.strip().lower()
    with svc.reading() as s:
        row = s.execute(
            select(UserRow.id, UserRow.password_hash, UserRow.disabled_us)
            .join(TenantRow, TenantRow.id == UserRow.tenant_id)
            .where(TenantRow.name == tenant.strip(), UserRow.email == email)
        ).first()
    stored = row.password_hash if row is not None else _dummy_hash()
    if not _verified(stored, password):
        row = None
    if row is None or row.disabled_us is not None:
        raise AuthenticationError("wrong organisation, email or password")
    token = secrets.token_urlsafe(32)
    now = svc.clock()
    with svc.writing() as s:
        s.add(
            WebSessionRow(
                token_hash=_hash_token(token),
                user_id=row.id,
                csrf_token=secrets.token_urlsafe(24),
                created_us=now,
                expires_us=now + SESSION_US,
            )
        )
        s.execute(delete(WebSessionRow).where(WebSessionRow.expires_us < now))
        if _hasher().check_needs_rehash(stored):
            s.execute(
                update(UserRow)
                .where(UserRow.id == row.id)
                .values(password_hash=_hasher().hash(password))
            )
    return token


def session_user(svc: Services, token: str | None, cache: SessionCache | None = None) -> WebUser:
    """The user of a live session token; AuthenticationError if there is none.

    With `cache`, a session found is remembered for the cache's lifetime (a few
    seconds): signing out forgets it at once in this process, elsewhere when it expires."""
    if not token:
        raise AuthenticationError("not signed in")
    key = _hash_token(token)
    now = svc.clock()
    found = cache.get(key) if cache is not None else None
    if found is None:
        with svc.reading() as s:
            row = s.execute(
                select(
                    UserRow.id,
                    UserRow.tenant_id,
                    TenantRow.name.label("tenant"),
                    UserRow.email,
                    UserRow.name,
                    UserRow.role,
                    UserRow.locale,
                    UserRow.timezone,
                    UserRow.disabled_us,
                    WebSessionRow.csrf_token,
                    WebSessionRow.expires_us,
                )
                .join(UserRow, UserRow.id == WebSessionRow.user_id)
                .join(TenantRow, TenantRow.id == UserRow.tenant_id)
                .where(WebSessionRow.token_hash == key)
            ).first()
        if row is None or row.disabled_us is not None:
            raise AuthenticationError("not signed in")
        found = WebUser(
            id=row.id,
            tenant_id=row.tenant_id,
            tenant=row.tenant,
            email=row.email,
            name=row.name,
            role=Role(row.role),
            locale=row.locale,
            timezone=row.timezone,
            csrf_token=row.csrf_token,
            expires_us=row.expires_us,
        )
        if cache is not None:
            cache.put(key, found)
    if found.expires_us <= now:
        raise AuthenticationError("the session has expired: sign in again")
    return found


def sign_out(svc: Services, token: str, cache: SessionCache | None = None) -> None:
    key = _hash_token(token)
    with svc.writing() as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == key))
    if cache is not None:
        cache.discard(key)


def set_preferences(
    svc: Services,
    user: WebUser,
    *,
    locale: str | None,
    timezone: str | None,
    token: str,
    cache: SessionCache | None = None,
) -> None:
    """The user's language and time zone (None: follow the browser)."""
    _check_locale(locale)
    _check_timezone(timezone)
    with svc.writing() as s:
        s.execute(
            update(UserRow).where(UserRow.id == user.id).values(locale=locale, timezone=timezone)
        )
    if cache is not None:
        cache.discard(_hash_token(token))
