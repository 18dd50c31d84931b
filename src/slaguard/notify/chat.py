"""Chat messages: Slack incoming webhooks (Block Kit) and Teams (an Adaptive Card, or an
Office 365 connector MessageCard).

Both are built from a `Notice` and sent by `webhook.post_json` with slaguard's headers.
A digest lists at most CHAT_MAX_ITEMS notifications, then "and N more": Slack allows 50
blocks per message and Teams cards are capped at 28 KB.

Teams takes an Adaptive Card by default: its Workflows webhooks ("When a Teams webhook
request is received"), which replace the retired Office 365 connectors, post Adaptive
Cards, and connectors' incoming webhooks take them too. A channel with `format: message`
gets the connector MessageCard instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slaguard.notify.render import Notice, notice

__all__ = ["CHAT_MAX_ITEMS", "THEME_COLORS", "slack_message", "teams_card"]

CHAT_MAX_ITEMS = 40
_SLACK_TEXT_LIMIT = 3000  # characters of a section's text
THEME_COLORS = {
    "warning": "F2A900",
    "breach": "D93F0B",
    "escalation": "B60205",
    "digest": "0366D6",
    "trigger": "6F42C1",
}
_DEFAULT_COLOR = "808080"
# An Adaptive Card's title colour by kind (the card's named colours, not hex values).
_CARD_COLORS = {"warning": "Warning", "breach": "Attention", "escalation": "Attention"}
_ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`{"text": summary, "blocks": [...]}`: a section (summary and facts), a context line
    with the times, one section per digest item, and an Acknowledge button."""
    note = notice(payload, max_items=CHAT_MAX_ITEMS)
    lines = [f"*{_mrkdwn(note.summary)}*"]
    if note.facts:
        lines.append(" · ".join(f"{label}: {_mrkdwn(value)}" for label, value in note.facts))
    blocks: list[dict[str, Any]] = [_section("\n".join(lines))]
    if note.times:
        times = " · ".join(f"{label} {_mrkdwn(value)}" for label, value in note.times)
        blocks.append(_context(times))
    for index, item in enumerate(note.items, start=1):
        block = _section(_mrkdwn(item.summary))
        if item.ack_url:
            block["accessory"] = _button(item.ack_url, f"acknowledge-{index}")
        blocks.append(block)
    if note.more:
        blocks.append(_context(f"and {note.more} more"))
    if note.ack_url:
        blocks.append({"type": "actions", "elements": [_button(note.ack_url, "acknowledge")]})
    return {"text": _mrkdwn(note.summary), "blocks": blocks}


def teams_card(payload: Mapping[str, Any], card_format: str | None = None) -> dict[str, Any]:
    """The Teams message of `payload` in `card_format` (`escalation.TEAMS_FORMATS`):
    `message` for a connector MessageCard, otherwise (the default) an Adaptive Card."""
    note = notice(payload, max_items=CHAT_MAX_ITEMS)
    return _message_card(note) if card_format == "message" else _adaptive_card(note)


def _adaptive_card(note: Notice) -> dict[str, Any]:
    """A message with one Adaptive Card (version 1.4): the summary as a coloured title,
    the facts and times as a FactSet, one text per digest item with its own Acknowledge
    (Action.OpenUrl), and an Acknowledge action for the whole."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": note.summary,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _CARD_COLORS.get(note.kind, "Accent"),
        }
    ]
    facts = note.facts + note.times
    if facts:
        pairs = [{"title": label, "value": value} for label, value in facts]
        body.append({"type": "FactSet", "facts": pairs})
    for item in note.items:
        body.append({"type": "TextBlock", "text": item.summary, "wrap": True, "separator": True})
        if item.ack_url:
            body.append({"type": "ActionSet", "actions": [_open_url(item.ack_url)]})
    if note.more:
        body.append({"type": "TextBlock", "text": f"and {note.more} more", "isSubtle": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "fallbackText": note.summary,
        "body": body,
    }
    if note.ack_url:
        card["actions"] = [_open_url(note.ack_url)]
    return {
        "type": "message",
        "summary": note.summary,
        "attachments": [{"contentType": _ADAPTIVE, "contentUrl": None, "content": card}],
    }


def _message_card(note: Notice) -> dict[str, Any]:
    """An Office 365 connector MessageCard: title, facts, one section per digest item, and
    an Acknowledge link (OpenUri)."""
    sections: list[dict[str, Any]] = []
    facts = note.facts + note.times
    if facts:
        sections.append({"facts": [{"name": label, "value": value} for label, value in facts]})
    for item in note.items:
        section: dict[str, Any] = {"activityTitle": item.summary}
        if item.ack_url:
            section["potentialAction"] = [_open_uri(item.ack_url)]
        sections.append(section)
    if note.more:
        sections.append({"text": f"and {note.more} more"})
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "summary": note.summary,
        "themeColor": THEME_COLORS.get(note.kind, _DEFAULT_COLOR),
        "title": note.summary,
        "sections": sections,
    }
    if note.ack_url:
        card["potentialAction"] = [_open_uri(note.ack_url)]
    return card


def _mrkdwn(text: str) -> str:
    """`text` shown literally in Slack's mrkdwn (which gives &, < and > a meaning)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > _SLACK_TEXT_LIMIT:
        text = text[: _SLACK_TEXT_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(url: str, action_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "url": url,
        "action_id": action_id,
    }


def _open_url(url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": "Acknowledge", "url": url}


def _open_uri(url: str) -> dict[str, Any]:
    return {"@type": "OpenUri", "name": "Acknowledge", "targets": [{"os": "default", "uri": url}]}
