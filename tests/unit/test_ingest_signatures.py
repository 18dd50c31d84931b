"""Webhook authentication per source: valid signatures pass, every forgery names its header."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from slaguard.domain.errors import SlaError
from slaguard.ingest import UnknownSourceError, WebhookAuthError, verify_signature

SECRET = "s3cr3t-signing-key"
BODY = b'{"type":"zen:event-type:ticket.created","detail":{"id":"5158"}}'
NOW = datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC)
STAMP = "2026-11-23T09:00:00Z"

ZENDESK_SIG = "X-Zendesk-Webhook-Signature"
ZENDESK_TS = "X-Zendesk-Webhook-Signature-Timestamp"
JIRA_SIG = "X-Hub-Signature"
FRESHDESK_SECRET = "X-Slaguard-Secret"
GENERIC_SIG = "X-Slaguard-Signature"


def zendesk_headers(body: bytes = BODY, secret: str = SECRET, stamp: str = STAMP) -> dict[str, str]:
    mac = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {ZENDESK_SIG: base64.b64encode(mac).decode(), ZENDESK_TS: stamp}


def hub(body: bytes = BODY, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(source: str, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    """The headers the source itself would send with `body`, signed with `secret`."""
    if source == "zendesk":
        return zendesk_headers(body, secret)
    if source == "jira":
        return {JIRA_SIG: hub(body, secret)}
    if source == "freshdesk":
        return {FRESHDESK_SECRET: secret}
    return {GENERIC_SIG: hub(body, secret)}


SIGNATURE_HEADER = {
    "zendesk": ZENDESK_SIG,
    "jira": JIRA_SIG,
    "freshdesk": FRESHDESK_SECRET,
    "generic": GENERIC_SIG,
}
ALL = ("zendesk", "jira", "freshdesk", "generic")
SIGNED_BODIES = ("zendesk", "jira", "generic")  # freshdesk authenticates, but signs nothing


def refused(source: str, headers: dict[str, str], body: bytes = BODY) -> WebhookAuthError:
    with pytest.raises(WebhookAuthError) as info:
        verify_signature(source, headers, body, SECRET, now=NOW)
    return info.value


@pytest.mark.parametrize("source", ALL)
def test_a_valid_signature_is_accepted(source: str) -> None:
    verify_signature(source, signed(source), BODY, SECRET, now=NOW)


@pytest.mark.parametrize("source", ALL)
def test_header_names_are_case_insensitive(source: str) -> None:
    lower = {k.lower(): v for k, v in signed(source).items()}
    upper = {k.upper(): v for k, v in signed(source).items()}
    verify_signature(source, lower, BODY, SECRET, now=NOW)
    verify_signature(source, upper, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("source", SIGNED_BODIES)
def test_a_tampered_body_is_refused(source: str) -> None:
    err = refused(source, signed(source), BODY.replace(b"5158", b"5159"))
    assert err.header == SIGNATURE_HEADER[source]
    assert str(err).startswith(f"{SIGNATURE_HEADER[source]}: ")
    assert "does not match" in str(err)


@pytest.mark.parametrize("source", ALL)
def test_a_wrong_secret_is_refused(source: str) -> None:
    err = refused(source, signed(source, secret=SECRET[::-1]))
    assert err.header == SIGNATURE_HEADER[source]
    assert SIGNATURE_HEADER[source] in str(err)


@pytest.mark.parametrize("source", ALL)
def test_a_missing_signature_header_is_refused(source: str) -> None:
    headers = signed(source)
    del headers[SIGNATURE_HEADER[source]]
    err = refused(source, headers)
    assert err.header == SIGNATURE_HEADER[source]
    assert "missing" in str(err)


@pytest.mark.parametrize("source", ALL)
def test_an_empty_signature_header_is_refused_as_missing(source: str) -> None:
    err = refused(source, {**signed(source), SIGNATURE_HEADER[source]: "  "})
    assert err.header == SIGNATURE_HEADER[source]
    assert "missing" in str(err)


def test_the_error_is_a_401_slaerror() -> None:
    err = refused("jira", {})
    assert isinstance(err, SlaError)
    assert err.code == "invalid_signature"
    assert err.http_status == 401
    assert str(err) == "X-Hub-Signature: missing: the request is not signed"


# -- Zendesk: the signing time ------------------------------------------------------------


def test_zendesk_without_its_timestamp_header_is_refused() -> None:
    headers = zendesk_headers()
    del headers[ZENDESK_TS]
    err = refused("zendesk", headers)
    assert err.header == ZENDESK_TS


def test_zendesk_signs_the_timestamp_too() -> None:
    headers = {**zendesk_headers(), ZENDESK_TS: "2026-11-23T09:00:01Z"}
    err = refused("zendesk", headers)
    assert err.header == ZENDESK_SIG
    assert ZENDESK_TS in str(err)


@pytest.mark.parametrize(
    "stamp", ["2026-11-23T08:55:29Z", "2026-11-23T09:05:31Z", "2026-11-22T09:00:30Z"]
)
def test_a_stale_zendesk_timestamp_is_refused_as_a_replay(stamp: str) -> None:
    err = refused("zendesk", zendesk_headers(stamp=stamp))
    assert err.header == ZENDESK_TS
    assert "more than 5 minutes" in str(err)
    assert "replay" in str(err)


@pytest.mark.parametrize(
    "stamp", ["2026-11-23T08:55:30Z", "2026-11-23T09:05:30Z", "2026-11-23T10:00:30+01:00"]
)
def test_a_zendesk_timestamp_within_5_minutes_is_accepted(stamp: str) -> None:
    verify_signature("zendesk", zendesk_headers(stamp=stamp), BODY, SECRET, now=NOW)


@pytest.mark.parametrize("stamp", ["yesterday", "2026-11-23T09:00:00"])
def test_an_unreadable_zendesk_timestamp_is_refused(stamp: str) -> None:
    err = refused("zendesk", zendesk_headers(stamp=stamp))
    assert err.header == ZENDESK_TS


def test_now_in_another_zone_is_the_same_instant() -> None:
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    verify_signature("zendesk", zendesk_headers(), BODY, SECRET, now=berlin)
    err = refused("zendesk", zendesk_headers(stamp="2026-11-23T09:00:00+01:00"))
    assert err.header == ZENDESK_TS  # 08:00 UTC: an hour old


# -- hub-style signatures ---------------------------------------------------------------


@pytest.mark.parametrize("source", ["jira", "generic"])
def test_hex_digits_in_capitals_are_accepted(source: str) -> None:
    header = SIGNATURE_HEADER[source]
    value = hub().upper().replace("SHA256=", "sha256=")
    verify_signature(source, {header: value}, BODY, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0" * 64, "expected sha256=<hex digest>"),
        ("sha256=", "expected sha256=<hex digest>"),
        ("sha1=" + "0" * 40, "unsupported signature method 'sha1'"),
    ],
)
@pytest.mark.parametrize("source", ["jira", "generic"])
def test_a_malformed_hub_signature_is_refused(source: str, value: str, message: str) -> None:
    err = refused(source, {SIGNATURE_HEADER[source]: value})
    assert err.header == SIGNATURE_HEADER[source]
    assert message in str(err)


def test_freshdesk_compares_the_shared_secret_exactly() -> None:
    err = refused("freshdesk", {FRESHDESK_SECRET: SECRET + "x"})
    assert err.header == FRESHDESK_SECRET
    verify_signature("freshdesk", {FRESHDESK_SECRET: f" {SECRET} "}, BODY, SECRET, now=NOW)


def test_a_signature_for_one_source_does_not_pass_for_another() -> None:
    err = refused("generic", {JIRA_SIG: hub()})
    assert err.header == GENERIC_SIG


# -- misuse -----------------------------------------------------------------------------


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(UnknownSourceError, match="servicenow"):
        verify_signature("servicenow", {}, BODY, SECRET, now=NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        verify_signature("jira", signed("jira"), BODY, SECRET, now=NOW.replace(tzinfo=None))


def test_an_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="no webhook secret"):
        verify_signature("freshdesk", {FRESHDESK_SECRET: ""}, BODY, "", now=NOW)
