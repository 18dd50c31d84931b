"""The notification senders against real receivers on loopback: an aiohttp server standing
in for webhooks, Slack, Teams and Twilio, and an aiosmtpd server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from receivers import HttpReceiver, Reply, SmtpServer, unused_port
from slaguard import __version__
from slaguard.ingest import verify_signature
from slaguard.notify import Deliverer, DeliveryFailed, SenderSettings, render_text
from slaguard.settings import Settings

ACK = "http://127.0.0.1:8000/ack/abc?sig=1&x=2"
TWILIO_PATH = "/2010-04-01/Accounts/AC123/Messages.json"


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "delivery": "dl-1",
        "kind": "breach",
        "tenant": "acme",
        "ticket": "T-1",
        "metric": "resolution",
        "cycle": 1,
        "level": "L2",
        "ladder": "standard",
        "trigger": None,
        "due_at": "2026-11-22T10:00:00+00:00",
        "at": "2026-11-22T10:05:00+00:00",
        "priority": "P1",
        "team": "support",
        "assignee": "Zoë <zoe@example.com>",
        "policy": "gold",
        "recipient": None,
        "ack_url": ACK,
        "escalation": "esc-1",
    }
    return base | changes


def digest(count: int) -> dict[str, Any]:
    items = [payload(ticket=f"T-{n}", ack_url=f"{ACK}&n={n}") for n in range(1, count + 1)]
    return payload(kind="digest", ticket=None, metric=None, level=None, items=items, ack_url=None)


def sender_settings(**changes: Any) -> SenderSettings:
    return SenderSettings(**({"timeout_seconds": 2.0} | changes))


def deliver(
    settings: SenderSettings, channel_type: str, channel: dict[str, Any], body: Any
) -> None:
    async def run() -> None:
        async with Deliverer(settings) as deliverer:
            await deliverer.deliver(
                delivery_id="dl-1", channel_type=channel_type, settings=channel, payload=body
            )

    asyncio.run(run())


def failure(
    settings: SenderSettings, channel_type: str, channel: dict[str, Any], body: Any
) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as info:
        deliver(settings, channel_type, channel, body)
    return info.value


def smtp_settings(smtp: SmtpServer) -> SenderSettings:
    return sender_settings(smtp_host=smtp.host, smtp_port=smtp.port, smtp_from="sla@example.com")


def twilio_settings(receiver: HttpReceiver, **changes: Any) -> SenderSettings:
    return sender_settings(
        twilio_account_sid="AC123",
        twilio_auth_token="tok",
        twilio_from="+15550001111",
        twilio_base_url=receiver.url(""),
        **changes,
    )


# --- webhook ------------------------------------------------------------------------


def test_webhook_posts_canonical_json_signed_over_the_raw_body(receiver: HttpReceiver) -> None:
    sent = payload()
    deliver(sender_settings(), "webhook", {"url": receiver.url("/hook"), "secret": "s3cret"}, sent)

    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.body == json.dumps(sent, separators=(",", ":"), sort_keys=True).encode()
    assert request.json() == sent
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Slaguard-Delivery"] == "dl-1"
    assert request.headers["X-Slaguard-Event"] == "breach"
    assert request.headers["User-Agent"] == f"slaguard/{__version__}"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Slaguard-Signature"], f"sha256={expected}")
    # the scheme slaguard accepts on its own `generic` webhooks
    verify_signature(
        "generic", dict(request.headers), request.body, "s3cret", now=datetime.now(UTC)
    )


def test_webhook_without_secret_is_not_signed(receiver: HttpReceiver) -> None:
    deliver(sender_settings(), "webhook", {"url": receiver.url("/hook")}, payload())

    [request] = receiver.requests
    assert "X-Slaguard-Signature" not in request.headers
    assert request.headers["X-Slaguard-Delivery"] == "dl-1"


# --- Slack and Teams ----------------------------------------------------------------


def test_slack_message_has_summary_times_and_an_acknowledge_button(receiver: HttpReceiver) -> None:
    sent = payload()
    deliver(sender_settings(), "slack", {"url": receiver.url("/slack")}, sent)

    [request] = receiver.requests
    assert request.headers["X-Slaguard-Delivery"] == "dl-1"
    message = request.json()
    assert message["text"] == render_text(sent).replace("<", "&lt;").replace(">", "&gt;")
    section, context, actions = message["blocks"]
    assert section["type"] == "section"
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"].startswith("*Breach: ticket T-1 resolution")
    assert "Assignee: Zoë &lt;zoe@example.com&gt;" in section["text"]["text"]
    assert context["type"] == "context"
    assert "Due 2026-11-22T10:00:00+00:00" in context["elements"][0]["text"]
    assert actions["type"] == "actions"
    [button] = actions["elements"]
    assert button["type"] == "button"
    assert button["text"] == {"type": "plain_text", "text": "Acknowledge"}
    assert button["url"] == ACK


def test_slack_message_without_ack_url_has_no_button(receiver: HttpReceiver) -> None:
    deliver(sender_settings(), "slack", {"url": receiver.url("/slack")}, payload(ack_url=None))

    blocks = receiver.requests[0].json()["blocks"]
    assert [block["type"] for block in blocks] == ["section", "context"]


def test_teams_adaptive_card(receiver: HttpReceiver) -> None:
    sent = payload(kind="breach", level="L1", metric="first_response")
    deliver(sender_settings(), "teams", {"url": receiver.url("/teams")}, sent)

    [request] = receiver.requests
    assert request.headers["X-Slaguard-Delivery"] == "dl-1"
    message = request.json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, factset = card["body"]
    assert title["type"] == "TextBlock" and title["text"] == render_text(sent)
    assert title["text"].startswith("Breach: ticket T-1 first_response")
    assert title["color"] == "Attention" and title["wrap"] is True
    assert factset["type"] == "FactSet"
    facts = {fact["title"]: fact["value"] for fact in factset["facts"]}
    assert facts["Ticket"] == "T-1"
    assert facts["Due"] == "2026-11-22T10:00:00+00:00"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Acknowledge", "url": ACK}]
    assert card["fallbackText"] == message["summary"] == render_text(sent)


def test_teams_message_card(receiver: HttpReceiver) -> None:
    sent = payload(kind="warning", level="L1", when="50%", metric="first_response")
    channel = {"url": receiver.url("/teams"), "format": "message"}
    deliver(sender_settings(), "teams", channel, sent)

    [request] = receiver.requests
    assert request.headers["X-Slaguard-Delivery"] == "dl-1"
    card = request.json()
    assert card["@type"] == "MessageCard"
    assert card["@context"] == "http://schema.org/extensions"
    assert card["summary"] == card["title"] == render_text(sent)
    assert card["title"].startswith("Warning: ticket T-1 first_response 50% (L1, P1), due ")
    assert card["themeColor"]
    facts = {fact["name"]: fact["value"] for fact in card["sections"][0]["facts"]}
    assert facts["Ticket"] == "T-1"
    assert facts["Due"] == "2026-11-22T10:00:00+00:00"
    [action] = card["potentialAction"]
    assert action["@type"] == "OpenUri"
    assert action["name"] == "Acknowledge"
    assert action["targets"] == [{"os": "default", "uri": ACK}]


def test_digest_in_chat_lists_forty_items_then_the_rest_as_a_count(receiver: HttpReceiver) -> None:
    sent = digest(45)
    assert render_text(sent) == "Digest: 45 notifications"
    deliver(sender_settings(), "slack", {"url": receiver.url("/slack")}, sent)
    deliver(sender_settings(), "teams", {"url": receiver.url("/teams"), "format": "message"}, sent)
    deliver(sender_settings(), "teams", {"url": receiver.url("/adaptive")}, sent)

    slack = receiver.requests_to("/slack")[0].json()
    assert slack["text"] == "Digest: 45 notifications"
    assert len(slack["blocks"]) <= 50
    items = [block for block in slack["blocks"] if "accessory" in block]
    assert len(items) == 40
    assert items[0]["text"]["text"].startswith("Breach: ticket T-1 resolution")
    assert items[0]["accessory"]["url"] == f"{ACK}&n=1"
    assert slack["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "and 5 more"}],
    }

    teams = receiver.requests_to("/teams")[0].json()
    titled = [section for section in teams["sections"] if "activityTitle" in section]
    assert len(titled) == 40
    assert titled[39]["activityTitle"].startswith("Breach: ticket T-40 ")
    assert titled[0]["potentialAction"][0]["targets"][0]["uri"] == f"{ACK}&n=1"
    assert teams["sections"][-1] == {"text": "and 5 more"}
    assert "potentialAction" not in teams

    card = receiver.requests_to("/adaptive")[0].json()["attachments"][0]["content"]
    body = card["body"]
    items = [b for b in body if b["type"] == "TextBlock" and b.get("separator")]
    assert len(items) == 40
    assert items[39]["text"].startswith("Breach: ticket T-40 ")
    buttons = [b["actions"][0]["url"] for b in body if b["type"] == "ActionSet"]
    assert buttons[:2] == [f"{ACK}&n=1", f"{ACK}&n=2"] and len(buttons) == 40
    assert body[-1] == {"type": "TextBlock", "text": "and 5 more", "isSubtle": True}
    assert "actions" not in card
    assert len(json.dumps(receiver.requests_to("/adaptive")[0].json())) < 28 * 1024


# --- e-mail -------------------------------------------------------------------------


def test_email_has_text_and_html_parts_and_identifying_headers(smtp: SmtpServer) -> None:
    sent = payload(assignee="<b>bold</b>")
    deliver(smtp_settings(smtp), "email", {"to": ["a@example.com", "b@example.com"]}, sent)

    [mail] = smtp.messages
    assert mail.mail_from == "sla@example.com"
    assert mail.rcpt_tos == ("a@example.com", "b@example.com")
    message = mail.message
    assert message["Subject"] == render_text(sent)
    assert message["From"] == "sla@example.com"
    assert message["Message-ID"] == "<dl-1@slaguard>"
    assert message["X-Slaguard-Delivery"] == "dl-1"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith(render_text(sent))
    assert "Assignee: <b>bold</b>" in text
    assert f"Acknowledge: {ACK}" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    assert f'href="{ACK.replace("&", "&amp;")}"' in html


def test_email_digest_to_a_single_address(smtp: SmtpServer) -> None:
    deliver(smtp_settings(smtp), "email", {"to": "ops@example.com"}, digest(3))

    [mail] = smtp.messages
    assert mail.rcpt_tos == ("ops@example.com",)
    message = mail.message
    assert message["Subject"] == "Digest: 3 notifications"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for n in (1, 2, 3):
        assert f"- Breach: ticket T-{n} resolution" in text
        assert f"Acknowledge: {ACK}&n={n}" in text
        assert f"ticket T-{n} resolution" in html


def test_smtp_550_is_permanent(smtp: SmtpServer) -> None:
    smtp.refuse("550 5.1.1 No such user")
    error = failure(smtp_settings(smtp), "email", {"to": ["a@example.com"]}, payload())
    assert error.permanent
    assert "550" in error.message
    assert not smtp.messages


def test_smtp_451_is_retryable(smtp: SmtpServer) -> None:
    smtp.refuse("451 4.3.0 Try again later")
    error = failure(smtp_settings(smtp), "email", {"to": ["a@example.com"]}, payload())
    assert not error.permanent
    assert "451" in error.message


def test_smtp_refusing_the_data_with_5xx_is_permanent(smtp: SmtpServer) -> None:
    smtp.refuse("554 5.6.0 Message rejected", at="data")
    error = failure(smtp_settings(smtp), "email", {"to": ["a@example.com"]}, payload())
    assert error.permanent
    assert "554" in error.message


def test_smtp_refusing_some_recipients_is_permanent_not_resent(smtp: SmtpServer) -> None:
    smtp.refuse("550 5.1.1 No such user", address="bad@example.com")
    error = failure(
        smtp_settings(smtp), "email", {"to": ["a@example.com", "bad@example.com"]}, payload()
    )
    assert error.permanent
    assert "sent to 1 of 2 recipients" in error.message
    assert "bad@example.com" in error.message
    assert [mail.rcpt_tos for mail in smtp.messages] == [("a@example.com",)]


def test_smtp_server_unreachable_is_retryable() -> None:
    settings = sender_settings(smtp_host="127.0.0.1", smtp_port=unused_port())
    error = failure(settings, "email", {"to": ["a@example.com"]}, payload())
    assert not error.permanent


def test_email_without_recipients_is_permanent(smtp: SmtpServer) -> None:
    error = failure(smtp_settings(smtp), "email", {"to": []}, payload())
    assert error.permanent
    assert "no addresses" in error.message


# --- SMS ----------------------------------------------------------------------------


def test_sms_through_twilio(receiver: HttpReceiver) -> None:
    receiver.respond(TWILIO_PATH, Reply.json(201, {"sid": "SM1", "status": "queued"}))
    channel = {"provider": "twilio", "to": ["+15551230001", "+15551230002"]}
    deliver(twilio_settings(receiver), "sms", channel, payload())

    first, second = receiver.requests
    assert (first.method, first.path) == ("POST", TWILIO_PATH)
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    assert first.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = first.form()
    assert form["To"] == "+15551230001"
    assert form["From"] == "+15550001111"
    assert form["Body"].startswith("Breach: ticket T-1 resolution")
    assert form["Body"].endswith(" " + ACK)
    assert len(form["Body"]) <= 320
    assert second.form()["To"] == "+15551230002"


def test_sms_digest_is_cut_to_320_characters_keeping_the_link(receiver: HttpReceiver) -> None:
    receiver.respond(TWILIO_PATH, Reply.json(201, {"sid": "SM1"}))
    deliver(twilio_settings(receiver), "sms", {"to": "+15551230001"}, digest(20) | {"ack_url": ACK})

    body = receiver.requests[0].form()["Body"]
    assert len(body) <= 320
    assert body.startswith("Digest: 20 notifications: Breach: ticket T-1 ")
    assert body.endswith("... " + ACK)


def test_sms_unknown_provider_is_permanent(receiver: HttpReceiver) -> None:
    channel = {"provider": "carrier-pigeon", "to": ["+15551230001"]}
    error = failure(twilio_settings(receiver), "sms", channel, payload())
    assert error.permanent
    assert "carrier-pigeon" in error.message
    assert not receiver.requests


def test_sms_without_twilio_credentials_is_permanent() -> None:
    channel = {"provider": "twilio", "to": ["+15551230001"]}
    error = failure(sender_settings(), "sms", channel, payload())
    assert error.permanent
    assert "SLAGUARD_TWILIO_ACCOUNT_SID" in error.message
    assert "SLAGUARD_TWILIO_AUTH_TOKEN" in error.message


def test_sms_twilio_unavailable_is_retryable_before_any_number_got_it(
    receiver: HttpReceiver,
) -> None:
    receiver.respond(TWILIO_PATH, Reply(503, "maintenance", {"Retry-After": "30"}))
    channel = {"to": ["+15551230001", "+15551230002"]}
    error = failure(twilio_settings(receiver), "sms", channel, payload())
    assert not error.permanent
    assert error.retry_after == 30
    assert len(receiver.requests) == 1  # the second number is left for the retry


def test_sms_failing_after_a_number_got_it_is_permanent(receiver: HttpReceiver) -> None:
    receiver.respond(
        TWILIO_PATH,
        Reply.json(201, {"sid": "SM1"}),
        Reply.json(400, {"code": 21211, "message": "Invalid 'To' Phone Number"}),
    )
    channel = {"to": ["+15551230001", "+1555"]}
    error = failure(twilio_settings(receiver), "sms", channel, payload())
    assert error.permanent
    assert "sent to 1 of 2 numbers" in error.message
    assert "+1555: HTTP 400" in error.message
    assert "21211" in error.message


# --- what a failure means -----------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "permanent", "retry_after"),
    [
        (Reply(500, "internal error"), False, None),
        (Reply(502), False, None),
        (Reply(429, "slow down", {"Retry-After": "7"}), False, 7.0),
        (Reply(503, "", {"Retry-After": "2"}), False, 2.0),
        (Reply(408), False, None),
        (Reply(404, "no such hook"), True, None),
        (Reply(400), True, None),
        (Reply(410), True, None),
        (Reply(301, "", {"Location": "https://elsewhere.example/"}), True, None),
    ],
)
def test_http_outcomes(
    receiver: HttpReceiver, reply: Reply, permanent: bool, retry_after: float | None
) -> None:
    receiver.respond("/hook", reply)
    error = failure(sender_settings(), "webhook", {"url": receiver.url("/hook")}, payload())
    assert error.permanent is permanent
    assert error.retry_after == retry_after
    assert f"HTTP {reply.status} from 127.0.0.1" in error.message
    if reply.body:
        assert str(reply.body) in error.message


def test_connection_refused_is_retryable() -> None:
    url = f"http://127.0.0.1:{unused_port()}/hook"
    error = failure(sender_settings(), "webhook", {"url": url}, payload())
    assert not error.permanent
    assert "cannot connect" in error.message


def test_timeout_is_retryable(receiver: HttpReceiver) -> None:
    receiver.respond("/slow", Reply(200, delay=2.0))
    settings = sender_settings(timeout_seconds=0.2)
    error = failure(settings, "slack", {"url": receiver.url("/slow")}, payload())
    assert not error.permanent
    assert "in time" in error.message


def test_receiver_down_then_up(receiver: HttpReceiver) -> None:
    channel = {"url": receiver.url("/hook")}
    receiver.down()
    assert not failure(sender_settings(), "webhook", channel, payload()).permanent
    receiver.down("refuse")
    assert not failure(sender_settings(), "webhook", channel, payload()).permanent
    receiver.up()
    deliver(sender_settings(), "webhook", channel, payload())
    assert [request.status for request in receiver.requests] == [503, 200]


@pytest.mark.parametrize(
    ("channel_type", "channel", "words"),
    [
        ("pager", {"url": "http://127.0.0.1/"}, "unknown channel type 'pager'"),
        ("webhook", {}, "no url"),
        ("slack", {"url": "ftp://127.0.0.1/x"}, "not an http(s) URL"),
        ("webhook", {"url": "http://127.0.0.1/", "secret": 42}, "secret is not a string"),
    ],
)
def test_misconfigured_channels_are_permanent(
    channel_type: str, channel: dict[str, Any], words: str
) -> None:
    error = failure(sender_settings(), channel_type, channel, payload())
    assert error.permanent
    assert words in error.message


def test_one_deliverer_serves_many_deliveries_concurrently(receiver: HttpReceiver) -> None:
    async def run() -> None:
        async with Deliverer(sender_settings()) as deliverer:
            await asyncio.gather(
                *(
                    deliverer.deliver(
                        delivery_id=f"dl-{n}",
                        channel_type="webhook",
                        settings={"url": receiver.url("/hook")},
                        payload=payload(delivery=f"dl-{n}"),
                    )
                    for n in range(30)
                )
            )

    asyncio.run(run())
    delivered = {request.headers["X-Slaguard-Delivery"] for request in receiver.requests}
    assert delivered == {f"dl-{n}" for n in range(30)}


# --- summary and settings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"level": None}, "Breach: ticket T-1 resolution (P1) was due 2026-11-22T10:00:00+00:00"),
        (
            {"kind": "warning", "metric": "first_response", "when": "50%", "priority": None},
            "Warning: ticket T-1 first_response 50% (L2), due 2026-11-22T10:00:00+00:00",
        ),
        (
            {"kind": "trigger", "trigger": "idle 24h", "metric": None, "level": None},
            "Trigger: ticket T-1 idle 24h (P1), due 2026-11-22T10:00:00+00:00",
        ),
        ({"message": "Custom\n  words"}, "Custom words"),
        ({"kind": "digest", "items": [payload()]}, "Digest: 1 notification"),
    ],
)
def test_render_text(changes: dict[str, Any], text: str) -> None:
    assert render_text(payload(**changes)) == text


def test_sender_settings_from_settings_hide_secrets() -> None:
    settings = Settings(
        smtp_host="mail.example.com",
        smtp_port=587,
        smtp_username="sla",
        smtp_password="mail-secret",
        smtp_starttls=True,
        twilio_account_sid="AC9",
        twilio_auth_token="twilio-secret",
        twilio_from="+15550009999",
        delivery_timeout_seconds=3.5,
    )
    sender = SenderSettings.from_settings(settings)
    assert sender.smtp_host == "mail.example.com"
    assert sender.smtp_port == 587
    assert sender.smtp_password == "mail-secret"
    assert sender.smtp_starttls is True
    assert sender.twilio_auth_token == "twilio-secret"
    assert sender.twilio_base_url == "https://api.twilio.com"
    assert sender.timeout_seconds == 3.5
    assert "secret" not in repr(sender)
