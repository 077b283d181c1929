"""ntfy: a push notification published as JSON.

The channel URL is the topic's (``https://ntfy.sh/mfa-reminders``); JSON publishing
posts to the server's root with the topic in the body (docs.ntfy.sh/publish, "Publish
as JSON"). Messages over 4096 bytes would become attachments, so they are cut; ntfy
allows at most three action buttons.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from compact_calendar.channels.factory import ChannelConfig, ChannelContext, channel_builder
from compact_calendar.channels.webhook.chat import (
    ChatChannel,
    ChatFormat,
    Payload,
    build_chat_channel,
    truncate,
)
from compact_calendar.errors import ChannelError
from compact_calendar.messages.content import Message
from compact_calendar.messages.sanitize import neutralise_mentions

__all__ = ["NTFY", "build", "build_payload", "split_topic_url"]

MESSAGE_LIMIT_BYTES = 4096
TITLE_LIMIT = 250
MAX_ACTIONS = 3
TAGS = {"reminder": "date", "moved": "calendar", "cancelled": "x", "test": "test_tube"}


def split_topic_url(url: str) -> tuple[str, str]:
    """``https://ntfy.sh/topic`` as (``https://ntfy.sh/``, ``topic``)."""
    parts = urlsplit(url)
    base, _, topic = parts.path.rstrip("/").rpartition("/")
    if not topic:
        raise ChannelError(
            f"ntfy channel url {url} names no topic: write it like https://ntfy.sh/your-topic"
        )
    return urlunsplit((parts.scheme, parts.netloc, base + "/", "", "")), topic


def build_payload(message: Message, body: str, url: str) -> Payload:
    _base, topic = split_topic_url(url)
    actions: list[Payload] = []
    if message.action:
        actions.append({"action": "view", "label": message.action.title, "url": message.action.url})
    if message.calendar_url:
        actions.append({"action": "view", "label": "Add to calendar", "url": message.calendar_url})
    payload: Payload = {
        "topic": topic,
        "title": truncate(neutralise_mentions(message.subject), TITLE_LIMIT),
        "message": truncate(body, MESSAGE_LIMIT_BYTES, in_bytes=True),
        "tags": [TAGS[message.kind]],
        "priority": 4 if message.kind in ("moved", "cancelled") or message.late else 3,
    }
    if message.action:
        payload["click"] = message.action.url
    if actions:
        payload["actions"] = actions[:MAX_ACTIONS]
    return payload


NTFY = ChatFormat("ntfy", "plain", build_payload, target=lambda url: split_topic_url(url)[0])


@channel_builder("webhook", "ntfy")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> ChatChannel:
    channel = build_chat_channel(NTFY, name, config, context)
    split_topic_url(channel.url)  # a URL without a topic is a configuration error: say so now
    return channel
