"""Slack incoming webhooks: ``text`` for notifications plus Block Kit blocks.

Limits (api.slack.com/reference/block-kit): header text 150 characters, section text
3000, button text 75, 50 blocks; ``text`` is cut by Slack beyond 40,000 characters.
"""

from __future__ import annotations

from compact_calendar.channels.factory import ChannelConfig, ChannelContext, channel_builder
from compact_calendar.channels.webhook.chat import (
    ChatChannel,
    ChatFormat,
    Payload,
    build_chat_channel,
    truncate,
)
from compact_calendar.messages.content import Message
from compact_calendar.messages.render import escape_for

__all__ = ["SLACK", "build", "build_payload", "sections"]

TEXT_LIMIT = 40_000
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BUTTON_LIMIT = 75
MAX_SECTIONS = 10


def sections(body: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``body`` split at line ends into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in body.splitlines():
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = truncate(line, limit)
    if current:
        pieces.append(current)
    if len(pieces) > MAX_SECTIONS:
        pieces = [*pieces[: MAX_SECTIONS - 1], truncate(pieces[MAX_SECTIONS - 1] + "\n…", limit)]
    return pieces


def _button(text: str, url: str, *, primary: bool = False) -> Payload:
    button: Payload = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_LIMIT), "emoji": False},
        "url": url,
    }
    if primary:
        button["style"] = "primary"
    return button


def build_payload(message: Message, body: str, url: str = "") -> Payload:
    blocks: list[Payload] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                # plain_text shows & < > as written; only mention look-alikes need defusing.
                "text": truncate(escape_for("markdown", message.subject), HEADER_LIMIT),
                "emoji": False,
            },
        }
    ]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in sections(body)
    ]
    buttons = []
    if message.action:
        buttons.append(_button(message.action.title, message.action.url, primary=True))
    if message.calendar_url:
        buttons.append(_button("Add to calendar", message.calendar_url))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {
        "text": truncate(escape_for("slack", message.subject), TEXT_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


SLACK = ChatFormat("slack", "slack", build_payload)


@channel_builder("webhook", "slack")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    return build_chat_channel(SLACK, name, config, context)
