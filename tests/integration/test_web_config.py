"""The configuration pages: admins see the current version, its history and diffs,
validate (errors by path, nothing stored) and apply; other roles get the 403 page."""

from __future__ import annotations

import pytest
from apihelpers import EXAMPLE_CONFIG, Tenant, TestClient
from pagetree import parse
from sqlalchemy import func, select
from webhelpers import csrf_of, make_user, sign_in

from slaguard.app.services import Services
from slaguard.db.tables import ConfigVersionRow

SMALL = """\
calendars:
  always: {timezone: UTC, always_open: true}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {P1: 1h, P2: 4h}
"""

BROKEN = """\
calendars:
  always: {timezone: Mars/Olympus, always_open: true}
policies:
  - name: standard
    calendar: nowhere
    targets:
      first_response: {P1: 1h}
"""


def versions(services: Services, tenant: Tenant) -> int:
    with services.reading() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(ConfigVersionRow)
                .where(ConfigVersionRow.tenant_id == tenant.tenant_id)
            )
        )


def admin(services: Services, client: TestClient, tenant: Tenant) -> str:
    email = make_user(services, tenant.name, "admin")
    assert sign_in(client, tenant.name, email).status_code == 303
    return csrf_of(client.get("/config").text)


@pytest.mark.parametrize("role", ["viewer", "agent", "lead"])
def test_only_admins_see_the_configuration(
    services: Services, client: TestClient, acme: Tenant, role: str
) -> None:
    email = make_user(services, acme.name, role)
    assert sign_in(client, acme.name, email).status_code == 303
    for path in ("/config", "/config/diff?old=1&new=1"):
        r = client.get(path)
        assert r.status_code == 403
        assert "text/html" in r.headers["content-type"]
        assert "config-editor" not in r.text
    csrf = csrf_of(client.get("/").text)
    r = client.post("/config/apply", data={"text": SMALL, "csrf_token": csrf})
    assert r.status_code == 403
    assert versions(services, acme) == 1


def test_history_and_a_diff_between_any_two_versions(
    services: Services, client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    assert acme.put_config(SMALL).status_code == 201  # version 2, with its text
    assert acme.put_config(SMALL.replace("P2: 4h", "P2: 3h")).status_code == 201  # 3
    assert globex.put_config(SMALL.replace("P1: 1h", "P1: 5h")).status_code == 201
    admin(services, client, acme)
    tree = parse(client.get("/config").text)
    assert tree.by_id("config-current").get("data-version") == "3"
    assert [tr.get("data-version") for tr in tree.select("#config-history tbody tr")] == [
        "3",
        "2",
        "1",
    ]
    # the default diff: the latest change
    diff = tree.by_id("config-diff")
    assert (diff.get("data-old"), diff.get("data-new")) == ("2", "3")
    assert [s.text_content() for s in diff.select("span.del")] == [
        "removed: -      first_response: {P1: 1h, P2: 4h}"
    ]
    assert [s.text_content() for s in diff.select("span.add")] == [
        "added: +      first_response: {P1: 1h, P2: 3h}"
    ]
    assert "P1: 5h" not in client.get("/config").text  # never another tenant's
    # version 1 came without text: compared as a stable YAML dump
    r = client.get("/config/diff?old=1&new=3", headers={"HX-Request": "true"})
    assert r.status_code == 200
    fragment = parse(r.text).by_id("config-diff")
    assert fragment.get("data-old") == "1"
    removed = " ".join(s.text_content() for s in fragment.select("span.del"))
    assert "new_york" in removed  # the example's calendars are gone in version 3
    # the same version twice: no differences
    r = client.get("/config/diff?old=2&new=2", headers={"HX-Request": "true"})
    assert parse(r.text).by_id("config-diff").select("span") == []
    # a version that does not exist: nothing to compare
    r = client.get("/config/diff?old=9&new=3", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert parse(r.text).by_id("config-diff").get("data-old") == ""


def test_validate_lists_errors_by_path_and_stores_nothing(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    csrf = admin(services, client, acme)
    r = client.post("/config/validate", data={"text": BROKEN})
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        "/config/validate",
        data={"text": BROKEN, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    errors = parse(r.text).by_id("config-errors")
    paths = [li.get("data-path") for li in errors.select("li")]
    assert "calendars.always.timezone" in paths
    assert "policies[0].calendar" in paths
    assert "nothing was stored" in errors.text_content()
    # not YAML at all, and text no column can hold
    for text, path in (("a: [1, 2", ""), ('a: "\\0"', "a")):
        r = client.post(
            "/config/validate",
            data={"text": text, "csrf_token": csrf},
            headers={"HX-Request": "true"},
        )
        assert [li.get("data-path") for li in parse(r.text).select("li")] == [path]
    # a valid document: no problems, still nothing stored
    r = client.post(
        "/config/validate",
        data={"text": SMALL, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert "No problems found" in r.text
    assert versions(services, acme) == 1


def test_apply_stores_a_version_only_when_valid(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    csrf = admin(services, client, acme)
    r = client.post("/config/apply", data={"text": BROKEN, "csrf_token": csrf})
    assert r.status_code == 422
    tree = parse(r.text)
    paths = [li.get("data-path") for li in tree.select("#config-errors li")]
    assert "policies[0].calendar" in paths
    assert tree.by_id("config-text").text_content() == BROKEN  # the text is kept
    assert versions(services, acme) == 1

    r = client.post(
        "/config/apply", data={"text": SMALL, "csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/config?applied=2"
    assert versions(services, acme) == 2
    page = parse(client.get("/config?applied=2").text)
    assert page.by_id("config-current").get("data-version") == "2"
    assert page.by_id("config-text").text_content() == SMALL
    # the API serves what the page stored
    assert acme.get("/api/v1/config", role="admin").json()["version"] == 2
    # htmx: a redirect header
    r = client.post(
        "/config/apply",
        data={"text": SMALL.replace("4h", "2h"), "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 204
    assert r.headers["HX-Redirect"] == "/config?applied=3"


def test_the_example_configuration_validates(
    services: Services, client: TestClient, acme: Tenant
) -> None:
    csrf = admin(services, client, acme)
    r = client.post(
        "/config/validate",
        data={"text": EXAMPLE_CONFIG.read_text(), "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert "No problems found" in r.text
