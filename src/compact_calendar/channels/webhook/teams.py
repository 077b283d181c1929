"""Microsoft Teams through a Workflows webhook: one Adaptive Card.

The Workflows "post to a channel when a webhook request is received" template takes a
``message`` whose ``attachments`` hold the card (learn.microsoft.com, "Create incoming
webhooks with Workflows"). Cards are limited to about 28 KB; Adaptive Card 1.4 is the
version Teams renders everywhere.
"""

from __future__ import annotations

import json

from compact_calendar.channels.factory import ChannelConfig, ChannelContext, channel_builder
from compact_calendar.channels.webhook.chat import (
    ChatChannel,
    ChatFormat,
    Payload,
    build_chat_channel,
    truncate,
    utf8_length,
)
from compact_calendar.messages.content import Message
from compact_calendar.messages.render import escape_for

__all__ = ["CARD_LIMIT_BYTES", "TEAMS", "build", "build_payload"]

CARD_LIMIT_BYTES = 28_000
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _card(message: Message, body: str) -> Payload:
    actions: list[Payload] = []
    if message.action:
        actions.append(
            {"type": "Action.OpenUrl", "title": message.action.title, "url": message.action.url}
        )
    if message.calendar_url:
        actions.append(
            {"type": "Action.OpenUrl", "title": "Add to calendar", "url": message.calendar_url}
        )
    card: Payload = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": escape_for("markdown", message.subject),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": body, "wrap": True},
        ],
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def build_payload(message: Message, body: str, url: str = "") -> Payload:
    card = _card(message, body)
    overflow = utf8_length(json.dumps(card, ensure_ascii=False)) - CARD_LIMIT_BYTES
    if overflow > 0:
        # JSON escaping can double a character's size; cut twice what is over to be sure.
        card = _card(message, truncate(body, utf8_length(body) - 2 * overflow, in_bytes=True))
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


TEAMS = ChatFormat("teams", "markdown", build_payload)


@channel_builder("webhook", "teams")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    return build_chat_channel(TEAMS, name, config, context)
