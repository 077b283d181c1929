"""Google Chat incoming webhooks: a ``text`` message in Chat's own formatting.

Limit (developers.google.com/workspace/chat/format-messages): 4096 characters of text.
Angle brackets in registry text are replaced so it cannot write ``<users/all>``.
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

__all__ = ["GOOGLE_CHAT", "build", "build_payload"]

TEXT_LIMIT = 4096


def build_payload(message: Message, body: str, url: str = "") -> Payload:
    text = f"*{escape_for('google-chat', message.subject)}*\n{body}"
    return {"text": truncate(text, TEXT_LIMIT)}


GOOGLE_CHAT = ChatFormat("google-chat", "google-chat", build_payload)


@channel_builder("webhook", "google-chat")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    return build_chat_channel(GOOGLE_CHAT, name, config, context)
