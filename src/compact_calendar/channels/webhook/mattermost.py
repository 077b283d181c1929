"""Mattermost incoming webhooks: one Markdown ``text``.

Limit (developers.mattermost.com/integrate/webhooks/incoming): 16,383 characters per
post. Mass mentions (@channel, @all, @here) from registry text are neutralised.
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

__all__ = ["MATTERMOST", "build", "build_payload"]

TEXT_LIMIT = 16_383


def build_payload(message: Message, body: str, url: str = "") -> Payload:
    text = f"#### {escape_for('markdown', message.subject)}\n\n{body}"
    return {"text": truncate(text, TEXT_LIMIT)}


MATTERMOST = ChatFormat("mattermost", "markdown", build_payload)


@channel_builder("webhook", "mattermost")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    return build_chat_channel(MATTERMOST, name, config, context)
