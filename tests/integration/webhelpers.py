"""Helpers for the dashboard's tests: users, signing in through the form, CSRF tokens."""

from __future__ import annotations

import re

import httpx
from apihelpers import TestClient

from slaguard.app import users
from slaguard.app.services import Services

__all__ = ["PASSWORD", "csrf_of", "make_user", "sign_in"]

PASSWORD = "correct horse battery"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def make_user(svc: Services, tenant: str, role: str, **kw: str) -> str:
    """A user of `tenant` with `role`; their email."""
    email = kw.pop("email", f"{role}@{tenant}.example")
    users.create_user(svc, tenant=tenant, email=email, password=PASSWORD, role=role, **kw)
    return email


def sign_in(
    client: TestClient, tenant: str, email: str, password: str = PASSWORD, next: str = "/"
) -> httpx.Response:
    """Signs `client` in through the sign-in form; the response to the form's POST."""
    form = client.get("/signin")
    assert form.status_code == 200, form.text
    return client.post(
        "/signin",
        data={
            "tenant": tenant,
            "email": email,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": next,
        },
        follow_redirects=False,
    )
