"""Signing in to the dashboard: passwords, sessions, CSRF, roles and tenants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from apihelpers import Tenant, TestClient
from sqlalchemy import select
from webhelpers import PASSWORD, csrf_of, make_user, sign_in

from slaguard.app import users
from slaguard.app.services import Services
from slaguard.db.tables import UserRow
from slaguard.domain.errors import ConfigError, ConflictError, NotFoundError


def test_pages_need_a_session(client: TestClient, acme: Tenant) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2F"
    r = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/signin")


def test_sign_in_sets_a_safe_cookie_and_returns_to_the_page(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "agent", name="Ada Agent")
    r = sign_in(client, acme.name, email, next="/reports?from=2026-01-01")
    assert r.status_code == 303
    assert r.headers["location"] == "/reports?from=2026-01-01"
    cookie = r.headers["set-cookie"]
    assert "slaguard_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    page = client.get("/")
    assert page.status_code == 200
    assert "Ada Agent" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_sign_in_never_redirects_off_site(
    services: Services, client: TestClient, acme: Tenant, target: str
) -> None:
    email = make_user(services, acme.name, "viewer")
    r = sign_in(client, acme.name, email, next=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


@pytest.mark.parametrize(
    ("tenant", "email", "password"),
    [
        ("acme", "agent@acme.example", "wrong password!"),
        ("acme", "nobody@acme.example", PASSWORD),
        ("globex", "agent@acme.example", PASSWORD),  # right person, other tenant
        ("nope", "agent@acme.example", PASSWORD),
    ],
)
def test_wrong_credentials_are_one_answer(
    services: Services,
    client: TestClient,
    make_tenant: Callable[..., Tenant],
    tenant: str,
    email: str,
    password: str,
) -> None:
    make_tenant("acme")
    make_tenant("globex")
    make_user(services, "acme", "agent")
    r = sign_in(client, tenant, email, password)
    assert r.status_code == 401
    assert "Wrong organisation, email or password" in r.text
    assert "slaguard_session" not in r.headers.get("set-cookie", "")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_its_csrf_cookie(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "agent")
    form = client.get("/signin")
    client.cookies.clear()  # a cross-site form post carries no cookie of ours
    r = client.post(
        "/signin",
        data={
            "tenant": acme.name,
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]


def test_posts_need_the_session_csrf_token(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "viewer")
    sign_in(client, acme.name, email)
    r = client.post("/signout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    token = csrf_of(client.get("/").text)
    r = client.post("/signout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_everywhere(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "viewer")
    sign_in(client, acme.name, email)
    stolen = client.cookies.get("slaguard_session")
    assert stolen
    client.post("/signout", data={"csrf_token": csrf_of(client.get("/").text)})
    client.cookies.set("slaguard_session", stolen)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sessions_expire(
    services: Services, client: TestClient, acme: Tenant, clock: object
) -> None:
    from datetime import timedelta

    email = make_user(services, acme.name, "viewer")
    sign_in(client, acme.name, email)
    assert client.get("/").status_code == 200
    clock.advance(timedelta(microseconds=users.SESSION_US + 1))  # type: ignore[attr-defined]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_language_follows_the_browser_then_the_users_choice(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "viewer")
    sign_in(client, acme.name, email)
    page = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert page.headers["content-language"] == "sv"
    assert '<html lang="sv">' in page.text
    assert "Logga ut" in page.text
    client.post(
        "/preferences",
        data={"csrf_token": csrf_of(page.text), "locale": "en", "next": "/"},
    )
    page = client.get("/", headers={"Accept-Language": "sv"})
    assert page.headers["content-language"] == "en"
    assert "Sign out" in page.text


def test_preferences_refuse_unknown_values(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    email = make_user(services, acme.name, "viewer")
    sign_in(client, acme.name, email)
    token = csrf_of(client.get("/").text)
    r = client.post("/preferences", data={"csrf_token": token, "timezone": "Mars/Olympus"})
    assert r.status_code == 422
    assert "Mars/Olympus" in r.text
    r = client.post("/preferences", data={"csrf_token": token, "locale": "xx"})
    assert r.status_code == 422


def test_create_user_checks_its_fields(services: Services, acme: Tenant) -> None:
    with pytest.raises(ConfigError, match="password"):
        users.create_user(services, tenant=acme.name, email="a@b.c", password="short", role="agent")
    with pytest.raises(ConfigError, match="role"):
        users.create_user(services, tenant=acme.name, email="a@b.c", password=PASSWORD, role="boss")
    with pytest.raises(ConfigError, match="email"):
        users.create_user(services, tenant=acme.name, email="nope", password=PASSWORD, role="agent")
    with pytest.raises(ConfigError, match="time zone"):
        users.create_user(
            services,
            tenant=acme.name,
            email="a@b.c",
            password=PASSWORD,
            role="agent",
            timezone="Europe/Atlantis",
        )
    with pytest.raises(NotFoundError):
        users.create_user(services, tenant="nope", email="a@b.c", password=PASSWORD, role="agent")
    users.create_user(services, tenant=acme.name, email="A@B.c", password=PASSWORD, role="lead")
    with pytest.raises(ConflictError):
        users.create_user(
            services, tenant=acme.name, email="a@b.C", password=PASSWORD, role="agent"
        )
    with services.reading() as s:
        stored = s.scalars(select(UserRow)).all()
    assert [u.email for u in stored] == ["a@b.c"]
    assert stored[0].password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored[0].password_hash


def test_unknown_pages_are_html_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    r = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    r = client.get("/api/v1/no-such", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
