"""Discord webhooks: a short ``content`` line and one embed, pinging no one.

Limits (discord.com/developers/docs/resources/webhook, .../message#embed-limits):
content 2000 characters, embed title 256, description 4096, all embed text 6000;
``allowed_mentions: {parse: []}`` keeps any @everyone, role or user text inert.
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

__all__ = ["DISCORD", "build", "build_payload"]

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
COLOURS = {"reminder": 0x2B6CB0, "moved": 0xD69E2E, "cancelled": 0xC53030, "test": 0x718096}


def build_payload(message: Message, body: str, url: str = "") -> Payload:
    title = truncate(escape_for("markdown", message.title), TITLE_LIMIT)
    footer = truncate(message.calendar_name, FOOTER_LIMIT)
    room = EMBED_TOTAL_LIMIT - len(title) - len(footer)
    embed: Payload = {
        "title": title,
        "description": truncate(body, min(DESCRIPTION_LIMIT, room)),
        "color": COLOURS[message.kind],
        "footer": {"text": footer},
    }
    if message.action:
        embed["url"] = message.action.url
    return {
        "content": truncate(escape_for("markdown", message.subject), CONTENT_LIMIT),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


DISCORD = ChatFormat("discord", "markdown", build_payload)


@channel_builder("webhook", "discord")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    return build_chat_channel(DISCORD, name, config, context)
