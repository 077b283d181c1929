"""What the chat formats (Slack, Teams, Discord, Mattermost, Google Chat, ntfy) share.

Each format module supplies a :class:`ChatFormat`: which template flavour its text uses
and a pure function from the message to the JSON payload its service documents. The
:class:`ChatChannel` renders, POSTs through :func:`compact_calendar.channels.webhook.post`
(the same retry mapping as the generic webhook: 429 + Retry-After, 5xx, timeouts) and
never follows redirects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from compact_calendar.channels.base import Delivery, Receipt
from compact_calendar.channels.factory import ChannelConfig, ChannelContext
from compact_calendar.channels.webhook import post
from compact_calendar.errors import ChannelError
from compact_calendar.messages.content import Message, message_for
from compact_calendar.messages.render import ChatFlavour, Templates, override_directory
from compact_calendar.registry.model import WebhookChannel

__all__ = [
    "HEADERS",
    "ChatChannel",
    "ChatFormat",
    "Payload",
    "build_chat_channel",
    "truncate",
    "utf8_length",
]

Payload = dict[str, Any]
ELLIPSIS = "…"
HEADERS: Mapping[str, str] = {"content-type": "application/json; charset=utf-8"}
"""The headers every chat payload is posted with."""


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate(text: str, limit: int, *, in_bytes: bool = False) -> str:
    """``text`` cut to ``limit`` characters (or UTF-8 bytes), at a line end when one is near.

    The services reject what is over their limits; a reminder cut short still carries its
    headline, time and first links, which come first in every template.
    """
    measure = utf8_length if in_bytes else len
    if measure(text) <= limit:
        return text
    room = limit - measure(ELLIPSIS)
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore") if in_bytes else text[:room]
    line_end = cut.rfind("\n")
    if line_end > len(cut) * 3 // 4:
        cut = cut[:line_end]
    return cut.rstrip() + ELLIPSIS


def _same_url(url: str) -> str:
    return url


@dataclass(frozen=True, slots=True)
class ChatFormat:
    name: str
    flavour: ChatFlavour
    build: Callable[[Message, str, str], Payload]
    """The payload from the message, the body rendered by the flavour's template, and the
    channel's URL."""
    target: Callable[[str], str] = field(default=_same_url)
    """Where to POST, from the channel's configured URL."""


class ChatChannel:
    """A webhook channel that posts a chat service's own payload."""

    def __init__(
        self,
        name: str,
        url: str,
        chat_format: ChatFormat,
        *,
        http: httpx.AsyncClient,
        templates: Templates | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.format = chat_format
        self.http = http
        self.templates = templates or Templates()

    def payload(self, delivery: Delivery) -> Payload:
        message = message_for(delivery)
        body = self.templates.chat(self.format.flavour, message)
        return self.format.build(message, body, self.url)

    def render(self, delivery: Delivery) -> tuple[str, bytes]:
        """Exactly what :meth:`send` would POST, and where."""
        body = json.dumps(self.payload(delivery), ensure_ascii=False).encode("utf-8")
        return self.format.target(self.url), body

    async def send(self, delivery: Delivery) -> Receipt:
        url, body = self.render(delivery)
        return await post(self.http, url, body, HEADERS, channel=self.name)

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and closed by its owner


def build_chat_channel(
    chat_format: ChatFormat, name: str, config: ChannelConfig, context: ChannelContext
) -> ChatChannel:
    if not isinstance(config, WebhookChannel):
        raise ChannelError(f"channel `{name}` is not a webhook channel")
    templates = Templates(override_directory(context.settings.registry))
    return ChatChannel(name, config.url, chat_format, http=context.http, templates=templates)
